/* envelope: the publisher envelope on cJSON, and a tree-less peek.
 *
 * envelope_decode() checks the shape of the common fields only (the schema
 * check is contract_check_envelope()); integers are read from valuedouble.
 * envelope_encode_buf() writes a frame straight into a caller's buffer for
 * the bot's hot path. envelope_peek_fields() scans a text frame once and picks
 * the top-level type/source/seq/ts_us/relay_us without building a tree, for
 * the load and latency readers. */
#include "envelope.h"
#include "wlog.h"
#include "wjson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int envelope_get_string(const cJSON *root, const char *name, char *dst, size_t cap,
                               char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
    size_t n;

    if (it == NULL) {
        wlog_seterr(err, errlen, "/: missing required property \"%s\"", name);
        return -1;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL) {
        wlog_seterr(err, errlen, "/%s: must be a string", name);
        return -1;
    }
    n = strlen(it->valuestring);
    if (n == 0 || n >= cap) {
        wlog_seterr(err, errlen, "/%s: length must be 1..%zu", name, cap - 1);
        return -1;
    }
    memcpy(dst, it->valuestring, n + 1);
    return 0;
}

static int envelope_get_int(const cJSON *root, const char *name, int required, int64_t *out,
                            char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);

    *out = 0;
    if (it == NULL) {
        if (!required)
            return 0;
        wlog_seterr(err, errlen, "/: missing required property \"%s\"", name);
        return -1;
    }
    if (!wjson_get_int64(it, out)) {
        wlog_seterr(err, errlen, "/%s: must be an integer", name);
        return -1;
    }
    return 0;
}

int envelope_decode(const cJSON *root, envelope *out, char *err, size_t errlen)
{
    int64_t v;
    const cJSON *data;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(root)) {
        wlog_seterr(err, errlen, "/: must be an object");
        return -1;
    }
    if (envelope_get_int(root, "v", 1, &v, err, errlen) != 0)
        return -1;
    if (v != ENVELOPE_VERSION) {
        wlog_seterr(err, errlen, "/v: must be %d", ENVELOPE_VERSION);
        return -1;
    }
    out->v = (int)v;
    if (envelope_get_string(root, "type", out->type, sizeof(out->type), err, errlen) != 0
        || envelope_get_string(root, "source", out->source, sizeof(out->source), err, errlen) != 0
        || envelope_get_int(root, "seq", 1, &out->seq, err, errlen) != 0
        || envelope_get_int(root, "ts_us", 1, &out->ts_us, err, errlen) != 0
        || envelope_get_int(root, "relay_us", 0, &out->relay_us, err, errlen) != 0)
        return -1;
    data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (data == NULL) {
        wlog_seterr(err, errlen, "/: missing required property \"data\"");
        return -1;
    }
    if (!cJSON_IsObject(data)) {
        wlog_seterr(err, errlen, "/data: must be an object");
        return -1;
    }
    out->data = data;
    return 0;
}

/* Appends s as a JSON string literal at buf[*pos]; -1 when it does not fit. */
static int envelope_put_string(char *buf, size_t cap, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos;

    if (p >= cap)
        return -1;
    buf[p++] = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (p + 7 >= cap)
            return -1;
        if (*c == '"' || *c == '\\') {
            buf[p++] = '\\';
            buf[p++] = (char)*c;
        } else if (*c < 0x20) {
            buf[p++] = '\\';
            buf[p++] = 'u';
            buf[p++] = '0';
            buf[p++] = '0';
            buf[p++] = hex[*c >> 4];
            buf[p++] = hex[*c & 15];
        } else {
            buf[p++] = (char)*c;
        }
    }
    if (p + 1 >= cap)
        return -1;
    buf[p++] = '"';
    buf[p] = '\0';
    *pos = p;
    return 0;
}

static int envelope_put_raw(char *buf, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + n + 1 > cap)
        return -1;
    memcpy(buf + *pos, s, n + 1);
    *pos += n;
    return 0;
}

