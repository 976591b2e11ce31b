/* runner: selects suites and runs each one in a forked child under a watchdog.
 *
 * Parent and child talk over three channels:
 *   events  child -> parent: test start/end, failures, skips, metrics, as
 *           length-prefixed records, so the parent knows which test was
 *           running when the child crashed or hung;
 *   output  the child's stdout and stderr (suite_log() lines, library logs),
 *           appended by the parent to <results>/<suite>.log;
 *   env     the child's envdriver is a proxy (env_remote.h): every operation
 *           (start, stop, kill, pause, stats...) is carried out by the
 *           parent's real driver, so the processes it starts outlive the
 *           child and stay owned by the one driver that cleans them up.
 * The CUnit registry is built in the child from the suite_def; results come
 * from our own CUnit start/complete handlers. A crash in a test fails that
 * test and the child is started again from the next test while the suite's
 * time lasts, and so after a test that outlives the per-test timeout; when
 * the suite's own watchdog expires the child is killed and the rest is not
 * run. Each suite child runs in its own process group, so a terminal's
 * Ctrl-C reaches only the harness, which stops the child itself.
 *
 * Files: runner_select.c (selection, --list), runner.c (the parent: children,
 * watchdog, restarts), runner_child.c (the child: CUnit glue, the suite's
 * context), runner_wire.c (the records between them), runner_console.c (what
 * the parent prints); runner_int.h is what they share. */
#ifndef WSB_RUNNER_H
#define WSB_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "results.h"
#include "suite.h"

/* One row of the suite table: def is NULL for a suite not built yet. */
typedef struct runner_entry {
    const char *name;
    const suite_def *def;
} runner_entry;

typedef enum runner_selection {
    RUNNER_UNSELECTED = 0,
    RUNNER_DEFAULT,  /* selected because nothing said otherwise */
    RUNNER_EXPLICIT, /* --suite NAME, or RUN_<NAME> set to a true value */
} runner_selection;

/* Chooses suites. With names (from --suite): exactly those, explicitly, an
 * unknown name is an error. Without: each suite's RUN_<NAME> variable
 * (1/true/yes/on: explicit; 0/false/no/off: unselected; unset or empty:
 * default; anything else: an error). sel has n entries. 0 or -1 with err. */
int runner_select(const runner_entry *entries, size_t n, const char *const *names, size_t nnames,
                  runner_selection *sel, char *err, size_t errlen);

/* 1 when a --test pattern matches: no patterns match everything; a pattern
 * matches the test name or "suite/test" or "suite.test", as a shell glob. */
int runner_test_matches(const char *suite, const char *test, const char *const *patterns,
                        size_t npatterns);

typedef struct runner_opts {
    const char *results_dir;  /* exists; <suite>.log files go there */
    const char *const *tests; /* --test patterns */
    size_t ntests;
    double suite_timeout_s;             /* the watchdog per suite (default 600) */
    double test_timeout_s;              /* 0: none; else a test running longer is killed,
                                           failed, and the suite goes on with the next */
    int allow_skips;                    /* a suite whose every test skipped does not fail
                                           (--allow-skips, or --test narrowed the run) */
    int verbose;                        /* echo suite output on the console */
    int progress;                       /* 1: live progress line (TTY); 0: plain lines */
    FILE *console;                      /* default stdout */
    suite_ctx ctx;                      /* handed to the suites; env may be NULL */
    const char *env_error;              /* when the environment could not start: every
                                           available selected suite fails with it */
    volatile sig_atomic_t *interrupted; /* set by the caller's SIGINT/SIGTERM handler */
} runner_opts;

/* Runs the selected suites in table order, adding them to run, and rewrites
 * the result files in results_dir after each suite. Returns 0 when the run
 * passed (results_run_ok), 1 otherwise. */
int runner_run(const runner_entry *entries, size_t n, const runner_selection *sel,
               const runner_opts *opts, results_run *run);

/* The run's summary at its end (runner_console.c): verdict and counts, the
 * failed tests with their first failure line, the slowest tests, the key
 * figures, the result directory and the HTML report; coloured on a TTY. */
void runner_console_summary(FILE *con, const results_run *run);

/* Prints the suites and their tests (not available ones marked). */
void runner_list(const runner_entry *entries, size_t n, FILE *out);

/* ---- used by suite.c inside a suite child (harmless elsewhere) ---- */
const suite_ctx *runner_child_ctx(void);
void runner_child_skip(const char *reason);
void runner_child_metric(const char *name, double value, const char *unit);
void runner_child_threshold(const char *metric, const char *expr, double value, const char *unit,
                            int passed);

#endif
