/* runner_int: what the runner's own files share. PRIVATE to harness/runner/:
 * included by runner.c (the parent: children, watchdog, restarts),
 * runner_child.c (the suite child), runner_console.c (console and suite log)
 * and runner_wire.c (the records between them). Everything else uses
 * runner.h.
 *
 * The wire: the child reports on its events pipe as records, a header
 * (runner_ev_header) followed by len bytes of payload, each record written
 * with one write() so that records from several threads never interleave.
 * The environment requests of the child's remote driver travel on a separate
 * socket, as the fixed-size messages of env_remote.h. */
#ifndef WSB_RUNNER_INT_H
#define WSB_RUNNER_INT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "results.h"
#include "runner.h"

/* ---- the wire between child and parent (runner_wire.c) ---- */

enum runner_ev_type {
    EV_TEST_START = 1, /* test index */
    EV_FAIL,           /* test index, message */
    EV_SKIP,           /* test index (-1: the whole suite, from init), reason */
    EV_METRIC,         /* test index or -1, double value, name\0unit\0 */
    EV_TEST_END,       /* test index, double duration */
    EV_SUITE_MSG,      /* message */
    EV_DONE,           /* the child finished normally */
    EV_THRESHOLD,      /* test index, double value, char passed, metric\0expr\0unit\0 */
};

typedef struct runner_ev_header {
    uint32_t type;
    int32_t test;
    uint32_t len;
} runner_ev_header;

#define EV_MAX_PAYLOAD 8192

/* The whole of len bytes, retrying after EINTR; 0, or -1 (read_all: also at
 * end of file). */
int runner_write_all(int fd, const void *buf, size_t len);
int runner_read_all(int fd, void *buf, size_t len);


/* One record (payload cut to EV_MAX_PAYLOAD) in one write; 0 or -1. */
int runner_wire_send(int fd, uint32_t type, int test, const void *payload, size_t len);

/* The parent's reassembly buffer for the events pipe. */
typedef struct runner_evbuf {
    char *buf; /* sizeof(runner_ev_header) + EV_MAX_PAYLOAD + 1 bytes */
    size_t len;
} runner_evbuf;

int runner_evbuf_init(runner_evbuf *b);
void runner_evbuf_free(runner_evbuf *b);

/* Handles one record; payload is NUL-terminated (it may hold NULs too). */
typedef void (*runner_ev_fn)(void *ud, const runner_ev_header *h, const char *payload);

/* Reads what fd holds and hands every complete record to fn. A corrupt
 * stream (a length past EV_MAX_PAYLOAD) is handed on as an EV_SUITE_MSG
 * "runner: corrupt event stream" and what was buffered is dropped. Returns
 * the bytes read, 0 at end of file, -1 on error (EAGAIN included: nothing
 * there, for the final drain on a non-blocking descriptor). */
ssize_t runner_wire_read(int fd, runner_evbuf *b, runner_ev_fn fn, void *ud);

/* ---- the child (runner_child.c) ---- */

/* Runs def's matching tests from index start in this (forked) process and
 * exits: evfd carries the events, rpcfd the environment requests, outfd
 * becomes stdout and stderr. */
void runner_child_main(const suite_def *def, size_t start, const runner_opts *o, pid_t parent,
                       int evfd, int rpcfd, int outfd) __attribute__((noreturn));

/* ---- one suite as the parent runs it (runner.c, runner_console.c) ---- */

typedef struct runner_suite_run {
    const runner_opts *o;
    results_run *run;
    results_suite *rs;
    const suite_def *def;
    FILE *con;
    int logfd;
    int test_idx;      /* suite_def index of the running test, -1 none */
    results_test *cur; /* its result */
    double cur_t0;
    int last_started;  /* the highest suite_def index started so far */
    int done;          /* EV_DONE seen */
    int suite_skipped; /* EV_SKIP from init */
    size_t nmatch;     /* tests matching the filter */
    size_t finished;   /* tests with a final status */
    double deadline;
    double suite_t0;
    int progress_shown;
    double progress_at; /* when the line was last drawn */
} runner_suite_run;

/* ---- the console and the suite log (runner_console.c) ---- */

/* The live progress line (only with o->progress) and its removal. */
void runner_console_progress(runner_suite_run *sr);
void runner_console_clear(runner_suite_run *sr);
/* One finished test: status, duration, skip reason, the first failures. */
void runner_console_test(runner_suite_run *sr, const results_test *t);
/* "[suite] starting: N tests" (plain mode only). */
void runner_console_suite_start(runner_suite_run *sr);
/* The line after each selected suite: how it ended, or why it did not run. */
void runner_console_suite_end(FILE *con, const char *name, const results_suite *rs);
void runner_console_not_available(FILE *con, const char *name, int explicit_selection);
void runner_console_env_failed(FILE *con, const char *name, const char *why);
/* A "==== <time> <text> ====" line in <results>/<suite>.log. */
void runner_console_log(runner_suite_run *sr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
