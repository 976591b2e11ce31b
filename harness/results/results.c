/* results: the in-memory outcome of a harness run and its three writers,
 * test_summary.json, junit.xml and test_report.md (see results.h). */
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "wjson.h"

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

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort(); /* out of memory in a test harness: nothing sensible to do */
    return utf8_clean(d);
}

static void *xrealloc(void *p, size_t n)
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
    r->started = xstrdup(now);
    r->mode = xstrdup(mode);
    r->profile = xstrdup(profile);
    r->results_dir = xstrdup(results_dir);
    return r;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
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
    r->finished = xstrdup(now);
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
    r->suites = xrealloc(r->suites, (r->nsuites + 1) * sizeof(*r->suites));
    results_suite *s = &r->suites[r->nsuites++];
    memset(s, 0, sizeof(*s));
    s->name = xstrdup(name);
    s->description = xstrdup(description);
    s->status = RESULTS_PASSED;
    s->available = 1;
    return s;
}

results_test *results_add_test(results_suite *s, const char *name)
{
    s->tests = xrealloc(s->tests, (s->ntests + 1) * sizeof(*s->tests));
    results_test *t = &s->tests[s->ntests++];
    memset(t, 0, sizeof(*t));
    t->name = xstrdup(name);
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
    t->failures = xrealloc(t->failures, (t->nfailures + 1) * sizeof(char *));
    t->failures[t->nfailures++] = m;
    t->status = RESULTS_FAILED;
}

void results_test_skip(results_test *t, const char *reason)
{
    free(t->skip_reason);
    t->skip_reason = xstrdup(reason);
    if (t->status != RESULTS_FAILED)
        t->status = RESULTS_SKIPPED;
}

void results_suite_message(results_suite *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = vformat(fmt, ap);
    va_end(ap);
    s->messages = xrealloc(s->messages, (s->nmessages + 1) * sizeof(char *));
    s->messages[s->nmessages++] = m;
}

static void set_metric(results_metric **m, size_t *n, const char *name, double value,
                       const char *unit)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*m)[i].name, name) == 0) {
            (*m)[i].value = value;
            free((*m)[i].unit);
            (*m)[i].unit = xstrdup(unit);
            return;
        }
    }
    *m = xrealloc(*m, (*n + 1) * sizeof(**m));
    (*m)[*n].name = xstrdup(name);
    (*m)[*n].value = value;
    (*m)[*n].unit = xstrdup(unit);
    (*n)++;
}

void results_test_metric(results_test *t, const char *name, double value, const char *unit)
{
    set_metric(&t->metrics, &t->nmetrics, name, value, unit);
}

