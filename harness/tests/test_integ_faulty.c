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
 * ledger_rules feeds the trading-cycle ledger (suites/integ_ledger.c) short
 * made-up streams, one broken rule each, and expects the rule named.
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
#include "integ_ledger.h"
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
    char err[1024];
    s->env = suitekit_faulty_native(fault, SECRET, 200, s->dir, sizeof(s->dir), err, sizeof(err));
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
    /* the same from the fault timeline of metrics/faults.json */
    unlink(path);
    snprintf(path, sizeof(path), "%s/metrics", s.dir);
    mkdir(path, 0777);
    snprintf(path, sizeof(path), "%s/metrics/faults.json", s.dir);
    snprintf(line, sizeof(line),
             "{\"version\":1,\"scenarios\":[{\"scenario\":\"dashboard_crash\",\"timeline\":["
             "{\"event\":\"inject\",\"real_us\":%.0f},{\"event\":\"heal\",\"real_us\":%.0f}]}]}",
             (double)t0 * 1e6, (double)t1 * 1e6);
    testkit_write_file(path, line);
    expect("log_error inside a fault of faults.json", "logs", integration_check_logs, CHECK_PASS,
           NULL);
    unlink(path);
    expect("log_error, no fault recorded", "logs", integration_check_logs, CHECK_FAIL, "ERROR");
    native_stop(&s, 0);
}

/* ---- the ledger's rules, one made-up stream each ------------------------------------------ */

/* One stream: "type|data" items numbered from seq 1; a "gap" item is a gap
 * frame for the next five numbers, which the items after it skip. */
static integ_ledger *stream(const char *const *items)
{
    integ_ledger *l = integ_ledger_new("bot-1");
    char buf[1024];
    int seq = 0;
    for (int i = 0; items[i]; i++) {
        const char *bar = strchr(items[i], '|');
        int n;
        if (!strcmp(items[i], "gap")) {
            n = snprintf(buf, sizeof(buf),
                         "{\"type\":\"gap\",\"source\":\"bot-1\",\"from\":%d,\"to\":%d,"
                         "\"reason\":\"history\"}",
                         seq + 1, seq + 5);
            seq += 5;
        } else {
            n = snprintf(buf, sizeof(buf),
                         "{\"v\":1,\"type\":\"%.*s\",\"source\":\"bot-1\",\"seq\":%d,"
                         "\"ts_us\":1,\"data\":%s}",
                         (int)(bar - items[i]), items[i], ++seq, bar + 1);
        }
        integ_ledger_feed(l, buf, (size_t)n);
    }
    return l;
}

#define START "bot_status|{\"state\":\"starting\"}"
#define MD(p) "market_data|{\"symbol\":\"BTC-USD\",\"price\":" p "}"
#define SIG(a) "signal|{\"symbol\":\"BTC-USD\",\"action\":\"" a "\"}"
#define ORD(id, side, st, q, f)                                                                    \
    "order_update|{\"order_id\":\"" id "\",\"symbol\":\"BTC-USD\",\"side\":\"" side        \
    "\",\"status\":\"" st "\",\"quantity\":" q ",\"filled_quantity\":" f "}"
#define TRADE(id, side, q, p, fee)                                                                 \
    "trade_executed|{\"order_id\":\"" id "\",\"symbol\":\"BTC-USD\",\"side\":\"" side       \
    "\",\"quantity\":" q ",\"price\":" p ",\"fee\":" fee "}"
#define POS(q, avg, unr, real)                                                                     \
    "position_update|{\"symbol\":\"BTC-USD\",\"quantity\":" q ",\"avg_price\":" avg            \
    ",\"unrealized_pnl\":" unr ",\"realized_pnl\":" real "}"
#define ACCT(bal, eq, unr, real, open)                                                             \
    "account_update|{\"balance\":" bal ",\"equity\":" eq ",\"unrealized_pnl\":" unr            \
    ",\"realized_pnl\":" real ",\"open_positions\":" open "}"

/* Buy 2 at 100, sell 1 at 110: the second fill is judged end to end. */
#define GOOD_FIRST                                                                                 \
    START, MD("100"), SIG("buy"), ORD("o-1", "buy", "new", "2", "0"),                              \
        TRADE("o-1", "buy", "2", "100", "0.2"), ORD("o-1", "buy", "filled", "2", "2"),           \
        POS("2", "100", "0", "0"), ACCT("99999.8", "99999.8", "0", "0", "1"), MD("110"),          \
        SIG("sell"), ORD("o-2", "sell", "new", "1", "0")

