/* faultproxy_toxic: the toxics of wsb-faultproxy: reading and writing their
 * JSON (Toxiproxy's field names and units) and what each does to the bytes.
 *
 * Bytes read from a stream's source become one "piece" stamped with the read
 * time; each active toxic of that stream, in the order they were added,
 * transforms the list of pieces: latency pushes release times back, bandwidth
 * cuts pieces to 100 ms worth of the rate and spaces them, slicer cuts them
 * into small slices spaced by its delay, limit_data truncates and asks for a
 * close, timeout and reset_peer drop everything. What comes out is queued on
 * the stream (release times never go backwards, so order is kept) and the
 * loop writes it when due. Time-driven effects (timeout's close, reset_peer's
 * RST, slow_close's late EOF) are deadlines the loop asks about.
 *
 * Toxicity is rolled once per connection and toxic (again when the toxic is
 * updated), as Toxiproxy does. */
#include "faultproxy.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wjson.h"
#include "wlog.h"

#define TOXIC_MAX_MS (24LL * 3600 * 1000) /* no time attribute above a day */
#define TOXIC_MAX_BYTES (1LL << 50)

typedef struct piece {
    const unsigned char *p;
    size_t len;
    int64_t due_us;
} piece;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static piece *scratch[2];
static size_t scratch_cap[2];

static const char *const type_names[FP_T_COUNT] = {
    "latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data",
};

void fp_toxic_seed(unsigned seed)
{
    rng_state ^= (uint64_t)seed * 0x2545f4914f6cdd1dULL;
    if (!rng_state)
        rng_state = 1;
}

static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, 1). */
static double rng_unit(void)
{
    return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* Uniform integer in [-v, v]. */
static int64_t rng_spread(int64_t v)
{
    if (v <= 0)
        return 0;
    return (int64_t)(rng_next() % (uint64_t)(2 * v + 1)) - v;
}

const char *fp_toxic_type_name(enum fp_toxic_type t)
{
    return t < FP_T_COUNT ? type_names[t] : "?";
}

/* ---- JSON ---- */

typedef struct attr_def {
    const char *name;
    size_t off;
    int64_t max;
} attr_def;

/* The attributes of each type, with the fp_toxic field each fills. */
static int attrs_of(enum fp_toxic_type t, attr_def out[3])
{
    switch (t) {
    case FP_T_LATENCY:
        out[0] = (attr_def){"latency", offsetof(fp_toxic, latency_ms), TOXIC_MAX_MS};
        out[1] = (attr_def){"jitter", offsetof(fp_toxic, jitter_ms), TOXIC_MAX_MS};
        return 2;
    case FP_T_BANDWIDTH:
        out[0] = (attr_def){"rate", offsetof(fp_toxic, rate_kbs), TOXIC_MAX_BYTES};
        return 1;
    case FP_T_SLOW_CLOSE:
        out[0] = (attr_def){"delay", offsetof(fp_toxic, delay), TOXIC_MAX_MS};
        return 1;
    case FP_T_TIMEOUT:
    case FP_T_RESET_PEER:
        out[0] = (attr_def){"timeout", offsetof(fp_toxic, timeout_ms), TOXIC_MAX_MS};
        return 1;
    case FP_T_SLICER:
        out[0] = (attr_def){"average_size", offsetof(fp_toxic, average_size), TOXIC_MAX_BYTES};
        out[1] = (attr_def){"size_variation", offsetof(fp_toxic, size_variation),
                            TOXIC_MAX_BYTES};
        out[2] = (attr_def){"delay", offsetof(fp_toxic, delay), TOXIC_MAX_MS * 1000};
        return 3;
    case FP_T_LIMIT_DATA:
        out[0] = (attr_def){"bytes", offsetof(fp_toxic, bytes), TOXIC_MAX_BYTES};
        return 1;
    default:
        return 0;
    }
}

static int read_attributes(const cJSON *attrs, fp_toxic *t, char *err, size_t errlen)
{
    if (!attrs || cJSON_IsNull(attrs))
        return 0;
    if (!cJSON_IsObject(attrs)) {
        wlog_seterr(err, errlen, "bad request body: attributes must be an object");
        return -1;
    }
    attr_def defs[3];
    int n = attrs_of(t->type, defs);
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, defs[i].name);
        if (!v)
            continue;
        int64_t x;
        if (!wjson_get_int64(v, &x) || x < 0 || x > defs[i].max) {
            wlog_seterr(err, errlen,
                        "bad request body: attributes.%s of a %s toxic must be an integer "
                        "0..%lld",
                        defs[i].name, fp_toxic_type_name(t->type), (long long)defs[i].max);
            return -1;
        }
        *(int64_t *)((char *)t + defs[i].off) = x;
    }
    if (t->type == FP_T_SLICER && t->size_variation > 0 &&
        t->size_variation >= t->average_size) {
        wlog_seterr(err, errlen,
                    "bad request body: slicer size_variation must be smaller than "
                    "average_size");
        return -1;
    }
    return 0;
}

