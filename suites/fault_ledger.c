/* fault_ledger: per-sequence accounting of one source's stream at one
 * subscriber (see fault_ledger.h). A byte per sequence of the window, grown
 * on demand: bit 0 received, bit 1 announced by a gap frame, bits 2..7 the
 * number of arrivals beyond the first (saturating); a second byte array has
 * bit 0 out of order (first arrived after a higher one) and bit 1 named by a
 * loss alert of the source (`queue_overflow`, `restart_loss`). Frames are parsed with wjson. */
#include "fault_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wjson.h"

#define LG_RECEIVED 0x01
#define LG_ANNOUNCED 0x02
#define LG_DUP_SHIFT 2
#define LG_DUP_MAX 63
#define LG_OOO 0x01
#define LG_ALERTED 0x02
#define LG_MAX_WINDOW (64 * 1024 * 1024) /* sequences; more is refused (counted beyond) */

struct ledger {
    char source[128];
    int64_t from;
    unsigned char *st;  /* st[i] for seq from+1+i */
    unsigned char *ooo; /* 1 when that seq first arrived after a higher one */
    size_t cap;
    int64_t max_seen;
    int64_t frames;
    int64_t beyond;
    int64_t alerts;      /* queue_overflow alerts received (first arrivals) */
    int64_t alert_count; /* the sum of their "count" */
};

ledger *ledger_new(const char *source, int64_t from)
{
    ledger *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    snprintf(l->source, sizeof(l->source), "%s", source);
    l->from = from;
    l->max_seen = from;
    return l;
}

void ledger_free(ledger *l)
{
    if (!l)
        return;
    free(l->st);
    free(l->ooo);
    free(l);
}

/* Makes room for index i; 0, or -1 when it cannot. */
static int grow(ledger *l, size_t i)
{
    if (i < l->cap)
        return 0;
    if (i >= LG_MAX_WINDOW)
        return -1;
    size_t cap = l->cap ? l->cap : 4096;
    while (cap <= i)
        cap *= 2;
    unsigned char *st = realloc(l->st, cap);
    if (!st)
        return -1;
    l->st = st;
    unsigned char *oo = realloc(l->ooo, cap);
    if (!oo)
        return -1;
    l->ooo = oo;
    memset(l->st + l->cap, 0, cap - l->cap);
    memset(l->ooo + l->cap, 0, cap - l->cap);
    l->cap = cap;
    return 0;
}

/* 1 when seq (in the window) has already arrived. */
static int seen(const ledger *l, int64_t seq)
{
    if (seq <= l->from)
        return 0;
    size_t i = (size_t)(seq - l->from - 1);
    return i < l->cap && (l->st[i] & LG_RECEIVED);
}

static void got_seq(ledger *l, int64_t seq)
{
    l->frames++;
    if (seq <= l->from)
        return;
    size_t i = (size_t)(seq - l->from - 1);
    if (grow(l, i) < 0) {
        l->beyond++;
        return;
    }
    unsigned char s = l->st[i];
    if (s & LG_RECEIVED) {
        unsigned d = s >> LG_DUP_SHIFT;
        if (d < LG_DUP_MAX)
            l->st[i] = (unsigned char)((s & 3) | ((d + 1) << LG_DUP_SHIFT));
        return;
    }
    l->st[i] = s | LG_RECEIVED;
    if (seq < l->max_seen)
        l->ooo[i] |= LG_OOO;
    if (seq > l->max_seen)
        l->max_seen = seq;
}

/* Marks a..b in the gap-frame flags (st) or the alert flags (ooo). */
static void mark(ledger *l, int64_t a, int64_t b, int alert)
{
    if (a <= l->from)
        a = l->from + 1;
    for (int64_t q = a; q <= b; q++) {
        size_t i = (size_t)(q - l->from - 1);
        if (grow(l, i) < 0)
            return;
        if (alert)
            l->ooo[i] |= LG_ALERTED;
        else
            l->st[i] |= LG_ANNOUNCED;
    }
}

/* A loss alert of the source (an envelope of its own): its range. Both
 * queue_overflow (dropped from the bot's queue) and restart_loss (held
 * unacked by a killed bot) announce sequences the gap frames must match. */
