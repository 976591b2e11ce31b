/* results: the outcome of a harness run in memory, and its writers.
 *
 * The runner fills a results_run (suites -> tests -> failure messages and
 * metrics) from the events its suite children stream; this module writes it
 * as test_summary.json (RESULTS_FORMAT_VERSION), test_report.md (tables and
 * the key figures) and junit.xml (our own, never CUnit's automated output:
 * skipped tests are <skipped message="..."/>, a suite that is not available
 * is one skipped test case, or a failed one when it was asked for), reads a
 * summary back and merges the runs of parallel workers.
 *
 * Statuses: passed | failed | skipped | not_available. A suite passes when
 * none of its tests failed and it did not crash, hang or fail to start; a
 * suite whose every test was skipped checked nothing: it fails (and so the
 * run) unless skips were allowed (--allow-skips, or a --test narrowing), when
 * it is "skipped". A threshold judged by a test is recorded with its value
 * and verdict; a breach is one of the test's failures, counted apart so the
 * run can say "too slow" (RESULTS_EXIT_BREACHED) rather than "broken".
 * All strings are copied in; results_run_free() frees everything.
 *
 * Files: results.c (the model and the status rules), results_json.c
 * (test_summary.json, metrics/<suite>.json), results_junit.c, results_report.c
 * (test_report.md), results_read.c, results_merge.c, results_files.c (atomic
 * writes, the result directory, mkdir -p); results_int.h is what they share. */
#ifndef WSB_RESULTS_H
#define WSB_RESULTS_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* 2 adds the tests' judged thresholds, a suite's nothing_checked and exit
 * code 99; the reader takes 1 and 2. */
#define RESULTS_FORMAT_VERSION 2
#define RESULTS_EXIT_BREACHED 99 /* only thresholds were breached (k6's status) */

typedef enum results_status {
    RESULTS_PASSED = 0,
    RESULTS_FAILED,
    RESULTS_SKIPPED,
    RESULTS_NOT_AVAILABLE,
    RESULTS_RUNNING, /* in memory only, while a test runs */
} results_status;

typedef struct results_metric {
    char *name;
    double value;
    char *unit; /* "" when none */
} results_metric;

typedef struct results_threshold {
    char *metric;
    char *expr;  /* "p(99)<100ms" */
    double value; /* what it was judged on, in unit */
    char *unit;   /* "ms" | "rate" | "count" */
    int passed;
} results_threshold;

typedef struct results_test {
    char *name;
    results_status status;
    double duration_s;
    char **failures; /* messages, "file:line: condition" or the runner's own */
    size_t nfailures;
    char *skip_reason; /* NULL unless skipped */
    results_metric *metrics;
    size_t nmetrics;
    results_threshold *thresholds;
    size_t nthresholds;
    size_t nbreaches; /* failures that are breached thresholds */
} results_test;

typedef struct results_suite {
    char *name;
    char *description;
    results_status status;
    int explicit_selection; /* asked for by --suite / RUN_X=true */
    int available;          /* built into this harness */
    int allow_skips;        /* a suite whose every test skipped does not fail */
    int nothing_checked;    /* set by settle: every test skipped, not allowed */
    double duration_s;
    char **messages; /* suite-level problems: crash, watchdog, init failure */
    size_t nmessages;
    results_metric *metrics; /* recorded outside any test */
    size_t nmetrics;
    results_test *tests;
    size_t ntests;
} results_suite;

typedef struct results_run {
    char *started; /* ISO 8601 UTC */
    char *finished;
    double duration_s;
    char *mode;    /* native | docker | external */
    char *profile; /* short | full */
    char *results_dir;
    char *dashboard_url; /* the system under test, NULL when unknown */
    char *bot_status_url;
    char *env_error; /* why the environment could not start, or NULL */
    int interrupted;
    results_suite *suites;
    size_t nsuites;
} results_run;

/* ---- the model (results.c) ---- */

const char *results_status_name(results_status s);
/* -1 when the name is unknown. */
int results_status_parse(const char *name);

/* A new run (started = now). Free with results_run_free. */
results_run *results_run_new(const char *mode, const char *profile, const char *results_dir);
void results_run_free(results_run *r);
/* Records where the system under test was (any may be NULL or ""). */
void results_run_set_env(results_run *r, const char *dashboard_url, const char *bot_status_url,
                         const char *env_error);
/* Sets finished = now and duration_s from the start. */
void results_run_finish(results_run *r, double duration_s);

