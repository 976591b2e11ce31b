/* test_compare: CUnit tests of results_compare and `wsb-harness compare` on
 * result directories written by the results writers: identical runs pass;
 * a doctored regression (a latency up, a rate down, a histogram's p99 up, a
 * suite that now fails) fails naming the figure; improvements, moves within
 * the tolerance or under the noise floor and per-figure tolerances do not;
 * figures only one run has are listed and not judged; a missing or invalid
 * directory is refused with an error that names it. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "results.h"
#include "results_compare.h"
#include "testkit.h"
#include "wjson.h"

static char dir[64];

/* What one doctored run changes from the reference run. */
typedef struct doctor {
    double p99_ms;       /* performance/end_to_end/e2e_latency_p99_ms */
    double rate;         /* performance/end_to_end/delivered_rate */
    double hist_scale;   /* histogram values multiplied */
    int extra_metric;    /* adds performance/end_to_end/only_here_ms */
    int fail_suite;      /* connectivity fails */
    double handshake_ms; /* connectivity/handshake/handshake_ms */
} doctor;

static const doctor reference = {20.0, 200.0, 1.0, 0, 0, 0.50};

/* Writes a result directory <dir>/<name> and returns its path (static). */
static const char *write_run(const char *name, const doctor *d)
{
    static char path[16][256]; /* a few runs alive at once */
    static int next;
    char *p = path[next++ % 16], err[512], sub[300];
    snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
    snprintf(sub, sizeof(sub), "%s/metrics", p);
    CU_ASSERT_EQUAL_FATAL(results_mkdirs(sub, err, sizeof(err)), 0);
    results_run *r = results_run_new("native", "short", p);
    results_suite *s = results_add_suite(r, "connectivity", "connections");
    results_test *t = results_add_test(s, "handshake");
    t->status = RESULTS_PASSED;
    results_test_metric(t, "handshake_ms", d->handshake_ms, "ms");
    results_test_metric(t, "auth_cases", 14, "cases");
    t = results_add_test(s, "close");
    if (d->fail_suite)
        results_test_fail(t, "close code 1006");
    else
        t->status = RESULTS_PASSED;
    results_suite_settle(s);
    s = results_add_suite(r, "performance", "latency");
    t = results_add_test(s, "end_to_end");
    t->status = RESULTS_PASSED;
    results_test_metric(t, "e2e_latency_p99_ms", d->p99_ms, "ms");
    results_test_metric(t, "delivered_rate", d->rate, "msg/s");
    results_test_metric(t, "e2e_latency_count", 1000, "values");
    if (d->extra_metric)
        results_test_metric(t, "only_here_ms", 3, "ms");
    results_suite_settle(s);
    results_run_finish(r, 1.0);
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, p, err, sizeof(err)), 0);
    for (size_t i = 0; i < r->nsuites; i++)
        CU_ASSERT_EQUAL(results_write_suite_metrics(&r->suites[i], p, err, sizeof(err)), 0);
    results_run_free(r);
    histogram *h = histogram_new();
    for (int i = 1; i <= 1000; i++) /* 0.1 .. 100 ms */
        histogram_record(h, (int64_t)(i * 100000 * d->hist_scale));
    snprintf(sub, sizeof(sub), "%s/metrics/performance_e2e_latency.json", p);
    CU_ASSERT_EQUAL(histogram_write_file(h, sub, err, sizeof(err)), 0);
    histogram_free(h);
    return p;
}

static compare_result *compare(const char *a, const char *b, const compare_opts *o)
{
    char err[1024];
    compare_opts dflt;
    compare_opts_init(&dflt);
    compare_result *r = compare_dirs(a, b, o ? o : &dflt, err, sizeof(err));
    if (!r)
        fprintf(stderr, "compare: %s\n", err);
    return r;
}

static const compare_figure *find(const compare_result *r, const char *name)
{
    for (size_t i = 0; i < r->nfigs; i++)
        if (strcmp(r->figs[i].name, name) == 0)
            return &r->figs[i];
    return NULL;
}

/* Runs `wsb-harness compare ARGS`; its exit status and output (stdout and
 * stderr) into out. */
static int run_cli(const char *args, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s/bin/wsb-harness compare %s", testkit_build_dir(), args);
    return testkit_run_cmd(cmd, out, cap);
}