void results_suite_metric(results_suite *s, const char *name, double value, const char *unit)
{
    set_metric(&s->metrics, &s->nmetrics, name, value, unit);
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
    if (failed)
        s->status = RESULTS_FAILED;
    else if (s->ntests > 0 && (size_t)skipped == s->ntests)
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

/* ---- test_summary.json ---- */

static void add_number(cJSON *o, const char *k, double v)
{
    /* JSON has no NaN or infinity: write null */
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static double round3(double v)
{
    return isfinite(v) ? round(v * 1000.0) / 1000.0 : v;
}

static cJSON *metrics_json(const results_metric *m, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        add_number(e, "value", m[i].value);
        cJSON_AddStringToObject(e, "unit", m[i].unit);
        cJSON_AddItemToObject(o, m[i].name, e);
    }
    return o;
}

cJSON *results_summary_json(const results_run *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "version", RESULTS_FORMAT_VERSION);
    cJSON_AddStringToObject(j, "tool", "wsb-harness");
    cJSON_AddStringToObject(j, "started", r->started);
    if (r->finished)
        cJSON_AddStringToObject(j, "finished", r->finished);
    else
        cJSON_AddNullToObject(j, "finished");
    add_number(j, "duration_s", round3(r->duration_s));
    cJSON_AddStringToObject(j, "mode", r->mode);
    cJSON_AddStringToObject(j, "profile", r->profile);
    cJSON_AddStringToObject(j, "results_dir", r->results_dir);
    cJSON *env = cJSON_AddObjectToObject(j, "environment");
    const char *ev[3][2] = {{"dashboard_url", r->dashboard_url},
                            {"bot_status_url", r->bot_status_url},
                            {"error", r->env_error}};
    for (int i = 0; i < 3; i++) {
        if (ev[i][1])
            cJSON_AddStringToObject(env, ev[i][0], ev[i][1]);
        else
            cJSON_AddNullToObject(env, ev[i][0]);
    }
    cJSON_AddBoolToObject(j, "interrupted", r->interrupted);
    int ok = results_run_ok(r);
    cJSON_AddStringToObject(j, "status", ok ? "passed" : "failed");
    cJSON_AddNumberToObject(j, "exit_code", ok ? 0 : 1);
    results_totals t = results_count(r);
    cJSON *tot = cJSON_AddObjectToObject(j, "totals");
    cJSON_AddNumberToObject(tot, "suites", t.suites);
    cJSON_AddNumberToObject(tot, "tests", t.tests);
    cJSON_AddNumberToObject(tot, "passed", t.passed);
    cJSON_AddNumberToObject(tot, "failed", t.failed);
    cJSON_AddNumberToObject(tot, "skipped", t.skipped);
    cJSON_AddNumberToObject(tot, "not_available", t.not_available);
    cJSON *sa = cJSON_AddArrayToObject(j, "suites");
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "name", s->name);
        cJSON_AddStringToObject(so, "description", s->description);
        cJSON_AddStringToObject(so, "status", results_status_name(s->status));
        cJSON_AddStringToObject(so, "selected", s->explicit_selection ? "explicit" : "default");
        cJSON_AddBoolToObject(so, "available", s->available);
        add_number(so, "duration_s", round3(s->duration_s));
        char log[300];
        snprintf(log, sizeof(log), "%s.log", s->name);
        if (s->available)
            cJSON_AddStringToObject(so, "log", log);
        cJSON *msgs = cJSON_AddArrayToObject(so, "messages");
        for (size_t k = 0; k < s->nmessages; k++)
            cJSON_AddItemToArray(msgs, cJSON_CreateString(s->messages[k]));
        cJSON_AddItemToObject(so, "metrics", metrics_json(s->metrics, s->nmetrics));
        cJSON *ta = cJSON_AddArrayToObject(so, "tests");
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *tt = &s->tests[k];
            cJSON *to = cJSON_CreateObject();
            cJSON_AddStringToObject(to, "name", tt->name);
            cJSON_AddStringToObject(to, "status", results_status_name(tt->status));
            add_number(to, "duration_s", round3(tt->duration_s));
            cJSON *fa = cJSON_AddArrayToObject(to, "failures");
            for (size_t f = 0; f < tt->nfailures; f++)
                cJSON_AddItemToArray(fa, cJSON_CreateString(tt->failures[f]));
            if (tt->skip_reason)
                cJSON_AddStringToObject(to, "skip_reason", tt->skip_reason);
            else
                cJSON_AddNullToObject(to, "skip_reason");
            cJSON_AddItemToObject(to, "metrics", metrics_json(tt->metrics, tt->nmetrics));
            cJSON_AddItemToArray(ta, to);
        }
        cJSON_AddItemToArray(sa, so);
    }
    return j;
}

/* Writes text to path through a temporary file and rename, so a reader
 * (or a crash of ours) never sees half a file. */
static int write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = fputs(text, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int results_write_summary(const results_run *r, const char *path, char *err, size_t errlen)
{
    cJSON *j = results_summary_json(r);
    char *t = cJSON_Print(j);
    cJSON_Delete(j);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = strlen(t);
    char *t2 = xrealloc(t, n + 2);
    t2[n] = '\n';
    t2[n + 1] = 0;
    int rc = write_atomic(path, t2, err, errlen);
    free(t2);
    return rc;
}

int results_write_suite_metrics(const results_suite *s, const char *dir, char *err, size_t errlen)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/metrics", dir);
    if (results_mkdirs(p, err, errlen) < 0)
        return -1;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "version", RESULTS_FORMAT_VERSION);
    cJSON_AddStringToObject(j, "suite", s->name);
    cJSON_AddStringToObject(j, "status", results_status_name(s->status));
    cJSON_AddItemToObject(j, "metrics", metrics_json(s->metrics, s->nmetrics));
    cJSON *t = cJSON_AddObjectToObject(j, "tests");
    for (size_t i = 0; i < s->ntests; i++)
        cJSON_AddItemToObject(t, s->tests[i].name,
                              metrics_json(s->tests[i].metrics, s->tests[i].nmetrics));
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(p, sizeof(p), "%s/metrics/%s.json", dir, s->name);
    int rc = write_atomic(p, text, err, errlen);
    free(text);
    return rc;
}

