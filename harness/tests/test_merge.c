/* test_merge: CUnit tests of merging parallel workers: results_merge()
 * (suites joined by name, tests labelled per worker, statuses settled) and
 * the wsb-merge program on two worker directories (summaries and latency
 * histograms: the merged percentiles equal those of one histogram holding
 * every value). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "histogram.h"
#include "results.h"
#include "testkit.h"

static char dir[64];

static results_run *worker_run(const char *wdir, int fail)
{
    results_run *r = results_run_new("native", "short", wdir);
    results_suite *s = results_add_suite(r, "load_tests", "load");
    results_test *t = results_add_test(s, "steady");
    t->status = RESULTS_PASSED;
    results_test_metric(t, "msgs_per_s", fail ? 900 : 1000, "msg/s");
    t = results_add_test(s, "burst");
    if (fail)
        results_test_fail(t, "lost 3 messages");
    else
        t->status = RESULTS_PASSED;
    results_suite_settle(s);
    results_run_finish(r, fail ? 2.0 : 3.0);
    return r;
}

static void test_results_merge(void)
{
    results_run *a = worker_run("a", 0), *b = worker_run("b", 1);
    results_run *m = results_run_new("merged", "short", "m");
    results_merge(m, a, "w0");
    CU_ASSERT_EQUAL(m->suites[0].status, RESULTS_PASSED);
    results_merge(m, b, "w1");
    CU_ASSERT_EQUAL_FATAL(m->nsuites, 1);
    const results_suite *s = &m->suites[0];
    CU_ASSERT_EQUAL_FATAL(s->ntests, 4);
    CU_ASSERT_STRING_EQUAL(s->tests[0].name, "steady [w0]");
    CU_ASSERT_STRING_EQUAL(s->tests[3].name, "burst [w1]");
    CU_ASSERT_EQUAL(s->tests[3].status, RESULTS_FAILED);
    CU_ASSERT_STRING_EQUAL(s->tests[3].failures[0], "lost 3 messages");
    CU_ASSERT_EQUAL(s->status, RESULTS_FAILED);
    CU_ASSERT_DOUBLE_EQUAL(m->duration_s, 3.0, 1e-9);
    CU_ASSERT_FALSE(results_run_ok(m));
    results_run_free(a);
    results_run_free(b);
    results_run_free(m);
}

static void test_wsb_merge_program(void)
{
    char err[256], p[256];
    histogram *all = histogram_new();
    uint64_t x = 12345;
    for (int w = 0; w < 2; w++) {
        char wdir[128];
        snprintf(wdir, sizeof(wdir), "%s/workers/%d", dir, w);
        snprintf(p, sizeof(p), "%s/metrics", wdir);
        CU_ASSERT_EQUAL_FATAL(results_mkdirs(p, err, sizeof(err)), 0);
        results_run *r = worker_run(wdir, 0);
        CU_ASSERT_EQUAL_FATAL(results_write_all(r, wdir, err, sizeof(err)), 0);
        results_run_free(r);
        histogram *h = histogram_new();
        for (int i = 0; i < 10000; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            int64_t v = 1000 + (int64_t)((x >> 33) % (w ? 5000000 : 200000));
            histogram_record(h, v);
            histogram_record(all, v);
        }
        snprintf(p, sizeof(p), "%s/metrics/e2e_latency.json", wdir);
        CU_ASSERT_EQUAL(histogram_write_file(h, p, err, sizeof(err)), 0);
        histogram_free(h);
    }
    const char *build = testkit_build_dir();
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "%s/bin/wsb-merge --out %s/merged %s/workers/0 %s/workers/1/ >/dev/null", build, dir,
             dir, dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
    snprintf(p, sizeof(p), "%s/merged/metrics/e2e_latency.json", dir);
    histogram *m = histogram_read_file(p, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(histogram_count(m), 20000);
    const double ps[] = {50, 90, 99, 99.9, 100};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(histogram_percentile(m, ps[i]), histogram_percentile(all, ps[i]));
    histogram_free(m);
    snprintf(p, sizeof(p), "%s/merged/test_summary.json", dir);
    results_run *r = results_read_summary(p, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL_FATAL(r->nsuites, 1);
    CU_ASSERT_EQUAL(r->suites[0].ntests, 4);
    CU_ASSERT_STRING_EQUAL(r->suites[0].tests[2].name, "steady [1]");
    results_run_free(r);
    histogram_free(all);

    /* a failing worker fails the merge; a missing one is an error */
    snprintf(p, sizeof(p), "%s/workers/2", dir);
    results_mkdirs(p, err, sizeof(err));
    results_run *bad = worker_run(p, 1);
    results_write_all(bad, p, err, sizeof(err));
    results_run_free(bad);
    snprintf(cmd, sizeof(cmd),
             "%s/bin/wsb-merge --out %s/merged2 %s/workers/0 %s/workers/2 >/dev/null", build, dir,
             dir, dir);
    int rc = system(cmd);
    CU_ASSERT(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
    snprintf(cmd, sizeof(cmd), "%s/bin/wsb-merge --out %s/merged3 %s/nope 2>/dev/null", build, dir,
             dir);
    rc = system(cmd);
    CU_ASSERT(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
}

static CU_TestInfo tests[] = {
    {"results_merge", test_results_merge},
    {"wsb_merge_program", test_wsb_merge_program},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"merge", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    if (!testkit_mkdtemp(dir, sizeof(dir), "wsb-merge"))
        return 2;
    int rc = testkit_run(suites, NULL);
    if (!rc)
        testkit_rmtree(dir);
    return rc;
}