static void test_directions(void)
{
    CU_ASSERT_EQUAL(compare_direction_of("performance/end_to_end/e2e_latency_p99_us", "us"),
                    COMPARE_LOWER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("fault_tolerance/bot_restart/recovery_s", "s"),
                    COMPARE_LOWER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/delivered_rate", "msg/s"), COMPARE_HIGHER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/delivery_rate", "ratio"), COMPARE_HIGHER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("load_tests/capacity/capacity_last_good", "connections"),
                    COMPARE_HIGHER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/concurrent_success_rate", "%"),
                    COMPARE_HIGHER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/dashboard_cpu_mean", "%"), COMPARE_LOWER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/lost", "messages"), COMPARE_LOWER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/basic_errors", ""), COMPARE_LOWER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("load_tests/basic/basic_frames_per_cpu_s", ""),
                    COMPARE_HIGHER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("load_tests/capacity/capacity_200_connections_ok", ""),
                    COMPARE_HIGHER_BETTER);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/e2e_latency_count", "values"), COMPARE_INFO);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/rate_asked", "msg/s"), COMPARE_INFO);
    CU_ASSERT_EQUAL(compare_direction_of("x/y/generated", "messages"), COMPARE_INFO);
    CU_ASSERT_EQUAL(compare_direction_of("performance/e2e_latency.p99", "us"),
                    COMPARE_LOWER_BETTER);
}

static void test_identical_runs_pass(void)
{
    const char *a = write_run("same", &reference);
    compare_result *r = compare(a, a, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->nregressed, 0);
    CU_ASSERT_EQUAL(r->nonly_old + r->nonly_new, 0);
    const compare_figure *f = find(r, "performance/end_to_end/e2e_latency_p99_ms");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(f->verdict, COMPARE_SAME);
    /* the histogram's percentiles are figures too: 99th of 0.1..100 ms */
    f = find(r, "performance/e2e_latency.p99");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_DOUBLE_EQUAL(f->old_v, 99000, 99000 * 0.001);
    CU_ASSERT_PTR_NOT_NULL(find(r, "performance/e2e_latency.mean"));
    CU_ASSERT_EQUAL(find(r, "connectivity/handshake/auth_cases")->verdict, COMPARE_NOT_JUDGED);
    compare_result_free(r);
    char out[16384];
    char args[600];
    snprintf(args, sizeof(args), "%s %s", a, a);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "0 regressed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "performance/end_to_end/e2e_latency_p99_ms"));
}

static void test_doctored_latency_regresses(void)
{
    const char *a = write_run("ref", &reference);
    doctor d = reference;
    d.p99_ms = 30.0; /* +50 % */
    const char *b = write_run("slower", &d);
    char out[16384], args[600];
    snprintf(args, sizeof(args), "%s %s", a, b);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 regressed: performance/end_to_end/e2e_latency_p99_ms "
                                       "+50.0%"));
    /* a generous tolerance for that figure alone lets it pass */
    snprintf(args, sizeof(args), "--tolerance 'e2e_latency_p99_ms=60%%' %s %s", a, b);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 0);
    snprintf(args, sizeof(args), "--tolerance 60%% %s %s", a, b);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 0);
    /* the same move the other way is an improvement, not a failure */
    snprintf(args, sizeof(args), "%s %s", b, a);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "improved"));
    /* --json says the same */
    snprintf(args, sizeof(args), "--json %s %s", a, b);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 1);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "status", ""), "regressed");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "format", ""), "wsb-compare");
    int seen = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "figures"))
    {
        if (strcmp(wjson_str(f, "name", ""), "performance/end_to_end/e2e_latency_p99_ms") != 0)
            continue;
        seen = 1;
        CU_ASSERT_STRING_EQUAL(wjson_str(f, "verdict", ""), "regressed");
        CU_ASSERT_STRING_EQUAL(wjson_str(f, "better", ""), "lower");
        CU_ASSERT_DOUBLE_EQUAL(wjson_num(f, "change_pct", 0), 50.0, 1e-9);
    }
    CU_ASSERT(seen);
    cJSON_Delete(j);
}

