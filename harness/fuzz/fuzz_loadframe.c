/* fuzz_loadframe: libFuzzer target for the load engine's frame parser
 * (harness/load/loadframe.c): loadframe_feed reads whatever the server under
 * load sends, and loadframe_fields_parse scans every text message.
 *
 * Checks beyond the sanitizers:
 *   - split invariance: the input fed at once and fed in two reads (split at
 *     a point the input's first byte picks) gives the same callbacks (opcode,
 *     length, payload hash) and the same ending (count or error);
 *   - round trip: every message delivered, encoded again as one masked frame
 *     by loadframe_encode and fed to a fresh parser, comes back unchanged;
 *   - the field scan: the strings it returns lie inside the message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG 4096
#define MAX_EVENTS 4096

typedef struct event {
    int opcode;
    size_t len;
    uint64_t hash;
} event;

typedef struct trace {
    event ev[MAX_EVENTS];
    size_t n;
    int roundtrip; /* encode and re-parse each data message */
} trace;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void check_fields(const uint8_t *p, size_t len)
{
    loadframe_fields f;
    if (loadframe_fields_parse((const char *)p, len, &f) != 0)
        return;
    const char *lo = (const char *)p, *hi = (const char *)p + len;
    if ((f.have & LOADFRAME_F_TYPE) && (f.type < lo || f.type + f.type_len > hi))
        abort();
    if ((f.have & LOADFRAME_F_SOURCE) && (f.source < lo || f.source + f.source_len > hi))
        abort();
}

typedef struct one {
    const uint8_t *want;
    size_t len;
    int opcode, seen;
} one;

static int on_roundtrip(void *user, int opcode, uint8_t *payload, size_t len)
{
    one *o = user;
    if (o->seen++ || opcode != o->opcode || len != o->len || memcmp(payload, o->want, len))
        abort();
    return 0;
}

/* A data message encoded as one masked frame and parsed again: itself. */
static void roundtrip(int opcode, const uint8_t *payload, size_t len)
{
    static uint8_t frame[MAX_MSG + LOADFRAME_MAX_HEADER];
    size_t n = loadframe_encode(frame, sizeof frame, opcode, payload, len, 1,
                                (uint32_t)(len * 2654435761u));
    if (!n)
        abort();
    one o = {payload, len, opcode, 0};
    loadframe_rx rx;
    memset(&rx, 0, sizeof rx);
    if (loadframe_feed(&rx, frame, n, MAX_MSG, on_roundtrip, &o) != 1 || o.seen != 1)
        abort();
    loadframe_rx_free(&rx);
}

static int on_frame(void *user, int opcode, uint8_t *payload, size_t len)
{
    trace *t = user;
    if (t->n < MAX_EVENTS)
        t->ev[t->n++] = (event){opcode, len, fnv(payload, len)};
    if (opcode == LOADFRAME_OP_TEXT)
        check_fields(payload, len);
    if (t->roundtrip && (opcode == LOADFRAME_OP_TEXT || opcode == LOADFRAME_OP_BINARY))
        roundtrip(opcode, payload, len);
    return 0;
}

static long feed_all(const uint8_t *data, size_t size, size_t split, trace *t)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    loadframe_rx rx;
    memset(&rx, 0, sizeof rx);
    long total = 0, r = loadframe_feed(&rx, copy, split, MAX_MSG, on_frame, t);
    if (r >= 0) {
        total = r;
        r = loadframe_feed(&rx, copy + split, size - split, MAX_MSG, on_frame, t);
        if (r >= 0)
            r += total;
    }
    loadframe_rx_free(&rx);
    free(copy);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static trace a, b;
    if (size < 1)
        return 0;
    size_t split = 1 + (size > 1 ? data[0] % size : 0);
    if (split > size)
        split = size;
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    split = split - 1; /* 0..n */
    a.n = b.n = 0;
    a.roundtrip = 1;
    long ra = feed_all(in, n, n, &a);
    long rb = feed_all(in, n, split, &b);
    /* the same messages in the same order, the same ending */
    if (ra != rb || a.n != b.n)
        abort();
    for (size_t i = 0; i < a.n; i++)
        if (a.ev[i].opcode != b.ev[i].opcode || a.ev[i].len != b.ev[i].len ||
            a.ev[i].hash != b.ev[i].hash)
            abort();
    return 0;
}
