/* test_runner: CUnit tests of the runner (harness/runner/) with tiny fake suites: pass,
 * fail, skip, crash (abort) and hang (watchdog), a suite skipped from its
 * init, one whose init fails, one not built, the environment proxy (a suite
 * child's envdriver calls carried out by the parent's driver), --test
 * filters, selection by RUN_* variables, an interrupted run, and what lands
 * in test_summary.json, junit.xml, test_report.md and the suite logs.
 *
 * CUnit cannot start a registry in a child forked while one of its tests
 * runs (it asserts), so main() performs the runs first, into temporary
 * result directories, and the CUnit tests then check what they produced. */
#include "runner.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "env_fake.h"
#include "profiles.h"
#include "histogram.h"
#include "jwt.h"
#include "results.h"
#include "wclock.h"
#include "wjson.h"
#include "testkit.h"

/* ---- a fake environment driver (lives in the parent; see env_fake.h) ---- */

static env_fake_calls fake_calls;
static envdriver *fake_env;

/* ---- fake suites (their tests run in suite children) ---- */

static void t_pass_metric(void)
{
    suite_log("hello from pass_metric");
    suite_metric("latency_p99", 1.25, "ms");
    CU_ASSERT(1);
}

static void t_histogram(void)
{
    histogram *h = histogram_new();
    for (int i = 1; i <= 1000; i++)
        histogram_record_us(h, i);
    CU_ASSERT_EQUAL(suite_histogram("e2e", h), 0);
    histogram_free(h);
}

static void t_fail_twice(void)
{
    CU_ASSERT_EQUAL(1, 2);
    CU_ASSERT_STRING_EQUAL("seq 5", "seq 6");
}

static void t_skip(void)
{
    suite_skip("needs a %s", "status endpoint");
}

static void t_crash(void)
{
    abort();
}

static void t_after_crash(void)
{
    suite_metric("ran_after_crash", 1, "");
    CU_ASSERT(1);
}