static void got_alert(ledger *l, const cJSON *o, int64_t seq)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "data");
    const char *code = wjson_str(d, "code", "");
    if ((strcmp(code, "queue_overflow") != 0 && strcmp(code, "restart_loss") != 0) ||
        seen(l, seq))
        return;
    int64_t a = wjson_int(d, "from", -1), b = wjson_int(d, "to", -1);
    l->alerts++;
    l->alert_count += wjson_int(d, "count", 0);
    if (a > 0 && b >= a)
        mark(l, a, b, 1);
}

int ledger_feed(ledger *l, const char *text, size_t len)
{
    char err[64];
    cJSON *o = wjson_parse(text, len, 16, err, sizeof(err));
    if (!o)
        return 0;
    int mine = 0;
    const char *src = wjson_str(o, "source", "");
    const char *type = wjson_str(o, "type", "");
    if (strcmp(src, l->source) == 0) {
        if (strcmp(type, "gap") == 0) {
            int64_t a = wjson_int(o, "from", -1), b = wjson_int(o, "to", -1);
            if (a > 0 && b >= a) {
                mark(l, a, b, 0);
                mine = 1;
            }
        } else {
            int64_t seq = wjson_int(o, "seq", -1);
            if (seq > 0) {
                if (strcmp(type, "alert") == 0)
                    got_alert(l, o, seq);
                got_seq(l, seq);
                mine = 1;
            }
        }
    }
    cJSON_Delete(o);
    return mine;
}

int64_t ledger_high(const ledger *l)
{
    size_t i = 0;
    while (i < l->cap && (l->st[i] & (LG_RECEIVED | LG_ANNOUNCED)))
        i++;
    return l->from + (int64_t)i;
}

int64_t ledger_max(const ledger *l)
{
    return l->max_seen;
}

/* Appends "a-b" or "a" to buf (comma-separated), marking a cut once. */
typedef struct rangebuf {
    char *buf;
    size_t len, used;
    int64_t cut; /* ranges left out */
} rangebuf;

static void range_add(rangebuf *r, int64_t a, int64_t b)
{
    if (!r->buf || !r->len)
        return;
    char one[48];
    int n = a == b ? snprintf(one, sizeof(one), "%s%lld", r->used ? "," : "", (long long)a)
                   : snprintf(one, sizeof(one), "%s%lld-%lld", r->used ? "," : "", (long long)a,
                              (long long)b);
    if (r->cut || r->used + (size_t)n + 16 >= r->len) {
        r->cut++;
        return;
    }
    memcpy(r->buf + r->used, one, (size_t)n + 1);
    r->used += (size_t)n;
}

static void range_end(rangebuf *r)
{
    if (r->buf && r->len && r->cut)
        snprintf(r->buf + r->used, r->len - r->used, "...(+%lld)", (long long)r->cut);
}

void ledger_close(const ledger *l, int64_t to, ledger_totals *t, char *lost, size_t lostlen,
                  char *dup, size_t duplen, char *ooo, size_t ooolen, char *ann, size_t annlen)
{
    memset(t, 0, sizeof(*t));
    t->from = l->from;
    t->to = to < l->from ? l->from : to;
    t->generated = t->to - t->from;
    t->frames = l->frames;
    rangebuf rb[4] = {{lost, lostlen, 0, 0}, {dup, duplen, 0, 0}, {ooo, ooolen, 0, 0},
                      {ann, annlen, 0, 0}};
    for (int k = 0; k < 4; k++)
        if (rb[k].buf && rb[k].len)
            rb[k].buf[0] = 0;
    int64_t start[4] = {-1, -1, -1, -1};
    for (int64_t q = t->from + 1; q <= t->to + 1; q++) {
        size_t i = (size_t)(q - t->from - 1);
        unsigned char s = q <= t->to && i < l->cap ? l->st[i] : 0;
        int in[4] = {0, 0, 0, 0};
        if (q <= t->to) {
            in[0] = !(s & (LG_RECEIVED | LG_ANNOUNCED));
            in[1] = (s >> LG_DUP_SHIFT) > 0;
            in[2] = i < l->cap && (l->ooo[i] & LG_OOO);
            in[3] = (s & LG_ANNOUNCED) && !(s & LG_RECEIVED);
            t->received += (s & LG_RECEIVED) != 0;
            t->lost += in[0];
            t->duplicated += s >> LG_DUP_SHIFT;
            t->out_of_order += in[2];
            t->announced += in[3];
        }
        for (int k = 0; k < 4; k++) {
            if (in[k] && start[k] < 0)
                start[k] = q;
            if (!in[k] && start[k] >= 0) {
                range_add(&rb[k], start[k], q - 1);
                start[k] = -1;
            }
        }
    }
    for (int k = 0; k < 4; k++)
        range_end(&rb[k]);
    for (size_t i = (size_t)t->generated; i < l->cap; i++)
        t->beyond += (l->st[i] & LG_RECEIVED) != 0;
    t->beyond += l->beyond;
}

