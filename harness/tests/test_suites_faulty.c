/* test_suites_faulty: proves that the connectivity and message-flow checks
 * fail, naming the problem, when the system under test misbehaves.
 *
 * Each case starts faulty-dashboard (harness/testkit/faulty_dashboard.c) with
 * one --fault, points an external environment driver at it, runs the suite
 * check that should catch the fault, and asserts the check FAILS with a
 * message that names the problem ("missing", "duplicates", "out of order",
 * "unparsable", "schema-invalid", "accepted", ...). The first case runs
 * every check against the same program with --fault none and asserts they
 * PASS, so a check that always fails cannot hide here either. The budgets
 * (threshold.h, with their defaults) are proved the same way: a peer that
 * stalls, refuses past N connections or starves some subscribers makes the
 * owning check end in BREACH, naming the threshold, and never in a plain
 * FAIL (a breach is what makes a run exit 99 instead of 1).
 *
 * The checks are the suites' own functions (suites/connectivity.c,
 * suites/message_flow.c); this program provides the small part of the
 * suite API they use (suite_get, suite_metric, ...) instead of the runner. */
#include <CUnit/Basic.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connectivity.h"
#include "message_flow.h"
#include "jwt.h"
#include "threshold.h"
#include "wclock.h"
#include "suitekit.h"
#include "testkit.h"

#define SECRET "faulty-test-secret"

static suite_ctx *ctx; /* suitekit_ctx(), set in main */
static threshold_set thresholds; /* the defaults */
static contract *ctr;
static char bin[512];
static char logdir[64]; /* the servers' logs, removed when all passed */

/* ---- running a check against a faulty dashboard ----------------------------------- */

typedef check_result (*check_fn)(const suite_ctx *, char *, size_t);

typedef struct sut {
    spawn_proc proc;
    envdriver *env;
} sut;

static const char *stall_ms; /* --stall-ms for the next sut_start, or NULL */
static int wire_only;        /* the next sut_start: a dashboard URL only, no status URL */

static int sut_start(sut *s, const char *fault, const char *every, const char *at)
{
    char err[512];
    char *argv[20];
    int a = 0;
    argv[a++] = bin;
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--jwt-secret";
    argv[a++] = SECRET;
    argv[a++] = "--schemas";
    argv[a++] = "schemas";
    argv[a++] = "--generate";
    argv[a++] = "200";
    argv[a++] = "--fault";
    argv[a++] = (char *)fault;
    if (every) {
        argv[a++] = "--fault-every";
        argv[a++] = (char *)every;
    }
    if (at) {
        argv[a++] = "--fault-at";
        argv[a++] = (char *)at;
    }
    if (stall_ms) {
        argv[a++] = "--stall-ms";
        argv[a++] = (char *)stall_ms;
    }
    argv[a] = NULL;
    char log[256];
    snprintf(log, sizeof(log), "%s/%s.log", logdir, fault);
    if (testkit_start_server(&s->proc, argv, log, "PORT ", 15000, err, sizeof(err)) < 0) {
        fprintf(stderr, "faulty-dashboard: %s\n", err);
        return -1;
    }
    char ws[64], http[64];
    snprintf(ws, sizeof(ws), "ws://127.0.0.1:%d", s->proc.port);
    snprintf(http, sizeof(http), "http://127.0.0.1:%d", s->proc.port);
    env_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dashboard_url = ws;
    cfg.bot_status_url = wire_only ? NULL : http;
    cfg.jwt_secret = wire_only ? NULL : SECRET;
    cfg.bot_source = "bot-1";
    s->env = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof(err));
    if (!s->env) {
        fprintf(stderr, "external driver: %s\n", err);
        spawn_stop(&s->proc, SIGTERM, 2000);
        return -1;
    }
    ctx->env = s->env;
    return 0;
}

static void sut_stop(sut *s)
{
    envdriver_free(s->env);
    s->env = NULL;
    ctx->env = NULL;
    spawn_stop(&s->proc, SIGTERM, 3000);
}

static void report(const char *what, const char *msg, int line)
{
    char m[5000];
    snprintf(m, sizeof(m), "%s: %s", what, msg);
    CU_assertImplementation(CU_FALSE, (unsigned)line, m, __FILE__, "", CU_FALSE);
}

static const char *verdict_name(check_result r)
{
    return r == CHECK_FAIL     ? "FAIL"
           : r == CHECK_PASS   ? "PASS"
           : r == CHECK_BREACH ? "BREACH"
                               : "SKIP";
}

