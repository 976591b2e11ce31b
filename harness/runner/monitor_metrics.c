/* monitor_metrics: the monitor's state as Prometheus text and its lws HTTP
 * endpoint (see monitor_metrics.h). The HTTP part follows the mock bot's
 * status server (mock_server/bot/bot_status.c): the walls keep the mocks and
 * the harness from sharing lws code, so each has its own few lines. */
#include "monitor_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A label value with \, " and newlines escaped as the text format wants. */
static void label(FILE *f, const char *v)
{
    for (const char *c = v ? v : ""; *c; c++) {
        if (*c == '\\' || *c == '"')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else
            fputc(*c, f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Seconds per unit of a time figure; 0 when unit is not a time. */
static double unit_seconds(const char *unit)
{
    static const struct {
        const char *u;
        double s;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(unit, units[i].u) == 0)
            return units[i].s;
    return 0;
}

/* "e2e_latency_p99_ms" -> "p99"; NULL for other figures. */
static const char *e2e_stat(const char *name)
{
    static const struct {
        const char *prefix, *q;
    } qs[] = {{"e2e_latency_p50", "p50"}, {"e2e_latency_p99", "p99"}, {"e2e_latency_max", "max"}};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        size_t n = strlen(qs[i].prefix);
        /* exactly the prefix and a unit: e2e_latency_p99_us, not e2e_latency_p99_9_us */
        if (strncmp(name, qs[i].prefix, n) == 0 && name[n] == '_' &&
            (strcmp(name + n + 1, "us") == 0 || strcmp(name + n + 1, "ms") == 0))
            return qs[i].q;
    }
    return NULL;
}

static void suites_series(FILE *f, const results_run *r)
{
    head(f, "wsb_monitor_suite_passed", "gauge",
         "1 when the suite passed in the last round, else 0.");
    for (size_t i = 0; i < r->nsuites; i++) {
        if (r->suites[i].status == RESULTS_NOT_AVAILABLE)
            continue;
        fputs("wsb_monitor_suite_passed{suite=\"", f);
        label(f, r->suites[i].name);
        fprintf(f, "\"} %d\n", r->suites[i].status == RESULTS_PASSED);
    }
    head(f, "wsb_monitor_suite_duration_seconds", "gauge", "How long the suite ran.");
    for (size_t i = 0; i < r->nsuites; i++) {
        if (r->suites[i].status == RESULTS_NOT_AVAILABLE || !isfinite(r->suites[i].duration_s))
            continue;
        fputs("wsb_monitor_suite_duration_seconds{suite=\"", f);
        label(f, r->suites[i].name);
        fprintf(f, "\"} %.17g\n", r->suites[i].duration_s);
    }
    head(f, "wsb_monitor_tests", "gauge", "Tests of the last round by suite and status.");
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        if (s->status == RESULTS_NOT_AVAILABLE)
            continue;
        int n[3] = {0, 0, 0};
        static const char *names[3] = {"passed", "failed", "skipped"};
        for (size_t k = 0; k < s->ntests; k++)
            if (s->tests[k].status <= RESULTS_SKIPPED)
                n[s->tests[k].status]++;
        for (int k = 0; k < 3; k++) {
            fputs("wsb_monitor_tests{suite=\"", f);
            label(f, s->name);
            fprintf(f, "\",status=\"%s\"} %d\n", names[k], n[k]);
        }
    }
    head(f, "wsb_monitor_e2e_latency_seconds", "gauge",
         "End-to-end latency (bot to subscriber) the last round measured.");
    for (size_t i = 0; i < r->nsuites; i++)
        for (size_t k = 0; k < r->suites[i].ntests; k++)
            for (size_t m = 0; m < r->suites[i].tests[k].nmetrics; m++) {
                const results_metric *x = &r->suites[i].tests[k].metrics[m];
                const char *q = e2e_stat(x->name);
                double s = unit_seconds(x->unit);
                if (!q || s == 0 || !isfinite(x->value))
                    continue;
                fputs("wsb_monitor_e2e_latency_seconds{suite=\"", f);
                label(f, r->suites[i].name);
                fprintf(f, "\",stat=\"%s\"} %.17g\n", q, x->value * s);
            }
    head(f, "wsb_monitor_figure", "gauge", "Every figure of the last round, in its unit.");
    for (size_t i = 0; i < r->nsuites; i++)
        for (size_t k = 0; k < r->suites[i].ntests; k++)
            for (size_t m = 0; m < r->suites[i].tests[k].nmetrics; m++) {
                const results_metric *x = &r->suites[i].tests[k].metrics[m];
                if (!isfinite(x->value))
                    continue;
                fputs("wsb_monitor_figure{suite=\"", f);
                label(f, r->suites[i].name);
                fputs("\",test=\"", f);
                label(f, r->suites[i].tests[k].name);
                fputs("\",figure=\"", f);
                label(f, x->name);
                fputs("\",unit=\"", f);
                label(f, x->unit);
                fprintf(f, "\"} %.17g\n", x->value);
            }
}

char *monitor_metrics_text(const monitor_state *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    head(f, "wsb_monitor_rounds_total", "counter", "Rounds run since the monitor started.");
    fprintf(f, "wsb_monitor_rounds_total %llu\n", s->rounds);
    head(f, "wsb_monitor_rounds_failed_total", "counter", "Rounds that did not pass.");
    fprintf(f, "wsb_monitor_rounds_failed_total %llu\n", s->rounds_failed);
    head(f, "wsb_monitor_rounds_timed_out_total", "counter",
         "Rounds stopped at the round timeout.");
    fprintf(f, "wsb_monitor_rounds_timed_out_total %llu\n", s->rounds_timed_out);
    head(f, "wsb_monitor_interval_seconds", "gauge", "Time between the starts of two rounds.");
    fprintf(f, "wsb_monitor_interval_seconds %.17g\n", s->interval_s);
    if (s->have_round) {
        head(f, "wsb_monitor_run_timestamp_seconds", "gauge",
             "When the last round ended (Unix time).");
        fprintf(f, "wsb_monitor_run_timestamp_seconds %.3f\n", s->last_end_unix);
        head(f, "wsb_monitor_run_duration_seconds", "gauge", "How long the last round took.");
        fprintf(f, "wsb_monitor_run_duration_seconds %.3f\n", s->last_duration_s);
        head(f, "wsb_monitor_run_passed", "gauge",
             "1 when every selected suite passed in the last round.");
        fprintf(f, "wsb_monitor_run_passed %d\n", s->last_exit == 0 && !s->last_timed_out);
        head(f, "wsb_monitor_run_exit_code", "gauge", "The last round's wsb-harness exit status.");
        fprintf(f, "wsb_monitor_run_exit_code %d\n", s->last_exit);
        head(f, "wsb_monitor_run_timed_out", "gauge",
             "1 when the last round was stopped at the round timeout.");
        fprintf(f, "wsb_monitor_run_timed_out %d\n", s->last_timed_out);
        if (s->last)
            suites_series(f, s->last);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- HTTP ---- */

typedef struct pss {
    char *body;
    size_t len;
} pss;

static int respond(struct lws *wsi, pss *p, int code, const char *ctype, char *body)
{
    unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *q = start,
                                      *end = hdr + sizeof(hdr) - 1;
    p->body = body;
    p->len = body ? strlen(body) : 0;
    if (lws_add_http_common_headers(wsi, (unsigned int)code, ctype, p->len, &q, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &q, end) ||
        lws_finalize_write_http_header(wsi, start, &q, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    pss *p = user;
    const struct lws_protocols *proto = lws_get_protocol(wsi);
    const monitor_state *s = proto ? proto->user : NULL;

    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        if (!s || !p)
            return lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, NULL);
        const char *uri = in ? (const char *)in : "";
        if (!strcmp(uri, "/metrics")) {
            char *b = monitor_metrics_text(s);
            return b ? respond(wsi, p, HTTP_STATUS_OK, "text/plain; version=0.0.4", b) : 1;
        }
        if (!strcmp(uri, "/health")) {
            char *b = strdup("{\"status\":\"ok\",\"service\":\"wsb-harness monitor\"}");
            return b ? respond(wsi, p, HTTP_STATUS_OK, "application/json", b) : 1;
        }
        char *b = strdup("{\"error\":\"not found\"}");
        return b ? respond(wsi, p, HTTP_STATUS_NOT_FOUND, "application/json", b) : 1;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!p || !p->body)
            break;
        unsigned char *buf = malloc(LWS_PRE + p->len + 1);
        if (!buf)
            return 1;
        memcpy(buf + LWS_PRE, p->body, p->len);
        int n = lws_write(wsi, buf + LWS_PRE, p->len, LWS_WRITE_HTTP_FINAL);
        free(buf);
        free(p->body);
        p->body = NULL;
        if (n < (int)p->len)
            return 1;
        if (lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
        if (p) {
            free(p->body);
            p->body = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

struct lws_protocols monitor_metrics_protocol(const monitor_state *s)
{
    struct lws_protocols p;
    memset(&p, 0, sizeof(p));
    p.name = "http";
    p.callback = callback;
    p.per_session_data_size = sizeof(pss);
    p.user = (void *)s;
    return p;
}