/* Appends; pointers stay valid until the next add on the same parent. */
results_suite *results_add_suite(results_run *r, const char *name, const char *description);
results_test *results_add_test(results_suite *s, const char *name);
results_test *results_find_test(results_suite *s, const char *name);
void results_test_fail(results_test *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void results_test_skip(results_test *t, const char *reason);
void results_suite_message(results_suite *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Records a judged threshold; a breach also fails the test with
 * "threshold METRIC: EXPR breached (value V UNIT)". */
void results_test_threshold(results_test *t, const char *metric, const char *expr, double value,
                            const char *unit, int passed);
/* Sets (or replaces, by name) a metric of a test or of a suite. */
void results_test_metric(results_test *t, const char *name, double value, const char *unit);
void results_suite_metric(results_suite *s, const char *name, double value, const char *unit);

/* Derives a suite's status from its tests and messages (see above). */
void results_suite_settle(results_suite *s);
/* 1 when every suite passed, was skipped, or was not available without
 * being asked for (and the run was not interrupted). */
int results_run_ok(const results_run *r);

/* The run's exit status: 0 when it passed (results_run_ok), 99 when the only
 * failures are breached thresholds, else 1. */
int results_run_exit_code(const results_run *r);

/* Counts over a whole run. */
typedef struct results_totals {
    int suites, tests, passed, failed, skipped, not_available;
} results_totals;
results_totals results_count(const results_run *r);

/* ---- writers: 0, or -1 with err ---- */

/* test_summary.json (results_json.c). */
cJSON *results_summary_json(const results_run *r);
int results_write_summary(const results_run *r, const char *path, char *err, size_t errlen);
/* <dir>/metrics/<suite>.json: {"version":1,"suite":NAME,"status":..,
 * "metrics":{name:{value,unit}},"tests":{test:{name:{value,unit}}}}, the
 * figures of one suite for tools that plot or compare runs (results_json.c). */
int results_write_suite_metrics(const results_suite *s, const char *dir, char *err, size_t errlen);
/* junit.xml (results_junit.c). */
int results_write_junit(const results_run *r, const char *path, char *err, size_t errlen);
/* test_report.md (results_report.c). Its link-free summary ends with this
 * line (the GitHub workflow puts what comes before it in the job summary). */
#define RESULTS_MD_SUMMARY_END "<!-- wsb-report: end of summary -->"
int results_write_report(const results_run *r, const char *path, char *err, size_t errlen);
/* test_report.html (results_html.c, its charts results_svg.c): one
 * self-contained page (no network, no scripts, inline SVG) for people: the
 * verdict, the key figures, a table per suite, thresholds, latency
 * percentiles and distributions from the metrics/ files
 * ("wsb-histogram"), rates and CPU/RSS over time ("wsb-perf-rate",
 * "wsb-perf-resources") and the fault timeline (faults.json). Missing or
 * unreadable metrics files are said so on the page, never fatal. */
int results_write_html(const results_run *r, const char *path, char *err, size_t errlen);
/* All four into dir: test_summary.json, junit.xml, test_report.md,
 * test_report.html (results_files.c). */
int results_write_all(const results_run *r, const char *dir, char *err, size_t errlen);

/* ---- key figures (results_figures.c) ---- */

/* The figures a person looks at first, picked from the run's metrics by a
 * fixed table (latency p50/p99, delivery, capacity, recovery, losses); only
 * the ones the run has. Strings point into a static table or into r. */
typedef struct results_figure {
    const char *label; /* "end-to-end latency p99" */
    double value;
    const char *unit; /* the metric's unit */
    const char *suite;
    const char *test;
} results_figure;
#define RESULTS_MAX_FIGURES 16
size_t results_key_figures(const results_run *r, results_figure *out, size_t max);
/* "815 us", "0.21 s", "100 %", "400 conns": a figure for people. */
void results_figure_format(const results_figure *fig, char *buf, size_t len);

/* ---- merge (results_merge.c) ---- */

/* Adds src's suites into dst (a merge of parallel workers): a suite already
 * in dst gets src's tests appended, each named "<test> [label]", its
 * messages and metrics (metrics and messages labelled the same way), and its
 * status settled again; a new suite is copied with the same labels. dst's
 * duration becomes the longest; an interrupted worker interrupts dst. */
void results_merge(results_run *dst, const results_run *src, const char *label);

/* ---- reader (results_read.c) ---- */

/* Reads a test_summary.json back (for merge steps and tests); NULL with err. */
results_run *results_read_summary(const char *path, char *err, size_t errlen);

/* ---- helpers, also used by the runner, the environments and the suites ---- */

/* mkdir -p: 0, or -1 with err (results_files.c). */
int results_mkdirs(const char *path, char *err, size_t errlen);
/* The UTC time as ISO 8601 with milliseconds into buf (results.c). */
void results_iso_now(char *buf, size_t len);

#endif
