/* envelope: encode and decode the publisher envelope
 *   {"v":1,"type":"trade_executed","source":"bot-1","seq":42,"ts_us":...,"data":{...}}
 * and a fast peek at the fields the load and latency paths need, without
 * building a tree. Decoding checks shape only; contract_check_envelope()
 * checks the schema. */
#ifndef WSB_ENVELOPE_H
#define WSB_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define ENVELOPE_VERSION 1
#define ENVELOPE_TYPE_MAX 32
#define ENVELOPE_SOURCE_MAX 64

typedef struct envelope {
    int v;
    char type[ENVELOPE_TYPE_MAX];
    char source[ENVELOPE_SOURCE_MAX];
    int64_t seq;
    int64_t ts_us;
    int64_t relay_us;      /* 0 when absent (publisher side) */
    const cJSON *data;     /* borrowed from the tree given to envelope_decode */
} envelope;

/* Reads the fields from a parsed frame. 0 on success, -1 with err naming the
 * missing or mistyped field ("/seq: must be an integer"). */
int envelope_decode(const cJSON *root, envelope *out, char *err, size_t errlen);

/* Encodes e (data may be NULL: {}) as compact JSON; relay_us is written when
 * non-zero. Returns malloc'd text the caller frees, NULL on allocation failure. */
char *envelope_encode(const envelope *e);

/* Writes the encoding into buf (at most cap bytes, NUL-terminated); returns
 * the length, or -1 when it does not fit. data_json is the already encoded
 * data object (NULL: {}). For hot paths that reuse one buffer. */
int envelope_encode_buf(char *buf, size_t cap, const char *type, const char *source,
                        int64_t seq, int64_t ts_us, const char *data_json);

/* Peeks the top-level "source", "seq", "ts_us", "relay_us" and "type" of a
 * JSON text frame without a full parse (keys in any order; nested objects
 * skipped). Missing integer fields are 0, missing strings "". 0 on success,
 * -1 when the text is not an object or a field has the wrong shape. */
typedef struct envelope_peek {
    char type[ENVELOPE_TYPE_MAX];
    char source[ENVELOPE_SOURCE_MAX];
    int64_t seq;
    int64_t ts_us;
    int64_t relay_us;
} envelope_peek;
int envelope_peek_fields(const char *text, size_t len, envelope_peek *out);

/* 1 when s is a valid source name, the envelope schema's pattern
 * ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ (a publisher's token sub must be one). */
int envelope_source_ok(const char *s);

#endif
