/* test_fault_faulty: proves that the fault-tolerance suite judges.
 *
 * First the ledger (suites/fault_ledger.c) on made-up streams: lost,
 * duplicated, out-of-order and announced sequences come out exactly, as
 * ranges. Then each scenario check runs on the native driver against the real
 * mocks behind faulty-peer (harness/testkit/faulty_peer.c): with --fault none
 * the checks PASS; with a fault each FAILS with a message that names it:
 *
 *   lose_journal             dashboard_crash             "journal"
 *   no_dead_link_detection   network_partition           "never detected"
 *   half_rate                dashboard_offline_at_start  "trading loop"
 *   reuse_seq                bot_restart                 "reused sequence numbers"
 *   lose_state               bot_restart                 "lost its state"
 *   wrong_loss               bot_restart                 "announced a wrong range"
 *   silent_drop              queue_overflow              "dropped"
 *   slow_unbounded           slow_subscriber             "without bound"
 *   slow_blocks              slow_subscriber             "slowed the others"
 *   block_loop               network_partition           "the trading loop" (ran late,
 *                                                         and/or lost its rate)
 *   replay_dup               dashboard_crash             "duplicated" (a resume replays
 *                                                         one message again)
 *   leak_fd                  rapid_reconnect             "leaks file descriptors"
 *
 * And restore_rate: the suite's start puts back a bot left at another rate.
 *
 * The checks are the suite's own functions (fault_tolerance.h); this program
 * provides the small part of the suite API they use instead of the runner. */
#include <CUnit/Basic.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault_ledger.h"
#include "fault_tolerance.h"
#include "jwt.h"
#include "suitekit.h"
#include "testkit.h"

#define SECRET "fault-faulty-secret"

static suite_ctx *ctx; /* suitekit_ctx(), set in main */

/* ---- the ledger ---------------------------------------------------------------- */

static void feed_seq(ledger *l, const char *src, long long seq)
{
    char f[200];
    int n = snprintf(f, sizeof(f),
                     "{\"v\":1,\"type\":\"heartbeat\",\"source\":\"%s\",\"seq\":%lld,"
                     "\"ts_us\":1,\"data\":{},\"relay_us\":2}",
                     src, seq);
    ledger_feed(l, f, (size_t)n);
}

