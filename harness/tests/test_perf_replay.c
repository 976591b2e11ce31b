/* test_perf_replay: proves the performance suite's exchange-format replay and
 * live-stream checks (suites/perf_replay.c) judge what they see.
 *
 * The sample is wsb-exchgen's output, byte for byte. Replayed through the
 * real mocks (native driver, behind faulty-peer with no fault) it PASSES;
 * faulty samples from wsb-exchgen --fault each FAIL with the problem named:
 *
 *   bid_over_ask    "breaks an invariant ... bid ... > ask"  (judged at the subscribers)
 *   missing_field   "missing field \"A\""                    (the strict decoder)
 *   unknown_field   "unknown field \"x\""                    (the strict decoder)
 *   stale           "stale at subscriber"                     (freshness on the replay clock)
 *
 * and the sample through faulty-dashboard, a bridge that breaks one relay
 * rule every 500th sequence, FAILS with the bridge's fault named: drop
 * ("records missing"), dup and reorder ("out of order"), corrupt_value (a
 * value changed: "arrived altered"), invalid (an extra field: "breaks the
 * contract"), corrupt (truncated JSON: "does not decode").
 *
 * The live check: without a URL it SKIPS "no --live-url (offline)"; against
 * feed-peer streaming the sample (re-stamped to look live) it PASSES; fed
 * the faulty samples it FAILS the same way; an unreachable URL and a stream
 * that sends nothing FAIL ("cannot connect", "nothing was checked"). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jwt.h"
#include "performance.h"
#include "spawn.h"
#include "suitekit.h"
#include "testkit.h"

#define SECRET "perf-replay-secret"
#define SAMPLE "suites/replay/binance_sample.jsonl"

static suite_ctx *ctx;
static char tmp[256]; /* faulty samples */

static check_result show(const char *what, check_result r, const char *msg)
{
    fprintf(stderr, "\n      [%s] %s: %s\n", what, bridge_result_name(r), msg);
    return r;
}

/* wsb-exchgen --fault fault into tmp; the file's path. */
static const char *faulty_sample(const char *fault, char *path, size_t cap)
{
    char bin[512], cmd[1400], out[512];
    snprintf(path, cap, "%s/%s.jsonl", tmp, fault);
    snprintf(cmd, sizeof(cmd), "%s --fault %s --at 200 > %s",
             testkit_bin_path("wsb-exchgen", bin, sizeof(bin)), fault, path);
    CU_ASSERT_EQUAL_FATAL(testkit_run_cmd(cmd, out, sizeof(out)), 0);
    return path;
}

static void expect_words(check_result r, const char *msg, check_result want, const char *words)
{
    CU_ASSERT_EQUAL(r, want);
    if (!strstr(msg, words)) {
        fprintf(stderr, "      expected \"%s\" in: %s\n", words, msg);
        CU_FAIL("the failure does not name the problem");
    }
}

/* ---- the replay through the bridge ------------------------------------------------ */

static check_result replay(const char *sample, char *msg, size_t len)
{
    char dir[64], err[1024];
    setenv("WSB_REPLAY_SAMPLE", sample, 1);
    envdriver *d = suitekit_faulty_native("none", SECRET, 20, dir, sizeof(dir), err, sizeof(err));
    if (!d) {
        snprintf(msg, len, "native driver: %.900s", err);
        return CHECK_SKIP;
    }
    ctx->env = d;
    ctx->results_dir = dir;
    suitekit_reset_metrics();
    check_result r = performance_check_exchange_replay(ctx, msg, len);
    envdriver_free(d);
    ctx->env = NULL;
    testkit_rmtree(dir);
    return show(sample, r, msg);
}

static void test_sample_is_generated(void)
{
    char bin[512], cmd[1200], out[512];
    snprintf(cmd, sizeof(cmd), "%s | cmp - " SAMPLE,
             testkit_bin_path("wsb-exchgen", bin, sizeof(bin)));
    int rc = testkit_run_cmd(cmd, out, sizeof(out));
    if (rc)
        fprintf(stderr, "\n      %s: %s\n", cmd, out);
    CU_ASSERT_EQUAL(rc, 0);
}

static void test_replay_clean(void)
{
    char msg[2048];
    CU_ASSERT_EQUAL(replay(SAMPLE, msg, sizeof(msg)), CHECK_PASS);
    CU_ASSERT_EQUAL(suitekit_metric("replay_records", -1), 3000);
    CU_ASSERT_EQUAL(suitekit_metric("replay_age_count", -1), 3000 * 3);
    CU_ASSERT_EQUAL(suitekit_metric("replay_stale", -1), 0);
}

