/* results_compare: two result directories side by side (`wsb-harness
 * compare OLD NEW`).
 *
 * The figures of a run are its suites' and tests' metrics in
 * test_summary.json (read with results_read_summary; metrics/<suite>.json
 * repeats them), named "suite/test/metric" or "suite/metric", and the
 * percentiles of every "wsb-histogram" file in metrics/ (p50, p90, p99,
 * p99.9, max and mean in us), named "suite/histogram.pNN" (a histogram
 * holds a whole run, the merge of every worker). Other files of metrics/
 * (faults, rate and resource series) are not figures.
 *
 * Which way is better is decided in one place, compare_direction_of(): a
 * table of name patterns and units, first match wins (results_compare.c
 * lists it): times (latency, recovery, detection, handshakes) and resource
 * use (CPU %, RSS bytes) and losses (lost, duplicated, *_errors) are better
 * lower; rates, capacity and delivery are better higher; sample sizes,
 * settings and anything else are shown but never judged.
 *
 * A judged figure regresses when it moved the wrong way by more than its
 * tolerance (percent of the old value; from 0 any move the wrong way is a
 * regression) and by more than its floor: a time by more than 1 ms, a
 * figure in % by more than 5 points (the scheduling noise of a loaded
 * machine; --floor-ms, --floor-points). A suite that passed in OLD and failed in NEW regresses too.
 * Figures only one run has are listed, never judged. */
#ifndef WSB_RESULTS_COMPARE_H
#define WSB_RESULTS_COMPARE_H

#include <stddef.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#define COMPARE_DEFAULT_TOLERANCE 10.0 /* percent */
#define COMPARE_MAX_PATTERNS 64        /* --tolerance NAME=P and --ignore each */
#define COMPARE_DEFAULT_FLOOR_MS 1.0   /* a time must move more than this to be judged */
#define COMPARE_DEFAULT_FLOOR_POINTS 5.0 /* a "%" figure: percentage points */

typedef enum compare_direction {
    COMPARE_INFO = 0, /* shown, never judged */
    COMPARE_LOWER_BETTER,
    COMPARE_HIGHER_BETTER,
} compare_direction;

typedef enum compare_verdict {
    COMPARE_SAME = 0, /* within tolerance or under the floor */
    COMPARE_IMPROVED, /* moved the right way beyond tolerance */
    COMPARE_REGRESSED,
    COMPARE_NOT_JUDGED, /* an informational figure */
} compare_verdict;

typedef struct compare_opts {
    double tolerance; /* percent, default COMPARE_DEFAULT_TOLERANCE */
    double floor_ms;     /* times: smaller moves are not judged */
    double floor_points; /* figures in %: smaller moves (in points) are not judged */
    struct {
        char pattern[256]; /* a glob on the figure's name or on its tail after a '/' */
        double tolerance;
    } per[COMPARE_MAX_PATTERNS];
    size_t nper;
    char ignore[COMPARE_MAX_PATTERNS][256]; /* globs as above: figures left out */
    size_t nignore;
} compare_opts;

typedef struct compare_figure {
    char *name, *unit;
    double old_v, new_v;
    double change; /* percent of old; +-INFINITY from 0 */
    double tolerance;
    compare_direction dir;
    compare_verdict verdict;
} compare_figure;

typedef struct compare_suite {
    char *name, *old_status, *new_status;
    int regressed; /* passed -> failed */
} compare_suite;

typedef struct compare_result {
    char *old_dir, *new_dir;
    compare_figure *figs; /* both runs have them, sorted by name */
    size_t nfigs;
    char **only_old, **only_new; /* names */
    size_t nonly_old, nonly_new;
    compare_suite *suites; /* suites both runs ran */
    size_t nsuites;
    size_t nregressed; /* figures and suites */
    double tolerance, floor_ms, floor_points;
} compare_result;

/* Defaults (10 %, no overrides). */
void compare_opts_init(compare_opts *o);
/* "--tolerance" values: "P" or "P%" sets the default, "NAME=P%" one
 * figure's (NAME a glob). 0, or -1 with err. */
int compare_opts_tolerance(compare_opts *o, const char *arg, char *err, size_t errlen);
/* "--ignore GLOB". 0, or -1 with err. */
int compare_opts_ignore(compare_opts *o, const char *glob, char *err, size_t errlen);

/* Which way the metric `name` (its last component) in `unit` is better. */
compare_direction compare_direction_of(const char *name, const char *unit);
const char *compare_direction_name(compare_direction d); /* lower | higher | none */
const char *compare_verdict_name(compare_verdict v);     /* same | improved | regressed | info */

/* Reads both directories and compares them. NULL with err naming the
 * directory and the file when one is missing or invalid. */
compare_result *compare_dirs(const char *old_dir, const char *new_dir, const compare_opts *o,
                             char *err, size_t errlen);
void compare_result_free(compare_result *r);

/* The table a person reads, the figures one run lacks and the verdict. */
void compare_print(const compare_result *r, FILE *f);
/* The same as JSON (format "wsb-compare", version 1); caller deletes. */
cJSON *compare_to_json(const compare_result *r);

#endif
