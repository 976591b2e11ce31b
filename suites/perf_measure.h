/* perf_measure: one measured window of the bot -> dashboard -> subscribers
 * stream, for the performance suite.
 *
 * The bot is asked for a rate (its set_rate command, relayed by the
 * dashboard); after a short settle, every bot message scheduled inside the
 * window (by its ts_us, the trading loop's scheduled time, so time queued in
 * the bot counts: no coordinated omission) is followed to each subscriber:
 * end-to-end latency (receipt - ts_us), the hops (relay_us - ts_us once per
 * message, receipt - relay_us per receipt), the spread between the first
 * and the last subscriber, deliveries and schedule per second, the stamps
 * against the bot's fixed-rate grid, optionally a redundant pool (first
 * arrival wins) beside a single connection and pings under load. After the
 * window it drains (bounded) until every subscriber has seen a message
 * scheduled after the end, so a late message is measured, not lost.
 *
 * Nothing here asserts; perf_run returns a check_result with a message. */
#ifndef WSB_PERF_MEASURE_H
#define WSB_PERF_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "bridge.h"
#include "histogram.h"
#include "perf_resources.h"

#define PERF_MAX_SUBSCRIBERS 200
#define PERF_SETTLE_MS 500       /* after the rate change, before the window */
#define PERF_DRAIN_MS 5000       /* the longest wait for late messages after the window */
#define PERF_GRID_TOLERANCE_US 3 /* a scheduled stamp sits on the rate's grid within this */

typedef struct perf_opts {
    double rate;        /* msg/s asked of the bot (set_rate); 0: keep the bot's own */
    int subscribers;    /* full subscribers (each receives everything) */
    double duration_s;  /* the window, by scheduled time */
    int pool;           /* > 0: also one single connection and a pool of this many
                           redundant ones, first arrival wins (not in e2e/spread) */
    int ping_ms;        /* > 0: a ping every ping_ms on an extra connection */
    int resources;      /* sample the services once a second */
} perf_opts;

typedef struct perf_second {
    long published;   /* bot messages scheduled in this second */
    long delivered;   /* receipts in this second, over all subscribers */
    double backlog;   /* scheduled so far - delivered so far per subscriber, at its end */
} perf_second;

typedef struct perf_result {
    double rate;          /* the rate asked (0: unknown) */
    int rate_set;         /* the bot took set_rate */
    int subscribers;
    double duration_s;
    histogram *e2e, *hop1, *hop2, *spread, *ping, *single, *pooled;
    int64_t seq_first, seq_last; /* the bot's sequences scheduled in the window */
    long messages;        /* distinct bot messages seen in the window */
    long receipts;        /* over all subscribers */
    long expected;        /* (seq_last - seq_first + 1) x subscribers */
    long out_of_order;    /* a receipt at or below the subscriber's last seq */
    long trading;         /* trading events compared with the grid */
    long off_grid;        /* ... more than PERF_GRID_TOLERANCE_US off it */
    double off_grid_p50_us;
    int nsec;
    perf_second *sec;     /* nsec seconds from the window's start */
    double published_rate, delivered_rate; /* msg/s over the window, per subscriber */
    double backlog_growth; /* messages per second the backlog grew over the window */
    double rx_cpu_s;      /* CPU of the receiving (test) thread during the window */
    perf_res *res;        /* the services' samples, when asked */
} perf_result;

/* Runs a window. CHECK_PASS when it could be measured (judging is the
 * caller's), CHECK_SKIP when the system has no bot stream, CHECK_FAIL when
 * the subscribers cannot connect or receive; msg says why. Free r with
 * perf_result_free whatever the result. */
check_result perf_run(const suite_ctx *ctx, const perf_opts *o, perf_result *r, char *msg,
                      size_t len);
void perf_result_free(perf_result *r);

/* Sends a command (pause, resume, set_rate) to the bot through a new
 * subscriber and waits for its command_ack: 0, or -1 with err. params_json
 * NULL: {}. */
int perf_bot_command(const suite_ctx *ctx, const char *name, const char *params_json,
                     char *err, size_t errlen);

/* Writes the per-second rate analysis to <results>/metrics/performance_<tag>_rate.json. */
int perf_write_rate_series(const suite_ctx *ctx, const char *tag, const perf_result *r);

#endif