/* ---- reading a summary back ---- */

static const char *jstr(const cJSON *o, const char *k)
{
    return wjson_str(o, k, NULL);
}

static double jnum(const cJSON *o, const char *k)
{
    return wjson_num(o, k, NAN);
}

static void read_metrics(const cJSON *o, results_metric **m, size_t *n)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, o)
    {
        const char *u = jstr(e, "unit");
        set_metric(m, n, e->string, jnum(e, "value"), u ? u : "");
    }
}

results_run *results_read_summary(const char *path, char *err, size_t errlen)
{
    cJSON *j = wjson_parse_file(path, 64, err, errlen);
    if (!j)
        return NULL;
    results_run *r = NULL;
    if (jnum(j, "version") != RESULTS_FORMAT_VERSION) {
        snprintf(err, errlen, "%s: /version: expected %d", path, RESULTS_FORMAT_VERSION);
        goto out;
    }
    const cJSON *suites = cJSON_GetObjectItemCaseSensitive(j, "suites");
    if (!cJSON_IsArray(suites)) {
        snprintf(err, errlen, "%s: /suites: must be an array", path);
        goto out;
    }
    r = results_run_new(jstr(j, "mode"), jstr(j, "profile"), jstr(j, "results_dir"));
    free(r->started);
    r->started = xstrdup(jstr(j, "started"));
    if (jstr(j, "finished"))
        r->finished = xstrdup(jstr(j, "finished"));
    r->duration_s = jnum(j, "duration_s");
    r->interrupted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "interrupted"));
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(j, "environment");
    results_run_set_env(r, jstr(env, "dashboard_url"), jstr(env, "bot_status_url"),
                        jstr(env, "error"));
    const cJSON *so;
    cJSON_ArrayForEach(so, suites)
    {
        results_suite *s = results_add_suite(r, jstr(so, "name"), jstr(so, "description"));
        int st = results_status_parse(jstr(so, "status"));
        s->status = st < 0 ? RESULTS_FAILED : (results_status)st;
        const char *sel = jstr(so, "selected");
        s->explicit_selection = sel && strcmp(sel, "explicit") == 0;
        s->available = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(so, "available"));
        s->duration_s = jnum(so, "duration_s");
        const cJSON *m;
        cJSON_ArrayForEach(m,
                           cJSON_GetObjectItemCaseSensitive(so, "messages")) if (cJSON_IsString(m))
            results_suite_message(s, "%s", m->valuestring);
        read_metrics(cJSON_GetObjectItemCaseSensitive(so, "metrics"), &s->metrics, &s->nmetrics);
        const cJSON *to;
        cJSON_ArrayForEach(to, cJSON_GetObjectItemCaseSensitive(so, "tests"))
        {
            results_test *t = results_add_test(s, jstr(to, "name"));
            const cJSON *f;
            cJSON_ArrayForEach(
                f, cJSON_GetObjectItemCaseSensitive(to, "failures")) if (cJSON_IsString(f))
                results_test_fail(t, "%s", f->valuestring);
            int ts = results_status_parse(jstr(to, "status"));
            t->status = ts < 0 ? RESULTS_FAILED : (results_status)ts;
            if (jstr(to, "skip_reason"))
                t->skip_reason = xstrdup(jstr(to, "skip_reason"));
            t->duration_s = jnum(to, "duration_s");
            read_metrics(cJSON_GetObjectItemCaseSensitive(to, "metrics"), &t->metrics,
                         &t->nmetrics);
        }
    }
out:
    cJSON_Delete(j);
    return r;
}

/* ---- merging workers ---- */