int fp_toxic_from_json(const cJSON *body, const fp_toxic *base, fp_toxic *out, char *err,
                       size_t errlen)
{
    if (!cJSON_IsObject(body)) {
        wlog_seterr(err, errlen, "bad request body: a toxic must be a JSON object");
        return -1;
    }
    const cJSON *tox = cJSON_GetObjectItemCaseSensitive(body, "toxicity");
    if (tox && !cJSON_IsNull(tox) &&
        (!cJSON_IsNumber(tox) || tox->valuedouble < 0 || tox->valuedouble > 1)) {
        wlog_seterr(err, errlen, "bad request body: toxicity must be a number 0..1");
        return -1;
    }
    if (base) { /* an update changes toxicity and attributes only */
        *out = *base;
        if (tox && cJSON_IsNumber(tox))
            out->toxicity = tox->valuedouble;
        return read_attributes(cJSON_GetObjectItemCaseSensitive(body, "attributes"), out, err,
                               errlen);
    }
    memset(out, 0, sizeof(*out));
    out->stream = FP_DOWN;
    out->toxicity = tox && cJSON_IsNumber(tox) ? tox->valuedouble : 1.0;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "type");
    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(body, "stream");
    if ((name && !cJSON_IsString(name) && !cJSON_IsNull(name)) ||
        (type && !cJSON_IsString(type) && !cJSON_IsNull(type)) ||
        (stream && !cJSON_IsString(stream) && !cJSON_IsNull(stream))) {
        wlog_seterr(err, errlen, "bad request body: name, type and stream must be strings");
        return -1;
    }
    if (cJSON_IsString(stream) && stream->valuestring[0]) {
        if (!strcmp(stream->valuestring, "upstream"))
            out->stream = FP_UP;
        else if (strcmp(stream->valuestring, "downstream")) {
            wlog_seterr(err, errlen,
                        "stream was invalid, can be either upstream or downstream (got \"%s\")",
                        stream->valuestring);
            return -1;
        }
    }
    const char *tn = cJSON_IsString(type) ? type->valuestring : "";
    out->type = FP_T_COUNT;
    for (int i = 0; i < FP_T_COUNT; i++)
        if (!strcmp(tn, type_names[i]))
            out->type = (enum fp_toxic_type)i;
    if (out->type == FP_T_COUNT) {
        wlog_seterr(err, errlen,
                    "invalid toxic type \"%s\" (supported: latency, bandwidth, slow_close, "
                    "timeout, reset_peer, slicer, limit_data)",
                    tn);
        return -1;
    }
    if (cJSON_IsString(name) && name->valuestring[0]) {
        if (strlen(name->valuestring) > FP_NAME_MAX || strchr(name->valuestring, '/')) {
            wlog_seterr(err, errlen,
                        "bad request body: a toxic name has at most %d characters and no '/'",
                        FP_NAME_MAX);
            return -1;
        }
        strcpy(out->name, name->valuestring);
    } else {
        snprintf(out->name, sizeof(out->name), "%s_%s", tn,
                 out->stream == FP_UP ? "upstream" : "downstream");
    }
    return read_attributes(cJSON_GetObjectItemCaseSensitive(body, "attributes"), out, err,
                           errlen);
}

