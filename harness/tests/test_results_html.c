/* test_results_html: the views of a run for people, without a browser:
 * test_report.html (every string from the run escaped, the verdict of a run
 * with failures, of one with only breached thresholds, skips with their
 * reasons, charts from metrics files, missing and unreadable metrics files
 * said so), the link-free summary atop test_report.md, and the terminal
 * summary at the end of a run (runner_console_summary). Chromium checks the
 * rendering in make test (harness/testkit/pagecheck.js). */
#include "results.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "runner.h"
#include "testkit.h"
#include "wjson.h"

#define HOSTILE "<script>alert(1)</script>\" onload=\"x'&amp;"

static char *slurp_in(const char *dir, const char *name)
{
    char p[300], err[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return wjson_read_file(p, NULL, err, sizeof(err));
}

static void write_in(const char *dir, const char *name, const char *text)
{
    char p[300];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    testkit_write_file(p, text);
}

/* A run with a pass, a failure (two lines), a skip, a breach and suite
 * problems, every string hostile where the run could carry one. */
static results_run *mixed_run(const char *dir)
{
    results_run *r = results_run_new("native", "short", dir);
    results_suite *s = results_add_suite(r, "performance", "latency " HOSTILE);
    results_test *t = results_add_test(s, "end_to_end");
    t->status = RESULTS_PASSED;
    t->duration_s = 10.5;
    results_test_metric(t, "e2e_latency_p50_us", 815.1, "us");
    results_test_metric(t, "e2e_latency_p99_us", 7589.9, "us");
    results_test_metric(t, "delivery_rate", 1, "ratio");
    t = results_add_test(s, "order " HOSTILE);
    t->duration_s = 2.25;
    results_test_fail(t, "suites/x.c:12: seq 7 after 9 " HOSTILE);
    results_test_fail(t, "the second failure line");
    t = results_add_test(s, "needs_status");
    results_test_skip(t, "no /api/websocket/status " HOSTILE);
    t = results_add_test(s, "budget");
    results_test_threshold(t, "e2e_latency", "p(99)<1ms " HOSTILE, 7.5, "ms", 0);
    results_suite_message(s, "suite problem " HOSTILE);
    results_suite_settle(s);
    results_suite *na = results_add_suite(r, "security", "");
    na->available = 0;
    results_suite_settle(na);
    results_run_finish(r, 12.75);
    return r;
}

static char *write_html(results_run *r, const char *dir)
{
    char p[300], err[512];
    snprintf(p, sizeof(p), "%s/test_report.html", dir);
    int rc = results_write_html(r, p, err, sizeof(err));
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        printf("\n%s\n", err);
    return slurp_in(dir, "test_report.html");
}

static void test_escaping_and_verdict(void)
{
    char dir[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(testkit_mkdtemp(dir, sizeof(dir), "test-html-esc"));
    results_run *r = mixed_run(dir);
    char *h = write_html(r, dir);
    results_run_free(r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    /* nothing from the run becomes markup: no script, no attribute breaks out */
    CU_ASSERT_PTR_NULL(strstr(h, "<script"));
    CU_ASSERT_PTR_NULL(strstr(h, "\" onload=\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "order &lt;script&gt;alert(1)&lt;/script&gt;&quot; onload="
                                     "&quot;x&apos;&amp;amp;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "seq 7 after 9 &lt;script&gt;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "suite problem &lt;script&gt;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "p(99)&lt;1ms &lt;script&gt;"));
    /* the verdict first: failed, not "too slow" (a real failure beside the breach) */
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "data-verdict=\"FAILED\""));
    CU_ASSERT(strstr(h, "id=\"verdict\"") < strstr(h, "id=\"failures\""));
    CU_ASSERT(strstr(h, "id=\"failures\"") < strstr(h, "id=\"figures\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<li><b>performance / needs_status</b>: no /api/websocket/"
                                     "status &lt;script&gt;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "id=\"failures\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "the second failure line"));
    /* skips with their reason, the breach with its value */
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "not checked: no /api/websocket/status &lt;script&gt;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "BREACHED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "7.5 ms"));
    /* the key figures */
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "end-to-end latency p99</small><b>7.59 ms</b>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<b>100 %</b>"));
    /* self-contained: nothing fetched from anywhere */
    CU_ASSERT_PTR_NULL(strstr(h, "http://"));
    CU_ASSERT_PTR_NULL(strstr(h, "https://"));
    CU_ASSERT_PTR_NULL(strstr(h, "src="));
    /* no metrics/ directory: said so, no chart */
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "this run wrote no metrics/ directory"));
    CU_ASSERT_PTR_NULL(strstr(h, "<svg"));
    free(h);
    testkit_rmtree(dir);
}