/* Runs check against --fault fault and asserts it ends in verdict (FAIL, or
 * BREACH for a budget) with a message naming want. */
static void expect_verdict(const char *fault, const char *every, const char *at, check_fn check,
                           const char *name, check_result verdict, const char *want, int line)
{
    sut s;
    if (sut_start(&s, fault, every, at) < 0) {
        report(fault, "could not start faulty-dashboard", line);
        return;
    }
    char msg[4096] = "";
    int64_t t0 = wclock_mono_us();
    check_result r = check(ctx, msg, sizeof(msg));
    printf("\n      --fault %s, %s (%.1f s): %s: %s", fault, name,
           (double)(wclock_mono_us() - t0) / 1e6, verdict_name(r), msg);
    char m[4200];
    snprintf(m, sizeof(m), "not caught: %s did not end in %s under --fault %s: %s: %s", name,
             verdict_name(verdict), fault, verdict_name(r), msg);
    CU_assertImplementation(r == verdict, (unsigned)line, m, __FILE__, "", CU_FALSE);
    if (r == verdict) {
        snprintf(m, sizeof(m), "unclear message: %s failed under --fault %s without naming "
                               "\"%s\": %s", name, fault, want, msg);
        CU_assertImplementation(strstr(msg, want) != NULL, (unsigned)line, m, __FILE__, "",
                                CU_FALSE);
    }
    sut_stop(&s);
}

