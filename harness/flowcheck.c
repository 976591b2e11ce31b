/* flowcheck: order, gap, duplicate and schema tracking of a received stream.
 * See flowcheck.h. Each source keeps a bitmap of the sequence numbers
 * received, based at the lowest number expected or seen. */
#include "flowcheck.h"
#include "wlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wjson.h"

typedef struct src_track {
    flow_source s;
    int expected;      /* start_seq set by flowcheck_expect_from */
    int64_t base;      /* seq of bit 0 */
    uint8_t *bits;
    size_t nbits;      /* capacity in bits */
} src_track;

typedef struct log_entry {
    uint32_t src;
    int64_t seq;
    uint64_t hash;
} log_entry;

struct flowcheck {
    const contract *c;
    unsigned flags;
    src_track *srcs;
    size_t nsrcs, srcs_cap;
    uint64_t frames, envelopes, unparsable, invalid, error_frames, gap_frames, other_frames;
    uint64_t types[CONTRACT_NUM_TYPES];
    char first_unparsable[400];
    char first_invalid[600];
    char first_error[400];
    char first_gap[200];
    char first_other[200];
    log_entry *log;
    size_t nlog, log_cap;
};

flowcheck *flowcheck_new(const contract *c, unsigned flags)
{
    flowcheck *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->c = c;
    f->flags = flags;
    return f;
}

void flowcheck_free(flowcheck *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nsrcs; i++)
        free(f->srcs[i].bits);
    free(f->srcs);
    free(f->log);
    free(f);
}

static src_track *find_src(const flowcheck *f, const char *source)
{
    for (size_t i = 0; i < f->nsrcs; i++)
        if (!strcmp(f->srcs[i].s.source, source))
            return &f->srcs[i];
    return NULL;
}

static src_track *get_src(flowcheck *f, const char *source)
{
    src_track *t = find_src(f, source);
    if (t)
        return t;
    if (f->nsrcs == f->srcs_cap) {
        size_t cap = f->srcs_cap ? f->srcs_cap * 2 : 4;
        src_track *n = realloc(f->srcs, cap * sizeof(*n));
        if (!n)
            return NULL;
        f->srcs = n;
        f->srcs_cap = cap;
    }
    t = &f->srcs[f->nsrcs++];
    memset(t, 0, sizeof(*t));
    snprintf(t->s.source, sizeof(t->s.source), "%s", source);
    return t;
}

void flowcheck_expect_from(flowcheck *f, const char *source, int64_t from)
{
    src_track *t = get_src(f, source);
    if (!t)
        return;
    t->expected = 1;
    t->s.start_seq = from + 1;
}

static int bit_get(const src_track *t, int64_t seq)
{
    if (!t->bits || seq < t->base)
        return 0;
    uint64_t i = (uint64_t)(seq - t->base);
    if (i >= t->nbits)
        return 0;
    return (t->bits[i >> 3] >> (i & 7)) & 1;
}

/* Makes room for seq (rebasing downwards when needed). -1 when the span
 * would exceed FLOWCHECK_MAX_SPAN or memory runs out. */
static int bit_room(src_track *t, int64_t seq)
{
    if (!t->bits) {
        /* with an expected start, the window (and the missing count, which
           runs from start_seq) begins there: a first seq far past it is
           beyond the span like any later one */
        if (t->expected && seq - t->s.start_seq >= FLOWCHECK_MAX_SPAN)
            return -1;
        t->base = seq;
        t->nbits = 1024;
        t->bits = calloc(t->nbits / 8, 1);
        return t->bits ? 0 : -1;
    }
    if (seq >= t->base && (uint64_t)(seq - t->base) < t->nbits)
        return 0;
    int64_t lo = t->base, hi = t->base + (int64_t)t->nbits; /* hi exclusive */
    if (seq < lo)
        lo = t->base - (((t->base - seq) + 7) & ~7LL); /* keep whole-byte shifts */
    if (seq >= hi)
        hi = seq + 1;
    if (hi - lo > FLOWCHECK_MAX_SPAN)
        return -1;
    size_t nb = t->nbits;
    while ((int64_t)nb < hi - lo)
        nb *= 2;
    uint8_t *n = calloc(nb / 8, 1);
    if (!n)
        return -1;
    memcpy(n + (t->base - lo) / 8, t->bits, t->nbits / 8);
    free(t->bits);
    t->bits = n;
    t->nbits = nb;
    t->base = lo;
    return 0;
}

