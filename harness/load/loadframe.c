/* loadframe: RFC 6455 frames parsed and built in bulk for the load engine,
 * and the one-pass top-level field scan (see loadframe.h). */
#include "loadframe.h"

#include <stdlib.h>
#include <string.h>

typedef struct hdr {
    int fin, rsv, op, masked;
    uint32_t key;
    uint64_t plen;
    size_t hl;
} hdr;

/* Reads a frame header from have bytes: its length, 0 when more bytes are
 * needed (*need says how many the header takes, as far as known), -1 when
 * broken (a 64-bit length with the top bit set). */
static long header(const uint8_t *b, size_t have, hdr *h, size_t *need)
{
    *need = 2;
    if (have < 2)
        return 0;
    h->fin = b[0] >> 7;
    h->rsv = b[0] & 0x70;
    h->op = b[0] & 0x0f;
    h->masked = b[1] >> 7;
    unsigned l7 = b[1] & 0x7f;
    size_t hl = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (h->masked ? 4 : 0);
    *need = hl;
    if (have < hl)
        return 0;
    size_t p = 2;
    if (l7 == 126) {
        h->plen = (uint64_t)b[2] << 8 | b[3];
        p = 4;
    } else if (l7 == 127) {
        if (b[2] & 0x80)
            return -1;
        h->plen = 0;
        for (int i = 0; i < 8; i++)
            h->plen = h->plen << 8 | b[2 + i];
        p = 10;
    } else {
        h->plen = l7;
    }
    h->key = 0;
    if (h->masked)
        h->key = (uint32_t)b[p] << 24 | (uint32_t)b[p + 1] << 16 | (uint32_t)b[p + 2] << 8 |
                 b[p + 3];
    h->hl = hl;
    return (long)hl;
}

void loadframe_mask(uint8_t *p, size_t len, uint32_t mask_key, unsigned phase)
{
    uint8_t k[4] = {(uint8_t)(mask_key >> 24), (uint8_t)(mask_key >> 16),
                    (uint8_t)(mask_key >> 8), (uint8_t)mask_key};
    uint8_t kk[8];
    for (unsigned j = 0; j < 8; j++)
        kk[j] = k[(phase + j) & 3];
    uint64_t m;
    memcpy(&m, kk, 8);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        v ^= m;
        memcpy(p + i, &v, 8);
    }
    for (; i < len; i++)
        p[i] ^= k[(phase + i) & 3];
}

size_t loadframe_encode(uint8_t *out, size_t cap, int opcode, const void *payload, size_t len,
                        int masked, uint32_t mask_key)
{
    size_t hl = 2 + (len < 126 ? 0 : len <= 0xffff ? 2 : 8) + (masked ? 4 : 0);
    if (cap < hl || cap - hl < len)
        return 0;
    out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    size_t p = 2;
    if (len < 126) {
        out[1] = (uint8_t)len;
    } else if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        p = 4;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        p = 10;
    }
    if (masked) {
        out[1] |= 0x80;
        out[p++] = (uint8_t)(mask_key >> 24);
        out[p++] = (uint8_t)(mask_key >> 16);
        out[p++] = (uint8_t)(mask_key >> 8);
        out[p++] = (uint8_t)mask_key;
    }
    if (len)
        memcpy(out + p, payload, len);
    if (masked)
        loadframe_mask(out + p, len, mask_key, 0);
    return p + len;
}

