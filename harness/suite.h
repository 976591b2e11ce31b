/* suite: what a test suite (suites/<name>.c) sees of the harness.
 *
 * A suite is a CUnit suite plus a little more: tests can be skipped with a
 * reason (CUnit has no skip), record key figures ("metrics") that go into
 * test_summary.json and test_report.md, and write to the suite's own log
 * (<results>/<suite>.log). The runner (harness/runner/) runs each selected
 * suite in a forked child under a watchdog; the child streams its results to
 * the parent, so a crash or hang still leaves a summary.
 *
 * Suites include only the suites' API: this file, bridge.h, envdriver.h,
 * wsclient.h, flowcheck.h, histogram.h, threshold.h, loadengine.h, rawws.h, httpc.h,
 * promtext.h and the contract's contract.h, envelope.h, wjson.h, jwt.h,
 * wclock.h. ARCHITECTURE.md says what each gives; .ci/check-walls.sh (make
 * test) refuses any other include. */
#ifndef WSB_SUITE_H
#define WSB_SUITE_H

#include <CUnit/CUnit.h>
#include "contract.h"
#include "envdriver.h"

/* How hard the suites push: "short" for make test / CI, "full" by default. */
typedef struct suite_profile {
    const char *name;      /* "short" | "full" */
    int concurrent_conns;  /* connectivity: concurrent connections (default 500) */
    int ramp_ceiling;      /* connectivity: capacity ramp ceiling */
    int ramp_step;
    int flow_messages;     /* message_flow: messages to follow end to end */
    int flow_subscribers;
    double duration_s;     /* load/performance: how long a steady phase lasts */
} suite_profile;

/* Everything a running suite may use. Valid while the suite runs. */
typedef struct suite_ctx {
    envdriver *env;
    const contract *contract;
    const char *results_dir;
    const char *suite_name;
    suite_profile profile;
    const char *jwt_secret;        /* NULL when ready tokens were given */
    const char *publisher_token;   /* tokens: given, or minted from jwt_secret */
    const char *subscriber_token;
    const char *ca_file;           /* wss:// */
    const char *wrong_ca_file;     /* a CA that did not sign the dashboard's certificate
                                      (--tls-dir's other-ca.pem); NULL: none */
    const char *bot_source;        /* the bot's source name, default "bot-1" */
    size_t max_message;            /* the dashboard's message limit in bytes (--max-message);
                                      0: learn it (bridge_max_message) */
    const struct threshold_set *thresholds; /* the budgets (threshold.h); NULL: none */
    const char *live_url;          /* --live-url: a real exchange stream (Binance bookTicker /
                                      trade) for performance.live_feed; NULL: offline */
} suite_ctx;

const suite_ctx *suite_get(void);

/* Marks the running test skipped with a reason; the test should return next.
 * Called from a suite's init, followed by a non-zero return, it skips every
 * test of the suite with that reason (instead of failing the suite). */
void suite_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Records a key figure for the running test (also shown in test_report.md). */
void suite_metric(const char *name, double value, const char *unit);
/* Records a judged threshold of the running test (threshold.h calls it):
 * the metric, the expression, the value it was judged on (unit: "ms",
 * "rate", "count") and the verdict. A breach fails the test as a breach. */
void suite_threshold(const char *metric, const char *expr, double value, const char *unit,
                     int passed);
/* A line in <results>/<suite>.log (and on the console at debug level). */
void suite_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Mints (or returns the given) token for a role, for a sub; caller frees. */
char *suite_token(const char *role, const char *sub, long ttl_s);
/* Saves a latency histogram (histogram.h) as <results>/metrics/<suite>_<name>.json
 * (mergeable across workers) and records name_p50_us, name_p90_us, name_p99_us,
 * name_p99_9_us, name_max_us and name_count as metrics of the running test.
 * 0, or -1 when the file cannot be written (logged). */
struct histogram;
int suite_histogram(const char *name, const struct histogram *h);

/* A suite as the runner knows it. Each suites/<name>.c defines one
 * `const suite_def suite_<name>`; suites/registry.c lists them. */
typedef struct suite_def {
    const char *name;          /* connectivity, message_flow, fault_tolerance, load_tests,
                                  integration, performance, security */
    const char *description;
    CU_InitializeFunc init;    /* may be NULL */
    CU_CleanupFunc cleanup;    /* may be NULL */
    CU_TestInfo *tests;
} suite_def;

#endif
