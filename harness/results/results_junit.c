/* results_junit: junit.xml for CI test reporters, written by us rather than
 * CUnit's automated output: a skipped test is <skipped message="..."/>, a
 * suite that is not available is one skipped test case (a failed one when it
 * was asked for), a suite that crashed, hung or failed to start is one failed
 * test case, and metrics are <properties> and <system-out>. */
#include "results.h"
#include "results_int.h"

#include <stdio.h>

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
        int suite_case = !s->available || s->nmessages > 0 || s->nothing_checked;
        fprintf(f, "  <testsuite name=\"");
        results_xml_escape(f, s->name);
        fprintf(f,
                "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\" "
                "timestamp=\"",
                tests, failures, skipped, s->duration_s);
        results_xml_escape(f, r->started);
        fprintf(f, "\">\n");
        if (s->nmetrics) {
            fprintf(f, "    <properties>\n");
            for (size_t m = 0; m < s->nmetrics; m++) {
                fprintf(f, "      <property name=\"");
                results_xml_escape(f, s->metrics[m].name);
                fprintf(f, "\" value=\"%g%s", s->metrics[m].value,
                        s->metrics[m].unit[0] ? " " : "");
                results_xml_escape(f, s->metrics[m].unit);
                fprintf(f, "\"/>\n");
            }
            fprintf(f, "    </properties>\n");
        }
        if (suite_case) {
            /* the suite as a whole: not available, crashed, hung or failed to start */
            fprintf(f, "    <testcase classname=\"");
            results_xml_escape(f, s->name);
            fprintf(f, "\" name=\"(suite)\" time=\"0.000\">\n");
            if (!s->available) {
                fprintf(f, s->explicit_selection ? "      <failure message=\""
                                                 : "      <skipped message=\"");
                fprintf(f, "suite not available in this build");
                fprintf(f, s->explicit_selection ? "\" type=\"not_available\"/>\n" : "\"/>\n");
            } else if (!s->nmessages) {
                fprintf(f, "      <failure message=\"nothing checked: every test was skipped "
                           "(--allow-skips accepts that)\" type=\"nothing_checked\"/>\n");
            } else {
                fprintf(f, "      <failure message=\"");
                results_xml_escape(f, s->messages[0]);
                fprintf(f, "\" type=\"suite\">");
                for (size_t m = 0; m < s->nmessages; m++) {
                    results_xml_escape(f, s->messages[m]);
                    fputc('\n', f);
                }
                fprintf(f, "</failure>\n");
            }
            fprintf(f, "    </testcase>\n");
        }
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *t = &s->tests[k];
            fprintf(f, "    <testcase classname=\"");
            results_xml_escape(f, s->name);
            fprintf(f, "\" name=\"");
            results_xml_escape(f, t->name);
            fprintf(f, "\" time=\"%.3f\"", t->duration_s);
            if (t->status == RESULTS_PASSED && t->nmetrics == 0 && t->nthresholds == 0) {
                fprintf(f, "/>\n");
                continue;
            }
            fprintf(f, ">\n");
            if (t->nthresholds) { /* each judged threshold: its value and verdict */
                fprintf(f, "      <properties>\n");
                for (size_t h = 0; h < t->nthresholds; h++) {
                    const results_threshold *th = &t->thresholds[h];
                    fprintf(f, "        <property name=\"threshold ");
                    results_xml_escape(f, th->metric);
                    fprintf(f, ": ");
                    results_xml_escape(f, th->expr);
                    fprintf(f, "\" value=\"%s: %g ", th->passed ? "passed" : "breached",
                            th->value);
                    results_xml_escape(f, th->unit);
                    fprintf(f, "\"/>\n");
                }
                fprintf(f, "      </properties>\n");
            }
            if (t->status == RESULTS_SKIPPED || t->status == RESULTS_NOT_AVAILABLE) {
                fprintf(f, "      <skipped message=\"");
                results_xml_escape(f, t->skip_reason ? t->skip_reason : "skipped");
                fprintf(f, "\"/>\n");
            } else if (t->status != RESULTS_PASSED) {
                fprintf(f, "      <failure message=\"");
                results_xml_escape(f, t->nfailures ? t->failures[0] : "failed");
                fprintf(f, "\" type=\"%s\">",
                        t->nbreaches && t->nbreaches == t->nfailures ? "threshold" : "assertion");
                for (size_t m = 0; m < t->nfailures; m++) {
                    results_xml_escape(f, t->failures[m]);
                    fputc('\n', f);
                }
                fprintf(f, "</failure>\n");
            }
            if (t->nmetrics) {
                fprintf(f, "      <system-out>");
                for (size_t m = 0; m < t->nmetrics; m++) {
                    results_xml_escape(f, t->metrics[m].name);
                    fprintf(f, " = %g ", t->metrics[m].value);
                    results_xml_escape(f, t->metrics[m].unit);
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

int results_write_junit(const results_run *r, const char *path, char *err, size_t errlen)
{
    return results_write_stream_atomic(path, write_junit_stream, r, err, errlen);
}