#define EXPECT_FAIL(fault, every, at, check, want)                                             \
    expect_verdict(fault, every, at, check, #check, CHECK_FAIL, want, __LINE__)
#define EXPECT_BREACH(fault, every, at, check, want)                                           \
    expect_verdict(fault, every, at, check, #check, CHECK_BREACH, want, __LINE__)

/* ---- the cases --------------------------------------------------------------------- */

/* The functional verdicts against the correct peer are judged with a 1 s
 * latency budget: the peer's generator stamps its schedule, so a loaded CI
 * machine's scheduling delays are real latency there, and they are not what
 * these cases prove. The default budgets are proved by the stall cases. */
static void loosen_latency(threshold_set *saved)
{
    *saved = thresholds;
    char err[300];
    if (threshold_set_add(&thresholds, "e2e_latency: p(99)<1s", err, sizeof(err)) < 0)
        report("threshold", err, __LINE__);
}

static void test_clean_peer_passes(void)
{
    threshold_set saved;
    loosen_latency(&saved);
    sut s;
    if (sut_start(&s, "none", NULL, NULL) < 0) {
        report("none", "could not start faulty-dashboard", __LINE__);
        thresholds = saved;
        return;
    }
    struct {
        const char *name;
        check_fn fn;
        check_result want;
    } checks[] = {
        {"connectivity handshake", connectivity_check_handshake, CHECK_PASS},
        {"connectivity auth", connectivity_check_auth, CHECK_PASS},
        {"connectivity exchange", connectivity_check_exchange, CHECK_PASS},
        {"connectivity ping_pong", connectivity_check_ping_pong, CHECK_PASS},
        {"connectivity concurrent", connectivity_check_concurrent, CHECK_PASS},
        {"connectivity capacity_ramp", connectivity_check_capacity_ramp, CHECK_PASS},
        {"connectivity large_messages", connectivity_check_large_messages, CHECK_PASS},
        {"connectivity close_normal", connectivity_check_close_normal, CHECK_PASS},
        /* the external driver has no process control: skipped, with the reason */
        {"connectivity close_shutdown", connectivity_check_close_shutdown, CHECK_SKIP},
        {"message_flow schema", message_flow_check_schema, CHECK_PASS},
        {"message_flow order", message_flow_check_order, CHECK_PASS},
        {"message_flow integrity", message_flow_check_integrity, CHECK_PASS},
        {"message_flow filters", message_flow_check_filters, CHECK_PASS},
        {"message_flow resume", message_flow_check_resume, CHECK_PASS},
        {"message_flow invalid_publish", message_flow_check_invalid_publish, CHECK_PASS},
        {"message_flow end_to_end", message_flow_check_end_to_end, CHECK_PASS},
        {"message_flow exactly_once", message_flow_check_exactly_once, CHECK_PASS},
    };
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        char msg[4096] = "";
        int64_t t0 = wclock_mono_us();
        check_result r = checks[i].fn(ctx, msg, sizeof(msg));
        printf("\n      %s (%.1f s): %s: %s", checks[i].name, (double)(wclock_mono_us() - t0) / 1e6,
               verdict_name(r), msg);
        char m[4300];
        snprintf(m, sizeof(m), "wrong verdict: %s against a correct peer: %s", checks[i].name,
                 msg);
        CU_assertImplementation(r == checks[i].want, __LINE__, m, __FILE__, "", CU_FALSE);
        snprintf(m, sizeof(m), "%s: no message", checks[i].name);
        CU_assertImplementation(msg[0] != '\0', __LINE__, m, __FILE__, "", CU_FALSE);
    }
    sut_stop(&s);
    thresholds = saved;
}

/* A system given only by its URL and a ready token pair (no JWT secret, no
 * status endpoint) is still judged on the wire: every wire check runs and
 * passes against the correct peer (none skips for want of a bot status),
 * and fails against a broken stream. */
static void test_wire_only_judged(void)
{
    char *pub = jwt_sign(SECRET, "wire-test", "publisher", 3600);
    char *subt = jwt_sign(SECRET, "wsb-harness", "subscriber", 3600);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pub);
    CU_ASSERT_PTR_NOT_NULL_FATAL(subt);
    ctx->jwt_secret = NULL;
    ctx->publisher_token = pub;
    ctx->subscriber_token = subt;
    wire_only = 1;
    threshold_set saved;
    loosen_latency(&saved);
    sut s;
    if (sut_start(&s, "none", NULL, NULL) == 0) {
        struct {
            const char *name;
            check_fn fn;
        } wire[] = {
            {"connectivity handshake", connectivity_check_handshake},
            {"connectivity exchange", connectivity_check_exchange},
            {"connectivity ping_pong", connectivity_check_ping_pong},
            {"connectivity concurrent", connectivity_check_concurrent},
            {"connectivity large_messages", connectivity_check_large_messages},
            {"connectivity close_normal", connectivity_check_close_normal},
            {"message_flow schema", message_flow_check_schema},
            {"message_flow order", message_flow_check_order},
            {"message_flow filters", message_flow_check_filters},
            {"message_flow resume", message_flow_check_resume},
            {"message_flow invalid_publish", message_flow_check_invalid_publish},
            {"message_flow end_to_end", message_flow_check_end_to_end},
            {"message_flow exactly_once", message_flow_check_exactly_once},
        };
        for (size_t i = 0; i < sizeof(wire) / sizeof(wire[0]); i++) {
            char msg[4096] = "";
            check_result r = wire[i].fn(ctx, msg, sizeof(msg));
            printf("\n      wire only, %s: %s: %s", wire[i].name, verdict_name(r), msg);
            char m[4300];
            snprintf(m, sizeof(m), "wire only: %s did not pass: %s: %s", wire[i].name,
                     verdict_name(r), msg);
            CU_assertImplementation(r == CHECK_PASS, __LINE__, m, __FILE__, "", CU_FALSE);
        }
        sut_stop(&s);
    } else {
        report("none", "could not start faulty-dashboard", __LINE__);
    }
    EXPECT_FAIL("reorder", "7", NULL, message_flow_check_order, "out of order");
    EXPECT_FAIL("drop", "7", NULL, message_flow_check_end_to_end, "missing");
    thresholds = saved;
    wire_only = 0;
    ctx->jwt_secret = SECRET;
    ctx->publisher_token = ctx->subscriber_token = NULL;
    free(pub);
    free(subt);
}

static void test_bad_token_accepted(void)
{
    EXPECT_FAIL("accept_bad_token", NULL, NULL, connectivity_check_auth, "accepted");
}

/* only the publisher endpoint is open: the refusals are tried there too */
static void test_pub_auth_open(void)
{
    EXPECT_FAIL("pub_auth_open", NULL, NULL, connectivity_check_auth,
                "no token on /ws: accepted");
}

static void test_corrupted_value(void)
{
    EXPECT_FAIL("corrupt_value", NULL, "3", connectivity_check_exchange, "corrupted");
}

static void test_no_1009(void)
{
    EXPECT_FAIL("no_1009", NULL, NULL, connectivity_check_large_messages, "1009");
}

/* close_normal needs the server's own close frame with 1000 */
static void test_close_drop(void)
{
    EXPECT_FAIL("close_drop", NULL, NULL, connectivity_check_close_normal,
                "dropped the TCP connection");
}

static void test_close_wrong_code(void)
{
    EXPECT_FAIL("close_wrong_code", NULL, NULL, connectivity_check_close_normal,
                "with close code 1011");
}