static void test_other_regressions(void)
{
    const char *a = write_run("ref2", &reference);
    doctor d = reference;
    d.rate = 150; /* a rate fell by 25 % */
    compare_result *r = compare(a, write_run("lower_rate", &d), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->nregressed, 1);
    CU_ASSERT_EQUAL(find(r, "performance/end_to_end/delivered_rate")->verdict,
                    COMPARE_REGRESSED);
    compare_result_free(r);

    d = reference;
    d.hist_scale = 1.3; /* only the histogram moved */
    r = compare(a, write_run("slow_hist", &d), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(find(r, "performance/e2e_latency.p99")->verdict, COMPARE_REGRESSED);
    CU_ASSERT_EQUAL(find(r, "performance/end_to_end/e2e_latency_p99_ms")->verdict, COMPARE_SAME);
    compare_result_free(r);
    compare_opts o;
    compare_opts_init(&o);
    char err[256];
    CU_ASSERT_EQUAL(compare_opts_ignore(&o, "e2e_latency.*", err, sizeof(err)), 0);
    r = compare(a, write_run("slow_hist", &d), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->nregressed, 0);
    CU_ASSERT_PTR_NULL(find(r, "performance/e2e_latency.p99"));
    compare_result_free(r);

    d = reference;
    d.fail_suite = 1;
    char out[16384], args[600];
    snprintf(args, sizeof(args), "%s %s", a, write_run("failing", &d));
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "suite connectivity passed -> failed"));

    /* +100 % but 0.5 ms: under the 1 ms floor; judged when the floor is 0 */
    d = reference;
    d.handshake_ms = 1.0;
    const char *b = write_run("handshake", &d);
    r = compare(a, b, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->nregressed, 0);
    compare_result_free(r);
    o.nignore = 0;
    o.floor_ms = 0;
    r = compare(a, b, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(find(r, "connectivity/handshake/handshake_ms")->verdict, COMPARE_REGRESSED);
    compare_result_free(r);
}

static void test_one_sided_figures_listed(void)
{
    const char *a = write_run("ref3", &reference);
    doctor d = reference;
    d.extra_metric = 1;
    const char *b = write_run("extra", &d);
    compare_result *r = compare(a, b, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->nregressed, 0);
    CU_ASSERT_EQUAL_FATAL(r->nonly_new, 1);
    CU_ASSERT_STRING_EQUAL(r->only_new[0], "performance/end_to_end/only_here_ms");
    CU_ASSERT_PTR_NULL(find(r, "performance/end_to_end/only_here_ms"));
    compare_result_free(r);
    char out[16384], args[600];
    snprintf(args, sizeof(args), "%s %s", b, a);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 0);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(out, "only in OLD (not compared, 1): performance/end_to_end/only_here_ms"));
}

static void test_bad_directories_refused(void)
{
    const char *a = write_run("ref4", &reference);
    char out[16384], args[600], p[300];
    snprintf(args, sizeof(args), "%s/nope %s", dir, a);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "OLD "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nope: No such file or directory"));

    snprintf(p, sizeof(p), "%s/empty", dir);
    char err[256];
    results_mkdirs(p, err, sizeof(err));
    snprintf(args, sizeof(args), "%s %s", a, p);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "NEW "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "is not a result directory"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "test_summary.json"));

    snprintf(p, sizeof(p), "%s/empty/test_summary.json", dir);
    testkit_write_file(p, "{\"version\": 2, \"suites\": 3}");
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/suites: must be an array"));

    /* a broken histogram is named, not skipped */
    const char *b = write_run("broken_hist", &reference);
    snprintf(p, sizeof(p), "%s/metrics/performance_e2e_latency.json", b);
    testkit_write_file(p, "{\"format\": \"wsb-histogram\", \"version\": 1}");
    snprintf(args, sizeof(args), "%s %s", a, b);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "performance_e2e_latency.json"));

    CU_ASSERT_EQUAL(run_cli(a, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "expected OLD_DIR NEW_DIR"));
    snprintf(args, sizeof(args), "--tolerance ten %s %s", a, a);
    CU_ASSERT_EQUAL(run_cli(args, out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--tolerance"));
}

static CU_TestInfo tests[] = {
    {"directions", test_directions},
    {"identical_runs_pass", test_identical_runs_pass},
    {"doctored_latency_regresses", test_doctored_latency_regresses},
    {"other_regressions", test_other_regressions},
    {"one_sided_figures_listed", test_one_sided_figures_listed},
    {"bad_directories_refused", test_bad_directories_refused},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"compare", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    if (!testkit_mkdtemp(dir, sizeof(dir), "wsb-compare"))
        return 2;
    int rc = testkit_run(suites, NULL);
    if (!rc)
        testkit_rmtree(dir);
    return rc;
}
