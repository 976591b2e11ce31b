/* loadseries: per-second rows of a load run, their CSV and JSON files, and
 * the latest figures as Prometheus text (see loadseries.h). */
#include "loadseries.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void loadseries_init(loadseries *s)
{
    memset(s, 0, sizeof(*s));
}

void loadseries_free(loadseries *s)
{
    free(s->rows);
    memset(s, 0, sizeof(*s));
}

void loadseries_new_run(loadseries *s)
{
    s->run_sent = s->run_received = s->run_errors = 0;
}

int loadseries_add(loadseries *s, const loadengine_result *r, double t_s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        loadseries_row *p = realloc(s->rows, cap * sizeof(*p));
        if (!p)
            return -1;
        s->rows = p;
        s->cap = cap;
    }
    uint64_t sent = r->sent + r->pub_sent, rx = r->messages_rx;
    uint64_t errs = loadengine_errors_total(r);
    loadseries_row *w = &s->rows[s->n++];
    w->t_s = t_s;
    w->open = r->open_now;
    w->sent = sent - s->run_sent;
    w->received = rx - s->run_received;
    w->errors = errs - s->run_errors;
    int any = histogram_count(r->latency_1s) > 0;
    w->p50_ms = any ? (double)histogram_percentile(r->latency_1s, 50) / 1e6 : -1;
    w->p99_ms = any ? (double)histogram_percentile(r->latency_1s, 99) / 1e6 : -1;
    s->sent_total += w->sent;
    s->received_total += w->received;
    s->errors_total += w->errors;
    s->run_sent = sent;
    s->run_received = rx;
    s->run_errors = errs;
    return 0;
}

static FILE *open_out(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path, char *err, size_t errlen)
{
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

int loadseries_write_csv(const loadseries *s, const char *path, char *err, size_t errlen)
{
    FILE *f = open_out(path, err, errlen);
    if (!f)
        return -1;
    fprintf(f, "t_s,connections,sent,received,latency_p50_ms,latency_p99_ms,errors\n");
    for (size_t i = 0; i < s->n; i++) {
        const loadseries_row *w = &s->rows[i];
        fprintf(f, "%.1f,%d,%llu,%llu,", w->t_s, w->open, (unsigned long long)w->sent,
                (unsigned long long)w->received);
        if (w->p50_ms >= 0)
            fprintf(f, "%.3f,%.3f,", w->p50_ms, w->p99_ms);
        else
            fprintf(f, ",,");
        fprintf(f, "%llu\n", (unsigned long long)w->errors);
    }
    return close_out(f, path, err, errlen);
}

int loadseries_write_json(const loadseries *s, const char *path, char *err, size_t errlen)
{
    FILE *f = open_out(path, err, errlen);
    if (!f)
        return -1;
    fprintf(f, "{\"format\":1,\"rows\":[");
    for (size_t i = 0; i < s->n; i++) {
        const loadseries_row *w = &s->rows[i];
        fprintf(f, "%s\n{\"t_s\":%.1f,\"connections\":%d,\"sent\":%llu,\"received\":%llu,",
                i ? "," : "", w->t_s, w->open, (unsigned long long)w->sent,
                (unsigned long long)w->received);
        if (w->p50_ms >= 0)
            fprintf(f, "\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f,", w->p50_ms, w->p99_ms);
        else
            fprintf(f, "\"latency_p50_ms\":null,\"latency_p99_ms\":null,");
        fprintf(f, "\"errors\":%llu}", (unsigned long long)w->errors);
    }
    fprintf(f, "\n]}\n");
    return close_out(f, path, err, errlen);
}

size_t loadseries_prom(const loadseries *s, char *buf, size_t len)
{
    const loadseries_row *w = s->n ? &s->rows[s->n - 1] : NULL;
    int n = snprintf(
        buf, len,
        "# HELP wsbload_connections_open Connections open at the last second.\n"
        "# TYPE wsbload_connections_open gauge\n"
        "wsbload_connections_open %d\n"
        "# HELP wsbload_messages_sent_total Messages the load generator sent.\n"
        "# TYPE wsbload_messages_sent_total counter\n"
        "wsbload_messages_sent_total %llu\n"
        "# HELP wsbload_messages_received_total Messages the load generator received.\n"
        "# TYPE wsbload_messages_received_total counter\n"
        "wsbload_messages_received_total %llu\n"
        "# HELP wsbload_errors_total Connection errors (refused, closed, timeouts...).\n"
        "# TYPE wsbload_errors_total counter\n"
        "wsbload_errors_total %llu\n"
        "# HELP wsbload_latency_p50_seconds Median latency (ts_us to receipt), last second.\n"
        "# TYPE wsbload_latency_p50_seconds gauge\n"
        "wsbload_latency_p50_seconds %g\n"
        "# HELP wsbload_latency_p99_seconds 99th percentile latency, last second.\n"
        "# TYPE wsbload_latency_p99_seconds gauge\n"
        "wsbload_latency_p99_seconds %g\n"
        "# HELP wsbload_elapsed_seconds Seconds since the series began.\n"
        "# TYPE wsbload_elapsed_seconds gauge\n"
        "wsbload_elapsed_seconds %.1f\n",
        w ? w->open : 0, (unsigned long long)s->sent_total,
        (unsigned long long)s->received_total, (unsigned long long)s->errors_total,
        w && w->p50_ms >= 0 ? w->p50_ms / 1e3 : 0, w && w->p99_ms >= 0 ? w->p99_ms / 1e3 : 0,
        w ? w->t_s : 0.0);
    if (n < 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}
