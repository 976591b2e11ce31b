/* fault_tolerance: the checks of the fault-tolerance suite, callable on their
 * own so the faulty-peer tests (harness/tests/test_fault_faulty.c) run exactly
 * the code the suite runs. Each runs one scenario under the bot's steady
 * stream with a subscriber that resumes after every interruption, and returns
 * CHECK_PASS, CHECK_FAIL or CHECK_SKIP with a one-line message naming the
 * problem; the ledger and the timeline go to the suite log and
 * metrics/faults.json (fault_scene.h). */
#ifndef WSB_SUITE_FAULT_TOLERANCE_H
#define WSB_SUITE_FAULT_TOLERANCE_H

#include <stddef.h>

#include "bridge.h"

check_result fault_tolerance_check_dashboard_offline_at_start(const suite_ctx *ctx, char *msg,
                                                              size_t len);
check_result fault_tolerance_check_dashboard_crash(const suite_ctx *ctx, char *msg, size_t len);
check_result fault_tolerance_check_network_partition(const suite_ctx *ctx, char *msg, size_t len);
check_result fault_tolerance_check_hung_dashboard(const suite_ctx *ctx, char *msg, size_t len);
check_result fault_tolerance_check_bot_restart(const suite_ctx *ctx, char *msg, size_t len);
check_result fault_tolerance_check_latency_injection(const suite_ctx *ctx, char *msg, size_t len);
check_result fault_tolerance_check_queue_overflow(const suite_ctx *ctx, char *msg, size_t len);
/* The suite's start: restarts the bot with its own command line when its
 * status says another rate than the configured one (left so by an earlier
 * suite). 1 when it did, 0 when there was nothing to do, -1 on a failure. */
int fault_tolerance_restore_rate(const suite_ctx *ctx);
/* fault_clients.c */
check_result fault_tolerance_check_slow_subscriber(const suite_ctx *ctx, char *msg, size_t len);
check_result fault_tolerance_check_rapid_reconnect(const suite_ctx *ctx, char *msg, size_t len);

#endif