void results_merge(results_run *dst, const results_run *src, const char *label)
{
    for (size_t i = 0; i < src->nsuites; i++) {
        const results_suite *ss = &src->suites[i];
        results_suite *ds = NULL;
        for (size_t k = 0; k < dst->nsuites; k++)
            if (strcmp(dst->suites[k].name, ss->name) == 0)
                ds = &dst->suites[k];
        if (!ds) {
            ds = results_add_suite(dst, ss->name, ss->description);
            ds->available = ss->available;
            ds->explicit_selection = ss->explicit_selection;
        } else {
            ds->available = ds->available && ss->available;
            ds->explicit_selection = ds->explicit_selection || ss->explicit_selection;
        }
        if (ss->duration_s > ds->duration_s)
            ds->duration_s = ss->duration_s;
        for (size_t m = 0; m < ss->nmessages; m++)
            results_suite_message(ds, "[%s] %s", label, ss->messages[m]);
        for (size_t m = 0; m < ss->nmetrics; m++) {
            char name[512];
            snprintf(name, sizeof(name), "%s [%s]", ss->metrics[m].name, label);
            results_suite_metric(ds, name, ss->metrics[m].value, ss->metrics[m].unit);
        }
        for (size_t k = 0; k < ss->ntests; k++) {
            const results_test *st = &ss->tests[k];
            char name[512];
            snprintf(name, sizeof(name), "%s [%s]", st->name, label);
            results_test *dt = results_add_test(ds, name);
            for (size_t f = 0; f < st->nfailures; f++)
                results_test_fail(dt, "%s", st->failures[f]);
            dt->status = st->status;
            dt->duration_s = st->duration_s;
            if (st->skip_reason)
                dt->skip_reason = xstrdup(st->skip_reason);
            for (size_t m = 0; m < st->nmetrics; m++)
                results_test_metric(dt, st->metrics[m].name, st->metrics[m].value,
                                    st->metrics[m].unit);
        }
        results_suite_settle(ds);
    }
    if (src->duration_s > dst->duration_s)
        dst->duration_s = src->duration_s;
    dst->interrupted = dst->interrupted || src->interrupted;
}

/* ---- junit.xml ---- */

/* XML-escapes s into f; control characters other than tab/newline (not
 * allowed in XML 1.0) become '?'. */
static void xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n')
                fputc('?', f);
            else
                fputc(c, f);
        }
    }
}

/* The counts of one suite's <testsuite> element; the suite itself is one
 * extra test case when it is not available or has suite-level problems. */
static void junit_counts(const results_suite *s, int *tests, int *failures, int *skipped)
{
    *tests = (int)s->ntests;
    *failures = *skipped = 0;
    for (size_t k = 0; k < s->ntests; k++) {
        if (s->tests[k].status == RESULTS_SKIPPED || s->tests[k].status == RESULTS_NOT_AVAILABLE)
            (*skipped)++;
        else if (s->tests[k].status != RESULTS_PASSED)
            (*failures)++;
    }
    if (!s->available || s->nmessages > 0) {
        (*tests)++;
        if (!s->available && !s->explicit_selection)
            (*skipped)++;
        else
            (*failures)++;
    }
}

