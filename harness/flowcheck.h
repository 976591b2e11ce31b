/* flowcheck: judges a stream of frames a subscriber (or publisher) received.
 *
 * Feed it every received text frame; it parses strictly (wjson), validates
 * against the contract (stream.json for subscriber frames, the envelope
 * schemas for publisher frames, control/gap.json for gap frames) and keeps,
 * per source, which sequence numbers arrived: from that it tells duplicates,
 * out-of-order arrivals and missing numbers apart. It also counts the message
 * types seen, the gap and error frames, and (optionally) keeps a log of
 * (source, seq, content hash) so two subscribers' streams can be compared.
 *
 * The message-flow suite and the harness's faulty-peer tests use this same
 * code, so a problem the suite would miss the tests would miss too.
 * Not thread-safe; the caller owns the flowcheck and frees it. */
#ifndef WSB_FLOWCHECK_H
#define WSB_FLOWCHECK_H

#include <stddef.h>
#include <stdint.h>
#include "contract.h"

enum flowcheck_flags {
    FLOWCHECK_SCHEMA = 1 << 0,    /* validate every frame against the contract */
    FLOWCHECK_KEEP_LOG = 1 << 1,  /* keep (source, seq, hash) per frame for flowcheck_compare */
    FLOWCHECK_PUBLISHER = 1 << 2, /* frames are publisher envelopes (no relay_us) */
};

#define FLOWCHECK_MAX_SPAN (1 << 24) /* seq numbers tracked per source beyond the first */

typedef struct flow_source {
    char source[64];
    int64_t start_seq;    /* the first seq expected (flowcheck_expect_from + 1), else first seen */
    int64_t first_seq;    /* first seq received */
    int64_t max_seq;      /* highest seq received */
    uint64_t received;    /* envelopes of this source, duplicates included */
    uint64_t duplicates;  /* a seq received again */
    uint64_t out_of_order;/* a seq lower than one already received, not seen before */
    uint64_t beyond_span; /* seq too far from the start to track (counted as a problem) */
    int64_t first_dup_seq, first_ooo_seq, first_ooo_after;
    uint64_t gap_frames;  /* gap frames naming this source */
    uint64_t gap_declared;/* messages those gap frames said were lost */
} flow_source;

typedef struct flowcheck flowcheck;

/* c may be NULL (no schema checks even with FLOWCHECK_SCHEMA). */
flowcheck *flowcheck_new(const contract *c, unsigned flags);
void flowcheck_free(flowcheck *f);

/* Says the stream of source should start at seq from + 1 (a subscribe/resume
 * with "from"), so anything missing at the start is seen as missing. */
void flowcheck_expect_from(flowcheck *f, const char *source, int64_t from);

/* Judges one frame. 0 when it is fine, 1 when it showed a problem (kept for
 * flowcheck_problems). */
int flowcheck_feed(flowcheck *f, const char *text, size_t len);

/* Per-source results; the pointers stay valid until the next feed. */
size_t flowcheck_source_count(const flowcheck *f);
const flow_source *flowcheck_source(const flowcheck *f, size_t i);
const flow_source *flowcheck_find(const flowcheck *f, const char *source);
/* Sequence numbers in [start_seq, max_seq] never received. */
uint64_t flowcheck_missing(const flowcheck *f, const char *source, int64_t *first_missing);
/* Distinct seqs received for a source. */
uint64_t flowcheck_unique(const flowcheck *f, const char *source);

/* Totals. */
uint64_t flowcheck_frames(const flowcheck *f);
uint64_t flowcheck_envelopes(const flowcheck *f);
uint64_t flowcheck_unparsable(const flowcheck *f);
uint64_t flowcheck_invalid(const flowcheck *f);   /* failed the schema or lacked fields */
uint64_t flowcheck_error_frames(const flowcheck *f);
uint64_t flowcheck_gap_frames(const flowcheck *f);
/* Count of envelopes of a type index (contract_types order). */
uint64_t flowcheck_type_count(const flowcheck *f, int type_index);
/* Writes the names of the types never seen ("alert, command_ack"); returns how many. */
int flowcheck_missing_types(const flowcheck *f, char *buf, size_t buflen);

/* Every problem seen, one clause each ("bot-1: 2 duplicates (first seq 12); ...",
 * "3 schema-invalid frames (first: seq 5 /data/price: must be > 0)").
 * Returns the number of problem kinds (0: clean; buf then says "no problems"). */
int flowcheck_problems(const flowcheck *f, char *buf, size_t buflen);

/* Writes the resume frame that picks up every source where this stream left
 * it: {"type":"resume","from":{"<source>":<highest seq received>,...}}.
 * Returns the length, or -1 when it does not fit in buf. */
int flowcheck_resume_frame(const flowcheck *f, char *buf, size_t buflen);

/* Compares two logs (both made with FLOWCHECK_KEEP_LOG): 0 when they hold
 * the same messages in the same order, else -1 with err naming the first
 * difference ("at 17: a has bot-1#18, b has bot-1#19"). */
int flowcheck_compare(const flowcheck *a, const flowcheck *b, char *err, size_t errlen);
size_t flowcheck_log_len(const flowcheck *f);

/* Compares a published envelope with the frame a subscriber received (relay_us
 * ignored): 0 when equal, -1 with err naming the first differing field. */
int flowcheck_same_envelope(const char *published, size_t plen, const char *received,
                            size_t rlen, char *err, size_t errlen);

#endif