/* One complete frame: unmask, check, join fragments, call back. */
static long frame(loadframe_rx *rx, const hdr *h, uint8_t *pl, size_t max_msg, loadframe_cb cb,
                  void *user, long *calls)
{
    size_t n = (size_t)h->plen;
    if (h->rsv)
        return LOADFRAME_ERR_PROTO; /* no extension was negotiated */
    if (h->masked)
        loadframe_mask(pl, n, h->key, 0);
    if (h->op >= 0x8) {
        if (!h->fin || n > 125 || (h->op != LOADFRAME_OP_CLOSE && h->op != LOADFRAME_OP_PING &&
                                   h->op != LOADFRAME_OP_PONG))
            return LOADFRAME_ERR_PROTO;
        if (h->op == LOADFRAME_OP_CLOSE)
            rx->closed = 1;
        (*calls)++;
        return cb(user, h->op, pl, n);
    }
    if (h->op == LOADFRAME_OP_CONT) {
        if (!rx->msg_op)
            return LOADFRAME_ERR_PROTO;
        if (n > max_msg - rx->msg_len)
            return LOADFRAME_ERR_TOO_BIG;
        if (n) {
            uint8_t *m = realloc(rx->msg, rx->msg_len + n);
            if (!m)
                return LOADFRAME_ERR_TOO_BIG;
            rx->msg = m;
            memcpy(m + rx->msg_len, pl, n);
            rx->msg_len += (uint32_t)n;
        }
        if (!h->fin)
            return 0;
        int op = rx->msg_op;
        rx->msg_op = 0;
        (*calls)++;
        long r = cb(user, op, rx->msg ? rx->msg : pl, rx->msg_len);
        free(rx->msg);
        rx->msg = NULL;
        rx->msg_len = 0;
        return r;
    }
    if (h->op != LOADFRAME_OP_TEXT && h->op != LOADFRAME_OP_BINARY)
        return LOADFRAME_ERR_PROTO;
    if (rx->msg_op)
        return LOADFRAME_ERR_PROTO; /* a new message inside a fragmented one */
    if (h->fin) {
        (*calls)++;
        return cb(user, h->op, pl, n);
    }
    rx->msg_op = (uint8_t)h->op;
    rx->msg_len = 0;
    if (n) {
        rx->msg = malloc(n);
        if (!rx->msg)
            return LOADFRAME_ERR_TOO_BIG;
        memcpy(rx->msg, pl, n);
        rx->msg_len = (uint32_t)n;
    }
    return 0;
}

/* Appends n bytes to the kept partial frame. */
static int keep(loadframe_rx *rx, const uint8_t *p, size_t n, size_t want)
{
    if (rx->part_len + n > rx->part_cap) {
        size_t cap = want > rx->part_len + n ? want : rx->part_len + n;
        uint8_t *b = realloc(rx->part, cap);
        if (!b)
            return -1;
        rx->part = b;
        rx->part_cap = (uint32_t)cap;
    }
    memcpy(rx->part + rx->part_len, p, n);
    rx->part_len += (uint32_t)n;
    return 0;
}

static void drop_part(loadframe_rx *rx)
{
    free(rx->part);
    rx->part = NULL;
    rx->part_len = rx->part_cap = 0;
}

long loadframe_feed(loadframe_rx *rx, uint8_t *data, size_t len, size_t max_msg,
                    loadframe_cb cb, void *user)
{
    long calls = 0, r;
    size_t off = 0, need;
    hdr h;
    if (max_msg > UINT32_MAX / 2)
        max_msg = UINT32_MAX / 2;
    /* first finish a frame split across reads, taking only its own bytes */
    while (rx->part_len && !rx->closed) {
        long hl = header(rx->part, rx->part_len, &h, &need);
        if (hl < 0)
            return LOADFRAME_ERR_PROTO;
        size_t total = need;
        if (hl > 0) {
            if (h.plen > max_msg)
                return LOADFRAME_ERR_TOO_BIG;
            total = (size_t)hl + (size_t)h.plen;
        }
        size_t take = total - rx->part_len;
        if (take > len - off)
            take = len - off;
        if (keep(rx, data + off, take, total) < 0)
            return LOADFRAME_ERR_TOO_BIG;
        off += take;
        if (rx->part_len < total)
            return calls; /* still incomplete: everything was taken */
        if (hl == 0)
            continue; /* the header is whole now: read its length */
        r = frame(rx, &h, rx->part + hl, max_msg, cb, user, &calls);
        drop_part(rx);
        if (r)
            return r;
    }
    while (off < len && !rx->closed) {
        long hl = header(data + off, len - off, &h, &need);
        if (hl < 0)
            return LOADFRAME_ERR_PROTO;
        if (hl > 0 && h.plen > max_msg)
            return LOADFRAME_ERR_TOO_BIG;
        if (hl == 0 || h.plen > len - off - (size_t)hl) {
            size_t want = hl ? (size_t)hl + (size_t)h.plen : LOADFRAME_MAX_HEADER;
            if (keep(rx, data + off, len - off, want) < 0)
                return LOADFRAME_ERR_TOO_BIG;
            return calls;
        }
        r = frame(rx, &h, data + off + hl, max_msg, cb, user, &calls);
        off += (size_t)hl + (size_t)h.plen;
        if (r)
            return r;
    }
    return calls;
}