cJSON *fp_toxic_to_json(const fp_toxic *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *a = cJSON_CreateObject();
    attr_def defs[3];
    int n = attrs_of(t->type, defs);
    for (int i = 0; i < n; i++)
        cJSON_AddNumberToObject(a, defs[i].name,
                                (double)*(const int64_t *)((const char *)t + defs[i].off));
    cJSON_AddItemToObject(o, "attributes", a);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "type", fp_toxic_type_name(t->type));
    cJSON_AddStringToObject(o, "stream", t->stream == FP_UP ? "upstream" : "downstream");
    cJSON_AddNumberToObject(o, "toxicity", t->toxicity);
    return o;
}

/* ---- on the wire ---- */

fp_tstate *fp_toxic_state(fp_conn *c, int slot, int64_t now)
{
    fp_toxic *t = c->proxy->toxics[slot];
    fp_tstate *st = &c->tstate[slot];
    if (st->gen == t->gen)
        return st;
    memset(st, 0, sizeof(*st));
    st->gen = t->gen;
    st->active = t->toxicity >= 1.0 || rng_unit() < t->toxicity;
    st->since_us = now;
    if (st->active && t->type == FP_T_TIMEOUT && t->timeout_ms > 0)
        st->fire_us = now + t->timeout_ms * 1000;
    return st;
}

/* Room for n pieces in scratch buffer i. */
static piece *scratch_get(int i, size_t n)
{
    if (scratch_cap[i] < n) {
        size_t cap = scratch_cap[i] ? scratch_cap[i] : 64;
        while (cap < n)
            cap *= 2;
        piece *np = realloc(scratch[i], cap * sizeof(piece));
        if (!np)
            return NULL;
        scratch[i] = np;
        scratch_cap[i] = cap;
    }
    return scratch[i];
}

/* Cuts every piece of in[0..n) into parts; size(k) gives the part sizes,
 * gap_us the spacing added per part (slicer) or the bandwidth schedule. */
static size_t split_pieces(int from, size_t n, const fp_toxic *t, fp_tstate *st, int to)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += scratch[from][i].len;
    size_t maxparts = n;
    if (t->type == FP_T_SLICER) {
        size_t smallest = (size_t)(t->average_size - t->size_variation);
        maxparts = total / (smallest ? smallest : 1) + n;
    } else {
        size_t per = (size_t)(t->rate_kbs * 100);
        maxparts = total / (per ? per : 1) + n;
    }
    if (!scratch_get(to, maxparts))
        return (size_t)-1;
    piece *in = scratch[from], *out = scratch[to];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t off = 0;
        int64_t due = in[i].due_us;
        while (off < in[i].len) {
            size_t want;
            if (t->type == FP_T_SLICER)
                want = (size_t)(t->average_size + rng_spread(t->size_variation));
            else
                want = (size_t)(t->rate_kbs * 100);
            if (want == 0)
                want = 1;
            if (want > in[i].len - off)
                want = in[i].len - off;
            out[m].p = in[i].p + off;
            out[m].len = want;
            if (t->type == FP_T_SLICER) {
                out[m].due_us = due;
                due += t->delay;
            } else { /* rate KB/s = rate bytes/ms: a part leaves when it has been "sent" */
                int64_t start = due > st->bw_next_us ? due : st->bw_next_us;
                st->bw_next_us = start + (int64_t)want * 1000 / t->rate_kbs;
                out[m].due_us = st->bw_next_us;
            }
            m++;
            off += want;
        }
    }
    return m;
}

static void enqueue(fp_conn *c, enum fp_stream s, const piece *ps, size_t n)
{
    fp_dir *d = &c->dir[s];
    for (size_t i = 0; i < n; i++) {
        if (!ps[i].len)
            continue;
        fp_seg *g = malloc(sizeof(*g) + ps[i].len);
        if (!g) {
            wlog_error("proxy %s: out of memory queueing %zu bytes; dropped",
                       c->proxy->name, ps[i].len);
            continue;
        }
        memcpy(g->data, ps[i].p, ps[i].len);
        g->len = ps[i].len;
        g->off = 0;
        g->next = NULL;
        g->due_us = ps[i].due_us > d->last_due_us ? ps[i].due_us : d->last_due_us;
        d->last_due_us = g->due_us;
        if (d->tail)
            d->tail->next = g;
        else
            d->head = g;
        d->tail = g;
        d->queued += g->len + sizeof(*g);
    }
}

