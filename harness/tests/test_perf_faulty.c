/* test_perf_faulty: proves that the performance suite's latency measurement
 * sees what is real and judges it.
 *
 * The end-to-end check (suites/performance.c) runs on the native driver
 * against the real mocks behind faulty-peer (harness/testkit/faulty_peer.c), at
 * 100 msg/s with 3 subscribers over a 6 s window. With --fault none, three
 * windows each deliver everything on schedule and the budget is judged on
 * their merged histogram (see test_clean); with a fault one window BREACHES its budget (the threshold perf_e2e_latency: the
 * run would exit 99, "too slow") or FAILS, with a message that names the
 * problem:
 *
 *   delay_100th     dashboard stopped 200 ms each second   BREACH "latency budget breached"
 *   pause_1s        dashboard stopped once for 1 s          BREACH "latency budget breached",
 *                                                            and max >= 900 ms: time the
 *                                                            bot queued counts (no
 *                                                            coordinated omission)
 *   stamp_at_send   bot stamps ts_us at send time           FAIL "not the scheduled time"
 *
 * and with the budget loosened to p(99)<5s, delay_100th passes: the budget is
 * the threshold, not a constant. The merged judgment is not lenient by
 * construction: the clean windows merged with the delay_100th one breach.
 *
 * The check is the suite's own function; this program provides the small
 * part of the suite API it uses instead of the runner, and keeps the metrics
 * it records so that the figures can be asserted on too. */
#include <CUnit/Basic.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "histogram.h"
#include "jwt.h"
#include "performance.h"
#include "suitekit.h"
#include "testkit.h"
#include "threshold.h"

#define SECRET "perf-faulty-secret"

static suite_ctx *ctx; /* suitekit_ctx(), set in main */
static histogram *clean_merged;   /* the clean windows' e2e histograms merged */
static histogram *stalled;        /* the delay_100th window's */

/* ---- the end-to-end check against a faulty peer ---------------------------------- */

/* Runs the end-to-end check on a fresh native environment whose dashboard and
 * bot are faulty-peer with fault; the result, message in msg; the window's
 * end-to-end histogram is added to merge_into (when not NULL). */
static check_result run(const char *fault, char *msg, size_t len, histogram *merge_into)
{
    char dir[64], err[1024];
    envdriver *d = suitekit_faulty_native(fault, SECRET, 100, dir, sizeof(dir), err, sizeof(err));
    if (!d) {
        snprintf(msg, len, "native driver: %.900s", err);
        return CHECK_SKIP;
    }
    ctx->env = d;
    ctx->results_dir = dir;
    suitekit_reset_metrics();
    check_result r = performance_check_end_to_end(ctx, msg, len);
    const histogram *e2e = performance_window_e2e();
    if (e2e && merge_into)
        histogram_merge(merge_into, e2e);
    performance_reset();
    envdriver_free(d);
    ctx->env = NULL;
    fprintf(stderr, "\n      [%s] %s: %s\n", fault, bridge_result_name(r), msg);
    if (r != CHECK_SKIP)
        testkit_rmtree(dir);
    return r;
}

/* The check ends in want (CHECK_FAIL, or CHECK_BREACH when only the budget
 * broke) with words in its message. */
static void expect(const char *fault, check_result want, const char *words, histogram *keep)
{
    char msg[2048] = "";
    CU_ASSERT_EQUAL(run(fault, msg, sizeof(msg), keep), want);
    if (!strstr(msg, words)) {
        fprintf(stderr, "      expected \"%s\" in: %s\n", words, msg);
        CU_FAIL("the failure does not name the problem");
    }
}

/* The clean run, judged on three windows together. Each window must deliver
 * every message with its stamps on the schedule (a FAIL in any window fails
 * the test). The budget, a latency figure on 2 cores shared with other work,
 * is judged once on the three windows' histograms merged: 1 % of about 5,400
 * receipts may lie over 100 ms, wherever they fell, so a short hiccup of the
 * machine in one window does not decide, while a bridge that is slow in
 * earnest (delay_100th stalls a fifth of each second's messages) still
 * breaches (test_merged_with_a_stall). Each window's own verdict is printed. */