static int write_junit_stream(const results_run *r, FILE *f)
{
    int all_t = 0, all_f = 0, all_s = 0;
    for (size_t i = 0; i < r->nsuites; i++) {
        int t, fl, sk;
        junit_counts(&r->suites[i], &t, &fl, &sk);
        all_t += t;
        all_f += fl;
        all_s += sk;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites name=\"wsbridge\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
            "skipped=\"%d\" time=\"%.3f\">\n",
            all_t, all_f, all_s, r->duration_s);
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        int tests, failures, skipped;
        junit_counts(s, &tests, &failures, &skipped);
        int suite_case = !s->available || s->nmessages > 0;
        fprintf(f, "  <testsuite name=\"");
        xml_escape(f, s->name);
        fprintf(f,
                "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\" "
                "timestamp=\"",
                tests, failures, skipped, s->duration_s);
        xml_escape(f, r->started);
        fprintf(f, "\">\n");
        if (s->nmetrics) {
            fprintf(f, "    <properties>\n");
            for (size_t m = 0; m < s->nmetrics; m++) {
                fprintf(f, "      <property name=\"");
                xml_escape(f, s->metrics[m].name);
                fprintf(f, "\" value=\"%g%s", s->metrics[m].value,
                        s->metrics[m].unit[0] ? " " : "");
                xml_escape(f, s->metrics[m].unit);
                fprintf(f, "\"/>\n");
            }
            fprintf(f, "    </properties>\n");
        }
        if (suite_case) {
            /* the suite as a whole: not available, crashed, hung or failed to start */
            fprintf(f, "    <testcase classname=\"");
            xml_escape(f, s->name);
            fprintf(f, "\" name=\"(suite)\" time=\"0.000\">\n");
            if (!s->available) {
                fprintf(f, s->explicit_selection ? "      <failure message=\""
                                                 : "      <skipped message=\"");
                fprintf(f, "suite not available in this build");
                fprintf(f, s->explicit_selection ? "\" type=\"not_available\"/>\n" : "\"/>\n");
            } else {
                fprintf(f, "      <failure message=\"");
                xml_escape(f, s->messages[0]);
                fprintf(f, "\" type=\"suite\">");
                for (size_t m = 0; m < s->nmessages; m++) {
                    xml_escape(f, s->messages[m]);
                    fputc('\n', f);
                }
                fprintf(f, "</failure>\n");
            }
            fprintf(f, "    </testcase>\n");
        }
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *t = &s->tests[k];
            fprintf(f, "    <testcase classname=\"");
            xml_escape(f, s->name);
            fprintf(f, "\" name=\"");
            xml_escape(f, t->name);
            fprintf(f, "\" time=\"%.3f\"", t->duration_s);
            if (t->status == RESULTS_PASSED && t->nmetrics == 0) {
                fprintf(f, "/>\n");
                continue;
            }
            fprintf(f, ">\n");
            if (t->status == RESULTS_SKIPPED || t->status == RESULTS_NOT_AVAILABLE) {
                fprintf(f, "      <skipped message=\"");
                xml_escape(f, t->skip_reason ? t->skip_reason : "skipped");
                fprintf(f, "\"/>\n");
            } else if (t->status != RESULTS_PASSED) {
                fprintf(f, "      <failure message=\"");
                xml_escape(f, t->nfailures ? t->failures[0] : "failed");
                fprintf(f, "\" type=\"assertion\">");
                for (size_t m = 0; m < t->nfailures; m++) {
                    xml_escape(f, t->failures[m]);
                    fputc('\n', f);
                }
                fprintf(f, "</failure>\n");
            }
            if (t->nmetrics) {
                fprintf(f, "      <system-out>");
                for (size_t m = 0; m < t->nmetrics; m++) {
                    xml_escape(f, t->metrics[m].name);
                    fprintf(f, " = %g ", t->metrics[m].value);
                    xml_escape(f, t->metrics[m].unit);
                    fputc('\n', f);
                }
                fprintf(f, "</system-out>\n");
            }
            fprintf(f, "    </testcase>\n");
        }
        fprintf(f, "  </testsuite>\n");
    }
    fprintf(f, "</testsuites>\n");
    return ferror(f) ? -1 : 0;
}

static int write_stream_atomic(const char *path, int (*fn)(const results_run *, FILE *),
                               const results_run *r, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = fn(r, f);
    fclose(f);
    if (rc == 0)
        rc = write_atomic(path, buf, err, errlen);
    else
        snprintf(err, errlen, "cannot format %s", path);
    free(buf);
    return rc;
}

int results_write_junit(const results_run *r, const char *path, char *err, size_t errlen)
{
    return write_stream_atomic(path, write_junit_stream, r, err, errlen);
}

/* ---- test_report.md ---- */

/* Markdown table cells: no newlines, escaped pipes, and < > & as entities
 * (GitHub's job summary renders HTML: "<ok>" would vanish). */
