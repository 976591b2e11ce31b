/* test_integ_faulty: proves that the integration suite's checks pass against
 * the real services and fail, naming the problem, against faulty peers.
 *
 *   clean          the real mocks on the native driver (behind faulty-peer
 *                  "none"): trading_cycle, commands, monitoring and logs
 *                  PASS, and both /metrics pass `promtool check metrics`
 *   bad_fills      the bot's --test-fault bad_fills (every 5th trade reports
 *                  one unit more)               trading_cycle: "do not add up"
 *   log_error      the dashboard logs an ERROR line nobody caused
 *                                               logs: the line quoted; the same
 *                  logs PASS once a suite log says a fault was injected then
 *   status_lie     faulty-dashboard: status one message ahead of the wire
 *                                               monitoring: "status lies"
 *   ignore_pause   faulty-dashboard: pause acked, trading goes on
 *                                               commands: "kept trading"
 *
 * The checks are the suite's own functions; this program provides the small
 * part of the suite API they use (suitekit) instead of the runner. */
#include <CUnit/Basic.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"
#include "integration.h"
#include "suitekit.h"
#include "testkit.h"

#define SECRET "integ-faulty-secret"

static suite_ctx *ctx;   /* suitekit_ctx(), set in main */
static contract *ctr;

typedef check_result (*check_fn)(const suite_ctx *, char *, size_t);

static const char *verdict_name(check_result r)
{
    return r == CHECK_FAIL ? "FAIL" : r == CHECK_PASS ? "PASS" : r == CHECK_SKIP ? "SKIP" : "BREACH";
}

/* Runs check and asserts its verdict, and that a FAIL names want. */
static void expect(const char *peer, const char *name, check_fn check, check_result want,
                   const char *words)
{
    char msg[8192] = "";
    check_result r = check(ctx, msg, sizeof(msg));
    fprintf(stderr, "\n      [%s] %s: %s: %s", peer, name, verdict_name(r), msg);
    CU_ASSERT_EQUAL(r, want);
    if (r == want && words && !strstr(msg, words)) {
        fprintf(stderr, "\n      expected \"%s\" in the message", words);
        CU_FAIL("the failure does not name the problem");
    }
}

/* ---- the real mocks behind faulty-peer, on the native driver ------------------------- */

typedef struct native_sut {
    char dir[64];
    envdriver *env;
} native_sut;

static int native_start(native_sut *s, const char *fault)
{
    char bindir[128], path[PATH_MAX], real[PATH_MAX], peer[PATH_MAX], rb[PATH_MAX + 32];
    char err[1024];
    if (!testkit_mkdtemp(s->dir, sizeof(s->dir), "wsb-integ-faulty"))
        return -1;
    snprintf(bindir, sizeof(bindir), "%s/bin", s->dir);
    if (mkdir(bindir, 0777) < 0 || !realpath(testkit_bin_path("", rb, sizeof(rb)), real) ||
        !realpath(testkit_test_bin_path("faulty-peer", rb, sizeof(rb)), peer))
        return -1;
    static const char *const names[] = {"wsb-dashboard", "wsb-bot"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", bindir, names[i]);
        if (symlink(peer, path) < 0)
            return -1;
    }
    snprintf(path, sizeof(path), "%s/wsb-faultproxy", bindir);
    snprintf(rb, sizeof(rb), "%s/wsb-faultproxy", real);
    if (symlink(rb, path) < 0)
        return -1;
    setenv("WSB_FAULTY_PEER", fault, 1);
    setenv("WSB_FAULTY_REAL_BIN", real, 1);
    env_config cfg = {0};
    cfg.results_dir = s->dir;
    cfg.bin_dir = bindir;
    cfg.schemas_dir = "schemas";
    cfg.jwt_secret = SECRET;
    cfg.bot_source = "bot-1";
    cfg.bot_rate = 200;
    cfg.bot_queue_size = 10000;
    s->env = envdriver_new(ENV_MODE_NATIVE, &cfg, err, sizeof(err));
    if (!s->env) {
        fprintf(stderr, "native driver: %s\n", err);
        return -1;
    }
    ctx->env = s->env;
    ctx->results_dir = s->dir;
    return 0;
}

static void native_stop(native_sut *s, int keep)
{
    envdriver_free(s->env);
    ctx->env = NULL;
    ctx->results_dir = NULL;
    if (!keep)
        testkit_rmtree(s->dir);
}

