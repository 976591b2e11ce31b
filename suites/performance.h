/* performance: the performance suite's checks (suites/performance.c), as
 * functions so that harness/tests/test_perf_faulty.c can run them against
 * faulty peers and see each fail, naming the problem.
 *
 * The window's sizes come from the profile and the environment:
 *   WSB_PERF_DURATION_S   the end-to-end window (default 10 s short, 60 s full)
 *   WSB_PERF_RATE         msg/s asked of the bot (default 200 short, 500 full)
 *   WSB_PERF_SUBSCRIBERS  full subscribers (default 5 short, 10 full)
 *   WSB_PERF_POOL         redundant connections of the pool (default 3)
 *   WSB_PERF_SCHEDULE     "grid" (default): the bot's trading stamps must lie on
 *                         its fixed-rate grid; "off" for a bot without one */
#ifndef WSB_PERFORMANCE_H
#define WSB_PERFORMANCE_H

#include "bridge.h"

/* The latency budget is the threshold perf_e2e_latency (threshold.h; default
 * p(99)<100ms, --threshold 'perf_e2e_latency: p(99)<250ms' to change it).
 *
 * Fixed-rate window: latency per hop and end to end, spread, rate analysis,
 * resources, the bottleneck verdict; BREACH when only the budget is breached,
 * FAIL when a message is lost or out of order, or the stamps are off the
 * schedule. */
check_result performance_check_end_to_end(const suite_ctx *ctx, char *msg, size_t len);
/* The same window's single connection against the redundant pool. */
check_result performance_check_single_vs_pool(const suite_ctx *ctx, char *msg, size_t len);
/* Latency percentiles at rising rates until the budget breaks (or a message
 * is lost): the knee. */
check_result performance_check_rate_sweep(const suite_ctx *ctx, char *msg, size_t len);
/* Ping RTT with the bot paused (idle), beside the window's (under load). */
check_result performance_check_ping_rtt(const suite_ctx *ctx, char *msg, size_t len);
/* The Binance-format sample replayed through the bridge (perf_replay.h). */
check_result performance_check_exchange_replay(const suite_ctx *ctx, char *msg, size_t len);
/* --live-url's stream judged for a window; SKIP "no --live-url (offline)" without one. */
check_result performance_check_live_feed(const suite_ctx *ctx, char *msg, size_t len);

/* Forgets the end-to-end window kept for the checks that report from it. */
void performance_reset(void);
/* The kept window's end-to-end histogram (NULL when none is kept), for
 * test-perf-faulty, which judges the budget on several windows merged. */
struct histogram;
const struct histogram *performance_window_e2e(void);

extern const suite_def suite_performance;

#endif