static int envelope_encode_full(char *buf, size_t cap, int v, const char *type, const char *source,
                                int64_t seq, int64_t ts_us, const char *data_json,
                                int64_t relay_us)
{
    char num[64];
    size_t pos = 0;

    snprintf(num, sizeof(num), "{\"v\":%d,\"type\":", v);
    if (envelope_put_raw(buf, cap, &pos, num) != 0
        || envelope_put_string(buf, cap, &pos, type ? type : "") != 0
        || envelope_put_raw(buf, cap, &pos, ",\"source\":") != 0
        || envelope_put_string(buf, cap, &pos, source ? source : "") != 0)
        return -1;
    snprintf(num, sizeof(num), ",\"seq\":%" PRId64 ",\"ts_us\":%" PRId64 ",\"data\":", seq, ts_us);
    if (envelope_put_raw(buf, cap, &pos, num) != 0
        || envelope_put_raw(buf, cap, &pos, data_json ? data_json : "{}") != 0)
        return -1;
    if (relay_us != 0) {
        snprintf(num, sizeof(num), ",\"relay_us\":%" PRId64, relay_us);
        if (envelope_put_raw(buf, cap, &pos, num) != 0)
            return -1;
    }
    if (envelope_put_raw(buf, cap, &pos, "}") != 0)
        return -1;
    return (int)pos;
}

int envelope_encode_buf(char *buf, size_t cap, const char *type, const char *source, int64_t seq,
                        int64_t ts_us, const char *data_json)
{
    if (buf == NULL || cap == 0 || cap > (size_t)INT32_MAX)
        return -1;
    return envelope_encode_full(buf, cap, ENVELOPE_VERSION, type, source, seq, ts_us, data_json,
                                0);
}

char *envelope_encode(const envelope *e)
{
    char *data_json = NULL;
    char *buf;
    size_t cap;

    if (e->data != NULL) {
        data_json = cJSON_PrintUnformatted(e->data);
        if (data_json == NULL)
            return NULL;
    }
    /* Each string byte takes at most 6 bytes escaped; numbers at most 20. */
    cap = 160 + 6 * (strnlen(e->type, sizeof(e->type)) + strnlen(e->source, sizeof(e->source)))
          + (data_json ? strlen(data_json) : 2);
    buf = malloc(cap);
    if (buf != NULL
        && envelope_encode_full(buf, cap, e->v ? e->v : ENVELOPE_VERSION, e->type, e->source,
                                e->seq, e->ts_us, data_json, e->relay_us)
               < 0) {
        free(buf);
        buf = NULL;
    }
    cJSON_free(data_json);
    return buf;
}

/* ---- peek ---- */

