/* threshold: pass/fail criteria on what a test measured, in k6's notation.
 *
 * A threshold is "METRIC: EXPR" with EXPR = AGGREGATION OP VALUE[UNIT]:
 *   trends (times):  avg, min, max, med, p(N)   units us, ms, s (a bare number is ms)
 *   rates:           rate                       a fraction (0.9) or a percentage (90%)
 *   counters:        count                      a number
 *   OP:              <  <=  >  >=  ==  !=
 * e.g. "e2e_latency: p(99)<100ms", "capacity_success: rate>=0.9", "errors: count==0".
 *
 * The metrics a threshold may name are the ones a test owns (threshold_metrics:
 * name, kind, the test that measures it, a default expression or none); an
 * unknown metric, an aggregation that does not fit the metric's kind, or a
 * malformed expression is refused with the reason. The set starts with the
 * defaults; the first threshold a user gives for a metric replaces that
 * metric's defaults (so a budget can be loosened as well as tightened), and
 * --threshold replaces WSB_THRESHOLDS the same way.
 *
 * The test that owns a metric judges it at its end (threshold_judge_*): each
 * threshold of the set on that metric is evaluated, recorded through
 * suite_threshold() (value and verdict into test_summary.json, junit.xml and
 * the report) and a breach fails the test as a breach, which the run's exit
 * status tells apart from a broken system (99, as k6). Nothing here allocates. */
#ifndef WSB_THRESHOLD_H
#define WSB_THRESHOLD_H

#include <stddef.h>

typedef enum threshold_kind {
    THRESHOLD_TREND = 0, /* samples in microseconds */
    THRESHOLD_RATE,      /* good out of total */
    THRESHOLD_COUNT,     /* a count */
} threshold_kind;

typedef enum threshold_agg {
    THRESHOLD_AVG = 0,
    THRESHOLD_MIN,
    THRESHOLD_MAX,
    THRESHOLD_MED,
    THRESHOLD_PCT, /* p(N) */
    THRESHOLD_RATE_OF,
    THRESHOLD_COUNT_OF,
} threshold_agg;

typedef enum threshold_op {
    THRESHOLD_LT = 0,
    THRESHOLD_LE,
    THRESHOLD_GT,
    THRESHOLD_GE,
    THRESHOLD_EQ,
    THRESHOLD_NE,
} threshold_op;

/* A metric a test owns. */
typedef struct threshold_metric {
    const char *name;
    threshold_kind kind;
    const char *owner;    /* "suite/test" that measures and judges it */
    const char *defaults; /* "EXPR" or NULL: the default threshold */
    const char *what;     /* one line for --help and the README */
} threshold_metric;

extern const threshold_metric threshold_metrics[];
extern const size_t threshold_nmetrics;

typedef struct threshold {
    char metric[48];
    char expr[80]; /* as written, blanks removed: "p(99)<100ms" */
    threshold_kind kind;
    threshold_agg agg;
    double pct; /* p(N) */
    threshold_op op;
    double limit;   /* microseconds for trends, a fraction for rates, a count */
    int replaceable; /* a default (or a lower layer): the next layer's threshold on
                        the same metric replaces it */
} threshold;

#define THRESHOLD_SET_MAX 48

typedef struct threshold_set {
    threshold t[THRESHOLD_SET_MAX];
    size_t n;
} threshold_set;

/* Parses "METRIC: EXPR". 0, or -1 with the reason in err. */
int threshold_parse(const char *text, threshold *t, char *err, size_t errlen);

/* The default thresholds of every metric. */
void threshold_set_defaults(threshold_set *s);
/* Makes every threshold of s replaceable by the next layer: the command line
 * over WSB_THRESHOLDS over the defaults. */
void threshold_set_freeze(threshold_set *s);
/* Adds a threshold, replacing the replaceable ones of the same metric. 0, or
 * -1 with the reason in err (the caller names the flag or variable). */
int threshold_set_add(threshold_set *s, const char *text, char *err, size_t errlen);
/* Adds each of a list separated by ';' or newlines (WSB_THRESHOLDS); blank
 * items are ignored. 0, or -1 with err naming the item. */
int threshold_set_add_list(threshold_set *s, const char *list, char *err, size_t errlen);

/* The aggregate an expression is judged on: over n trend samples (µs; the
 * array is sorted in place), a rate good/total, or a count. NAN when there is
 * nothing to aggregate (no samples, total 0). */
double threshold_value(const threshold *t, double *us, size_t n, double good, double total,
                       double count);
/* 1 when value meets the threshold, 0 when it breaches it (NAN breaches). */
int threshold_met(const threshold *t, double value);
/* The value as the expression writes it: "12.3ms" for trends (ms), "0.953"
 * for rates, "7" for counts, "none" for NAN; into buf. */
const char *threshold_format(const threshold *t, double value, char *buf, size_t len);

/* 1 when value meets every threshold of s on metric (nothing recorded): for
 * a test that steps up until its budget breaks, such as the capacity ramp. */
int threshold_met_all(const threshold_set *s, const char *metric, double value);

/* Judges every threshold of s on metric and records each (suite_threshold).
 * Returns how many were breached; the first breach is described in why
 * ("e2e_latency: p(99)<100ms breached: p(99)=153.2ms"). */
int threshold_judge_trend(const threshold_set *s, const char *metric, double *us, size_t n,
                          char *why, size_t whylen);
int threshold_judge_rate(const threshold_set *s, const char *metric, double good, double total,
                         char *why, size_t whylen);
int threshold_judge_count(const threshold_set *s, const char *metric, double count, char *why,
                          size_t whylen);
/* The same for a trend recorded in a latency histogram (histogram.h). */
struct histogram;
int threshold_judge_histogram(const threshold_set *s, const char *metric,
                              const struct histogram *h, char *why, size_t whylen);
/* 1 when h meets every threshold of s on metric (nothing recorded): a rate
 * sweep's "within the budget". */
int threshold_met_histogram(const threshold_set *s, const char *metric,
                            const struct histogram *h);
/* The expressions of s on metric joined by " and " ("p(99)<100ms"), or "none";
 * into buf. */
const char *threshold_describe(const threshold_set *s, const char *metric, char *buf, size_t len);

#endif
