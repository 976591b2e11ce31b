/* exchfeed: strict decoding of Binance's bookTicker and trade stream records
 * (exchfeed.h has the formats). The fields of a record are matched against
 * the variants the formats have; anything else is refused by name. */
#include "exchfeed.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wjson.h"

#define EXCHFEED_MAX_DEPTH 4

/* The fields of one variant: the required ones, then those that come together
 * or not at all (the optional group). */
typedef struct variant {
    exchfeed_kind kind;
    const char *required; /* one character per field name */
    const char *group;    /* all or none */
} variant;

static const variant variants[] = {
    {EXCHFEED_BOOK_TICKER, "usbBaA", "eET"},
    {EXCHFEED_TRADE, "eEstpqTmM", "ba"},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

const char *exchfeed_kind_name(exchfeed_kind k)
{
    return k == EXCHFEED_TRADE ? "trade" : "bookTicker";
}

/* A decimal string: digits, optionally a point and digits; its value in *out. */
static int decimal(const cJSON *o, const char *name, double *out, char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    const char *s = cJSON_IsString(it) ? it->valuestring : NULL;
    size_t i = 0, digits = 0;
    if (!s)
        return fail(err, errlen, "\"%s\": not a decimal string", name);
    while (isdigit((unsigned char)s[i]))
        i++, digits++;
    if (s[i] == '.') {
        size_t f = ++i;
        while (isdigit((unsigned char)s[i]))
            i++;
        if (i == f)
            digits = 0;
    }
    if (!digits || s[i] || i > 40)
        return fail(err, errlen, "\"%s\": \"%.40s\" is not a decimal string", name, s);
    *out = strtod(s, NULL);
    return 0;
}

static int integer(const cJSON *o, const char *name, int64_t *out, char *err, size_t errlen)
{
    if (!wjson_get_int64(cJSON_GetObjectItemCaseSensitive(o, name), out) || *out < 0)
        return fail(err, errlen, "\"%s\": not a non-negative integer", name);
    return 0;
}

static int boolean(const cJSON *o, const char *name, int *out, char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsBool(it))
        return fail(err, errlen, "\"%s\": not a boolean", name);
    *out = cJSON_IsTrue(it);
    return 0;
}

/* Which variant the record is, by its fields; refuses unknown and missing ones. */
static const variant *classify(const cJSON *o, int *with_group, char *err, size_t errlen)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "e");
    const variant *v;
    if (cJSON_IsString(e) && !strcmp(e->valuestring, "trade"))
        v = &variants[1];
    else if (!e || (cJSON_IsString(e) && !strcmp(e->valuestring, "bookTicker")))
        v = &variants[0];
    else if (cJSON_IsString(e))
        return fail(err, errlen, "event type \"%.40s\" is neither bookTicker nor trade",
                    e->valuestring),
               NULL;
    else
        return fail(err, errlen, "\"e\": not a string"), NULL;
    int groups = 0;
    for (const cJSON *it = o->child; it; it = it->next) {
        const char *k = it->string;
        int one = k[0] && !k[1];
        if (one && strchr(v->required, k[0]))
            continue;
        if (one && strchr(v->group, k[0])) {
            groups++;
            continue;
        }
        return fail(err, errlen, "unknown field \"%.40s\" in a %s record", k,
                    exchfeed_kind_name(v->kind)),
               NULL;
    }
    for (const char *c = v->required; *c; c++)
        if (!cJSON_GetObjectItemCaseSensitive(o, (char[]){*c, 0}))
            return fail(err, errlen, "missing field \"%c\" in a %s record", *c,
                        exchfeed_kind_name(v->kind)),
                   NULL;
    if (groups && groups != (int)strlen(v->group))
        for (const char *c = v->group; *c; c++)
            if (!cJSON_GetObjectItemCaseSensitive(o, (char[]){*c, 0}))
                return fail(err, errlen, "missing field \"%c\" in a %s record (it comes with the "
                            "others of \"%s\")", *c, exchfeed_kind_name(v->kind), v->group),
                       NULL;
    *with_group = groups > 0;
    return v;
}