static void t_env(void)
{
    const suite_ctx *c = suite_get();
    CU_ASSERT_PTR_NOT_NULL_FATAL(c->env);
    CU_ASSERT_STRING_EQUAL(c->suite_name, "alpha");
    CU_ASSERT_STRING_EQUAL(c->profile.name, "short");
    CU_ASSERT_STRING_EQUAL(envdriver_dashboard_url(c->env), "ws://127.0.0.1:1234");
    char err[256];
    CU_ASSERT_EQUAL(envdriver_kill(c->env, ENV_BOT, SIGUSR1, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(envdriver_kill(c->env, ENV_PROXY, SIGUSR1, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "no proxy here");
    env_stats st = {0};
    CU_ASSERT_EQUAL(envdriver_stats(c->env, ENV_DASHBOARD, &st, err, sizeof(err)), 0);
    CU_ASSERT_DOUBLE_EQUAL(st.cpu_percent, 12.5, 1e-9);
    CU_ASSERT_EQUAL(st.mem_bytes, 4096);
    /* the parent's URL change reaches the child */
    CU_ASSERT_EQUAL(envdriver_start(c->env, ENV_DASHBOARD, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(envdriver_dashboard_url(c->env), "ws://127.0.0.1:5678");
    /* what the real driver lacks, the proxy lacks too */
    CU_ASSERT_EQUAL(envdriver_pause(c->env, ENV_BOT, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not supported by the fake driver"));
    CU_ASSERT_EQUAL(envdriver_has(c->env, ENV_CAP_PROCESS), 1);
    /* tokens minted from the run's secret */
    jwt_claims cl;
    char *tok = suite_token("publisher", NULL, 60);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_EQUAL(jwt_verify(tok, "runner-secret", 0, &cl, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(cl.sub, "bot-1");
    CU_ASSERT_STRING_EQUAL(cl.role, "publisher");
    free(tok);
    tok = suite_token("subscriber", NULL, 60);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_EQUAL(jwt_verify(tok, "runner-secret", 0, &cl, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(cl.sub, "wsb-harness");
    free(tok);
    tok = suite_token("subscriber", "viewer-7", -10); /* expired on purpose */
    CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
    CU_ASSERT_EQUAL(jwt_verify(tok, "runner-secret", 0, &cl, err, sizeof(err)), -1);
    free(tok);
}

static void t_hang(void)
{
    for (;;)
        poll(NULL, 0, 1000);
}

static void t_never(void)
{
    CU_ASSERT(1);
}

static void t_interrupt(void)
{
    kill(getppid(), SIGUSR1);
    for (;;)
        poll(NULL, 0, 1000);
}

static int init_skip(void)
{
    suite_skip("the system under test has no status endpoint");
    return 1;
}

static int init_fail(void)
{
    suite_log("init: cannot reach anything");
    return -1;
}

static CU_TestInfo alpha_tests[] = {
    {"pass_metric", t_pass_metric},
    {"fail_twice", t_fail_twice},
    {"skip", t_skip},
    {"crash", t_crash},
    {"after_crash", t_after_crash},
    {"env", t_env},
    {"histogram", t_histogram},
    CU_TEST_INFO_NULL,
};
static CU_TestInfo beta_tests[] = {
    {"first", t_never},
    {"hang", t_hang},
    {"third", t_never},
    CU_TEST_INFO_NULL,
};
static CU_TestInfo delta_tests[] = {{"d1", t_never}, {"d2", t_never}, CU_TEST_INFO_NULL};
static CU_TestInfo eps_tests[] = {{"e1", t_never}, CU_TEST_INFO_NULL};
static CU_TestInfo ok_tests[] = {{"ok1", t_never}, {"ok2", t_pass_metric}, CU_TEST_INFO_NULL};
static CU_TestInfo intr_tests[] = {{"i1", t_interrupt}, {"i2", t_never}, CU_TEST_INFO_NULL};

static const suite_def alpha = {"alpha", "mixed outcomes", NULL, NULL, alpha_tests};
static const suite_def beta = {"beta", "a hang", NULL, NULL, beta_tests};
static const suite_def delta = {"delta", "skipped from init", init_skip, NULL, delta_tests};
static const suite_def epsilon = {"epsilon", "init fails", init_fail, NULL, eps_tests};
static const suite_def okay = {"okay", "all pass", NULL, NULL, ok_tests};
static const suite_def intr = {"intr", "interrupted", NULL, NULL, intr_tests};

static const runner_entry mixed_table[] = {
    {"alpha", &alpha}, {"beta", &beta}, {"gamma", NULL}, {"delta", &delta}, {"epsilon", &epsilon},
};
static const runner_entry ok_table[] = {{"okay", &okay}, {"gamma", NULL}};
static const runner_entry intr_table[] = {{"intr", &intr}, {"okay", &okay}};

/* ---- the runs, done by main() before CUnit starts ---- */

static volatile sig_atomic_t got_intr;

static void on_usr1(int sig)
{
    (void)sig;
    got_intr = 1;
}

typedef struct run_out {
    char dir[64];
    int rc;
    double wall;
    FILE *console;
    char *console_text;
    size_t console_len;
} run_out;

static run_out mixed, okrun, explicit_na, filtered, interrupted, testhang;
static double test_timeout; /* for the next do_run */
static double slow = 1.0;   /* timeouts and bounds x5 under valgrind (WSB_VALGRIND) */

static void do_run(run_out *ro, const runner_entry *t, size_t n, const runner_selection *sel,
                   const char *const *tests, size_t ntests, double timeout)
{
    if (!testkit_mkdtemp(ro->dir, sizeof(ro->dir), "wsb-runner")) {
        perror("mkdtemp");
        exit(2);
    }
    ro->console = open_memstream(&ro->console_text, &ro->console_len);
    runner_opts o = {0};
    o.results_dir = ro->dir;
    o.tests = tests;
    o.ntests = ntests;
    o.suite_timeout_s = timeout;
    o.test_timeout_s = test_timeout;
    o.console = ro->console;
    o.ctx.env = fake_env;
    o.ctx.profile.name = "short";
    o.ctx.bot_source = "bot-1";
    o.ctx.jwt_secret = "runner-secret";
    o.interrupted = &got_intr;
    results_run *run = results_run_new("fake", "short", ro->dir);
    double t0 = wclock_mono_s();
    ro->rc = runner_run(t, n, sel, &o, run);
    ro->wall = wclock_mono_s() - t0;
    results_run_free(run);
    fclose(ro->console);
}

static results_run *load(const run_out *ro)
{
    char p[128], err[256];
    snprintf(p, sizeof(p), "%s/test_summary.json", ro->dir);
    results_run *r = results_read_summary(p, err, sizeof(err));
    if (!r)
        printf("\n%s\n", err);
    return r;
}

static char *slurp(const run_out *ro, const char *name)
{
    char p[256], err[256];
    snprintf(p, sizeof(p), "%s/%s", ro->dir, name);
    return wjson_read_file(p, NULL, err, sizeof(err));
}

static const results_suite *find_suite(const results_run *r, const char *name)
{
    for (size_t i = 0; i < r->nsuites; i++)
        if (strcmp(r->suites[i].name, name) == 0)
            return &r->suites[i];
    return NULL;
}

static const results_test *find_test(const results_suite *s, const char *name)
{
    for (size_t i = 0; s && i < s->ntests; i++)
        if (strcmp(s->tests[i].name, name) == 0)
            return &s->tests[i];
    return NULL;
}

/* ---- the CUnit tests ---- */

static void test_mixed_statuses(void)
{
    CU_ASSERT_EQUAL(mixed.rc, 1);
    results_run *r = load(&mixed);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const results_suite *a = find_suite(r, "alpha");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(a->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL(a->ntests, 7);
    const results_test *ht = find_test(a, "histogram");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ht);
    CU_ASSERT_EQUAL(ht->status, RESULTS_PASSED);
    CU_ASSERT_EQUAL_FATAL(ht->nmetrics, 6);
    CU_ASSERT_STRING_EQUAL(ht->metrics[0].name, "e2e_p50_us");
    CU_ASSERT(fabs(ht->metrics[0].value - 500) <= 0.5);
    CU_ASSERT_STRING_EQUAL(ht->metrics[4].name, "e2e_max_us");
    CU_ASSERT_DOUBLE_EQUAL(ht->metrics[4].value, 1000, 1e-9);
    char hp[128], herr[256];
    snprintf(hp, sizeof(hp), "%s/metrics/alpha_e2e.json", mixed.dir);
    histogram *saved = histogram_read_file(hp, herr, sizeof(herr));
    CU_ASSERT_PTR_NOT_NULL(saved);
    if (saved)
        CU_ASSERT_EQUAL(histogram_count(saved), 1000);
    histogram_free(saved);
    const results_test *t = find_test(a, "pass_metric");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, RESULTS_PASSED);
    CU_ASSERT_EQUAL_FATAL(t->nmetrics, 1);
    CU_ASSERT_STRING_EQUAL(t->metrics[0].name, "latency_p99");
    CU_ASSERT_DOUBLE_EQUAL(t->metrics[0].value, 1.25, 1e-12);
    CU_ASSERT_STRING_EQUAL(t->metrics[0].unit, "ms");

    t = find_test(a, "fail_twice");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL_FATAL(t->nfailures, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(t->failures[0], "test_runner.c:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t->failures[0], "CU_ASSERT_EQUAL(1,2)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t->failures[1], "seq 6"));

    t = find_test(a, "skip");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, RESULTS_SKIPPED);
    CU_ASSERT_STRING_EQUAL(t->skip_reason, "needs a status endpoint");

    t = find_test(a, "crash");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL_FATAL(t->nfailures, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(t->failures[0], "crashed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t->failures[0], "signal 6"));

    /* the child was started again after the crash */
    t = find_test(a, "after_crash");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, RESULTS_PASSED);
    t = find_test(a, "env");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, RESULTS_PASSED);
    for (size_t i = 0; i < t->nfailures; i++)
        printf("\nenv: %s", t->failures[i]);
    results_run_free(r);
}

static void test_env_proxy_reached_parent(void)
{
    CU_ASSERT_EQUAL(fake_calls.kills, 1);
    CU_ASSERT_EQUAL(fake_calls.last_sig, SIGUSR1);
    CU_ASSERT_EQUAL(fake_calls.last_service, ENV_BOT);
    CU_ASSERT_EQUAL(fake_calls.starts, 1);
    /* the parent's driver holds the change the child asked for */
    CU_ASSERT_STRING_EQUAL(envdriver_dashboard_url(fake_env), "ws://127.0.0.1:5678");
}

static void test_hang_watchdog(void)
{
    results_run *r = load(&mixed);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const results_suite *b = find_suite(r, "beta");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(b->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL(find_test(b, "first")->status, RESULTS_PASSED);
    const results_test *h = find_test(b, "hang");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(h->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL_FATAL(h->nfailures, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(h->failures[0], "hung"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h->failures[0], "watchdog"));
    const results_test *third = find_test(b, "third");
    CU_ASSERT_PTR_NOT_NULL_FATAL(third);
    CU_ASSERT_EQUAL(third->status, RESULTS_SKIPPED);
    CU_ASSERT_PTR_NOT_NULL(strstr(third->skip_reason, "watchdog"));
    CU_ASSERT(b->nmessages >= 1);
    /* the watchdog is 2 s: the suite must not have run much longer */
    CU_ASSERT(b->duration_s >= 1.9 * slow && b->duration_s < 5.0 * slow);
    results_run_free(r);
}

static void test_init_skip_fail_and_not_available(void)
{
    results_run *r = load(&mixed);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const results_suite *g = find_suite(r, "gamma");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(g->status, RESULTS_NOT_AVAILABLE);
    CU_ASSERT_EQUAL(g->available, 0);
    const results_suite *d = find_suite(r, "delta");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    /* every test skipped: nothing was checked, and that fails the run */
    CU_ASSERT_EQUAL(d->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL(d->nothing_checked, 1);
    CU_ASSERT_EQUAL(d->ntests, 2);
    CU_ASSERT_STRING_EQUAL(find_test(d, "d2")->skip_reason,
                           "the system under test has no status endpoint");
    const results_suite *e = find_suite(r, "epsilon");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL_FATAL(e->nmessages, 1);
    CU_ASSERT_EQUAL_FATAL(e->ntests, 1);
    CU_ASSERT_EQUAL(e->tests[0].status, RESULTS_SKIPPED);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->tests[0].skip_reason, "not run"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e->messages[0], "initialisation failed"));
    results_run_free(r);
}

static void test_summary_json_shape(void)
{
    char *t = slurp(&mixed, "test_summary.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    char err[512];
    cJSON *j = wjson_parse(t, strlen(t), 64, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "version")->valuedouble, RESULTS_FORMAT_VERSION);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "status")->valuestring, "failed");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "exit_code")->valuedouble, 1);
    cJSON *tot = cJSON_GetObjectItem(j, "totals");
    /* alpha 7 + beta 3 + delta 2 + epsilon 1 (not run) */
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(tot, "tests")->valuedouble, 13);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(tot, "not_available")->valuedouble, 1);
    int vrc = testkit_schema_check("harness/results/schemas/test_summary.json", t, err, sizeof(err));
    if (vrc)
        printf("\nschema: %s\n", err);
    CU_ASSERT_EQUAL(vrc, 0);
    cJSON_Delete(j);
    free(t);
}

static void test_junit(void)
{
    char *x = slurp(&mixed, "junit.xml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<?xml version=\"1.0\""));
    /* 7 tests and the suite itself, which crashed once */
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<testsuite name=\"alpha\" tests=\"8\" failures=\"3\" "
                                     "errors=\"0\" skipped=\"1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<skipped message=\"needs a status endpoint\"/>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "name=\"fail_twice\""));
    /* quotes in a failure message are escaped */
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "&quot;seq 5&quot;"));
    CU_ASSERT_PTR_NULL(strstr(x, "\"seq 5\""));
    /* the not available suite is one skipped case */
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<testsuite name=\"gamma\" tests=\"1\" failures=\"0\" "
                                     "errors=\"0\" skipped=\"1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<skipped message=\"suite not available in this build\"/>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "</testsuites>"));
    free(x);
}