static void md_cell(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static const char *status_badge(results_status s)
{
    switch (s) {
    case RESULTS_PASSED:
        return "PASS";
    case RESULTS_FAILED:
        return "**FAIL**";
    case RESULTS_SKIPPED:
        return "skip";
    case RESULTS_NOT_AVAILABLE:
        return "n/a";
    default:
        return "**INCOMPLETE**";
    }
}

static int write_report_stream(const results_run *r, FILE *f)
{
    results_totals t = results_count(r);
    int ok = results_run_ok(r);
    fprintf(f, "# wsbridge test report\n\n");
    fprintf(f, "| | |\n|---|---|\n");
    fprintf(f, "| result | %s |\n", ok ? "PASSED" : "**FAILED**");
    fprintf(f, "| started | %s |\n| finished | %s |\n| duration | %.1f s |\n", r->started,
            r->finished ? r->finished : "(unfinished)", r->duration_s);
    fprintf(f, "| mode | %s |\n| profile | %s |\n", r->mode, r->profile);
    if (r->dashboard_url)
        fprintf(f, "| dashboard | %s |\n", r->dashboard_url);
    if (r->bot_status_url)
        fprintf(f, "| bot status | %s |\n", r->bot_status_url);
    if (r->env_error) {
        fprintf(f, "| environment | **could not start:** ");
        md_cell(f, r->env_error);
        fprintf(f, " |\n");
    }
    fprintf(f, "| tests | %d: %d passed, %d failed, %d skipped, %d not available |\n", t.tests,
            t.passed, t.failed, t.skipped, t.not_available);
    if (r->interrupted)
        fprintf(f, "| note | the run was interrupted |\n");
    fprintf(f, "\n## Suites\n\n| suite | status | tests | passed | failed | skipped | "
               "duration (s) | log |\n|---|---|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        int p = 0, fl = 0, sk = 0;
        for (size_t k = 0; k < s->ntests; k++) {
            if (s->tests[k].status == RESULTS_PASSED)
                p++;
            else if (s->tests[k].status == RESULTS_SKIPPED)
                sk++;
            else
                fl++;
        }
        fprintf(f, "| %s | %s%s | %zu | %d | %d | %d | %.2f | ", s->name, status_badge(s->status),
                !s->available
                    ? (s->explicit_selection ? " (not available, asked for)" : " (not built yet)")
                    : "",
                s->ntests, p, fl, sk, s->duration_s);
        if (s->available)
            fprintf(f, "[%s.log](%s.log)", s->name, s->name);
        fprintf(f, " |\n");
    }

    /* key figures */
    int any = 0;
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        size_t n = s->nmetrics;
        for (size_t k = 0; k < s->ntests; k++)
            n += s->tests[k].nmetrics;
        if (!n)
            continue;
        if (!any)
            fprintf(f, "\n## Key figures\n\n| suite | test | figure | value | unit |\n"
                       "|---|---|---|---:|---|\n");
        any = 1;
        for (size_t m = 0; m < s->nmetrics; m++) {
            fprintf(f, "| %s | | ", s->name);
            md_cell(f, s->metrics[m].name);
            fprintf(f, " | %.6g | ", s->metrics[m].value);
            md_cell(f, s->metrics[m].unit);
            fprintf(f, " |\n");
        }
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *tt = &s->tests[k];
            for (size_t m = 0; m < tt->nmetrics; m++) {
                fprintf(f, "| %s | ", s->name);
                md_cell(f, tt->name);
                fprintf(f, " | ");
                md_cell(f, tt->metrics[m].name);
                fprintf(f, " | %.6g | ", tt->metrics[m].value);
                md_cell(f, tt->metrics[m].unit);
                fprintf(f, " |\n");
            }
        }
    }

    /* per suite test tables */
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        if (!s->available)
            continue;
        fprintf(f, "\n## %s\n\n", s->name);
        if (s->description[0])
            fprintf(f, "%s\n\n", s->description);
        for (size_t m = 0; m < s->nmessages; m++) {
            fprintf(f, "- **suite problem:** ");
            md_cell(f, s->messages[m]);
            fprintf(f, "\n");
        }
        if (s->nmessages)
            fprintf(f, "\n");
        if (!s->ntests) {
            fprintf(f, "(no tests ran)\n");
            continue;
        }
        fprintf(f, "| test | status | duration (s) | details |\n|---|---|---:|---|\n");
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *tt = &s->tests[k];
            fprintf(f, "| ");
            md_cell(f, tt->name);
            fprintf(f, " | %s | %.3f | ", status_badge(tt->status), tt->duration_s);
            if (tt->status == RESULTS_SKIPPED && tt->skip_reason)
                md_cell(f, tt->skip_reason);
            for (size_t m = 0; m < tt->nfailures && m < 5; m++) {
                if (m)
                    fprintf(f, "<br>");
                md_cell(f, tt->failures[m]);
            }
            if (tt->nfailures > 5)
                fprintf(f, "<br>(%zu more in the summary)", tt->nfailures - 5);
            fprintf(f, " |\n");
        }
    }
    return ferror(f) ? -1 : 0;
}

int results_write_report(const results_run *r, const char *path, char *err, size_t errlen)
{
    return write_stream_atomic(path, write_report_stream, r, err, errlen);
}

int results_write_all(const results_run *r, const char *dir, char *err, size_t errlen)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/test_summary.json", dir);
    if (results_write_summary(r, p, err, errlen) < 0)
        return -1;
    snprintf(p, sizeof(p), "%s/junit.xml", dir);
    if (results_write_junit(r, p, err, errlen) < 0)
        return -1;
    snprintf(p, sizeof(p), "%s/test_report.md", dir);
    return results_write_report(r, p, err, errlen);
}

int results_mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        snprintf(err, errlen, "path too long: %s", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", path);
        return -1;
    }
    return 0;
}