/* the limit (from the peer's status document) is judged at the boundary */
static void test_relay_oversize(void)
{
    EXPECT_FAIL("relay_oversize", NULL, NULL, connectivity_check_large_messages,
                "relayed to a subscriber anyway");
}

static void test_limit_off_by_one(void)
{
    EXPECT_FAIL("limit_off_by_one", NULL, NULL, connectivity_check_large_messages,
                "the limit is off by one");
}

static void test_drop(void)
{
    EXPECT_FAIL("drop", "7", NULL, message_flow_check_integrity, "missing");
    EXPECT_FAIL("drop", "7", NULL, message_flow_check_end_to_end, "missing");
}

static void test_duplicate(void)
{
    EXPECT_FAIL("dup", "7", NULL, message_flow_check_order, "duplicates");
    EXPECT_FAIL("dup", "7", NULL, message_flow_check_integrity, "duplicates");
}

static void test_reorder(void)
{
    EXPECT_FAIL("reorder", "7", NULL, message_flow_check_order, "out of order");
    EXPECT_FAIL("reorder", "7", NULL, message_flow_check_end_to_end, "out of order");
}

static void test_corrupt(void)
{
    EXPECT_FAIL("corrupt", "7", NULL, message_flow_check_schema, "unparsable");
}

static void test_invalid(void)
{
    EXPECT_FAIL("invalid", "7", NULL, message_flow_check_schema, "schema-invalid");
}

static void test_invalid_publish_accepted(void)
{
    EXPECT_FAIL("accept_invalid", NULL, NULL, message_flow_check_invalid_publish, "accepted");
}

static void test_filter_leak(void)
{
    EXPECT_FAIL("filter_leak", NULL, NULL, message_flow_check_filters, "leaked");
}

/* a symbols filter passes what has no symbol: dropping it is over-filtering */
static void test_over_filter(void)
{
    EXPECT_FAIL("over_filter", NULL, NULL, message_flow_check_filters,
                "never arrived (over-filtering; first bot-1#");
}

static void test_foreign_leak(void)
{
    EXPECT_FAIL("foreign_leak", NULL, NULL, message_flow_check_filters,
                "(a foreign source)");
}

/* gap frames are not envelopes: they bring no connection nearer its target */
static void test_gap_instead_breaches_conn_target(void)
{
    EXPECT_BREACH("gap_instead", NULL, NULL, connectivity_check_concurrent,
                  "threshold conn_target: rate>=0.9 breached");
}

static void test_resume_repeat(void)
{
    EXPECT_FAIL("resume_repeat", NULL, NULL, message_flow_check_resume, "duplicates");
}

/* a replay from the wrong place, or none, loses what was published while away */
static void test_resume_skip(void)
{
    EXPECT_FAIL("resume_skip", NULL, NULL, message_flow_check_resume, "missing");
}

static void test_resume_ignore(void)
{
    EXPECT_FAIL("resume_ignore", NULL, NULL, message_flow_check_resume, "missing");
}

/* nothing published while away: the resume checked nothing, and says so */
static void test_pause_away(void)
{
    EXPECT_FAIL("pause_away", NULL, NULL, message_flow_check_resume,
                "the resume would check nothing");
}

/* every subscriber is whole and in order, but they differ from each other */
static void test_diverge(void)
{
    EXPECT_FAIL("diverge", "7", NULL, message_flow_check_end_to_end, "saw different streams");
}

/* control frames and status documents are judged against their schemas */
static void test_invalid_welcome(void)
{
    EXPECT_FAIL("invalid_welcome", NULL, NULL, connectivity_check_exchange,
                "the welcome frame violates control/welcome");
}

static void test_invalid_ack(void)
{
    EXPECT_FAIL("invalid_ack", NULL, NULL, connectivity_check_exchange,
                "the ack frame violates control/ack");
}

static void test_invalid_status(void)
{
    EXPECT_FAIL("invalid_status", NULL, NULL, message_flow_check_integrity,
                "the status document violates status/dashboard");
}

static void test_no_dedupe(void)
{
    EXPECT_FAIL("no_dedupe", NULL, NULL, message_flow_check_exactly_once, "no deduplication");
}

static void test_status_lie(void)
{
    EXPECT_FAIL("status_lie", NULL, NULL, message_flow_check_integrity, "count mismatch");
}

/* ---- the budgets: each default threshold breached by a peer that is slow or
 * short of capacity, and named in the message --------------------------------------- */