/* GET url/metrics into dir/name and `promtool check metrics` on it: its exit status. */
static int promtool(const char *base, const char *dir, const char *name)
{
    char url[512], path[256], cmd[600], err[256];
    snprintf(url, sizeof(url), "%s/metrics", base);
    httpc_response h;
    if (httpc_get(url, 5000, &h, err, sizeof(err)) < 0 || h.status != 200) {
        fprintf(stderr, "\n      %s: %s\n", url, err);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    testkit_write_file(path, h.body);
    httpc_response_free(&h);
    snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void test_clean(void)
{
    native_sut s;
    CU_ASSERT_EQUAL_FATAL(native_start(&s, "none"), 0);
    expect("none", "trading_cycle", integration_check_trading_cycle, CHECK_PASS, NULL);
    CU_ASSERT(suitekit_metric("cycle_fills_checked", 0) >= 10);
    expect("none", "commands", integration_check_commands, CHECK_PASS, NULL);
    CU_ASSERT(suitekit_metric("pause_done_ms", -1) >= 0);
    expect("none", "monitoring", integration_check_monitoring, CHECK_PASS, NULL);
    char path[256];
    snprintf(path, sizeof(path), "%s/metrics/integration_dashboard_after.prom", s.dir);
    CU_ASSERT_EQUAL(access(path, R_OK), 0);
    expect("none", "logs", integration_check_logs, CHECK_PASS, NULL);
    CU_ASSERT(suitekit_metric("log_lines_scanned", 0) > 0);
    /* the Prometheus text of both services is well-formed and linted clean */
    CU_ASSERT_EQUAL(promtool(envdriver_dashboard_http(s.env), s.dir, "dashboard.prom"), 0);
    CU_ASSERT_EQUAL(promtool(envdriver_bot_status_url(s.env), s.dir, "bot.prom"), 0);
    native_stop(&s, 0);
}

static void test_bad_fills(void)
{
    native_sut s;
    CU_ASSERT_EQUAL_FATAL(native_start(&s, "bad_fills"), 0);
    expect("bad_fills", "trading_cycle", integration_check_trading_cycle, CHECK_FAIL,
           "do not add up");
    native_stop(&s, 0);
}

static void test_log_error(void)
{
    native_sut s;
    CU_ASSERT_EQUAL_FATAL(native_start(&s, "log_error"), 0);
    expect("log_error", "logs", integration_check_logs, CHECK_FAIL,
           "ERROR wsb-dashboard: journal write failed: injected by faulty_peer");
    /* the same line inside the window of a fault a test injected is allowed */
    time_t now = time(NULL);
    char a[32], b[32], line[512], path[256];
    time_t t0 = now - 30, t1 = now + 1;
    strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%S", gmtime(&t0));
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", gmtime(&t1));
    snprintf(line, sizeof(line),
             "==== %s.000Z environment: dashboard stop(5000) -> ok ====\n"
             "==== %s.000Z environment: dashboard start -> ok ====\n",
             a, b);
    snprintf(path, sizeof(path), "%s/fault_tolerance.log", s.dir);
    testkit_write_file(path, line);
    expect("log_error inside a fault", "logs", integration_check_logs, CHECK_PASS, NULL);
    native_stop(&s, 0);
}

/* ---- faulty-dashboard ------------------------------------------------------------------ */

typedef struct fd_sut {
    spawn_proc proc;
    envdriver *env;
    char dir[64];
} fd_sut;

static int fd_start(fd_sut *s, const char *fault)
{
    char bin[512], err[512], log[256];
    testkit_test_bin_path("faulty-dashboard", bin, sizeof(bin));
    if (!testkit_mkdtemp(s->dir, sizeof(s->dir), "wsb-integ-fd"))
        return -1;
    char *argv[] = {bin, "--port", "0", "--jwt-secret", SECRET, "--schemas", "schemas",
                    "--generate", "200", "--fault", (char *)fault, NULL};
    snprintf(log, sizeof(log), "%s/%s.log", s->dir, fault);
    if (testkit_start_server(&s->proc, argv, log, "PORT ", 15000, err, sizeof(err)) < 0) {
        fprintf(stderr, "faulty-dashboard: %s\n", err);
        return -1;
    }
    char ws[64], http[64];
    snprintf(ws, sizeof(ws), "ws://127.0.0.1:%d", s->proc.port);
    snprintf(http, sizeof(http), "http://127.0.0.1:%d", s->proc.port);
    env_config cfg = {0};
    cfg.dashboard_url = ws;
    cfg.bot_status_url = http;
    cfg.jwt_secret = SECRET;
    cfg.bot_source = "bot-1";
    s->env = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof(err));
    if (!s->env) {
        spawn_stop(&s->proc, SIGTERM, 2000);
        return -1;
    }
    ctx->env = s->env;
    ctx->results_dir = s->dir;
    return 0;
}

static void fd_stop(fd_sut *s)
{
    envdriver_free(s->env);
    ctx->env = NULL;
    ctx->results_dir = NULL;
    spawn_stop(&s->proc, SIGTERM, 3000);
    testkit_rmtree(s->dir);
}

static void test_status_truthful(void)
{
    fd_sut s;
    CU_ASSERT_EQUAL_FATAL(fd_start(&s, "none"), 0);
    expect("faulty-dashboard none", "monitoring", integration_check_monitoring, CHECK_PASS, NULL);
    fd_stop(&s);
}

static void test_status_lie(void)
{
    fd_sut s;
    CU_ASSERT_EQUAL_FATAL(fd_start(&s, "status_lie"), 0);
    expect("status_lie", "monitoring", integration_check_monitoring, CHECK_FAIL, "status lies");
    fd_stop(&s);
}

static void test_ignore_pause(void)
{
    fd_sut s;
    CU_ASSERT_EQUAL_FATAL(fd_start(&s, "ignore_pause"), 0);
    expect("ignore_pause", "commands", integration_check_commands, CHECK_FAIL, "kept trading");
    fd_stop(&s);
}

static CU_TestInfo tests[] = {
    {"clean", test_clean},
    {"bad_fills", test_bad_fills},
    {"log_error", test_log_error},
    {"status_truthful", test_status_truthful},
    {"status_lie", test_status_lie},
    {"ignore_pause", test_ignore_pause},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integ_faulty", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    ctx = suitekit_ctx();
    suitekit_set_secret(SECRET, "bot-1");
    char err[512];
    ctr = contract_load("schemas", err, sizeof(err));
    if (!ctr) {
        fprintf(stderr, "contract: %s\n", err);
        return 1;
    }
    ctx->contract = ctr;
    ctx->suite_name = "integration";
    ctx->profile.name = "short";
    ctx->jwt_secret = SECRET;
    ctx->bot_source = "bot-1";
    setenv("WSB_INTEG_WINDOW_S", "4", 0);
    setenv("WSB_INTEG_MIN_FILLS", "10", 0);
    setenv("WSB_INTEG_PAUSE_MS", "1000", 0);
    int rc = testkit_run(suites, argc > 1 ? argv[1] : NULL);
    spawn_stop_all(2000);
    contract_free(ctr);
    return rc;
}
