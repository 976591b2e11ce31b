/* monitor_metrics: what `wsb-harness monitor` knows of its rounds, as the
 * Prometheus text format (version 0.0.4) and served over HTTP by lws.
 *
 * The metrics (all gauges but the *_total counters):
 *   wsb_monitor_rounds_total, wsb_monitor_rounds_failed_total,
 *   wsb_monitor_rounds_timed_out_total    rounds since the monitor started
 *   wsb_monitor_interval_seconds          --every
 *   wsb_monitor_run_timestamp_seconds     when the last round ended (Unix time)
 *   wsb_monitor_run_duration_seconds      how long it took
 *   wsb_monitor_run_passed                1 when every selected suite passed
 *   wsb_monitor_run_exit_code             the round's wsb-harness exit status
 *   wsb_monitor_run_timed_out             1 when the round was stopped at --round-timeout
 *   wsb_monitor_suite_passed{suite}       1 passed, 0 anything else
 *   wsb_monitor_suite_duration_seconds{suite}
 *   wsb_monitor_tests{suite,status}       tests by status (passed, failed, skipped)
 *   wsb_monitor_e2e_latency_seconds{suite,stat}   the end-to-end latency figures
 *                                         e2e_latency_p50/p99/max as stat p50, p99, max,
 *                                         in seconds (a gauge: promtool keeps "quantile"
 *                                         for summaries)
 *   wsb_monitor_figure{suite,test,figure,unit}        every figure of the round as
 *                                         the suite recorded it
 * Before the first round ends only the counters and the interval are there;
 * a round without a readable summary keeps the run_* gauges (passed 0) and
 * drops the suites' series. */
#ifndef WSB_MONITOR_METRICS_H
#define WSB_MONITOR_METRICS_H

#include <libwebsockets.h>

#include "results.h"

typedef struct monitor_state {
    unsigned long long rounds, rounds_failed, rounds_timed_out;
    double interval_s;
    int have_round;       /* a round has ended */
    results_run *last;    /* its summary, or NULL when it left none (owned) */
    int last_exit;        /* its exit status */
    int last_timed_out;   /* stopped at --round-timeout */
    double last_end_unix; /* when it ended */
    double last_duration_s;
} monitor_state;

/* The exposition text (malloc'd), or NULL when out of memory. */
char *monitor_metrics_text(const monitor_state *s);

/* An lws HTTP protocol serving GET /metrics (the text of *s at the time of
 * the request) and /health; anything else is 404. s must outlive the
 * context. */
struct lws_protocols monitor_metrics_protocol(const monitor_state *s);

#endif