static void test_replay_bid_over_ask(void)
{
    char msg[2048], p[400];
    check_result r = replay(faulty_sample("bid_over_ask", p, sizeof(p)), msg, sizeof(msg));
    expect_words(r, msg, CHECK_FAIL, "breaks an invariant at subscriber 0: bid");
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "(a crossed book)"));
}

static void test_replay_missing_field(void)
{
    char msg[2048], p[400];
    check_result r = replay(faulty_sample("missing_field", p, sizeof(p)), msg, sizeof(msg));
    expect_words(r, msg, CHECK_FAIL, "refused by the strict decoder: missing field \"A\"");
}

static void test_replay_unknown_field(void)
{
    char msg[2048], p[400];
    check_result r = replay(faulty_sample("unknown_field", p, sizeof(p)), msg, sizeof(msg));
    expect_words(r, msg, CHECK_FAIL, "refused by the strict decoder: unknown field \"x\"");
}

static void test_replay_stale(void)
{
    char msg[2048], p[400];
    check_result r = replay(faulty_sample("stale", p, sizeof(p)), msg, sizeof(msg));
    expect_words(r, msg, CHECK_FAIL, "stale at subscriber");
    CU_ASSERT(suitekit_metric("replay_stale", -1) >= 3); /* one record, at each subscriber */
}

/* The sample through faulty-dashboard with fault on every 500th sequence, on
 * an external driver (the dashboard's URL and the secret). */
static check_result replay_faulty_bridge(const char *fault, char *msg, size_t len)
{
    char bin[512], log[600], err[512], ws[64];
    spawn_proc p;
    snprintf(log, sizeof(log), "%s/replay-faulty-dashboard-%s.log", testkit_build_dir(), fault);
    char *argv[] = {testkit_test_bin_path("faulty-dashboard", bin, sizeof(bin)), "--port", "0",
                    "--jwt-secret", SECRET, "--schemas", "schemas", "--fault", (char *)fault,
                    "--fault-every", "500", NULL};
    if (testkit_start_server(&p, argv, log, "PORT ", 15000, err, sizeof(err)) < 0) {
        snprintf(msg, len, "faulty-dashboard: %s", err);
        return CHECK_SKIP;
    }
    snprintf(ws, sizeof(ws), "ws://127.0.0.1:%d", p.port);
    env_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dashboard_url = ws;
    cfg.jwt_secret = SECRET;
    cfg.bot_source = "bot-1";
    envdriver *d = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof(err));
    check_result r = CHECK_SKIP;
    snprintf(msg, len, "external driver: %s", err);
    if (d) {
        setenv("WSB_REPLAY_SAMPLE", SAMPLE, 1);
        ctx->env = d;
        suitekit_reset_metrics();
        r = performance_check_exchange_replay(ctx, msg, len);
        ctx->env = NULL;
        envdriver_free(d);
    }
    spawn_stop(&p, SIGTERM, 3000);
    return show(fault, r, msg);
}

