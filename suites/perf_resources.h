/* perf_resources: the services' resources during a performance window, and
 * the bottleneck verdict drawn from the window's figures.
 *
 * A sampler thread reads the environment driver's stats (CPU, RSS, open fds,
 * network bytes) of every service once a second while the test thread
 * measures; the driver is used by no other thread meanwhile. The series go
 * to <results>/metrics/performance_<tag>_resources.json. */
#ifndef WSB_PERF_RESOURCES_H
#define WSB_PERF_RESOURCES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "suite.h"

#define PERF_RES_MAX_SAMPLES 4096

typedef struct perf_sample {
    double t;          /* seconds since the sampler started */
    double cpu_percent; /* of one core */
    long long rss_bytes;
    long open_fds;     /* -1 unknown */
    long long net_rx_bytes, net_tx_bytes; /* -1 unknown */
} perf_sample;

typedef struct perf_series {
    int have;          /* the driver answered for this service */
    char err[160];     /* why not, when it did not */
    int n;
    perf_sample s[PERF_RES_MAX_SAMPLES];
} perf_series;

typedef struct perf_res perf_res;

/* Starts sampling (NULL when the driver has no stats: nothing to do). */
perf_res *perf_res_start(const suite_ctx *ctx);
/* Stops the sampler; the series stay readable until perf_res_free. */
void perf_res_stop(perf_res *p);
void perf_res_free(perf_res *p);
const perf_series *perf_res_series(const perf_res *p, env_service s);
/* Highest and mean CPU percent of s over its samples (-1 when none). */
double perf_res_cpu_max(const perf_res *p, env_service s);
double perf_res_cpu_mean(const perf_res *p, env_service s);
/* Writes root (consumed) as <results>/metrics/<suite>_<tag>_<kind>.json; 0 or -1 (logged). */
int perf_write_json(const suite_ctx *ctx, const char *tag, const char *kind, cJSON *root);
/* Writes the series as JSON; 0 or -1 (logged). */
int perf_res_write(const suite_ctx *ctx, const char *tag, const perf_res *p);
/* Records each service's peak CPU, peak RSS, last open fds and network
 * bytes as metrics (<service>_cpu_max_pct ...). */
void perf_res_metrics(const perf_res *p);

/* What the verdict is drawn from. */
typedef struct perf_verdict_in {
    double rate;            /* msg/s */
    int subscribers;
    double e2e_p99_us, hop1_p99_us, hop2_p99_us, spread_p99_us;
    int breached;           /* the latency budget (perf_e2e_latency) was breached */
    const char *budget;     /* its expressions, "p(99)<100ms" */
    double published_rate, delivered_rate, backlog_growth;
    double delivery_ratio;
    double rx_cpu_pct;      /* the receiving test thread, % of a core */
    const perf_res *res;    /* may be NULL */
} perf_verdict_in;

/* Codes recorded as the metric bottleneck_code. */
enum perf_bottleneck {
    PERF_BN_NONE = 0,       /* within budget, nothing saturated */
    PERF_BN_CPU = 1,        /* a service at >= PERF_SATURATED_PCT of a core */
    PERF_BN_BACKLOG = 2,    /* delivery falls behind the schedule */
    PERF_BN_HOP_BOT = 3,    /* bot -> dashboard dominates a breached budget */
    PERF_BN_HOP_FANOUT = 4, /* dashboard -> subscribers dominates a breached budget */
    PERF_BN_HARNESS = 5,    /* the receiving side itself is saturated */
};
#define PERF_SATURATED_PCT 90.0

/* A one-line verdict into out; returns its code. */
int perf_verdict(const perf_verdict_in *in, char *out, size_t len);

#endif
