/* results_json: test_summary.json, the whole run as JSON (format version
 * RESULTS_FORMAT_VERSION, schemas/test_summary.json), and metrics/<suite>.json,
 * the figures of one suite. Non-finite numbers are written as null, durations
 * rounded to the millisecond. results_read.c reads the summary back. */
#include "results.h"
#include "results_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    cJSON_AddNumberToObject(j, "exit_code", results_run_exit_code(r));
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
        cJSON_AddBoolToObject(so, "nothing_checked", s->nothing_checked);
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
            cJSON *ha = cJSON_AddArrayToObject(to, "thresholds");
            for (size_t h = 0; h < tt->nthresholds; h++) {
                const results_threshold *th = &tt->thresholds[h];
                cJSON *ho = cJSON_CreateObject();
                cJSON_AddStringToObject(ho, "metric", th->metric);
                cJSON_AddStringToObject(ho, "expression", th->expr);
                add_number(ho, "value", th->value);
                cJSON_AddStringToObject(ho, "unit", th->unit);
                cJSON_AddStringToObject(ho, "verdict", th->passed ? "passed" : "breached");
                cJSON_AddItemToArray(ha, ho);
            }
            cJSON_AddItemToArray(ta, to);
        }
        cJSON_AddItemToArray(sa, so);
    }
    return j;
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
    char *t2 = results_xrealloc(t, n + 2);
    t2[n] = '\n';
    t2[n + 1] = 0;
    int rc = results_write_atomic(path, t2, err, errlen);
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
    int rc = results_write_atomic(p, text, err, errlen);
    free(text);
    return rc;
}