static void test_clean(void)
{
    char msg[2048];
    clean_merged = histogram_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(clean_merged);
    for (int w = 1; w <= 3; w++) {
        check_result r = run("none", msg, sizeof(msg), clean_merged);
        CU_ASSERT(r == CHECK_PASS || r == CHECK_BREACH);
        CU_ASSERT(suitekit_metric("delivery_rate", -1) == 1.0);
        CU_ASSERT(suitekit_metric("off_schedule", -1) >= 0 &&
                  suitekit_metric("off_schedule", -1) < 0.5);
        if (r == CHECK_BREACH)
            fprintf(stderr, "      window %d of 3 missed the budget on its own\n", w);
    }
    char why[300] = "";
    int breached = threshold_judge_histogram(ctx->thresholds, "perf_e2e_latency", clean_merged,
                                             why, sizeof(why));
    fprintf(stderr, "      3 windows merged: %llu receipts, p99 %.2f ms, max %.2f ms: %s\n",
            (unsigned long long)histogram_count(clean_merged),
            (double)histogram_percentile(clean_merged, 99) / 1e6,
            (double)histogram_max(clean_merged) / 1e6, breached ? why : "within the budget");
    CU_ASSERT(histogram_count(clean_merged) >= 3 * 3 * 100 * 5); /* 3 windows, 3 subscribers */
    CU_ASSERT_EQUAL(breached, 0);
}

static void test_delay_100th(void)
{
    stalled = histogram_new();
    expect("delay_100th", CHECK_BREACH, "latency budget breached: threshold perf_e2e_latency",
           stalled);
    /* the stall happens in the dashboard: after its receive stamp, or before it while it
     * is stopped; either way the end-to-end p99 carries the 200 ms */
    CU_ASSERT(suitekit_metric("e2e_latency_p99_us", -1) >= 100000);
    CU_ASSERT(suitekit_metric("e2e_latency_max_us", -1) >= 180000);
}

static void test_pause_1s(void)
{
    expect("pause_1s", CHECK_BREACH, "latency budget breached", NULL);
    /* what waited in the bot's queue during the pause is measured from its schedule */
    CU_ASSERT(suitekit_metric("e2e_latency_max_us", -1) >= 900000);
    CU_ASSERT(suitekit_metric("e2e_latency_p99_9_us", -1) >= 900000);
}

static void test_stamp_at_send(void)
{
    expect("stamp_at_send", CHECK_FAIL, "not the scheduled time", NULL);
}

/* The budget is the threshold, not a constant: loosened, the same stalls pass. */
static void test_loosened_budget(void)
{
    const threshold_set *saved = ctx->thresholds;
    static threshold_set loose;
    threshold_set_defaults(&loose);
    CU_ASSERT_EQUAL_FATAL(threshold_set_add(&loose, "perf_e2e_latency: p(99)<5s", NULL, 0), 0);
    ctx->thresholds = &loose;
    char msg[2048] = "";
    CU_ASSERT_EQUAL(run("delay_100th", msg, sizeof(msg), NULL), CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "budget p(99)<5s"));
    ctx->thresholds = saved;
}

/* The merged judgment can fail: the clean windows with the stalled one breach. */
static void test_merged_with_a_stall(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(clean_merged);
    CU_ASSERT_PTR_NOT_NULL_FATAL(stalled);
    CU_ASSERT_FATAL(histogram_count(stalled) > 0);
    histogram *all = histogram_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    histogram_merge(all, clean_merged);
    histogram_merge(all, stalled);
    char why[300] = "";
    int breached =
        threshold_judge_histogram(ctx->thresholds, "perf_e2e_latency", all, why, sizeof(why));
    fprintf(stderr, "\n      3 clean + 1 stalled window merged: p99 %.2f ms: %s\n",
            (double)histogram_percentile(all, 99) / 1e6, breached ? why : "within the budget");
    CU_ASSERT(breached > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "perf_e2e_latency"));
    histogram_free(all);
}

static CU_TestInfo tests[] = {
    {"clean", test_clean},
    {"delay_100th", test_delay_100th},
    {"pause_1s", test_pause_1s},
    {"stamp_at_send", test_stamp_at_send},
    {"loosened_budget", test_loosened_budget},
    {"merged_with_a_stall", test_merged_with_a_stall},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"perf_faulty", NULL, NULL, NULL, NULL, tests},
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
    /* a small window: 6 s at 100 msg/s, so every 100th message is one a second */
    setenv("WSB_PERF_DURATION_S", "6", 0);
    setenv("WSB_PERF_RATE", "100", 0);
    setenv("WSB_PERF_SUBSCRIBERS", "3", 0);
    setenv("WSB_PERF_POOL", "0", 0);
    setenv("WSB_FAULTY_PEER_AT_MS", "3500", 0);
    int rc = testkit_run(suites, argc > 1 ? argv[1] : NULL);
    histogram_free(clean_merged);
    histogram_free(stalled);
    return rc;
}