void loadframe_rx_free(loadframe_rx *rx)
{
    drop_part(rx);
    free(rx->msg);
    rx->msg = NULL;
    rx->msg_len = 0;
    rx->msg_op = 0;
}

/* ---- the top-level field scan ---- */

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Bytes that matter inside a nested value: quotes and brackets. */
static const uint8_t nest_stop[256] = {['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1};
/* Bytes that end a bare value (a number, true, false, null). */
static const uint8_t bare_stop[256] = {[','] = 1, ['}'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1,
                                       ['\r'] = 1};

/* Eight bytes at a time (SWAR: "SIMD within a register"), the way
 * simdjson and others scan and convert without SIMD instructions. These
 * read 8 bytes at p, which the callers keep inside the text. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static uint64_t load8(const char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* The high bit set in the bytes of x equal to c; the lowest one is exact. */
static uint64_t bytes_eq(uint64_t x, uint8_t c)
{
    uint64_t y = x ^ (ONES * c);
    return (y - ONES) & ~y & HIGHS;
}

/* The first quote in [q, e), or NULL. */
static const char *find_quote(const char *q, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* most strings here are short: a word at a time avoids a call; a long
     * one goes to memchr after 32 bytes */
    for (int i = 0; i < 4 && e - q >= 8; i++, q += 8) {
        uint64_t m = bytes_eq(load8(q), '"');
        if (m)
            return q + (__builtin_ctzll(m) >> 3);
    }
#endif
    return q < e ? memchr(q, '"', (size_t)(e - q)) : NULL;
}

/* p at the opening quote: returns the closing quote, or NULL (an escaped
 * quote is told by the number of backslashes before it). */
static const char *str_end(const char *p, const char *e)
{
    const char *q = p + 1;
    for (;;) {
        q = find_quote(q, e);
        if (!q)
            return NULL;
        const char *b = q;
        while (b > p + 1 && b[-1] == '\\')
            b--;
        if (((q - b) & 1) == 0)
            return q;
        q++;
    }
}

/* 1 when the 8 bytes of x are all ASCII digits. */
static int all_digits(uint64_t x)
{
    return ((x & 0xF0F0F0F0F0F0F0F0ULL) |
            (((x + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) ==
           0x3333333333333333ULL;
}

/* The value of 8 ASCII digits (the first byte is the most significant). */
static uint64_t digits8(uint64_t x)
{
    x = (x & 0x0F0F0F0F0F0F0F0FULL) * 2561 >> 8;
    x = (x & 0x00FF00FF00FF00FFULL) * 6553601 >> 16;
    return (x & 0x0000FFFF0000FFFFULL) * 42949672960001ULL >> 32;
}

/* p at a bare value: a plain integer (an optional '-' then 1 to 18 digits,
 * then the end of the text or a byte of bare_stop) into *v and its end into
 * *end: 0; anything else (a fraction, an exponent, a word): -1, *end
 * untouched. */
static int plain_int(const char *p, const char *e, int64_t *v, const char **end)
{
    int neg = p < e && *p == '-';
    const char *d = p + neg, *q = d;
    uint64_t x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (e - q >= 8 && q - d <= 10 && all_digits(load8(q))) {
        x = x * 100000000 + digits8(load8(q));
        q += 8;
    }
#endif
    while (q < e && *q >= '0' && *q <= '9' && q - d < 18)
        x = x * 10 + (uint64_t)(*q++ - '0');
    if (q == d || q - d > 18 || (q < e && !bare_stop[(uint8_t)*q]))
        return -1;
    *v = neg ? -(int64_t)x : (int64_t)x;
    *end = q;
    return 0;
}

/* p at '{' or '[': returns one past the matching close, or NULL. */
static const char *skip_nested(const char *p, const char *e)
{
    int depth = 0;
    while (p < e) {
        while (p < e && !nest_stop[(uint8_t)*p])
            p++;
        if (p == e)
            break;
        char c = *p;
        if (c == '"') {
            p = str_end(p, e);
            if (!p)
                return NULL;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (--depth == 0) {
            return p + 1;
        }
        p++;
    }
    return NULL;
}

/* A JSON number filling [p, e) whose value is an integer within 2^53 (plain
 * digits the fast way; 42.0 or 1.76456123456789e+15, as cJSON prints some
 * integers, through strtod): 0 and *v, or -1. */
static int int_of(const char *p, const char *e, int64_t *v)
{
    const char *s = p;
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    int64_t x = 0;
    const char *d = p;
    while (p < e && *p >= '0' && *p <= '9' && p - d < 18)
        x = x * 10 + (*p++ - '0');
    if (p == e && p > d) {
        *v = neg ? -x : x;
        return 0;
    }
    char buf[40];
    if (e - s >= (long)sizeof buf || e == s)
        return -1;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = '\0';
    char *end;
    double f = strtod(buf, &end);
    if (*end || !(f >= -9007199254740992.0 && f <= 9007199254740992.0) || f != (double)(int64_t)f)
        return -1;
    *v = (int64_t)f;
    return 0;
}

int loadframe_fields_parse(const char *json, size_t len, loadframe_fields *f)
{
    const char *p = json, *e = json + len;
    memset(f, 0, sizeof(*f));
    p = ws(p, e);
    if (p == e || *p != '{')
        return -1;
    p = ws(p + 1, e);
    if (p < e && *p == '}')
        return ws(p + 1, e) == e ? 0 : -1;
    for (;;) {
        if (p == e || *p != '"')
            return -1;
        const char *ke = str_end(p, e);
        if (!ke)
            return -1;
        const char *k = p + 1;
        size_t kl = (size_t)(ke - k);
        p = ws(ke + 1, e);
        if (p == e || *p != ':')
            return -1;
        p = ws(p + 1, e);
        if (p == e)
            return -1;
        if (*p == '"') {
            const char *ve = str_end(p, e);
            if (!ve)
                return -1;
            if (kl == 4 && !memcmp(k, "type", 4)) {
                f->type = p + 1;
                f->type_len = (size_t)(ve - p - 1);
                f->have |= LOADFRAME_F_TYPE;
            } else if (kl == 6 && !memcmp(k, "source", 6)) {
                f->source = p + 1;
                f->source_len = (size_t)(ve - p - 1);
                f->have |= LOADFRAME_F_SOURCE;
            }
            p = ve + 1;
        } else if (*p == '{' || *p == '[') {
            p = skip_nested(p, e);
            if (!p)
                return -1;
        } else {
            int64_t v;
            unsigned bit = kl == 3 && !memcmp(k, "seq", 3)        ? LOADFRAME_F_SEQ
                           : kl == 5 && !memcmp(k, "ts_us", 5)    ? LOADFRAME_F_TS
                           : kl == 8 && !memcmp(k, "relay_us", 8) ? LOADFRAME_F_RELAY
                                                                  : 0;
            const char *s = p;
            if (!bit || plain_int(s, e, &v, &p)) {
                while (p < e && !bare_stop[(uint8_t)*p])
                    p++;
                if (bit && int_of(s, p, &v))
                    bit = 0;
            }
            f->have |= bit;
            if (bit == LOADFRAME_F_SEQ)
                f->seq = v;
            else if (bit == LOADFRAME_F_TS)
                f->ts_us = v;
            else if (bit == LOADFRAME_F_RELAY)
                f->relay_us = v;
        }
        p = ws(p, e);
        if (p == e)
            return -1;
        if (*p == '}')
            return ws(p + 1, e) == e ? 0 : -1;
        if (*p != ',')
            return -1;
        p = ws(p + 1, e);
    }
}