static void bit_set(src_track *t, int64_t seq)
{
    uint64_t i = (uint64_t)(seq - t->base);
    t->bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void log_add(flowcheck *f, src_track *t, int64_t seq, cJSON *root)
{
    if (!(f->flags & FLOWCHECK_KEEP_LOG))
        return;
    if (f->nlog == f->log_cap) {
        size_t cap = f->log_cap ? f->log_cap * 2 : 256;
        log_entry *n = realloc(f->log, cap * sizeof(*n));
        if (!n)
            return;
        f->log = n;
        f->log_cap = cap;
    }
    /* Hash the content without relay_us (a dashboard may stamp it per send). */
    cJSON_DeleteItemFromObjectCaseSensitive(root, "relay_us");
    char *txt = cJSON_PrintUnformatted(root);
    uint64_t h = txt ? fnv1a(txt, strlen(txt), 1469598103934665603ULL) : 0;
    free(txt);
    log_entry *e = &f->log[f->nlog++];
    e->src = (uint32_t)(t - f->srcs);
    e->seq = seq;
    e->hash = h;
}

static void track_seq(flowcheck *f, src_track *t, int64_t seq)
{
    flow_source *s = &t->s;
    s->received++;
    if (s->received == 1 || (s->first_seq == 0))
        s->first_seq = seq;
    if (!t->expected && (s->start_seq == 0 || seq < s->start_seq))
        s->start_seq = seq;
    if (t->expected && seq < s->start_seq) {
        /* older than what this subscriber asked for: a repeat */
        if (!s->duplicates)
            s->first_dup_seq = seq;
        s->duplicates++;
        return;
    }
    if (bit_room(t, seq) < 0) {
        s->beyond_span++;
        return;
    }
    if (bit_get(t, seq)) {
        if (!s->duplicates)
            s->first_dup_seq = seq;
        s->duplicates++;
        return;
    }
    if (s->max_seq && seq < s->max_seq) {
        if (!s->out_of_order) {
            s->first_ooo_seq = seq;
            s->first_ooo_after = s->max_seq;
        }
        s->out_of_order++;
    }
    bit_set(t, seq);
    if (seq > s->max_seq)
        s->max_seq = seq;
    (void)f;
}

int flowcheck_feed(flowcheck *f, const char *text, size_t len)
{
    char err[256];
    f->frames++;
    cJSON *root = wjson_parse(text, len, WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
    if (!root) {
        if (!f->unparsable)
            snprintf(f->first_unparsable, sizeof(f->first_unparsable), "%s: %.60s", err, text);
        f->unparsable++;
        return 1;
    }
    int problem = 0;
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(root, "type");
    const char *type = cJSON_IsString(jt) ? jt->valuestring : "";
    const cJSON *jsrc = cJSON_GetObjectItemCaseSensitive(root, "source");
    const char *source = cJSON_IsString(jsrc) ? jsrc->valuestring : NULL;
    int64_t seq = 0;
    int has_seq = wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "seq"), &seq);

    if (!strcmp(type, "gap")) {
        f->gap_frames++;
        int64_t from = 0, to = 0;
        wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "from"), &from);
        wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "to"), &to);
        if (!f->first_gap[0])
            snprintf(f->first_gap, sizeof(f->first_gap), "%s %lld..%lld",
                     source ? source : "?", (long long)from, (long long)to);
        if ((f->flags & FLOWCHECK_SCHEMA) && f->c &&
            contract_check(f->c, "control/gap", root, err, sizeof(err)) != 0) {
            if (!f->invalid)
                snprintf(f->first_invalid, sizeof(f->first_invalid), "gap frame %s", err);
            f->invalid++;
        }
        if (source) {
            src_track *t = get_src(f, source);
            if (t) {
                t->s.gap_frames++;
                if (to >= from)
                    t->s.gap_declared += (uint64_t)(to - from + 1);
            }
        }
        cJSON_Delete(root);
        return 1;
    }
    if (!strcmp(type, "error")) {
        f->error_frames++;
        if ((f->flags & FLOWCHECK_SCHEMA) && f->c &&
            contract_check(f->c, "control/error", root, err, sizeof(err)) != 0) {
            if (!f->invalid)
                snprintf(f->first_invalid, sizeof(f->first_invalid), "error frame %s", err);
            f->invalid++;
        }
        if (!f->first_error[0]) {
            const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
            const cJSON *reason = cJSON_GetObjectItemCaseSensitive(root, "reason");
            snprintf(f->first_error, sizeof(f->first_error), "code %s: %s",
                     cJSON_IsString(code) ? code->valuestring : "?",
                     cJSON_IsString(reason) ? reason->valuestring : "?");
        }
        cJSON_Delete(root);
        return 1;
    }

    int ti = contract_type_index(type);
    if (ti < 0 || !source || !has_seq || seq < 1) {
        if (!f->invalid)
            snprintf(f->first_invalid, sizeof(f->first_invalid),
                     "not an envelope (type \"%.32s\", source %s, seq %s): %.80s", type,
                     source ? "present" : "missing", has_seq ? "present" : "missing/invalid",
                     text);
        f->invalid++;
        cJSON_Delete(root);
        return 1;
    }
    f->envelopes++;
    f->types[ti]++;
    if ((f->flags & FLOWCHECK_SCHEMA) && f->c) {
        int r = (f->flags & FLOWCHECK_PUBLISHER)
                    ? contract_check_envelope(f->c, root, err, sizeof(err))
                    : contract_check_stream(f->c, root, err, sizeof(err));
        if (r != 0) {
            if (!f->invalid)
                snprintf(f->first_invalid, sizeof(f->first_invalid), "%s %s#%lld: %s", type,
                         source, (long long)seq, err);
            f->invalid++;
            problem = 1;
        }
    }
    src_track *t = get_src(f, source);
    if (t) {
        uint64_t d = t->s.duplicates, o = t->s.out_of_order, b = t->s.beyond_span;
        track_seq(f, t, seq);
        if (t->s.duplicates != d || t->s.out_of_order != o || t->s.beyond_span != b)
            problem = 1;
        log_add(f, t, seq, root);
    }
    cJSON_Delete(root);
    return problem;
}

