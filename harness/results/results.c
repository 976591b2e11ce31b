/* results: the result model of a harness run (see results.h): runs, suites,
 * tests, their failure messages and metrics, and the status rules (settle,
 * run_ok, count). Every string is copied in cleaned to valid UTF-8, since
 * failure messages quote what the system under test sent. The writers, the
 * reader and the merge live in the results_*.c files beside this one. */
#include "results.h"
#include "results_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *const status_names[] = {"passed", "failed", "skipped", "not_available",
                                           "running"};

const char *results_status_name(results_status s)
{
    if ((unsigned)s < sizeof(status_names) / sizeof(status_names[0]))
        return status_names[s];
    return "unknown";
}

int results_status_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (name && strcmp(name, status_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Replaces, in place, each byte that does not start a well-formed UTF-8
 * sequence with '?': failure messages quote what the system under test sent,
 * often cut mid-character (%.60s), and one bad byte makes junit.xml and
 * test_summary.json unreadable as a whole. */
static char *utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        unsigned char c = *p, lo = 0x80, hi = 0xBF;
        int n;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            *p++ = '?';
            continue;
        }
        int ok = p[1] >= lo && p[1] <= hi;
        for (int i = 2; ok && i <= n; i++)
            ok = p[i] >= 0x80 && p[i] <= 0xBF;
        if (ok)
            p += n + 1;
        else
            *p++ = '?';
    }
    return s;
}

char *results_xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort(); /* out of memory in a test harness: nothing sensible to do */
    return utf8_clean(d);
}

void *results_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    return utf8_clean(s);
}

void results_iso_now(char *buf, size_t len)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    char b[32];
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", b, (long)(tv.tv_usec / 1000));
}

results_run *results_run_new(const char *mode, const char *profile, const char *results_dir)
{
    results_run *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    char now[40];
    results_iso_now(now, sizeof(now));
    r->started = results_xstrdup(now);
    r->mode = results_xstrdup(mode);
    r->profile = results_xstrdup(profile);
    r->results_dir = results_xstrdup(results_dir);
    return r;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? results_xstrdup(s) : NULL;
}

void results_run_set_env(results_run *r, const char *dashboard_url, const char *bot_status_url,
                         const char *env_error)
{
    free(r->dashboard_url);
    free(r->bot_status_url);
    free(r->env_error);
    r->dashboard_url = dup_or_null(dashboard_url);
    r->bot_status_url = dup_or_null(bot_status_url);
    r->env_error = dup_or_null(env_error);
}

void results_run_finish(results_run *r, double duration_s)
{
    char now[40];
    results_iso_now(now, sizeof(now));
    free(r->finished);
    r->finished = results_xstrdup(now);
    r->duration_s = duration_s;
}

static void free_metrics(results_metric *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].name);
        free(m[i].unit);
    }
    free(m);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void results_run_free(results_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsuites; i++) {
        results_suite *s = &r->suites[i];
        for (size_t k = 0; k < s->ntests; k++) {
            results_test *t = &s->tests[k];
            free(t->name);
            free_strv(t->failures, t->nfailures);
            free(t->skip_reason);
            free_metrics(t->metrics, t->nmetrics);
            for (size_t h = 0; h < t->nthresholds; h++) {
                free(t->thresholds[h].metric);
                free(t->thresholds[h].expr);
                free(t->thresholds[h].unit);
            }
            free(t->thresholds);
        }
        free(s->tests);
        free(s->name);
        free(s->description);
        free_strv(s->messages, s->nmessages);
        free_metrics(s->metrics, s->nmetrics);
    }
    free(r->suites);
    free(r->started);
    free(r->finished);
    free(r->mode);
    free(r->profile);
    free(r->results_dir);
    free(r->dashboard_url);
    free(r->bot_status_url);
    free(r->env_error);
    free(r);
}

results_suite *results_add_suite(results_run *r, const char *name, const char *description)
{
    r->suites = results_xrealloc(r->suites, (r->nsuites + 1) * sizeof(*r->suites));
    results_suite *s = &r->suites[r->nsuites++];
    memset(s, 0, sizeof(*s));
    s->name = results_xstrdup(name);
    s->description = results_xstrdup(description);
    s->status = RESULTS_PASSED;
    s->available = 1;
    return s;
}

results_test *results_add_test(results_suite *s, const char *name)
{
    s->tests = results_xrealloc(s->tests, (s->ntests + 1) * sizeof(*s->tests));
    results_test *t = &s->tests[s->ntests++];
    memset(t, 0, sizeof(*t));
    t->name = results_xstrdup(name);
    t->status = RESULTS_RUNNING;
    return t;
}

results_test *results_find_test(results_suite *s, const char *name)
{
    for (size_t i = 0; i < s->ntests; i++)
        if (strcmp(s->tests[i].name, name) == 0)
            return &s->tests[i];
    return NULL;
}

void results_test_fail(results_test *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = vformat(fmt, ap);
    va_end(ap);
    t->failures = results_xrealloc(t->failures, (t->nfailures + 1) * sizeof(char *));
    t->failures[t->nfailures++] = m;
    t->status = RESULTS_FAILED;
}