static void test_stall_breaches_ping_rtt(void)
{
    EXPECT_BREACH("stall", NULL, NULL, connectivity_check_ping_pong,
                  "threshold ping_rtt: p(99)<50ms breached");
}

static void test_stall_breaches_e2e_latency(void)
{
    EXPECT_BREACH("stall", NULL, NULL, message_flow_check_end_to_end,
                  "threshold e2e_latency: p(99)<100ms breached");
}

/* connections wait for the loop's next 50 ms of work: 2 s pauses make the
   average handshake longer than the default 1 s */
static void test_stall_breaches_connect_time(void)
{
    stall_ms = "1200";
    EXPECT_BREACH("stall", NULL, NULL, connectivity_check_concurrent,
                  "threshold connect_time: avg<1s breached");
    stall_ms = NULL;
}

static void test_refuse_after_breaches_capacity(void)
{
    EXPECT_BREACH("refuse_after", NULL, "150", connectivity_check_capacity_ramp,
                  "threshold capacity_success: rate>=0.9 breached");
}

/* a dashboard that drops every connection at 150 collapses before the
   expected capacity (the ramp's ceiling, 200 here): the knee is named */
static void test_collapse_breaches_capacity(void)
{
    EXPECT_BREACH("collapse", NULL, "150", connectivity_check_capacity_ramp,
                  "the knee (last good level) is 100");
}

/* pings never answered */
static void test_no_pong(void)
{
    EXPECT_FAIL("no_pong", NULL, NULL, connectivity_check_ping_pong, "no pong within");
}

static void test_starve_breaches_conn_target(void)
{
    EXPECT_BREACH("starve", NULL, NULL, connectivity_check_concurrent,
                  "threshold conn_target: rate>=0.9 breached");
}

/* A user's threshold replaces the default of its metric: the same stalling
   peer passes a loosened ping budget (so the verdict follows the threshold,
   not a constant in the check), and a tightened connect budget is breached
   by the correct peer. */
static void test_user_threshold_replaces_default(void)
{
    threshold_set saved = thresholds;
    char err[300];
    CU_ASSERT_EQUAL_FATAL(threshold_set_add(&thresholds, "ping_rtt: max<5s", err, sizeof(err)), 0);
    sut s;
    if (sut_start(&s, "stall", NULL, NULL) < 0) {
        report("stall", "could not start faulty-dashboard", __LINE__);
        thresholds = saved;
        return;
    }
    char msg[4096] = "";
    check_result r = connectivity_check_ping_pong(ctx, msg, sizeof(msg));
    printf("\n      --fault stall, ping_pong with ping_rtt: max<5s: %s: %s", verdict_name(r), msg);
    CU_ASSERT_EQUAL(r, CHECK_PASS);
    sut_stop(&s);
    thresholds = saved;
    CU_ASSERT_EQUAL_FATAL(
        threshold_set_add(&thresholds, "connect_time: max<1us", err, sizeof(err)), 0);
    EXPECT_BREACH("none", NULL, NULL, connectivity_check_concurrent,
                  "threshold connect_time: max<1us breached");
    thresholds = saved;
}

/* A bot source the dashboard never saw (a wrong WSB_BOT_SOURCE): the
 * start-point search must give up within its bound while other sources keep
 * the stream busy, and fail naming the problem, not wait for the watchdog. */
static void test_unknown_bot_source_bounded(void)
{
    sut s;
    if (sut_start(&s, "none", NULL, NULL) < 0) {
        report("none", "could not start faulty-dashboard", __LINE__);
        return;
    }
    const char *saved = ctx->bot_source;
    ctx->bot_source = "no-such-bot";
    char msg[4096] = "";
    int64_t t0 = wclock_mono_us();
    check_result r = message_flow_check_order(ctx, msg, sizeof(msg));
    double took = (double)(wclock_mono_us() - t0) / 1e6;
    ctx->bot_source = saved;
    printf("\n      order, bot source no-such-bot (%.1f s): %s: %s", took,
           verdict_name(r), msg);
    CU_ASSERT_EQUAL(r, CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "no-such-bot"));
    CU_ASSERT(took < 30.0);
    sut_stop(&s);
}

/* A bot whose status endpoint is configured but does not answer (the bot
 * died) is a failure of the system under test, not a system without a
 * status endpoint: integrity must fail, not skip. */
