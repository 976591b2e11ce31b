/* results_int: what the files of harness/results share and nobody else uses.
 *
 * The model (results.c) owns the allocation helpers and the metric setter the
 * reader reuses; results_files.c owns the atomic file writes every writer
 * goes through. Not part of the public API (results.h): include it only from
 * harness/results/. */
#ifndef WSB_RESULTS_INT_H
#define WSB_RESULTS_INT_H

#include <stddef.h>
#include <stdio.h>

#include "results.h"

/* ---- results.c: allocation (out of memory aborts) ---- */

/* A copy of s ("" for NULL) with every byte that does not start well-formed
 * UTF-8 replaced by '?'. */
char *results_xstrdup(const char *s);
void *results_xrealloc(void *p, size_t n);
/* Appends a judged threshold to t's record only (no failure added: the
 * reader and the merge copy the failures themselves); counts a breach. */
void results_threshold_append(results_test *t, const char *metric, const char *expr,
                              double value, const char *unit, int passed);
/* Sets (or replaces, by name) a metric in the array *m of *n. */
void results_set_metric(results_metric **m, size_t *n, const char *name, double value,
                        const char *unit);

/* ---- results_files.c: writing files ---- */

/* Writes text to path through a temporary file and rename, so a reader
 * (or a crash of ours) never sees half a file. 0, or -1 with err. */
int results_write_atomic(const char *path, const char *text, char *err, size_t errlen);

/* A writer that prints a run into f: 0, or -1 when f had an error. */
typedef int (*results_stream_fn)(const results_run *r, FILE *f);
/* Runs fn into memory, then writes the text with results_write_atomic. */
int results_write_stream_atomic(const char *path, results_stream_fn fn, const results_run *r,
                                char *err, size_t errlen);

/* The whole file at path (NUL-terminated, caller frees) and its length; NULL
 * when it cannot be read or is longer than max (*absent set when it does not
 * exist). */
char *results_read_text(const char *path, size_t max, size_t *len, int *absent);
/* Escapes s for XML and HTML text and attribute values (< > & " '); control
 * characters other than tab and newline become '?'. */
void results_xml_escape(FILE *f, const char *s);

/* ---- results_svg.c: charts as inline SVG ---- */

/* One line (or the bars) of a chart: n points (x[i], y[i]). */
typedef struct results_svg_series {
    const char *name;
    const double *x;
    const double *y;
    size_t n;
} results_svg_series;

/* How values print on an axis and in tooltips. */
typedef enum results_svg_unit {
    RESULTS_SVG_PLAIN = 0, /* a number */
    RESULTS_SVG_NS,        /* nanoseconds, printed as us/ms/s */
    RESULTS_SVG_BYTES,     /* bytes, printed as KiB/MiB/GiB */
    RESULTS_SVG_PERCENT,   /* 0..100 */
} results_svg_unit;

typedef struct results_svg_chart {
    const char *id;    /* the svg element's id (ASCII, ours) */
    const char *title; /* aria-label and the first line above the plot */
    const char *xlabel, *ylabel;
    results_svg_unit xunit, yunit;
    int logy;        /* y on a log10 scale (values <= 0 left out) */
    int logx;        /* x on a log10 scale (values <= 0 left out) */
    int percentile;  /* x holds percentiles 0..99.99 on HdrHistogram's 1/(1-q) scale */
    int bars;        /* the series are bars from x[i] to x[i+1] (x has n + 1 edges) */
    const double *marks; /* vertical marker lines at these x, labelled */
    const char *const *mark_labels;
    size_t nmarks;
} results_svg_chart;

/* Writes <figure class="chart"><svg ...>...</svg><figcaption>legend</figcaption></figure>:
 * axes with ticks, one colour per series, a <title> tooltip per point group. A
 * chart with no points says so in a text element (never an empty plot). */
void results_svg_plot(FILE *f, const results_svg_chart *c, const results_svg_series *s,
                      size_t ns);

/* One event of a fault scenario's timeline: t seconds from its start. */
typedef struct results_svg_event {
    double t;
    const char *kind; /* inject | heal | detected | recovered | begin | end | ... */
    const char *detail;
} results_svg_event;

typedef struct results_svg_lane {
    const char *name;
    int failed;
    const results_svg_event *ev;
    size_t nev;
} results_svg_lane;

/* The fault timeline: one lane per scenario on a shared seconds axis, each
 * fault's window (inject to heal) shaded, events as marks with tooltips. */
void results_svg_timeline(FILE *f, const char *id, const results_svg_lane *lanes, size_t n);

/* A value with its unit for people ("815 us", "12.3 MiB"). */
void results_svg_format(char *buf, size_t len, double v, results_svg_unit u);

/* ---- results_faults.c ---- */

/* The "Faults" section of test_report.md from <results_dir>/metrics/faults.json
 * (nothing when that file is absent). 0, or -1 when f had an error. */
int results_faults_section(const results_run *r, FILE *f);

#endif
