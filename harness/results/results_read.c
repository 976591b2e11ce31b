/* results_read: reads a test_summary.json (results_json.c) back into a
 * results_run, for the merge of parallel workers (wsb-merge) and for tests.
 * The version must match RESULTS_FORMAT_VERSION; an unknown status reads as
 * failed, a missing number as NaN. */
#include "results.h"
#include "results_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wjson.h"

/* The summary's fields by name: a string (NULL when absent), a number (NaN). */
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
        results_set_metric(m, n, e->string, jnum(e, "value"), u ? u : "");
    }
}

results_run *results_read_summary(const char *path, char *err, size_t errlen)
{
    cJSON *j = wjson_parse_file(path, 64, err, errlen);
    if (!j)
        return NULL;
    results_run *r = NULL;
    double version = jnum(j, "version");
    if (version != 1 && version != RESULTS_FORMAT_VERSION) {
        snprintf(err, errlen, "%s: /version: expected 1..%d", path, RESULTS_FORMAT_VERSION);
        goto out;
    }
    const cJSON *suites = cJSON_GetObjectItemCaseSensitive(j, "suites");
    if (!cJSON_IsArray(suites)) {
        snprintf(err, errlen, "%s: /suites: must be an array", path);
        goto out;
    }
    r = results_run_new(jstr(j, "mode"), jstr(j, "profile"), jstr(j, "results_dir"));
    free(r->started);
    r->started = results_xstrdup(jstr(j, "started"));
    if (jstr(j, "finished"))
        r->finished = results_xstrdup(jstr(j, "finished"));
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
        /* a stored "skipped" suite had its skips allowed */
        s->allow_skips = s->status == RESULTS_SKIPPED;
        s->nothing_checked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "nothing_checked"));
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
                t->skip_reason = results_xstrdup(jstr(to, "skip_reason"));
            t->duration_s = jnum(to, "duration_s");
            read_metrics(cJSON_GetObjectItemCaseSensitive(to, "metrics"), &t->metrics,
                         &t->nmetrics);
            const cJSON *h;
            cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(to, "thresholds"))
            {
                const char *v = jstr(h, "verdict");
                results_threshold_append(t, jstr(h, "metric"), jstr(h, "expression"),
                                         jnum(h, "value"), jstr(h, "unit"),
                                         v && !strcmp(v, "passed"));
            }
        }
    }
out:
    cJSON_Delete(j);
    return r;
}