int64_t ledger_alerts(const ledger *l, int64_t to, int64_t *alerts, int64_t *alerted,
                      int64_t *count, char *mismatch, size_t len)
{
    rangebuf rb = {mismatch, len, 0, 0};
    if (mismatch && len)
        mismatch[0] = 0;
    int64_t bad = 0, start = -1;
    *alerted = 0;
    for (int64_t q = l->from + 1; q <= to + 1; q++) {
        size_t i = (size_t)(q - l->from - 1);
        int a = 0, g = 0;
        if (q <= to && i < l->cap) {
            a = (l->ooo[i] & LG_ALERTED) != 0;
            g = (l->st[i] & LG_ANNOUNCED) != 0;
        }
        *alerted += a;
        bad += a != g;
        if (a != g && start < 0)
            start = q;
        if (a == g && start >= 0) {
            range_add(&rb, start, q - 1);
            start = -1;
        }
    }
    range_end(&rb);
    *alerts = l->alerts;
    *count = l->alert_count;
    return bad;
}

cJSON *ledger_json(const ledger *l, int64_t to)
{
    ledger_totals t;
    char lost[512], dup[512], ooo[512], ann[512];
    ledger_close(l, to, &t, lost, sizeof(lost), dup, sizeof(dup), ooo, sizeof(ooo), ann,
                 sizeof(ann));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", l->source);
    cJSON_AddNumberToObject(o, "from", (double)t.from + 1);
    cJSON_AddNumberToObject(o, "to", (double)t.to);
    cJSON_AddNumberToObject(o, "generated", (double)t.generated);
    cJSON_AddNumberToObject(o, "received", (double)t.received);
    cJSON_AddNumberToObject(o, "lost", (double)t.lost);
    cJSON_AddNumberToObject(o, "duplicated", (double)t.duplicated);
    cJSON_AddNumberToObject(o, "out_of_order", (double)t.out_of_order);
    cJSON_AddNumberToObject(o, "announced", (double)t.announced);
    cJSON_AddStringToObject(o, "lost_ranges", lost);
    cJSON_AddStringToObject(o, "duplicated_ranges", dup);
    cJSON_AddStringToObject(o, "out_of_order_ranges", ooo);
    cJSON_AddStringToObject(o, "announced_ranges", ann);
    int64_t alerts, alerted, count;
    char mis[512];
    int64_t bad = ledger_alerts(l, to, &alerts, &alerted, &count, mis, sizeof(mis));
    cJSON_AddNumberToObject(o, "overflow_alerts", (double)alerts);
    cJSON_AddNumberToObject(o, "overflow_alerted", (double)alerted);
    cJSON_AddNumberToObject(o, "overflow_alert_count", (double)count);
    cJSON_AddNumberToObject(o, "alert_gap_mismatch", (double)bad);
    cJSON_AddStringToObject(o, "alert_gap_mismatch_ranges", mis);
    return o;
}

void ledger_line(const ledger_totals *t, char *buf, size_t len)
{
    snprintf(buf, len,
             "seq %lld..%lld: generated %lld received %lld lost %lld duplicated %lld out of "
             "order %lld announced %lld",
             (long long)t->from + 1, (long long)t->to, (long long)t->generated,
             (long long)t->received, (long long)t->lost, (long long)t->duplicated,
             (long long)t->out_of_order, (long long)t->announced);
}
