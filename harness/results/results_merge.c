/* results_merge: joins the results of parallel workers into one run
 * (results_merge in results.h): suites matched by name, each worker's tests,
 * messages and metrics labelled "[label]", statuses settled again. */
#include "results.h"
#include "results_int.h"

#include <stdio.h>
#include <string.h>

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
                dt->skip_reason = results_xstrdup(st->skip_reason);
            for (size_t m = 0; m < st->nmetrics; m++)
                results_test_metric(dt, st->metrics[m].name, st->metrics[m].value,
                                    st->metrics[m].unit);
            for (size_t h = 0; h < st->nthresholds; h++)
                results_threshold_append(dt, st->thresholds[h].metric, st->thresholds[h].expr,
                                         st->thresholds[h].value, st->thresholds[h].unit,
                                         st->thresholds[h].passed);
        }
        ds->allow_skips = ds->allow_skips || ss->allow_skips;
        results_suite_settle(ds);
    }
    if (src->duration_s > dst->duration_s)
        dst->duration_s = src->duration_s;
    dst->interrupted = dst->interrupted || src->interrupted;
}