static void test_report_and_logs(void)
{
    char *md = slurp(&mixed, "test_report.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| alpha | **FAIL** | 7 | 4 | 2 | 1 |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| alpha | pass_metric | latency_p99 | 1.25 | ms |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "not built yet"));
    free(md);
    char *log = slurp(&mixed, "alpha.log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "hello from pass_metric"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "SKIP: needs a status endpoint"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "restarting the suite after the crash"));
    free(log);
    char *elog = slurp(&mixed, "epsilon.log");
    CU_ASSERT_PTR_NOT_NULL_FATAL(elog);
    CU_ASSERT_PTR_NOT_NULL(strstr(elog, "init: cannot reach anything"));
    free(elog);
    char *mj = slurp(&mixed, "metrics/alpha.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mj);
    CU_ASSERT_PTR_NOT_NULL(strstr(mj, "\"latency_p99\""));
    free(mj);
    /* plain console lines (not a TTY) */
    CU_ASSERT_PTR_NOT_NULL(strstr(mixed.console_text, "[alpha] fail_twice"));
    CU_ASSERT_PTR_NULL(strstr(mixed.console_text, "\r"));
}

static void test_all_pass_exit_zero(void)
{
    CU_ASSERT_EQUAL(okrun.rc, 0);
    results_run *r = load(&okrun);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(find_suite(r, "okay")->status, RESULTS_PASSED);
    CU_ASSERT_EQUAL(find_suite(r, "gamma")->status, RESULTS_NOT_AVAILABLE);
    results_run_free(r);
    /* asked for explicitly, the missing suite fails the run */
    CU_ASSERT_EQUAL(explicit_na.rc, 1);
    r = load(&explicit_na);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(find_suite(r, "gamma")->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL(find_suite(r, "okay"), NULL);
    results_run_free(r);
}

static void test_filter(void)
{
    CU_ASSERT_EQUAL(filtered.rc, 0);
    results_run *r = load(&filtered);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL_FATAL(r->nsuites, 1);
    CU_ASSERT_STRING_EQUAL(r->suites[0].name, "alpha");
    CU_ASSERT_EQUAL_FATAL(r->suites[0].ntests, 2);
    CU_ASSERT_STRING_EQUAL(r->suites[0].tests[0].name, "pass_metric");
    CU_ASSERT_STRING_EQUAL(r->suites[0].tests[1].name, "after_crash");
    results_run_free(r);
}

static void test_interrupt(void)
{
    CU_ASSERT_EQUAL(interrupted.rc, 1);
    CU_ASSERT(interrupted.wall < 5.0 * slow);
    results_run *r = load(&interrupted);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->interrupted, 1);
    CU_ASSERT_EQUAL_FATAL(r->nsuites, 1); /* the second suite never started */
    const results_test *t = find_test(&r->suites[0], "i1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL_FATAL(t->nfailures, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(t->failures[0], "interrupted"));
    results_run_free(r);
}

static void test_test_timeout(void)
{
    CU_ASSERT_EQUAL(testhang.rc, 1);
    CU_ASSERT(testhang.wall < 8.0 * slow);
    results_run *r = load(&testhang);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const results_suite *b = find_suite(r, "beta");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    const results_test *h = find_test(b, "hang");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(h->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL_FATAL(h->nfailures, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(h->failures[0], "test timeout of "));
    CU_ASSERT(h->duration_s >= 0.9 * slow && h->duration_s < 4.0 * slow);
    /* the suite went on with the next test */
    const results_test *third = find_test(b, "third");
    CU_ASSERT_PTR_NOT_NULL_FATAL(third);
    CU_ASSERT_EQUAL(third->status, RESULTS_PASSED);
    results_run_free(r);
}

/* --max-message and --expect-capacity: read, bounded, and the capacity
 * becomes the ramp's ceiling (WSB_EXPECT_CAPACITY too) */
static int parse_args(cli_opts *o, const char *a1, const char *v1, const char *a2,
                      const char *v2)
{
    char *argv[] = {"wsb-harness", (char *)a1, (char *)v1, (char *)a2, (char *)v2, NULL};
    optind = 0; /* getopt starts over */
    return cli_parse(a2 ? 5 : 3, argv, o);
}

static void test_cli_limits(void)
{
    cli_opts o;
    unsetenv("WSB_MAX_MESSAGE");
    CU_ASSERT_EQUAL(parse_args(&o, "--max-message", "1024", "--expect-capacity", "300"), -1);
    CU_ASSERT_EQUAL(o.max_message, 1024);
    CU_ASSERT_EQUAL(o.expect_capacity, 300);
    CU_ASSERT_EQUAL(parse_args(&o, "--max-message", "0", NULL, NULL), 2);
    CU_ASSERT_EQUAL(parse_args(&o, "--expect-capacity", "many", NULL, NULL), 2);
    setenv("WSB_MAX_MESSAGE", "2048", 1);
    CU_ASSERT_EQUAL(parse_args(&o, "--expect-capacity", "7", NULL, NULL), -1);
    CU_ASSERT_EQUAL(o.max_message, 2048);
    unsetenv("WSB_MAX_MESSAGE");
    suite_profile p;
    setenv("WSB_EXPECT_CAPACITY", "1234", 1);
    CU_ASSERT_EQUAL(profiles_make("short", &p), 0);
    CU_ASSERT_EQUAL(p.ramp_ceiling, 1234);
    unsetenv("WSB_EXPECT_CAPACITY");
}

static void test_select(void)
{
    static const runner_entry tbl[] = {{"connectivity", &okay}, {"load_tests", NULL}};
    runner_selection sel[2];
    char err[256];
    unsetenv("RUN_CONNECTIVITY");
    unsetenv("RUN_LOAD_TESTS");
    CU_ASSERT_EQUAL(runner_select(tbl, 2, NULL, 0, sel, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(sel[0], RUNNER_DEFAULT);
    CU_ASSERT_EQUAL(sel[1], RUNNER_DEFAULT);
    setenv("RUN_CONNECTIVITY", "false", 1);
    setenv("RUN_LOAD_TESTS", "true", 1);
    CU_ASSERT_EQUAL(runner_select(tbl, 2, NULL, 0, sel, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(sel[0], RUNNER_UNSELECTED);
    CU_ASSERT_EQUAL(sel[1], RUNNER_EXPLICIT);
    setenv("RUN_LOAD_TESTS", "maybe", 1);
    CU_ASSERT_EQUAL(runner_select(tbl, 2, NULL, 0, sel, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "RUN_LOAD_TESTS"));
    unsetenv("RUN_CONNECTIVITY");
    unsetenv("RUN_LOAD_TESTS");
    const char *names[] = {"load_tests"};
    CU_ASSERT_EQUAL(runner_select(tbl, 2, names, 1, sel, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(sel[0], RUNNER_UNSELECTED);
    CU_ASSERT_EQUAL(sel[1], RUNNER_EXPLICIT);
    const char *bad[] = {"nope"};
    CU_ASSERT_EQUAL(runner_select(tbl, 2, bad, 1, sel, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown suite \"nope\""));

    const char *pats[] = {"conn*/hand*", "ping"};
    CU_ASSERT_TRUE(runner_test_matches("connectivity", "handshake", pats, 2));
    CU_ASSERT_TRUE(runner_test_matches("connectivity", "ping", pats, 2));
    CU_ASSERT_FALSE(runner_test_matches("connectivity", "pong", pats, 2));
    CU_ASSERT_FALSE(runner_test_matches("message_flow", "handshake", pats, 2));
    CU_ASSERT_TRUE(runner_test_matches("x", "y", NULL, 0));
}

static CU_TestInfo tests[] = {
    {"mixed_statuses", test_mixed_statuses},
    {"env_proxy_reached_parent", test_env_proxy_reached_parent},
    {"hang_watchdog", test_hang_watchdog},
    {"init_skip_fail_and_not_available", test_init_skip_fail_and_not_available},
    {"summary_json_shape", test_summary_json_shape},
    {"junit", test_junit},
    {"report_and_logs", test_report_and_logs},
    {"all_pass_exit_zero", test_all_pass_exit_zero},
    {"filter", test_filter},
    {"interrupt", test_interrupt},
    {"test_timeout", test_test_timeout},
    {"select", test_select},
    {"cli_limits", test_cli_limits},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"runner", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore); /* the crash test aborts */
    signal(SIGUSR1, on_usr1);
    if (getenv("WSB_VALGRIND"))
        slow = 5.0;
    fake_env = env_fake_new("ws://127.0.0.1:1234", &fake_calls);
    if (!fake_env)
        return 2;

    runner_selection all5[5] = {RUNNER_DEFAULT, RUNNER_DEFAULT, RUNNER_DEFAULT, RUNNER_DEFAULT,
                                RUNNER_DEFAULT};
    do_run(&mixed, mixed_table, 5, all5, NULL, 0, 2.0 * slow);
    runner_selection two[2] = {RUNNER_DEFAULT, RUNNER_DEFAULT};
    do_run(&okrun, ok_table, 2, two, NULL, 0, 10.0);
    runner_selection na_only[2] = {RUNNER_UNSELECTED, RUNNER_EXPLICIT};
    do_run(&explicit_na, ok_table, 2, na_only, NULL, 0, 10.0);
    const char *pats[] = {"alpha/pass*", "after_crash"};
    runner_selection alpha_beta[5] = {RUNNER_DEFAULT, RUNNER_DEFAULT, RUNNER_UNSELECTED,
                                      RUNNER_UNSELECTED, RUNNER_UNSELECTED};
    do_run(&filtered, mixed_table, 5, alpha_beta, pats, 2, 10.0);
    runner_selection beta_only[5] = {RUNNER_UNSELECTED, RUNNER_DEFAULT, RUNNER_UNSELECTED,
                                     RUNNER_UNSELECTED, RUNNER_UNSELECTED};
    test_timeout = 1.0 * slow;
    do_run(&testhang, mixed_table, 5, beta_only, NULL, 0, 20.0);
    test_timeout = 0;
    do_run(&interrupted, intr_table, 2, two, NULL, 0, 10.0);

    int rc = testkit_run(suites, NULL);
    run_out *all[] = {&mixed, &okrun, &explicit_na, &filtered, &interrupted, &testhang};
    for (size_t i = 0; i < 6; i++) {
        if (rc)
            printf("kept %s for inspection\n", all[i]->dir);
        else
            testkit_rmtree(all[i]->dir);
        free(all[i]->console_text);
    }
    envdriver_free(fake_env);
    return rc;
}