/* Only thresholds breached: "too slow", not "failed". */
static void test_too_slow(void)
{
    char dir[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(testkit_mkdtemp(dir, sizeof(dir), "test-html-slow"));
    results_run *r = results_run_new("docker", "full", dir);
    results_suite *s = results_add_suite(r, "performance", "");
    results_test *t = results_add_test(s, "end_to_end");
    results_test_threshold(t, "e2e_latency", "p(99)<100ms", 153.2, "ms", 0);
    t->status = RESULTS_FAILED;
    results_suite_settle(s);
    results_run_finish(r, 1);
    CU_ASSERT_EQUAL(results_run_exit_code(r), RESULTS_EXIT_BREACHED);
    char *h = write_html(r, dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "data-verdict=\"TOO SLOW\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "1 threshold was breached (exit 99)"));
    free(h);
    /* and the terminal says the same */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    runner_console_summary(f, r);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "TOO SLOW  1 tests: 0 passed, 1 failed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "only thresholds breached: exit 99"));
    free(out);
    results_run_free(r);
    testkit_rmtree(dir);
}

/* Charts from the metrics files; unreadable ones named, the page written. */
static void test_charts_and_bad_metrics(void)
{
    char dir[64], p[200], err[256];
    CU_ASSERT_PTR_NOT_NULL_FATAL(testkit_mkdtemp(dir, sizeof(dir), "test-html-charts"));
    snprintf(p, sizeof(p), "%s/metrics", dir);
    CU_ASSERT_EQUAL_FATAL(results_mkdirs(p, err, sizeof(err)), 0);
    histogram *hg = histogram_new();
    for (int i = 1; i <= 1000; i++)
        histogram_record(hg, 100000 + i * 1000); /* 0.1 .. 1.1 ms */
    /* a file name is the run's too: it is escaped */
    snprintf(p, sizeof(p), "%s/metrics/perf_<b>lat.json", dir);
    CU_ASSERT_EQUAL_FATAL(histogram_write_file(hg, p, err, sizeof(err)), 0);
    histogram_free(hg);
    write_in(dir, "metrics/perf_e2e_rate.json",
             "{\"format\":\"wsb-perf-rate\",\"version\":1,\"rate\":200,\"subscribers\":5,"
             "\"seconds\":[{\"t\":0,\"published\":200,\"delivered_per_subscriber\":199,"
             "\"backlog\":1},{\"t\":1,\"published\":201,\"delivered_per_subscriber\":201,"
             "\"backlog\":0}]}");
    write_in(dir, "metrics/perf_e2e_resources.json",
             "{\"format\":\"wsb-perf-resources\",\"version\":1,\"services\":{\"dash<i>\":"
             "{\"samples\":[{\"t\":0.2,\"cpu_pct\":5,\"rss_bytes\":17000000},{\"t\":1.2,"
             "\"cpu_pct\":9,\"rss_bytes\":17500000}]}}}");
    write_in(dir, "metrics/faults.json",
             "{\"version\":1,\"scenarios\":[{\"scenario\":\"crash<x>\",\"verdict\":\"fail\","
             "\"message\":\"2 lost\",\"generated\":5,\"received\":3,\"lost\":2,\"timeline\":["
             "{\"t_s\":0.1,\"event\":\"inject\",\"detail\":\"SIGKILL <b>\"},{\"t_s\":0.6,"
             "\"event\":\"heal\",\"detail\":\"restarted\"},{\"t_s\":0.9,\"event\":\"recovered\","
             "\"detail\":\"caught up\"}]}]}");
    write_in(dir, "metrics/broken.json", "{\"format\":\"wsb-histogram\", oops");
    write_in(dir, "metrics/old.json", "{\"format\":\"wsb-histogram\",\"version\":99}");
    results_run *r = mixed_run(dir);
    char *h = write_html(r, dir);
    results_run_free(r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<svg id=\"pct-0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<svg id=\"dist-0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<svg id=\"rate-0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<svg id=\"cpu-0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<svg id=\"rss-0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<svg id=\"faults\""));
    CU_ASSERT_PTR_NULL(strstr(h, "data-points=\"0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "perf_&lt;b&gt;lat"));
    CU_ASSERT_PTR_NULL(strstr(h, "<b>lat"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "dash&lt;i&gt;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "crash&lt;x&gt; (FAIL)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "SIGKILL &lt;b&gt;"));
    /* 1000 values from 0.1 to 1.1 ms: the median is near 0.6 ms */
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "p50 600 us"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "metrics/broken.json is unreadable"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "metrics/old.json is not a usable histogram"));
    free(h);

    /* an empty metrics/ directory: said so */
    testkit_rmtree(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(testkit_mkdtemp(dir, sizeof(dir), "test-html-empty"));
    snprintf(p, sizeof(p), "%s/metrics", dir);
    CU_ASSERT_EQUAL_FATAL(results_mkdirs(p, err, sizeof(err)), 0);
    r = mixed_run(dir);
    h = write_html(r, dir);
    results_run_free(r);
    CU_ASSERT_PTR_NOT_NULL(h && strstr(h, "metrics/ holds no histograms"));
    free(h);
    testkit_rmtree(dir);
}

/* test_report.md opens with a link-free summary: verdict, figures, failures. */
static void test_markdown_summary(void)
{
    char dir[64], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(testkit_mkdtemp(dir, sizeof(dir), "test-html-md"));
    results_run *r = mixed_run(dir);
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, dir, err, sizeof(err)), 0);
    results_run_free(r);
    char *md = slurp_in(dir, "test_report.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    char *end = strstr(md, RESULTS_MD_SUMMARY_END);
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    *end = 0;
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "# wsbridge: FAILED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| end-to-end latency p99 | 7.59 ms | performance / "
                                      "end_to_end |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| delivery (delivered/published) | 100 % |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "suites/x.c:12: seq 7 after 9 &lt;script&gt;"));
    CU_ASSERT_PTR_NULL(strstr(md, "the second failure line")); /* the first line only */
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "- performance (the suite): suite problem"));
    CU_ASSERT_PTR_NULL(strstr(md, "](")); /* link-free */
    CU_ASSERT_PTR_NULL(strstr(md, "<script"));
    free(md);
    /* the HTML report is written beside it */
    char *h = slurp_in(dir, "test_report.html");
    CU_ASSERT_PTR_NOT_NULL(h);
    free(h);
    testkit_rmtree(dir);
}

/* The terminal summary: verdict, counts, failed tests with their first line,
 * the slowest tests, key figures, where the results are. */
static void test_terminal_summary(void)
{
    results_run *r = mixed_run("/tmp/some-results");
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    runner_console_summary(f, r); /* not a TTY: no colour */
    fclose(f);
    results_run_free(r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_PTR_NULL(strchr(out, '\033'));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "FAILED  4 tests: 1 passed, 2 failed, 1 SKIPPED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  FAILED  performance (the suite): suite problem"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  FAILED  performance/order <script>alert(1)</script>"
                                       "\" onload=\"x'&amp;: suites/x.c:12: seq 7 after 9"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "(+1 more)"));
    CU_ASSERT_PTR_NULL(strstr(out, "the second failure line"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  slowest performance/end_to_end 10.5 s, performance/order"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "end-to-end latency p50 815.1 us"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  report  /tmp/some-results/test_report.html"));
    free(out);
}

static CU_TestInfo tests[] = {
    {"escaping_and_verdict", test_escaping_and_verdict},
    {"too_slow", test_too_slow},
    {"charts_and_bad_metrics", test_charts_and_bad_metrics},
    {"markdown_summary", test_markdown_summary},
    {"terminal_summary", test_terminal_summary},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"results_html", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
