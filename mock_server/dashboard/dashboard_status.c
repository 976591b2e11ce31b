/* dashboard_status: the dashboard's counters as JSON for
 * GET /api/websocket/status (schemas/status/dashboard.json) and as Prometheus
 * text for GET /metrics (names in schemas/README.md). Both are built from the
 * same fields, so they always agree. */
#include "dashboard.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wclock.h"

#define STATUS_MAX_DEPTHS 100

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

static char *sb_finish(sbuf *b, size_t *len)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    *len = b->len;
    return b->p;
}

static double uptime_s(const dashboard *d)
{
    return (double)(wclock_real_us() - d->start_us) / 1e6;
}

static size_t history_size(const dashboard *d)
{
    return d->head < d->ring_cap ? (size_t)d->head : d->ring_cap;
}

char *dashboard_status_json(dashboard *d, size_t *len)
{
    sbuf b = {0};
    const dashboard_stats *st = &d->st;
    sb_printf(&b, "{\"service\":\"wsb-dashboard\",\"uptime_s\":%.3f,", uptime_s(d));
    sb_printf(&b, "\"connections\":{\"publishers\":%d,\"subscribers\":%d,\"total\":%d},",
              d->npublishers, d->nsubscribers, d->npublishers + d->nsubscribers);
    sb_printf(&b, "\"sources\":{");
    int first = 1;
    for (size_t i = 0; i < d->nsources; i++) {
        const dashboard_source *s = &d->sources[i];
        if (!s->seen)
            continue;
        sb_printf(&b,
                  "%s\"%s\":{\"last_seq\":%lld,\"received\":%llu,\"duplicates\":%llu,"
                  "\"gaps\":%llu,\"gap_messages\":%llu,\"invalid\":%llu,\"connected\":%s}",
                  first ? "" : ",", s->name, (long long)s->last_seq,
                  (unsigned long long)s->received, (unsigned long long)s->duplicates,
                  (unsigned long long)s->gaps, (unsigned long long)s->gap_messages,
                  (unsigned long long)s->invalid, s->publisher ? "true" : "false");
        first = 0;
    }
    size_t maxdepth = 0;
    for (dashboard_conn *c = d->subscribers; c; c = c->next) {
        size_t q = dashboard_sub_depth(d, c) + c->out_count;
        if (q > maxdepth)
            maxdepth = q;
    }
    sb_printf(&b, "},\"subscribers\":{\"count\":%d,\"max_queue_depth\":%zu,\"queue_depths\":[",
              d->nsubscribers, maxdepth);
    int listed = 0;
    for (dashboard_conn *c = d->subscribers; c && listed < STATUS_MAX_DEPTHS; c = c->next)
        sb_printf(&b, "%s%zu", listed++ ? "," : "", dashboard_sub_depth(d, c) + c->out_count);
    sb_printf(&b, "]},\"slow_consumers\":{\"disconnected\":%llu,\"dropped_messages\":%llu},",
              (unsigned long long)st->slow_disconnected, (unsigned long long)st->slow_dropped);
    sb_printf(&b, "\"history\":{\"size\":%zu,\"capacity\":%zu},", history_size(d), d->ring_cap);
    sb_printf(&b, "\"limits\":{\"max_message_bytes\":%zu},", d->cfg.max_message);
    sb_printf(&b,
              "\"journal\":{\"enabled\":%s,\"bytes\":%llu,\"records\":%llu,"
              "\"buffered_bytes\":%zu,\"buffer_max\":%zu,\"write_errors\":%llu,"
              "\"failing\":%s},",
              d->journal_fd >= 0 ? "true" : "false",
              (unsigned long long)(d->journal_bytes + d->jbuf_len),
              (unsigned long long)d->journal_records, d->jbuf_len, d->cfg.journal_buffer_max,
              (unsigned long long)st->journal_write_errors, st->journal_failing ? "true" : "false");
    sb_printf(&b,
              "\"refused\":{\"auth\":%llu,\"forbidden\":%llu,\"max_connections\":%llu,"
              "\"too_large\":%llu,\"bad_utf8\":%llu,\"binary\":%llu,\"too_deep\":%llu,"
              "\"rate\":%llu,\"idle\":%llu,\"invalid\":%llu,\"unmasked\":%llu,"
              "\"seq_jump\":%llu,\"commands\":%llu,\"store\":%llu,\"stalled\":%llu},",
              (unsigned long long)st->refused_auth, (unsigned long long)st->refused_forbidden,
              (unsigned long long)st->refused_max_conn, (unsigned long long)st->refused_too_large,
              (unsigned long long)st->refused_bad_utf8, (unsigned long long)st->refused_binary,
              (unsigned long long)st->refused_too_deep, (unsigned long long)st->refused_rate,
              (unsigned long long)st->refused_idle, (unsigned long long)st->refused_invalid,
              (unsigned long long)st->refused_unmasked, (unsigned long long)st->refused_seq_jump,
              (unsigned long long)st->refused_commands, (unsigned long long)st->refused_store,
              (unsigned long long)st->refused_stalled);
    sb_printf(&b, "\"messages\":{\"received\":%llu,\"delivered\":%llu}}\n",
              (unsigned long long)st->received, (unsigned long long)st->delivered);
    return sb_finish(&b, len);
}