static void expect_ledger(const char *name, const char *const *items, const char *words,
                          int64_t min_fills)
{
    integ_ledger *l = stream(items);
    integ_ledger_stats st;
    integ_ledger_stats_get(l, &st);
    const char *p = integ_ledger_problems(l);
    fprintf(stderr, "\n      [%s] %lld problems, %lld fills judged: %s", name,
            (long long)st.problems, (long long)st.fills_checked, p);
    if (words) {
        CU_ASSERT(st.problems > 0);
        if (!strstr(p, words)) {
            fprintf(stderr, "\n      expected \"%s\"", words);
            CU_FAIL("the ledger does not name the problem");
        }
    } else {
        CU_ASSERT_EQUAL(st.problems, 0);
        CU_ASSERT(st.fills_checked >= min_fills);
    }
    integ_ledger_free(l);
}

static void test_ledger_rules(void)
{
    const char *const good[] = {GOOD_FIRST, TRADE("o-2", "sell", "1", "110", "0.11"),
                                ORD("o-2", "sell", "filled", "1", "1"),
                                POS("1", "100", "10", "10"),
                                ACCT("100009.69", "100019.69", "10", "10", "1"), NULL};
    expect_ledger("adds up", good, NULL, 1);
    const char *const unknown[] = {GOOD_FIRST, TRADE("o-9", "sell", "1", "110", "0.11"), NULL};
    expect_ledger("unknown order", unknown, "unknown or already finished", 0);
    const char *const finished[] = {GOOD_FIRST, TRADE("o-1", "buy", "1", "110", "0.11"), NULL};
    expect_ledger("fill after filled", finished, "unknown or already finished", 0);
    const char *const balance[] = {GOOD_FIRST, TRADE("o-2", "sell", "1", "110", "0.11"),
                                   ORD("o-2", "sell", "filled", "1", "1"),
                                   POS("1", "100", "10", "10"),
                                   ACCT("100010.69", "100020.69", "10", "10", "1"), NULL};
    expect_ledger("balance off by 1", balance, "fills and fees give", 0);
    const char *const equity[] = {GOOD_FIRST, TRADE("o-2", "sell", "1", "110", "0.11"),
                                  ORD("o-2", "sell", "filled", "1", "1"),
                                  POS("1", "100", "10", "10"),
                                  ACCT("100009.69", "100029.69", "10", "10", "1"), NULL};
    expect_ledger("equity", equity, "is not balance", 0);
    const char *const unreal[] = {GOOD_FIRST, TRADE("o-2", "sell", "1", "110", "0.11"),
                                  ORD("o-2", "sell", "filled", "1", "1"),
                                  POS("1", "100", "10", "10"),
                                  ACCT("100009.69", "100014.69", "5", "10", "1"), NULL};
    expect_ledger("account unrealised", unreal, "the positions give", 0);
    const char *const nosignal[] = {START, MD("100"), ORD("o-1", "buy", "new", "2", "0"), NULL};
    expect_ledger("order without signal", nosignal, "without a signal", 0);
    const char *const wrongside[] = {START, MD("100"), SIG("sell"),
                                     ORD("o-1", "buy", "new", "2", "0"), NULL};
    expect_ledger("order against its signal", wrongside, "follows a sell signal", 0);
    const char *const cancelled[] = {GOOD_FIRST, ORD("o-2", "sell", "cancelled", "1", "0"),
                                     ORD("o-2", "sell", "filled", "1", "1"), NULL};
    expect_ledger("filled after cancelled", cancelled, "unknown or already finished", 0);
    const char *const position[] = {GOOD_FIRST, TRADE("o-2", "sell", "1", "110", "0.11"),
                                    ORD("o-2", "sell", "filled", "1", "1"),
                                    POS("2", "100", "20", "0"), NULL};
    expect_ledger("position off", position, "the fills add up to 1", 0);
    /* after a gap the ledger re-anchors: an order opened before it is not judged */
    const char *const anchored[] = {GOOD_FIRST, "gap", TRADE("o-2", "sell", "1", "110", "0.11"),
                                    ORD("o-2", "sell", "filled", "1", "1"),
                                    POS("1", "100", "10", "10"),
                                    ACCT("100009.69", "100019.69", "10", "10", "1"), NULL};
    expect_ledger("re-anchored after a gap", anchored, NULL, 0);
    /* the gap hid a price move (110 to 130): the price before it is not used */
    const char *const moved[] = {GOOD_FIRST, "gap", POS("2", "100", "60", "0"),
                                 POS("2", "100", "60", "0"), NULL};
    expect_ledger("price unknown after a gap", moved, NULL, 0);
    const char *const seen[] = {GOOD_FIRST, "gap", MD("130"), POS("2", "100", "60", "0"),
                                POS("2", "100", "50", "0"), NULL};
    expect_ledger("price seen after a gap", seen, "says unrealized_pnl 50", 0);
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
    {"ledger_rules", test_ledger_rules},
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
