/* integration: the integration suite's checks (suites/integration.c,
 * suites/integ_logs.c), as functions so that harness/tests/test_integ_faulty.c
 * can run them against faulty peers and see each fail, naming the problem.
 *
 * Sizes from the profile and the environment:
 *   WSB_INTEG_WINDOW_S    live seconds the trading cycle is followed after the
 *                         replay caught up (default 5 short, 30 full)
 *   WSB_INTEG_MIN_FILLS   fills that must be judged, or the check fails (20)
 *   WSB_INTEG_PAUSE_MS    how long a paused bot is watched (default 1500) */
#ifndef WSB_INTEGRATION_H
#define WSB_INTEGRATION_H

#include "bridge.h"

/* The bot's stream from the oldest message the dashboard holds, then live:
 * orders, fills, positions and the account add up (integ_ledger.h). */
check_result integration_check_trading_cycle(const suite_ctx *ctx, char *msg, size_t len);
/* pause, status and resume from a subscriber to the bot and back: command_ack
 * accepted then done, round trips as metrics; paused means no trading (stream
 * and /status agree); numbering goes on without a gap. */
check_result integration_check_commands(const suite_ctx *ctx, char *msg, size_t len);
/* The dashboard's /api/websocket/status and /metrics and the bot's /status,
 * sampled during the run, against what the subscriber saw on the wire; exact
 * once the bot is paused. /metrics snapshots before and after go to metrics/. */
check_result integration_check_monitoring(const suite_ctx *ctx, char *msg, size_t len);
/* Every service log of the run: errors, warnings, sanitizer reports and
 * crashes outside the windows of the faults tests injected (suite logs'
 * "environment:" lines and metrics/faults.json) fail, quoted. */
check_result integration_check_logs(const suite_ctx *ctx, char *msg, size_t len);

/* What the log check reads, exposed for its test: the lines of text (one
 * service's log, NUL-terminated) that are problems outside the allowed
 * windows [from_us, to_us] (real time, n of them), quoted into out. The
 * number of such lines. */
typedef struct integ_window {
    double from_us, to_us;
} integ_window;
int integ_logs_scan(const char *service, const char *text, const integ_window *w, int n,
                    char *out, size_t outlen);

extern const suite_def suite_integration;

#endif
