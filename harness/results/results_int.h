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

/* ---- results_faults.c ---- */

/* The "Faults" section of test_report.md from <results_dir>/metrics/faults.json
 * (nothing when that file is absent). 0, or -1 when f had an error. */
int results_faults_section(const results_run *r, FILE *f);

#endif