static void test_bot_status_dead_fails(void)
{
    sut s;
    if (sut_start(&s, "none", NULL, NULL) < 0) {
        report("none", "could not start faulty-dashboard", __LINE__);
        return;
    }
    char ws[64], err[512];
    snprintf(ws, sizeof(ws), "ws://127.0.0.1:%d", s.proc.port);
    env_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.dashboard_url = ws;
    cfg.bot_status_url = "http://127.0.0.1:1"; /* refused */
    cfg.jwt_secret = SECRET;
    cfg.bot_source = "bot-1";
    envdriver *dead = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(dead);
    ctx->env = dead;
    char msg[4096] = "";
    check_result r = message_flow_check_integrity(ctx, msg, sizeof(msg));
    printf("\n      integrity, bot status refused: %s: %s",
           verdict_name(r), msg);
    CU_ASSERT_EQUAL(r, CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "127.0.0.1:1"));
    envdriver_free(dead);
    ctx->env = s.env;
    sut_stop(&s);
}

static CU_TestInfo tests[] = {
    {"clean_peer_passes", test_clean_peer_passes},
    {"unknown_bot_source_bounded", test_unknown_bot_source_bounded},
    {"bot_status_dead_fails", test_bot_status_dead_fails},
    {"wire_only_judged", test_wire_only_judged},
    {"bad_token_accepted", test_bad_token_accepted},
    {"pub_auth_open", test_pub_auth_open},
    {"corrupted_value", test_corrupted_value},
    {"no_1009", test_no_1009},
    {"close_drop", test_close_drop},
    {"close_wrong_code", test_close_wrong_code},
    {"relay_oversize", test_relay_oversize},
    {"limit_off_by_one", test_limit_off_by_one},
    {"drop", test_drop},
    {"duplicate", test_duplicate},
    {"reorder", test_reorder},
    {"corrupt", test_corrupt},
    {"invalid", test_invalid},
    {"invalid_publish_accepted", test_invalid_publish_accepted},
    {"filter_leak", test_filter_leak},
    {"over_filter", test_over_filter},
    {"foreign_leak", test_foreign_leak},
    {"gap_instead_breaches_conn_target", test_gap_instead_breaches_conn_target},
    {"resume_repeat", test_resume_repeat},
    {"resume_skip", test_resume_skip},
    {"resume_ignore", test_resume_ignore},
    {"pause_away", test_pause_away},
    {"diverge", test_diverge},
    {"invalid_welcome", test_invalid_welcome},
    {"invalid_ack", test_invalid_ack},
    {"invalid_status", test_invalid_status},
    {"no_dedupe", test_no_dedupe},
    {"status_lie", test_status_lie},
    {"stall_breaches_ping_rtt", test_stall_breaches_ping_rtt},
    {"stall_breaches_e2e_latency", test_stall_breaches_e2e_latency},
    {"stall_breaches_connect_time", test_stall_breaches_connect_time},
    {"refuse_after_breaches_capacity", test_refuse_after_breaches_capacity},
    {"collapse_breaches_capacity", test_collapse_breaches_capacity},
    {"no_pong", test_no_pong},
    {"starve_breaches_conn_target", test_starve_breaches_conn_target},
    {"user_threshold_replaces_default", test_user_threshold_replaces_default},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"suites_vs_faulty_peer", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    ctx = suitekit_ctx();
    suitekit_set_secret(SECRET, "bot-1");
    testkit_test_bin_path("faulty-dashboard", bin, sizeof(bin));
    char err[512];
    ctr = contract_load("schemas", err, sizeof(err));
    if (!ctr) {
        fprintf(stderr, "contract: %s\n", err);
        return 1;
    }
    ctx->contract = ctr;
    ctx->suite_name = "faulty";
    ctx->jwt_secret = SECRET;
    ctx->bot_source = "bot-1";
    threshold_set_defaults(&thresholds);
    ctx->thresholds = &thresholds;
    ctx->profile.name = "short";
    ctx->profile.concurrent_conns = 100;
    ctx->profile.ramp_step = 100;
    ctx->profile.ramp_ceiling = 200;
    ctx->profile.flow_messages = 100;
    ctx->profile.flow_subscribers = 3;
    if (!testkit_mkdtemp(logdir, sizeof(logdir), "test-suites-faulty")) {
        perror("mkdtemp");
        contract_free(ctr);
        return 2;
    }

    int rc = testkit_run(suites, argc > 1 ? argv[1] : NULL); /* a name part: only those */
    spawn_stop_all(2000);
    if (!rc)
        testkit_rmtree(logdir);
    contract_free(ctr);
    return rc;
}