static void metric_head(sbuf *b, const char *name, const char *type, const char *help)
{
    sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One line per seen source for a per-source counter. */
static void per_source(sbuf *b, dashboard *d, const char *name, const char *type,
                       const char *help, int which)
{
    metric_head(b, name, type, help);
    for (size_t i = 0; i < d->nsources; i++) {
        const dashboard_source *s = &d->sources[i];
        if (!s->seen)
            continue;
        unsigned long long v = which == 0   ? s->received
                               : which == 1 ? s->duplicates
                               : which == 2 ? s->invalid
                               : which == 3 ? s->gaps
                                            : (unsigned long long)s->last_seq;
        sb_printf(b, "%s{source=\"%s\"} %llu\n", name, s->name, v);
    }
}

char *dashboard_metrics_text(dashboard *d, size_t *len)
{
    sbuf b = {0};
    const dashboard_stats *st = &d->st;
    metric_head(&b, "wsbridge_uptime_seconds", "gauge", "Seconds since the dashboard started.");
    sb_printf(&b, "wsbridge_uptime_seconds %.3f\n", uptime_s(d));
    metric_head(&b, "wsbridge_connections", "gauge", "Open WebSocket connections by role.");
    sb_printf(&b, "wsbridge_connections{role=\"publisher\"} %d\n", d->npublishers);
    sb_printf(&b, "wsbridge_connections{role=\"subscriber\"} %d\n", d->nsubscribers);
    per_source(&b, d, "wsbridge_messages_received_total", "counter",
               "Envelopes accepted per source.", 0);
    per_source(&b, d, "wsbridge_messages_duplicate_total", "counter",
               "Duplicate envelopes (re-acked, not forwarded) per source.", 1);
    per_source(&b, d, "wsbridge_messages_invalid_total", "counter",
               "Refused envelopes per source.", 2);
    per_source(&b, d, "wsbridge_gaps_total", "counter", "Sequence jumps per source.", 3);
    per_source(&b, d, "wsbridge_last_seq", "gauge", "Highest sequence held per source.", 4);
    metric_head(&b, "wsbridge_messages_delivered_total", "counter",
                "Stream frames delivered, summed over subscribers.");
    sb_printf(&b, "wsbridge_messages_delivered_total %llu\n", (unsigned long long)st->delivered);
    metric_head(&b, "wsbridge_slow_consumers_disconnected_total", "counter",
                "Subscribers closed with 1013 for falling behind.");
    sb_printf(&b, "wsbridge_slow_consumers_disconnected_total %llu\n",
              (unsigned long long)st->slow_disconnected);
    metric_head(&b, "wsbridge_slow_consumer_dropped_total", "counter",
                "Messages skipped for slow subscribers (drop policy).");
    sb_printf(&b, "wsbridge_slow_consumer_dropped_total %llu\n",
              (unsigned long long)st->slow_dropped);
    metric_head(&b, "wsbridge_refused_total", "counter", "Refused handshakes and frames by reason.");
    const struct {
        const char *name;
        uint64_t v;
    } refused[] = {{"auth", st->refused_auth},           {"forbidden", st->refused_forbidden},
                   {"max_connections", st->refused_max_conn},
                   {"too_large", st->refused_too_large}, {"bad_utf8", st->refused_bad_utf8},
                   {"binary", st->refused_binary},       {"too_deep", st->refused_too_deep},
                   {"rate", st->refused_rate},           {"idle", st->refused_idle},
                   {"invalid", st->refused_invalid},     {"unmasked", st->refused_unmasked},
                   {"seq_jump", st->refused_seq_jump},   {"commands", st->refused_commands},
                   {"store", st->refused_store},         {"stalled", st->refused_stalled}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        sb_printf(&b, "wsbridge_refused_total{reason=\"%s\"} %llu\n", refused[i].name,
                  (unsigned long long)refused[i].v);
    metric_head(&b, "wsbridge_history_size", "gauge", "Messages held in the history ring.");
    sb_printf(&b, "wsbridge_history_size %zu\n", history_size(d));
    metric_head(&b, "wsbridge_journal_bytes", "gauge", "Bytes in the journal file.");
    sb_printf(&b, "wsbridge_journal_bytes %llu\n",
              (unsigned long long)(d->journal_bytes + d->jbuf_len));
    metric_head(&b, "wsbridge_journal_buffered_bytes", "gauge",
                "Journal bytes not yet written (at most --journal-buffer-max).");
    sb_printf(&b, "wsbridge_journal_buffered_bytes %zu\n", d->jbuf_len);
    metric_head(&b, "wsbridge_journal_write_errors_total", "counter", "Failed journal writes.");
    sb_printf(&b, "wsbridge_journal_write_errors_total %llu\n",
              (unsigned long long)st->journal_write_errors);
    metric_head(&b, "wsbridge_journal_failing", "gauge", "1 while journal writes fail.");
    sb_printf(&b, "wsbridge_journal_failing %d\n", st->journal_failing ? 1 : 0);
    return sb_finish(&b, len);
}