size_t flowcheck_source_count(const flowcheck *f) { return f->nsrcs; }

const flow_source *flowcheck_source(const flowcheck *f, size_t i)
{
    return i < f->nsrcs ? &f->srcs[i].s : NULL;
}

const flow_source *flowcheck_find(const flowcheck *f, const char *source)
{
    src_track *t = find_src(f, source);
    return t ? &t->s : NULL;
}

static uint64_t count_missing(const src_track *t, int64_t *first)
{
    uint64_t miss = 0;
    if (first)
        *first = 0;
    if (!t->s.max_seq)
        return 0;
    for (int64_t s = t->s.start_seq; s <= t->s.max_seq; s++) {
        if (!bit_get(t, s)) {
            if (!miss && first)
                *first = s;
            miss++;
        }
    }
    return miss;
}

uint64_t flowcheck_missing(const flowcheck *f, const char *source, int64_t *first_missing)
{
    src_track *t = find_src(f, source);
    if (!t) {
        if (first_missing)
            *first_missing = 0;
        return 0;
    }
    return count_missing(t, first_missing);
}

uint64_t flowcheck_unique(const flowcheck *f, const char *source)
{
    src_track *t = find_src(f, source);
    if (!t || !t->bits)
        return 0;
    uint64_t n = 0;
    for (size_t i = 0; i < t->nbits / 8; i++)
        n += (uint64_t)__builtin_popcount(t->bits[i]);
    return n;
}

uint64_t flowcheck_frames(const flowcheck *f) { return f->frames; }
uint64_t flowcheck_envelopes(const flowcheck *f) { return f->envelopes; }
uint64_t flowcheck_unparsable(const flowcheck *f) { return f->unparsable; }
uint64_t flowcheck_invalid(const flowcheck *f) { return f->invalid; }
uint64_t flowcheck_error_frames(const flowcheck *f) { return f->error_frames; }
uint64_t flowcheck_gap_frames(const flowcheck *f) { return f->gap_frames; }