static int decode_obj(const cJSON *o, exchfeed_rec *r, char *err, size_t errlen)
{
    int grp = 0;
    const variant *v = classify(o, &grp, err, errlen);
    if (!v)
        return -1;
    memset(r, 0, sizeof(*r));
    r->kind = v->kind;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "s");
    if (!cJSON_IsString(s) || !s->valuestring[0] || strlen(s->valuestring) >= EXCHFEED_SYMBOL_MAX)
        return fail(err, errlen, "\"s\": not a symbol");
    for (const char *c = s->valuestring; *c; c++)
        if (!isupper((unsigned char)*c) && !isdigit((unsigned char)*c))
            return fail(err, errlen, "\"s\": \"%.30s\" is not an upper-case symbol",
                        s->valuestring);
    snprintf(r->symbol, sizeof(r->symbol), "%s", s->valuestring);
    if (v->kind == EXCHFEED_BOOK_TICKER) {
        if (integer(o, "u", &r->id, err, errlen) || decimal(o, "b", &r->bid, err, errlen) ||
            decimal(o, "B", &r->bid_qty, err, errlen) || decimal(o, "a", &r->ask, err, errlen) ||
            decimal(o, "A", &r->ask_qty, err, errlen))
            return -1;
        if (grp && (integer(o, "E", &r->event_ms, err, errlen) ||
                    integer(o, "T", &r->time_ms, err, errlen)))
            return -1;
        return 0;
    }
    int64_t ignored;
    int m2;
    if (integer(o, "E", &r->event_ms, err, errlen) || integer(o, "t", &r->id, err, errlen) ||
        decimal(o, "p", &r->price, err, errlen) || decimal(o, "q", &r->qty, err, errlen) ||
        integer(o, "T", &r->time_ms, err, errlen) || boolean(o, "m", &r->buyer_maker, err, errlen) ||
        boolean(o, "M", &m2, err, errlen))
        return -1;
    if (grp && (integer(o, "b", &ignored, err, errlen) || integer(o, "a", &ignored, err, errlen)))
        return -1;
    return 0;
}

int exchfeed_decode(const char *text, size_t len, exchfeed_rec *out, char *err, size_t errlen)
{
    char why[160];
    cJSON *root = wjson_parse(text, len, EXCHFEED_MAX_DEPTH, why, sizeof(why));
    if (!root)
        return fail(err, errlen, "not JSON: %s", why);
    int rc;
    const cJSON *o = root;
    if (!cJSON_IsObject(root)) {
        rc = fail(err, errlen, "not a JSON object");
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "stream")) { /* a combined stream's wrapper */
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "stream");
        o = cJSON_GetObjectItemCaseSensitive(root, "data");
        if (!cJSON_IsString(st) || !cJSON_IsObject(o) || cJSON_GetArraySize(root) != 2) {
            rc = fail(err, errlen, "a combined-stream wrapper is {\"stream\":name,\"data\":{...}} "
                                   "and nothing else");
            goto out;
        }
    }
    rc = decode_obj(o, out, err, errlen);
out:
    cJSON_Delete(root);
    return rc;
}

int exchfeed_check(const exchfeed_rec *r, char *err, size_t errlen)
{
    if (r->kind == EXCHFEED_TRADE) {
        if (!(r->price > 0))
            return fail(err, errlen, "trade price %.8g is not positive", r->price);
        if (!(r->qty > 0))
            return fail(err, errlen, "trade quantity %.8g is not positive", r->qty);
        return 0;
    }
    if (!(r->bid > 0) || !(r->ask > 0))
        return fail(err, errlen, "bid %.8g / ask %.8g: prices must be positive", r->bid, r->ask);
    if (!(r->bid_qty > 0) || !(r->ask_qty > 0))
        return fail(err, errlen, "bid size %.8g / ask size %.8g: sizes must be positive",
                    r->bid_qty, r->ask_qty);
    if (r->bid > r->ask)
        return fail(err, errlen, "bid %.8g > ask %.8g (a crossed book)", r->bid, r->ask);
    return 0;
}
