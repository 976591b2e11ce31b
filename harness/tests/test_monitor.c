/* test_monitor: CUnit tests of `wsb-harness monitor` against the real
 * wsb-dashboard and wsb-bot started here: a round's verdicts and figures on
 * /metrics (and the text passes `promtool check metrics`), SIGTERM between
 * and during rounds (exit 0, the round's process gone), --count and --keep
 * (only the monitor's own oldest round directories are deleted); and
 * against faulty peers: a system that is not there and a round that runs
 * past --round-timeout are failed rounds on /metrics. Every metric the
 * alert rules (monitoring/alerts.yml) use is exported by one of the real
 * services or the monitor. Also the metrics text
 * of a hand-made run (label escaping, latency in seconds) and usage errors. */
#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"
#include "monitor_metrics.h"
#include "promtext.h"
#include "results.h"
#include "testkit.h"

#define SECRET "test-monitor-secret"
#define ROUND_WAIT_MS 120000 /* a connectivity round on a loaded machine */

static char dir[64];
static char dash_url[64], bot_url[64];
static spawn_proc dash, bot;

static int start_system(void)
{
    char prog[256], journal[128], err[1024];
    snprintf(journal, sizeof(journal), "%s/journal", dir);
    testkit_bin_path("wsb-dashboard", prog, sizeof(prog));
    char *dargv[] = {prog, "--host", "127.0.0.1", "--port", "0", "--jwt-secret", SECRET,
                     "--journal", journal, "--schemas", "schemas", NULL};
    char log[128];
    snprintf(log, sizeof(log), "%s/dashboard.log", dir);
    int dport = testkit_start_server(&dash, dargv, log, "listening on port ", 15000, err,
                                     sizeof(err));
    if (dport < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(dash_url, sizeof(dash_url), "ws://127.0.0.1:%d", dport);
    char bprog[256], url[80];
    testkit_bin_path("wsb-bot", bprog, sizeof(bprog));
    snprintf(url, sizeof(url), "%s/ws", dash_url);
    char *bargv[] = {bprog, "--url", url, "--jwt-secret", SECRET, "--status-port", "0",
                     "--rate", "50", NULL};
    snprintf(log, sizeof(log), "%s/bot.log", dir);
    int bport = testkit_start_server(&bot, bargv, log, "status on port ", 15000, err,
                                     sizeof(err));
    if (bport < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(bot_url, sizeof(bot_url), "http://127.0.0.1:%d", bport);
    return 0;
}

/* Starts the monitor with the given options after the common ones; its
 * metrics port, or -1. */
static int start_monitor(spawn_proc *p, const char *name, const char *const extra[])
{
    static char prog[256], base[128], log[128];
    testkit_bin_path("wsb-harness", prog, sizeof(prog));
    snprintf(base, sizeof(base), "%s/%s", dir, name);
    snprintf(log, sizeof(log), "%s/%s.log", dir, name);
    char *argv[40];
    int n = 0;
    argv[n++] = prog;
    argv[n++] = "monitor";
    argv[n++] = "--metrics-port";
    argv[n++] = "0";
    argv[n++] = "--results-base";
    argv[n++] = base;
    argv[n++] = "--profile";
    argv[n++] = "short";
    argv[n++] = "--jwt-secret";
    argv[n++] = SECRET;
    for (int i = 0; extra[i] && n < 39; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    char err[1024];
    int port = testkit_start_server(p, argv, log, "metrics on port ", 15000, err, sizeof(err));
    if (port < 0)
        fprintf(stderr, "%s\n", err);
    return port;
}

/* GETs /metrics until wsb_monitor_rounds_total reaches rounds; the parsed
 * metrics (and the text in *text when given), or NULL after ROUND_WAIT_MS. */
static promtext *wait_rounds(int port, double rounds, char **text)
{
    char url[80], err[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
    for (int waited = 0; waited < ROUND_WAIT_MS; waited += 200) {
        httpc_response r;
        if (httpc_get(url, 5000, &r, err, sizeof(err)) == 0 && r.status == 200) {
            promtext *m = promtext_parse(r.body, err, sizeof(err));
            double v = 0;
            if (m && promtext_get(m, "wsb_monitor_rounds_total", &v) == 0 && v >= rounds) {
                if (text)
                    *text = r.body;
                else
                    httpc_response_free(&r);
                return m;
            }
            promtext_free(m);
            httpc_response_free(&r);
        }
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static double get(const promtext *m, const char *key)
{
    double v = -1;
    if (promtext_get(m, key, &v) < 0)
        fprintf(stderr, "no %s in /metrics\n", key);
    return v;
}

/* promtool check metrics on text: its exit status, its complaints on stderr. */
static int promtool_check(const char *text)
{
    char path[128], cmd[300];
    snprintf(path, sizeof(path), "%s/metrics.txt", dir);
    testkit_write_file(path, text);
    snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Stops the monitor with SIGTERM; its exit code (-1 when it did not end in 20 s). */
static int term(spawn_proc *p)
{
    spawn_signal(p, SIGTERM);
    if (!spawn_wait(p, 20000)) {
        spawn_stop(p, SIGKILL, 2000);
        return -1;
    }
    return spawn_exit_code(p);
}


/* Every wsbridge_* and wsb_monitor_* name monitoring/alerts.yml uses is
 * exported by the real dashboard, bot or monitor (a "# TYPE" line in one of
 * their /metrics): rules on a metric nobody exports would never fire. */
static void check_alert_names(const char *monitor_text)
{
    char url[128], err[256];
    httpc_response d = {0}, b = {0};
    snprintf(url, sizeof(url), "http://%s/metrics", dash_url + strlen("ws://"));
    CU_ASSERT_EQUAL_FATAL(httpc_get(url, 5000, &d, err, sizeof(err)), 0);
    snprintf(url, sizeof(url), "%s/metrics", bot_url);
    CU_ASSERT_EQUAL_FATAL(httpc_get(url, 5000, &b, err, sizeof(err)), 0);
    FILE *f = fopen("monitoring/alerts.yml", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[1024];
    int names = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "summary:") || strstr(line, "description:") || line[0] == '#')
            continue;
        for (char *p = line; (p = strstr(p, "wsb")) != NULL;) {
            size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_0123456789");
            char name[128], type[160];
            snprintf(name, sizeof(name), "%.*s", (int)n, p);
            p += n;
            if (strncmp(name, "wsbridge_", 9) != 0 && strncmp(name, "wsb_monitor_", 12) != 0)
                continue;
            snprintf(type, sizeof(type), "# TYPE %s ", name);
            int found = strstr(d.body, type) || strstr(b.body, type) || strstr(monitor_text, type);
            if (!found)
                fprintf(stderr, "alerts.yml uses %s, which nobody exports\n", name);
            CU_ASSERT(found);
            names++;
        }
    }
    fclose(f);
    CU_ASSERT(names >= 10);
    httpc_response_free(&d);
    httpc_response_free(&b);
}

static void test_round_on_metrics(void)
{
    spawn_proc p;
    const char *extra[] = {"--every", "1h", "--suite", "connectivity", "--dashboard-url",
                           dash_url, "--bot-status-url", bot_url, NULL};
    int port = start_monitor(&p, "one", extra);
    CU_ASSERT_FATAL(port > 0);
    char *text = NULL;
    promtext *m = wait_rounds(port, 1, &text);
    CU_ASSERT_PTR_NOT_NULL(m);
    if (m) {
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_run_passed"), 1);
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_suite_passed{suite=\"connectivity\"}"), 1);
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_rounds_failed_total"), 0);
        CU_ASSERT(get(m, "wsb_monitor_tests{suite=\"connectivity\",status=\"passed\"}") >= 5);
        CU_ASSERT(get(m, "wsb_monitor_figure{suite=\"connectivity\",test=\"handshake\","
                         "figure=\"handshake_subscriber_ms\",unit=\"ms\"}") > 0);
        double ts = get(m, "wsb_monitor_run_timestamp_seconds");
        CU_ASSERT(ts > (double)time(NULL) - 600 && ts <= (double)time(NULL) + 1);
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_interval_seconds"), 3600);
        CU_ASSERT_EQUAL(promtool_check(text), 0);
        check_alert_names(text);
        promtext_free(m);
        free(text);
    }
    CU_ASSERT_EQUAL(term(&p), 0);
}

static void test_sigterm_during_round(void)
{
    spawn_proc p;
    /* message_flow runs for seconds: the signal comes while it runs */
    const char *extra[] = {"--every", "1h", "--suite", "message_flow", "--dashboard-url",
                           dash_url, NULL};
    CU_ASSERT_FATAL(start_monitor(&p, "term", extra) > 0);
    CU_ASSERT_FATAL(spawn_wait_line(&p, "round 1 started (pid ", 15000));
    int child = atoi(strstr(p.line, "(pid ") + 5);
    CU_ASSERT_FATAL(child > 0);
    CU_ASSERT_EQUAL(term(&p), 0);
    /* the round's process was stopped and reaped */
    errno = 0;
    CU_ASSERT(kill(child, 0) < 0 && errno == ESRCH);
}

static int count_rounds(const char *base, char names[][256], int max)
{
    DIR *d = opendir(base);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, "round_2", 7) == 0 && n < max)
            snprintf(names[n++], 256, "%s", e->d_name);
    if (d)
        closedir(d);
    return n;
}

static void test_count_and_keep(void)
{
    char base[128], decoy[200], note[200], err[256];
    snprintf(base, sizeof(base), "%s/keep", dir);
    /* what the monitor did not make stays, even when it looks like a round */
    snprintf(decoy, sizeof(decoy), "%s/round_decoy", base);
    results_mkdirs(decoy, err, sizeof(err));
    snprintf(note, sizeof(note), "%s/notes.txt", base);
    testkit_write_file(note, "mine\n");
    spawn_proc p;
    const char *extra[] = {"--every", "0.1s", "--count", "3", "--keep", "2", "--suite",
                           "connectivity", "--test", "handshake", "--dashboard-url", dash_url,
                           NULL};
    CU_ASSERT_FATAL(start_monitor(&p, "keep", extra) > 0);
    CU_ASSERT_FATAL(spawn_wait(&p, ROUND_WAIT_MS));
    CU_ASSERT_EQUAL(spawn_exit_code(&p), 0);
    char names[8][256];
    int n = count_rounds(base, names, 8);
    CU_ASSERT_EQUAL(n, 2);
    for (int i = 0; i < n; i++) { /* the newest two: round_<date>_<time>_2 and _3 */
        const char *tail = strrchr(names[i], '_');
        CU_ASSERT(tail && (strcmp(tail, "_2") == 0 || strcmp(tail, "_3") == 0));
    }
    struct stat st;
    CU_ASSERT_EQUAL(stat(decoy, &st), 0);
    CU_ASSERT_EQUAL(stat(note, &st), 0);
}

static void test_dead_system_fails(void)
{
    /* a port nothing listens on: the round fails (nothing was checked) */
    setenv("WSB_HEALTH_TIMEOUT", "1", 1);
    spawn_proc p;
    const char *extra[] = {"--every", "1h", "--suite", "connectivity", "--dashboard-url",
                           "ws://127.0.0.1:1", NULL};
    int port = start_monitor(&p, "dead", extra);
    unsetenv("WSB_HEALTH_TIMEOUT");
    CU_ASSERT_FATAL(port > 0);
    promtext *m = wait_rounds(port, 1, NULL);
    CU_ASSERT_PTR_NOT_NULL(m);
    if (m) {
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_run_passed"), 0);
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_rounds_failed_total"), 1);
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_suite_passed{suite=\"connectivity\"}"), 0);
        CU_ASSERT(get(m, "wsb_monitor_run_exit_code") != 0);
        promtext_free(m);
    }
    CU_ASSERT_EQUAL(term(&p), 0);
}

static void test_round_timeout_fails(void)
{
    spawn_proc p;
    const char *extra[] = {"--every", "1h", "--round-timeout", "1", "--suite", "message_flow",
                           "--dashboard-url", dash_url, NULL};
    int port = start_monitor(&p, "slow", extra);
    CU_ASSERT_FATAL(port > 0);
    promtext *m = wait_rounds(port, 1, NULL);
    CU_ASSERT_PTR_NOT_NULL(m);
    if (m) {
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_run_timed_out"), 1);
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_run_passed"), 0);
        CU_ASSERT_EQUAL(get(m, "wsb_monitor_rounds_timed_out_total"), 1);
        promtext_free(m);
    }
    CU_ASSERT_EQUAL(term(&p), 0);
}

static void test_metrics_text(void)
{
    results_run *r = results_run_new("external", "short", "x");
    results_suite *s = results_add_suite(r, "message_flow", "flow");
    results_test *t = results_add_test(s, "end \"to\" end");
    t->status = RESULTS_PASSED;
    results_test_metric(t, "e2e_latency_p99_ms", 1500, "ms");
    results_test_metric(t, "e2e_latency_p99_9_us", 7, "us"); /* not a quantile we name */
    results_suite_settle(s);
    s = results_add_suite(r, "load_tests", "load");
    results_test_fail(results_add_test(s, "basic"), "refused");
    results_suite_settle(s);
    monitor_state st = {.rounds = 4, .rounds_failed = 1, .interval_s = 300, .have_round = 1,
                        .last = r, .last_exit = 1, .last_end_unix = 1.7e9, .last_duration_s = 3};
    char *text = monitor_metrics_text(&st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    char err[256];
    promtext *m = promtext_parse(text, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_DOUBLE_EQUAL(
        get(m, "wsb_monitor_e2e_latency_seconds{suite=\"message_flow\",stat=\"p99\"}"), 1.5,
        1e-12);
    CU_ASSERT_EQUAL(get(m, "wsb_monitor_suite_passed{suite=\"load_tests\"}"), 0);
    CU_ASSERT_EQUAL(get(m, "wsb_monitor_suite_passed{suite=\"message_flow\"}"), 1);
    CU_ASSERT_EQUAL(get(m, "wsb_monitor_run_passed"), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "test=\"end \\\"to\\\" end\""));
    CU_ASSERT_PTR_NULL(strstr(text, "stat=\"p99_9\""));
    CU_ASSERT_EQUAL(promtool_check(text), 0);
    promtext_free(m);
    free(text);
    results_run_free(r);
}

/* Runs `wsb-harness monitor ARGS`; exit status, output in out. */
static int run_cli(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/bin/wsb-harness monitor %s", testkit_build_dir(), args);
    return testkit_run_cmd(cmd, out, cap);
}

static void test_usage_errors(void)
{
    char out[4096];
    CU_ASSERT_EQUAL(run_cli("--suite connectivity", out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "give --dashboard-url"));
    CU_ASSERT_EQUAL(run_cli("--native", out, sizeof(out)), 2);
    CU_ASSERT_EQUAL(run_cli("--dashboard-url ws://127.0.0.1:1 --results x", out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--results-base"));
    CU_ASSERT_EQUAL(run_cli("--dashboard-url ws://127.0.0.1:1 --every soon", out, sizeof(out)),
                    2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--every"));
    CU_ASSERT_EQUAL(run_cli("--dashboard-url ws://127.0.0.1:1 --keep 0", out, sizeof(out)), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "--keep"));
    CU_ASSERT_EQUAL(run_cli("--dashboard-url ws://127.0.0.1:1 --every", out, sizeof(out)), 2);
    CU_ASSERT_EQUAL(run_cli("--dashboard-url ws://127.0.0.1:1 --bogus", out, sizeof(out)), 2);
}

static int setup(void)
{
    return start_system();
}

static int teardown(void)
{
    spawn_stop(&bot, SIGTERM, 5000);
    spawn_stop(&dash, SIGTERM, 5000);
    return 0;
}

static CU_TestInfo offline[] = {
    {"metrics_text", test_metrics_text},
    {"usage_errors", test_usage_errors},
    {"dead_system_fails", test_dead_system_fails},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo live[] = {
    {"round_on_metrics", test_round_on_metrics},
    {"sigterm_during_round", test_sigterm_during_round},
    {"count_and_keep", test_count_and_keep},
    {"round_timeout_fails", test_round_timeout_fails},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"monitor", NULL, NULL, NULL, NULL, offline},
    {"monitor_live", setup, teardown, NULL, NULL, live},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    if (!testkit_mkdtemp(dir, sizeof(dir), "wsb-monitor"))
        return 2;
    int rc = testkit_run(suites, argc > 1 ? argv[1] : NULL);
    if (!rc)
        testkit_rmtree(dir);
    return rc;
}