void fp_toxic_feed(fp_conn *c, enum fp_stream s, const unsigned char *data, size_t len,
                   int64_t now)
{
    fp_proxy *p = c->proxy;
    int cur = 0;
    if (!scratch_get(0, 1))
        return;
    scratch[0][0] = (piece){data, len, now};
    size_t n = 1;
    for (int k = 0; k < p->ntoxics && n; k++) {
        int slot = p->order[k];
        fp_toxic *t = p->toxics[slot];
        if (t->stream != s)
            continue;
        fp_tstate *st = fp_toxic_state(c, slot, now);
        if (!st->active)
            continue;
        switch (t->type) {
        case FP_T_TIMEOUT:
            n = 0; /* dropped on the floor while the toxic is there */
            break;
        case FP_T_RESET_PEER:
            if (!st->fire_us) /* armed by the first data, as Toxiproxy does */
                st->fire_us = now + t->timeout_ms * 1000;
            n = 0;
            break;
        case FP_T_LIMIT_DATA: {
            int64_t left = t->bytes - st->passed;
            size_t m = 0;
            while (m < n && left > 0) {
                piece *pc = &scratch[cur][m];
                if ((int64_t)pc->len > left)
                    pc->len = (size_t)left;
                left -= (int64_t)pc->len;
                st->passed += (int64_t)pc->len;
                m++;
            }
            n = m;
            if (st->passed >= t->bytes)
                c->dir[s].close_after = 1;
            break;
        }
        case FP_T_LATENCY: {
            int64_t delay = (t->latency_ms + rng_spread(t->jitter_ms)) * 1000;
            for (size_t i = 0; i < n; i++) {
                scratch[cur][i].due_us += delay;
                if (scratch[cur][i].due_us < now)
                    scratch[cur][i].due_us = now;
            }
            break;
        }
        case FP_T_BANDWIDTH:
        case FP_T_SLICER: {
            if ((t->type == FP_T_BANDWIDTH && t->rate_kbs <= 0) ||
                (t->type == FP_T_SLICER && t->average_size <= 0))
                break;
            size_t m = split_pieces(cur, n, t, st, !cur);
            if (m == (size_t)-1) {
                wlog_error("proxy %s: out of memory slicing; passed on whole", p->name);
                break;
            }
            cur = !cur;
            n = m;
            break;
        }
        case FP_T_SLOW_CLOSE:
        default:
            break;
        }
    }
    enqueue(c, s, scratch[cur], n);
}

int fp_toxic_check(fp_conn *c, int64_t now, int64_t *next_us)
{
    fp_proxy *p = c->proxy;
    for (int k = 0; k < p->ntoxics; k++) {
        int slot = p->order[k];
        fp_toxic *t = p->toxics[slot];
        if (t->type != FP_T_TIMEOUT && t->type != FP_T_RESET_PEER)
            continue;
        fp_tstate *st = fp_toxic_state(c, slot, now);
        if (!st->active || !st->fire_us)
            continue;
        if (now >= st->fire_us)
            return t->type == FP_T_TIMEOUT ? 1 : 2;
        if (st->fire_us < *next_us)
            *next_us = st->fire_us;
    }
    return 0;
}

int64_t fp_toxic_close_delay(fp_conn *c, enum fp_stream s, int64_t now)
{
    fp_proxy *p = c->proxy;
    int64_t delay = 0;
    for (int k = 0; k < p->ntoxics; k++) {
        int slot = p->order[k];
        fp_toxic *t = p->toxics[slot];
        if (t->type != FP_T_SLOW_CLOSE || t->stream != s)
            continue;
        fp_tstate *st = fp_toxic_state(c, slot, now);
        if (st->active && t->delay * 1000 > delay)
            delay = t->delay * 1000;
    }
    return delay;
}

void fp_toxic_free_scratch(void)
{
    for (int i = 0; i < 2; i++) {
        free(scratch[i]);
        scratch[i] = NULL;
        scratch_cap[i] = 0;
    }
}