void results_test_skip(results_test *t, const char *reason)
{
    free(t->skip_reason);
    t->skip_reason = results_xstrdup(reason);
    if (t->status != RESULTS_FAILED)
        t->status = RESULTS_SKIPPED;
}

void results_suite_message(results_suite *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = vformat(fmt, ap);
    va_end(ap);
    s->messages = results_xrealloc(s->messages, (s->nmessages + 1) * sizeof(char *));
    s->messages[s->nmessages++] = m;
}

void results_set_metric(results_metric **m, size_t *n, const char *name, double value,
                        const char *unit)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*m)[i].name, name) == 0) {
            (*m)[i].value = value;
            free((*m)[i].unit);
            (*m)[i].unit = results_xstrdup(unit);
            return;
        }
    }
    *m = results_xrealloc(*m, (*n + 1) * sizeof(**m));
    (*m)[*n].name = results_xstrdup(name);
    (*m)[*n].value = value;
    (*m)[*n].unit = results_xstrdup(unit);
    (*n)++;
}

void results_test_metric(results_test *t, const char *name, double value, const char *unit)
{
    results_set_metric(&t->metrics, &t->nmetrics, name, value, unit);
}

void results_suite_metric(results_suite *s, const char *name, double value, const char *unit)
{
    results_set_metric(&s->metrics, &s->nmetrics, name, value, unit);
}

void results_threshold_append(results_test *t, const char *metric, const char *expr,
                              double value, const char *unit, int passed)
{
    t->thresholds = results_xrealloc(t->thresholds, (t->nthresholds + 1) * sizeof(*t->thresholds));
    results_threshold *h = &t->thresholds[t->nthresholds++];
    h->metric = results_xstrdup(metric);
    h->expr = results_xstrdup(expr);
    h->unit = results_xstrdup(unit);
    h->value = value;
    h->passed = passed ? 1 : 0;
    if (!passed)
        t->nbreaches++;
}

void results_test_threshold(results_test *t, const char *metric, const char *expr, double value,
                            const char *unit, int passed)
{
    results_threshold_append(t, metric, expr, value, unit, passed);
    if (!passed)
        results_test_fail(t, "threshold %s: %s breached (value %.4g %s)", metric, expr, value,
                          unit);
}

void results_suite_settle(results_suite *s)
{
    if (!s->available) {
        s->status = s->explicit_selection ? RESULTS_FAILED : RESULTS_NOT_AVAILABLE;
        return;
    }
    int failed = s->nmessages > 0, skipped = 0;
    for (size_t i = 0; i < s->ntests; i++) {
        if (s->tests[i].status == RESULTS_FAILED || s->tests[i].status == RESULTS_RUNNING)
            failed = 1;
        else if (s->tests[i].status == RESULTS_SKIPPED)
            skipped++;
    }
    s->nothing_checked = 0;
    if (failed)
        s->status = RESULTS_FAILED;
    else if (s->ntests > 0 && (size_t)skipped == s->ntests && !s->allow_skips) {
        s->status = RESULTS_FAILED; /* a bridge that was never checked does not pass */
        s->nothing_checked = 1;
    } else if (s->ntests > 0 && (size_t)skipped == s->ntests)
        s->status = RESULTS_SKIPPED;
    else
        s->status = RESULTS_PASSED;
}

int results_run_ok(const results_run *r)
{
    if (r->interrupted)
        return 0;
    for (size_t i = 0; i < r->nsuites; i++)
        if (r->suites[i].status == RESULTS_FAILED || r->suites[i].status == RESULTS_RUNNING)
            return 0;
    return 1;
}

/* 1 when a failed suite failed only because thresholds were breached. */
static int breaches_only(const results_suite *s)
{
    if (!s->available || s->nmessages || s->nothing_checked)
        return 0;
    int any = 0;
    for (size_t i = 0; i < s->ntests; i++) {
        const results_test *t = &s->tests[i];
        if (t->status == RESULTS_RUNNING)
            return 0;
        if (t->status != RESULTS_FAILED)
            continue;
        if (!t->nbreaches || t->nbreaches != t->nfailures)
            return 0;
        any = 1;
    }
    return any;
}

int results_run_exit_code(const results_run *r)
{
    if (results_run_ok(r))
        return 0;
    if (r->interrupted || r->env_error)
        return 1;
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        if ((s->status == RESULTS_FAILED || s->status == RESULTS_RUNNING) && !breaches_only(s))
            return 1;
    }
    return RESULTS_EXIT_BREACHED;
}

results_totals results_count(const results_run *r)
{
    results_totals t = {0};
    t.suites = (int)r->nsuites;
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        if (!s->available) {
            if (s->status == RESULTS_FAILED)
                t.failed++;
            else
                t.not_available++;
            continue;
        }
        for (size_t k = 0; k < s->ntests; k++) {
            t.tests++;
            switch (s->tests[k].status) {
            case RESULTS_PASSED:
                t.passed++;
                break;
            case RESULTS_SKIPPED:
                t.skipped++;
                break;
            case RESULTS_NOT_AVAILABLE:
                t.not_available++;
                break;
            default:
                t.failed++;
                break;
            }
        }
    }
    return t;
}