static size_t envelope_skip_ws(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* Skips a string starting at t[i] == '"'; returns the index after the closing quote, 0 on error. */
static size_t envelope_skip_string(const char *t, size_t len, size_t i)
{
    i++;
    while (i < len) {
        if (t[i] == '\\') {
            i += 2;
            continue;
        }
        if (t[i] == '"')
            return i + 1;
        i++;
    }
    return 0;
}

/* Skips any JSON value at t[i]; returns the index after it, 0 on error. */
static size_t envelope_skip_value(const char *t, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    if (t[i] == '"')
        return envelope_skip_string(t, len, i);
    if (t[i] == '{' || t[i] == '[') {
        size_t depth = 0;
        while (i < len) {
            char c = t[i];
            if (c == '"') {
                i = envelope_skip_string(t, len, i);
                if (i == 0)
                    return 0;
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return 0;
    }
    size_t start = i;
    while (i < len && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\t'
           && t[i] != '\n' && t[i] != '\r')
        i++;
    return i > start ? i : 0;
}

/* The slow path of envelope_peek_int: a number with a fraction or an exponent
 * (cJSON prints 1763822739818900 as 1.7638227398189e+15) is an integer when
 * its value is exact, as wjson_get_int64 reads it. Index after it, 0 if not. */
static size_t envelope_peek_real_int(const char *t, size_t len, size_t i, int64_t *out)
{
    char num[64];
    size_t n = 0;
    char *end;
    double d;

    while (i + n < len && n < sizeof(num) - 1 && strchr("+-0123456789.eE", t[i + n]))
        n++;
    memcpy(num, t + i, n);
    num[n] = '\0';
    d = strtod(num, &end);
    if (end != num + n || !(d <= (double)WJSON_MAX_EXACT_INT && d >= -(double)WJSON_MAX_EXACT_INT) ||
        d != (double)(int64_t)d)
        return 0;
    *out = (int64_t)d;
    return i + n;
}

/* Reads an integer value at t[i] into *out; index after it, 0 when not an exact integer. */
static size_t envelope_peek_int(const char *t, size_t len, size_t i, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0;
    size_t start;

    if (i < len && t[i] == '-') {
        neg = 1;
        i++;
    }
    start = i;
    while (i < len && t[i] >= '0' && t[i] <= '9') {
        v = v * 10 + (uint64_t)(t[i] - '0');
        if (v > (uint64_t)WJSON_MAX_EXACT_INT)
            return 0;
        i++;
    }
    if (i == start)
        return 0;
    if (i < len && (t[i] == '.' || t[i] == 'e' || t[i] == 'E'))
        return envelope_peek_real_int(t, len, start - (size_t)neg, out);
    *out = neg ? -(int64_t)v : (int64_t)v;
    return i;
}

/* Copies a string value (simple escapes only) into dst; index after it, 0 on error. */
static size_t envelope_peek_str(const char *t, size_t len, size_t i, char *dst, size_t cap)
{
    size_t n = 0;

    if (i >= len || t[i] != '"')
        return 0;
    i++;
    while (i < len && t[i] != '"') {
        char c = t[i];
        if (c == '\\') {
            if (i + 1 >= len)
                return 0;
            switch (t[i + 1]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            default: return 0; /* names in the contract need no other escapes */
            }
            i++;
        }
        if (n + 1 >= cap)
            return 0;
        dst[n++] = c;
        i++;
    }
    if (i >= len)
        return 0;
    dst[n] = '\0';
    return i + 1;
}

int envelope_peek_fields(const char *text, size_t len, envelope_peek *out)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    if (text == NULL)
        return -1;
    i = envelope_skip_ws(text, len, 0);
    if (i >= len || text[i] != '{')
        return -1;
    i = envelope_skip_ws(text, len, i + 1);
    if (i < len && text[i] == '}')
        return 0;
    for (;;) {
        size_t kstart, kend;

        if (i >= len || text[i] != '"')
            return -1;
        kstart = i + 1;
        i = envelope_skip_string(text, len, i);
        if (i == 0)
            return -1;
        kend = i - 1;
        i = envelope_skip_ws(text, len, i);
        if (i >= len || text[i] != ':')
            return -1;
        i = envelope_skip_ws(text, len, i + 1);

        size_t klen = kend - kstart;
        const char *k = text + kstart;
        if (klen == 4 && memcmp(k, "type", 4) == 0)
            i = envelope_peek_str(text, len, i, out->type, sizeof(out->type));
        else if (klen == 6 && memcmp(k, "source", 6) == 0)
            i = envelope_peek_str(text, len, i, out->source, sizeof(out->source));
        else if (klen == 3 && memcmp(k, "seq", 3) == 0)
            i = envelope_peek_int(text, len, i, &out->seq);
        else if (klen == 5 && memcmp(k, "ts_us", 5) == 0)
            i = envelope_peek_int(text, len, i, &out->ts_us);
        else if (klen == 8 && memcmp(k, "relay_us", 8) == 0)
            i = envelope_peek_int(text, len, i, &out->relay_us);
        else
            i = envelope_skip_value(text, len, i);
        if (i == 0)
            return -1;
        i = envelope_skip_ws(text, len, i);
        if (i >= len)
            return -1;
        if (text[i] == '}')
            return 0;
        if (text[i] != ',')
            return -1;
        i = envelope_skip_ws(text, len, i + 1);
    }
}

int envelope_source_ok(const char *s)
{
    static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static const char rest[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
    size_t len = s ? strlen(s) : 0;

    return len >= 1 && len <= 64 && strchr(first, s[0]) && strspn(s, rest) == len;
}