static void test_replay_faulty_bridge(void)
{
    static const struct {
        const char *fault, *words;
    } cases[] = {
        {"none", NULL},
        {"drop", "was due (records missing)"},
        {"dup", "was due (repeated or out of order)"},
        {"reorder", "was due"},
        {"corrupt_value", "arrived altered"},
        {"invalid", "breaks the contract"},
        {"corrupt", "does not decode"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[2048];
        check_result r = replay_faulty_bridge(cases[i].fault, msg, sizeof(msg));
        if (cases[i].words)
            expect_words(r, msg, CHECK_FAIL, cases[i].words);
        else
            CU_ASSERT_EQUAL(r, CHECK_PASS); /* the fake dashboard itself relays faithfully */
    }
}

/* ---- the live stream ---------------------------------------------------------------- */

/* Runs the live check against feed-peer (args after the program name), or url. */
static check_result live(const char *url, const char *sample, const char *mode, char *msg,
                         size_t len)
{
    char bin[512], err[512], log[600], u[128];
    spawn_proc p;
    int started = 0;
    if (!url) {
        snprintf(log, sizeof(log), "%s/feed-peer.log", testkit_build_dir());
        char *argv[] = {testkit_test_bin_path("feed-peer", bin, sizeof(bin)), (char *)mode,
                        sample ? (char *)sample : NULL, sample ? "--rate" : NULL, "3000",
                        "--restamp", NULL};
        int port = testkit_start_server(&p, argv, log, "listening on port ", 5000, err,
                                        sizeof(err));
        CU_ASSERT_FATAL(port > 0);
        snprintf(u, sizeof(u), "ws://127.0.0.1:%d/ws/bnbusdt@bookTicker", port);
        url = u;
        started = 1;
    }
    ctx->live_url = url;
    suitekit_reset_metrics();
    check_result r = performance_check_live_feed(ctx, msg, len);
    ctx->live_url = NULL;
    if (started)
        spawn_stop(&p, SIGTERM, 2000);
    return show(url, r, msg);
}

static void test_live_offline(void)
{
    char msg[512];
    ctx->live_url = NULL;
    check_result r = performance_check_live_feed(ctx, msg, sizeof(msg));
    expect_words(r, msg, CHECK_SKIP, "no --live-url (offline)");
}

static void test_live_clean(void)
{
    char msg[2048];
    CU_ASSERT_EQUAL(live(NULL, SAMPLE, "--feed", msg, sizeof(msg)), CHECK_PASS);
    CU_ASSERT(suitekit_metric("live_records", -1) >= 1000);
    CU_ASSERT(suitekit_metric("live_age_count", -1) >= 1000);
}

static void test_live_faulty(void)
{
    static const struct {
        const char *fault, *words;
    } cases[] = {
        {"bid_over_ask", "breaks an invariant: bid"},
        {"unknown_field", "refused by the strict decoder: unknown field \"x\""},
        {"missing_field", "refused by the strict decoder: missing field \"A\""},
        {"stale", " stale: "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[2048], p[400];
        check_result r = live(NULL, faulty_sample(cases[i].fault, p, sizeof(p)), "--feed", msg,
                              sizeof(msg));
        expect_words(r, msg, CHECK_FAIL, cases[i].words);
    }
}

static void test_live_unreachable(void)
{
    /* a port that was free a moment ago: nothing listens there */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    CU_ASSERT_FATAL(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                    getsockname(s, (struct sockaddr *)&a, &al) == 0);
    close(s);
    char url[128], msg[1024];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", ntohs(a.sin_port));
    expect_words(live(url, NULL, NULL, msg, sizeof(msg)), msg, CHECK_FAIL, "cannot connect");
}

static void test_live_silent(void)
{
    char msg[1024];
    expect_words(live(NULL, NULL, "--echo", msg, sizeof(msg)), msg, CHECK_FAIL,
                 "nothing was checked");
}

static CU_TestInfo tests[] = {
    {"sample_is_generated", test_sample_is_generated},
    {"replay_clean", test_replay_clean},
    {"replay_bid_over_ask", test_replay_bid_over_ask},
    {"replay_missing_field", test_replay_missing_field},
    {"replay_unknown_field", test_replay_unknown_field},
    {"replay_stale", test_replay_stale},
    {"replay_faulty_bridge", test_replay_faulty_bridge},
    {"live_offline", test_live_offline},
    {"live_clean", test_live_clean},
    {"live_faulty", test_live_faulty},
    {"live_unreachable", test_live_unreachable},
    {"live_silent", test_live_silent},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"perf_replay", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    ctx = suitekit_ctx();
    suitekit_set_secret(SECRET, "bot-1");
    ctx->suite_name = "performance";
    ctx->profile.name = "short";
    ctx->jwt_secret = SECRET;
    ctx->bot_source = "bot-1";
    char err[300];
    contract *ct = contract_load(NULL, err, sizeof(err));
    if (!ct) {
        fprintf(stderr, "test-perf-replay: the contract: %s\n", err);
        return 1;
    }
    ctx->contract = ct; /* what arrives is judged against the schemas */
    setenv("WSB_PERF_REPLAY_SPEED", "8", 0); /* the 27 s recording in about 3.4 s */
    setenv("WSB_LIVE_WINDOW_S", "2", 0);
    if (!testkit_mkdtemp(tmp, sizeof(tmp), "perf-replay"))
        return 1;
    int rc = testkit_run(suites, argc > 1 ? argv[1] : NULL);
    testkit_rmtree(tmp);
    contract_free(ct);
    return rc;
}