uint64_t flowcheck_type_count(const flowcheck *f, int type_index)
{
    return type_index >= 0 && type_index < CONTRACT_NUM_TYPES ? f->types[type_index] : 0;
}

int flowcheck_missing_types(const flowcheck *f, char *buf, size_t buflen)
{
    int n = 0;
    size_t off = 0;
    if (buflen)
        buf[0] = '\0';
    for (int i = 0; i < CONTRACT_NUM_TYPES; i++) {
        if (f->types[i])
            continue;
        if (off < buflen) {
            int w = snprintf(buf + off, buflen - off, "%s%s", n ? ", " : "", contract_types[i]);
            if (w > 0)
                off += (size_t)w;
        }
        n++;
    }
    return n;
}

/* Appends "; " + a clause to buf. */
static void add_clause(char *buf, size_t buflen, size_t *off, int *kinds, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add_clause(char *buf, size_t buflen, size_t *off, int *kinds, const char *fmt, ...)
{
    (*kinds)++;
    if (*off >= buflen)
        return;
    if (*off) {
        int w = snprintf(buf + *off, buflen - *off, "; ");
        if (w > 0)
            *off += (size_t)w;
        if (*off >= buflen)
            return;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *off, buflen - *off, fmt, ap);
    va_end(ap);
    if (w > 0)
        *off += (size_t)w;
}

int flowcheck_problems(const flowcheck *f, char *buf, size_t buflen)
{
    int kinds = 0;
    size_t off = 0;
    if (buflen)
        buf[0] = '\0';
    if (f->unparsable)
        add_clause(buf, buflen, &off, &kinds, "%llu unparsable (corrupt) frames (first: %s)",
                   (unsigned long long)f->unparsable, f->first_unparsable);
    if (f->invalid)
        add_clause(buf, buflen, &off, &kinds, "%llu schema-invalid frames (first: %s)",
                   (unsigned long long)f->invalid, f->first_invalid);
    if (f->error_frames)
        add_clause(buf, buflen, &off, &kinds, "%llu error frames (first: %s)",
                   (unsigned long long)f->error_frames, f->first_error);
    for (size_t i = 0; i < f->nsrcs; i++) {
        const src_track *t = &f->srcs[i];
        const flow_source *s = &t->s;
        int64_t first_missing;
        uint64_t miss = count_missing(t, &first_missing);
        if (s->duplicates)
            add_clause(buf, buflen, &off, &kinds, "%s: %llu duplicates (first seq %lld)",
                       s->source, (unsigned long long)s->duplicates, (long long)s->first_dup_seq);
        if (s->out_of_order)
            add_clause(buf, buflen, &off, &kinds,
                       "%s: %llu out of order (first: seq %lld after %lld)", s->source,
                       (unsigned long long)s->out_of_order, (long long)s->first_ooo_seq,
                       (long long)s->first_ooo_after);
        if (miss)
            add_clause(buf, buflen, &off, &kinds,
                       "%s: %llu missing (gap; first missing seq %lld, range %lld..%lld)",
                       s->source, (unsigned long long)miss, (long long)first_missing,
                       (long long)s->start_seq, (long long)s->max_seq);
        if (s->gap_frames)
            add_clause(buf, buflen, &off, &kinds,
                       "%s: %llu gap frames declaring %llu lost messages", s->source,
                       (unsigned long long)s->gap_frames, (unsigned long long)s->gap_declared);
        if (s->beyond_span)
            add_clause(buf, buflen, &off, &kinds, "%s: %llu seqs jumped beyond %d of the start",
                       s->source, (unsigned long long)s->beyond_span, FLOWCHECK_MAX_SPAN);
    }
    if (!kinds && buflen)
        snprintf(buf, buflen, "no problems");
    return kinds;
}

size_t flowcheck_log_len(const flowcheck *f) { return f->nlog; }

int flowcheck_resume_frame(const flowcheck *f, char *buf, size_t buflen)
{
    size_t off = 0;
    int w = snprintf(buf, buflen, "{\"type\":\"resume\",\"from\":{");
    if (w < 0 || (size_t)w >= buflen)
        return -1;
    off = (size_t)w;
    int n = 0;
    for (size_t i = 0; i < f->nsrcs; i++) {
        const flow_source *s = &f->srcs[i].s;
        int64_t at = s->max_seq ? s->max_seq : (s->start_seq > 0 ? s->start_seq - 1 : 0);
        w = snprintf(buf + off, buflen - off, "%s\"%s\":%lld", n++ ? "," : "", s->source,
                     (long long)at);
        if (w < 0 || off + (size_t)w >= buflen)
            return -1;
        off += (size_t)w;
    }
    w = snprintf(buf + off, buflen - off, "}}");
    if (w < 0 || off + (size_t)w >= buflen)
        return -1;
    return (int)(off + (size_t)w);
}

int flowcheck_compare(const flowcheck *a, const flowcheck *b, char *err, size_t errlen)
{
    size_t n = a->nlog < b->nlog ? a->nlog : b->nlog;
    for (size_t i = 0; i < n; i++) {
        const log_entry *x = &a->log[i], *y = &b->log[i];
        const char *sx = a->srcs[x->src].s.source, *sy = b->srcs[y->src].s.source;
        if (strcmp(sx, sy) || x->seq != y->seq) {
            wlog_seterr(err, errlen, "message %zu differs: one has %s#%lld, the other %s#%lld", i, sx,
                   (long long)x->seq, sy, (long long)y->seq);
            return -1;
        }
        if (x->hash != y->hash) {
            wlog_seterr(err, errlen, "message %zu (%s#%lld) has different content", i, sx,
                   (long long)x->seq);
            return -1;
        }
    }
    if (a->nlog != b->nlog) {
        wlog_seterr(err, errlen, "one stream has %zu messages, the other %zu", a->nlog, b->nlog);
        return -1;
    }
    return 0;
}

static int json_diff(const cJSON *a, const cJSON *b, char *path, size_t pathlen, size_t plen)
{
    if (!a || !b)
        return -1;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return -1;
    if (cJSON_IsObject(a)) {
        const cJSON *ia;
        int na = 0, nb = cJSON_GetArraySize(b);
        cJSON_ArrayForEach(ia, a) {
            na++;
            snprintf(path + plen, pathlen - plen, "/%s", ia->string);
            const cJSON *ib = cJSON_GetObjectItemCaseSensitive(b, ia->string);
            if (json_diff(ia, ib, path, pathlen, strlen(path)) < 0)
                return -1;
        }
        path[plen] = '\0';
        if (na != nb) {
            const cJSON *ib;
            cJSON_ArrayForEach(ib, b) {
                if (!cJSON_GetObjectItemCaseSensitive(a, ib->string)) {
                    snprintf(path + plen, pathlen - plen, "/%s", ib->string);
                    return -1;
                }
            }
        }
        return 0;
    }
    if (cJSON_IsArray(a)) {
        int n = cJSON_GetArraySize(a);
        if (n != cJSON_GetArraySize(b))
            return -1;
        for (int i = 0; i < n; i++) {
            snprintf(path + plen, pathlen - plen, "/%d", i);
            if (json_diff(cJSON_GetArrayItem(a, i), cJSON_GetArrayItem(b, i), path, pathlen,
                          strlen(path)) < 0)
                return -1;
        }
        path[plen] = '\0';
        return 0;
    }
    return cJSON_Compare(a, b, 1) ? 0 : -1;
}

int flowcheck_same_envelope(const char *published, size_t plen, const char *received,
                            size_t rlen, char *err, size_t errlen)
{
    char perr[200];
    cJSON *a = wjson_parse(published, plen, WJSON_DEFAULT_MAX_DEPTH, perr, sizeof(perr));
    if (!a) {
        wlog_seterr(err, errlen, "published message unparsable: %s", perr);
        return -1;
    }
    cJSON *b = wjson_parse(received, rlen, WJSON_DEFAULT_MAX_DEPTH, perr, sizeof(perr));
    if (!b) {
        wlog_seterr(err, errlen, "received message unparsable (corrupt): %s", perr);
        cJSON_Delete(a);
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(b, "relay_us");
    cJSON_DeleteItemFromObjectCaseSensitive(a, "relay_us");
    char path[256] = "";
    int r = json_diff(a, b, path, sizeof(path), 0);
    if (r < 0) {
        wlog_seterr(err, errlen, "received message differs from the published one (corrupted) at %s",
               path[0] ? path : "/");
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return r;
}
