/* loadframe: WebSocket frames in bulk for the load engine (RFC 6455 framing
 * only; the handshake is libwebsockets' job).
 *
 * A load subscriber reads many frames per read() and hands the bytes to
 * loadframe_feed, which walks every complete frame in place (no copy for a
 * whole unfragmented frame), unmasks masked ones, joins fragments, keeps a
 * split frame's bytes for the next read, and calls back once per message or
 * control frame. loadframe_fields then takes what the load checks need
 * (type, source, seq, ts_us, relay_us) from the top level of a JSON object in
 * one pass, without building a tree: full validation is the functional
 * suites' job. Publishers build masked frames with loadframe_encode and write
 * many per call. Nothing here does I/O; nothing is thread-shared. */
#ifndef WSB_LOADFRAME_H
#define WSB_LOADFRAME_H

#include <stddef.h>
#include <stdint.h>

#define LOADFRAME_OP_CONT 0x0
#define LOADFRAME_OP_TEXT 0x1
#define LOADFRAME_OP_BINARY 0x2
#define LOADFRAME_OP_CLOSE 0x8
#define LOADFRAME_OP_PING 0x9
#define LOADFRAME_OP_PONG 0xA

#define LOADFRAME_MAX_HEADER 14 /* 2 + 8 (length) + 4 (mask) */

/* What loadframe_feed returns when the stream is broken (the caller closes
 * with the matching WebSocket status: 1002 protocol, 1009 too big). */
#define LOADFRAME_ERR_PROTO (-1)
#define LOADFRAME_ERR_TOO_BIG (-2)

/* Per-connection receive state: zeroed to start; two pointers and a few
 * counters (buffers are allocated only while a frame is split across reads
 * or a message is fragmented). Free with loadframe_rx_free. */
typedef struct loadframe_rx {
    uint8_t *part;    /* bytes of a frame split across reads */
    uint32_t part_len;
    uint32_t part_cap;
    uint8_t *msg;     /* a fragmented message being joined */
    uint32_t msg_len;
    uint8_t msg_op;   /* its opcode; 0 when none in progress */
    uint8_t closed;   /* a close frame was seen: nothing more is parsed */
} loadframe_rx;

/* Called for each whole message (text or binary, fragments joined) and each
 * control frame. payload is writable and valid only during the call. A
 * non-zero return stops the feed, which then returns that value. */
typedef int (*loadframe_cb)(void *user, int opcode, uint8_t *payload, size_t len);

/* Parses every complete frame of data (len bytes, modified in place when
 * masked), after any bytes kept from before. max_msg bounds a message (and a
 * frame). Returns the number of callbacks made, the callback's non-zero
 * value, or LOADFRAME_ERR_*. */
long loadframe_feed(loadframe_rx *rx, uint8_t *data, size_t len, size_t max_msg,
                    loadframe_cb cb, void *user);
void loadframe_rx_free(loadframe_rx *rx);

/* Writes one frame (FIN set) into out: masked with mask_key when masked is
 * non-zero (a client's frames must be). Returns the bytes written, or 0 when
 * cap is too small (it needs len + LOADFRAME_MAX_HEADER at most). */
size_t loadframe_encode(uint8_t *out, size_t cap, int opcode, const void *payload, size_t len,
                        int masked, uint32_t mask_key);

/* XORs len bytes with the 4-byte key (network order of mask_key), starting at
 * key byte `phase` (0..3). */
void loadframe_mask(uint8_t *p, size_t len, uint32_t mask_key, unsigned phase);

/* The top-level fields of one JSON object a load check reads. */
#define LOADFRAME_F_TYPE 0x01
#define LOADFRAME_F_SOURCE 0x02
#define LOADFRAME_F_SEQ 0x04
#define LOADFRAME_F_TS 0x08
#define LOADFRAME_F_RELAY 0x10
typedef struct loadframe_fields {
    unsigned have;        /* LOADFRAME_F_* of the fields found */
    const char *type;     /* into the text, not NUL-terminated; no escapes decoded */
    size_t type_len;
    const char *source;
    size_t source_len;
    int64_t seq, ts_us, relay_us;
} loadframe_fields;

/* Scans a JSON object's top level (nested objects, arrays and strings are
 * skipped, so a "seq" inside "data" is never taken). A number field must be
 * an integer within 2^53 (42, 42.0 and 1.7e+15 are; 4.5 is not) or it counts
 * as absent. 0, or -1 when the text is not one JSON object (broken
 * nesting, an unterminated string, trailing bytes other than blanks). */
int loadframe_fields_parse(const char *json, size_t len, loadframe_fields *f);

#endif