static void test_ledger(void)
{
    ledger *l = ledger_new("bot-1", 100);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    /* 101..120 with 105-107 lost, 110 twice, 112 after 113, 115-116 announced */
    for (long long q = 101; q <= 120; q++) {
        if ((q >= 105 && q <= 107) || q == 112 || q == 115 || q == 116)
            continue;
        feed_seq(l, "bot-1", q);
        if (q == 110)
            feed_seq(l, "bot-1", q);
        if (q == 113)
            feed_seq(l, "bot-1", 112);
    }
    feed_seq(l, "other", 106); /* another source: not ours */
    const char *gap = "{\"type\":\"gap\",\"source\":\"bot-1\",\"from\":115,\"to\":116}";
    CU_ASSERT_EQUAL(ledger_feed(l, gap, strlen(gap)), 1);
    CU_ASSERT_EQUAL(ledger_feed(l, "not json", 8), 0);
    CU_ASSERT_EQUAL(ledger_high(l), 104);
    CU_ASSERT_EQUAL(ledger_max(l), 120);
    ledger_totals t;
    char lost[100], dup[100], ooo[100], ann[100];
    ledger_close(l, 122, &t, lost, sizeof(lost), dup, sizeof(dup), ooo, sizeof(ooo), ann,
                 sizeof(ann));
    CU_ASSERT_EQUAL(t.generated, 22);
    CU_ASSERT_EQUAL(t.received, 15);
    CU_ASSERT_EQUAL(t.lost, 5);
    CU_ASSERT_STRING_EQUAL(lost, "105-107,121-122");
    CU_ASSERT_EQUAL(t.duplicated, 1);
    CU_ASSERT_STRING_EQUAL(dup, "110");
    CU_ASSERT_EQUAL(t.out_of_order, 1);
    CU_ASSERT_STRING_EQUAL(ooo, "112");
    CU_ASSERT_EQUAL(t.announced, 2);
    CU_ASSERT_STRING_EQUAL(ann, "115-116");
    /* the bot's queue_overflow alerts against the gap frames, range for range */
    const char *al = "{\"v\":1,\"type\":\"alert\",\"source\":\"bot-1\",\"seq\":121,\"ts_us\":1,"
                     "\"data\":{\"code\":\"queue_overflow\",\"from\":115,\"to\":116,"
                     "\"count\":2}}";
    CU_ASSERT_EQUAL(ledger_feed(l, al, strlen(al)), 1);
    CU_ASSERT_EQUAL(ledger_feed(l, al, strlen(al)), 1); /* a repeat is not a second alert */
    int64_t alerts, alerted, count;
    char mis[64];
    CU_ASSERT_EQUAL(ledger_alerts(l, 122, &alerts, &alerted, &count, mis, sizeof(mis)), 0);
    CU_ASSERT_EQUAL(alerts, 1);
    CU_ASSERT_EQUAL(alerted, 2);
    CU_ASSERT_EQUAL(count, 2);
    const char *al2 = "{\"v\":1,\"type\":\"alert\",\"source\":\"bot-1\",\"seq\":122,"
                      "\"ts_us\":1,\"data\":{\"code\":\"queue_overflow\",\"from\":118,"
                      "\"to\":119,\"count\":2}}";
    ledger_feed(l, al2, strlen(al2));
    CU_ASSERT_EQUAL(ledger_alerts(l, 122, &alerts, &alerted, &count, mis, sizeof(mis)), 2);
    CU_ASSERT_STRING_EQUAL(mis, "118-119");
    ledger_free(l);
    l = ledger_new("bot-1", 100);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    for (long long q = 101; q <= 120; q++) {
        if ((q >= 105 && q <= 107) || q == 112 || q == 115 || q == 116)
            continue;
        feed_seq(l, "bot-1", q);
    }
    feed_seq(l, "bot-1", 112);
    /* a window that ends early leaves the rest outside, not lost */
    ledger_close(l, 104, &t, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
    CU_ASSERT_EQUAL(t.lost, 0);
    CU_ASSERT_EQUAL(t.beyond, 15 - 4);
    /* a long list is cut and says how much is left out */
    ledger *m = ledger_new("bot-1", 0);
    for (long long q = 2; q <= 400; q += 2)
        feed_seq(m, "bot-1", q);
    char small[40];
    ledger_close(m, 400, &t, small, sizeof(small), NULL, 0, NULL, 0, NULL, 0);
    CU_ASSERT_EQUAL(t.lost, 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(small, "...(+"));
    ledger_free(m);
    ledger_free(l);
}

/* ---- the scenarios against faulty peers ------------------------------------------ */

typedef check_result (*check_fn)(const suite_ctx *, char *, size_t);

/* Runs check on a fresh native environment whose dashboard and bot are
 * faulty-peer with fault; the result, message in msg. */
static check_result run(const char *fault, check_fn check, char *msg, size_t len)
{
    char dir[64], err[1024];
    envdriver *d = suitekit_faulty_native(fault, SECRET, 100, dir, sizeof(dir), err, sizeof(err));
    if (!d) {
        snprintf(msg, len, "native driver: %.900s", err);
        return CHECK_SKIP;
    }
    ctx->env = d;
    ctx->results_dir = dir;
    check_result r = check(ctx, msg, len);
    envdriver_free(d);
    ctx->env = NULL;
    fprintf(stderr, "\n      [%s] %s: %s\n", fault, bridge_result_name(r), msg);
    if (r != CHECK_SKIP)
        testkit_rmtree(dir);
    return r;
}

static void expect_fail(const char *fault, check_fn check, const char *words)
{
    char msg[1024] = "";
    check_result r = run(fault, check, msg, sizeof(msg));
    CU_ASSERT_EQUAL(r, CHECK_FAIL);
    if (!strstr(msg, words)) {
        fprintf(stderr, "      expected \"%s\" in: %s\n", words, msg);
        CU_FAIL("the failure does not name the problem");
    }
}

static void test_clean(void)
{
    char msg[1024];
    CU_ASSERT_EQUAL(run("none", fault_tolerance_check_dashboard_crash, msg, sizeof(msg)),
                    CHECK_PASS);
    CU_ASSERT_EQUAL(run("none", fault_tolerance_check_network_partition, msg, sizeof(msg)),
                    CHECK_PASS);
    CU_ASSERT_EQUAL(
        run("none", fault_tolerance_check_dashboard_offline_at_start, msg, sizeof(msg)),
        CHECK_PASS);
    CU_ASSERT_EQUAL(run("none", fault_tolerance_check_queue_overflow, msg, sizeof(msg)),
                    CHECK_PASS);
    CU_ASSERT_EQUAL(run("none", fault_tolerance_check_rapid_reconnect, msg, sizeof(msg)),
                    CHECK_PASS);
}

/* the clean bot restart on its own: the killed bot's unacked numbers are
 * announced exactly (the faulty ones: reuse_seq, lose_state, wrong_loss) */
static void test_clean_bot_restart(void)
{
    char msg[1024];
    CU_ASSERT_EQUAL(run("none", fault_tolerance_check_bot_restart, msg, sizeof(msg)),
                    CHECK_PASS);
}

/* a bot left at another rate by an earlier suite is put back at the suite's
 * start (and left alone when it runs at its rate) */
static void test_restore_rate(void)
{
    char dir[64], err[1024];
    envdriver *d = suitekit_faulty_native("none", SECRET, 100, dir, sizeof(dir), err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    ctx->env = d;
    ctx->results_dir = dir;
    CU_ASSERT_EQUAL(envdriver_wait_healthy(d, ENV_BOT, 15000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(fault_tolerance_restore_rate(ctx), 0);
    CU_ASSERT_EQUAL(envdriver_set_args(d, ENV_BOT, "--rate 300", err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(envdriver_restart(d, ENV_BOT, 5000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(envdriver_wait_healthy(d, ENV_BOT, 15000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(fault_tolerance_restore_rate(ctx), 1);
    int absent = 0;
    cJSON *bs = bridge_bot_status(ctx, &absent, err, sizeof(err));
    const cJSON *jr = cJSON_GetObjectItemCaseSensitive(bs, "rate");
    CU_ASSERT(cJSON_IsNumber(jr) && jr->valuedouble == 100);
    cJSON_Delete(bs);
    envdriver_free(d);
    ctx->env = NULL;
    testkit_rmtree(dir);
}

static void test_lose_journal(void)
{
    expect_fail("lose_journal", fault_tolerance_check_dashboard_crash, "journal");
}

static void test_no_dead_link_detection(void)
{
    expect_fail("no_dead_link_detection", fault_tolerance_check_network_partition,
                "never detected");
}

static void test_half_rate(void)
{
    expect_fail("half_rate", fault_tolerance_check_dashboard_offline_at_start, "trading loop");
}

static void test_reuse_seq(void)
{
    expect_fail("reuse_seq", fault_tolerance_check_bot_restart, "reused sequence numbers");
}

static void test_lose_state(void)
{
    expect_fail("lose_state", fault_tolerance_check_bot_restart, "lost its state");
}

static void test_wrong_loss(void)
{
    expect_fail("wrong_loss", fault_tolerance_check_bot_restart, "announced a wrong range");
}

static void test_silent_drop(void)
{
    expect_fail("silent_drop", fault_tolerance_check_queue_overflow, "dropped");
}

static void test_slow_unbounded(void)
{
    expect_fail("slow_unbounded", fault_tolerance_check_slow_subscriber, "without bound");
}

static void test_slow_blocks(void)
{
    expect_fail("slow_blocks", fault_tolerance_check_slow_subscriber, "slowed the others");
}

/* the clean slow subscriber on its own (also in clean) */
static void test_clean_slow_subscriber(void)
{
    char msg[1024];
    CU_ASSERT_EQUAL(run("none", fault_tolerance_check_slow_subscriber, msg, sizeof(msg)),
                    CHECK_PASS);
}

static void test_block_loop(void)
{
    expect_fail("block_loop", fault_tolerance_check_network_partition, "the trading loop");
}

static void test_replay_dup(void)
{
    expect_fail("replay_dup", fault_tolerance_check_dashboard_crash, "duplicated");
}

static void test_leak_fd(void)
{
    expect_fail("leak_fd", fault_tolerance_check_rapid_reconnect, "leaks file descriptors");
}

static CU_TestInfo tests[] = {
    {"ledger", test_ledger},
    {"clean", test_clean},
    {"lose_journal", test_lose_journal},
    {"no_dead_link_detection", test_no_dead_link_detection},
    {"half_rate", test_half_rate},
    {"clean_bot_restart", test_clean_bot_restart},
    {"restore_rate", test_restore_rate},
    {"reuse_seq", test_reuse_seq},
    {"lose_state", test_lose_state},
    {"wrong_loss", test_wrong_loss},
    {"silent_drop", test_silent_drop},
    {"slow_unbounded", test_slow_unbounded},
    {"clean_slow_subscriber", test_clean_slow_subscriber},
    {"slow_blocks", test_slow_blocks},
    {"block_loop", test_block_loop},
    {"replay_dup", test_replay_dup},
    {"leak_fd", test_leak_fd},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fault_faulty", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    ctx = suitekit_ctx();
    suitekit_set_secret(SECRET, "bot-1");
    ctx->suite_name = "fault_tolerance";
    ctx->profile.name = "short";
    ctx->jwt_secret = SECRET;
    ctx->bot_source = "bot-1";
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
