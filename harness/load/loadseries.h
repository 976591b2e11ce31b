/* loadseries: a load run's figures second by second (connections open,
 * messages sent and received in that second, latency p50 and p99 of that
 * second, errors in that second), written as CSV and JSON, and the latest
 * figures in the Prometheus text format for wsb-load's /metrics.
 *
 * Fed from the engine's once-a-second progress call; the rows grow without
 * bound only with the run's length (a row is 64 bytes). Not thread-safe:
 * the caller serialises (wsb-load's /metrics thread reads a copy of the
 * text made by loadseries_prom). */
#ifndef WSB_LOADSERIES_H
#define WSB_LOADSERIES_H

#include <stddef.h>
#include <stdint.h>

#include "loadengine.h"

typedef struct loadseries_row {
    double t_s;             /* since the series began */
    int open;               /* connections open */
    uint64_t sent, received, errors; /* in this second */
    double p50_ms, p99_ms;  /* this second's latency (-1: none received) */
} loadseries_row;

typedef struct loadseries {
    loadseries_row *rows;
    size_t n, cap;
    /* totals over every run fed so far */
    uint64_t sent_total, received_total, errors_total;
    /* the current run's cumulative counts at the last row */
    uint64_t run_sent, run_received, run_errors;
} loadseries;

void loadseries_init(loadseries *s);
void loadseries_free(loadseries *s);
/* A new engine run begins (its counters start from 0 again). */
void loadseries_new_run(loadseries *s);
/* One second of the run r (its latency_1s window) at t_s. 0, or -1 out of memory. */
int loadseries_add(loadseries *s, const loadengine_result *r, double t_s);

/* The rows as CSV (header t_s,connections,sent,received,latency_p50_ms,
 * latency_p99_ms,errors) and as JSON ({"format":1,"rows":[{...}]}). 0 or -1
 * with err. */
int loadseries_write_csv(const loadseries *s, const char *path, char *err, size_t errlen);
int loadseries_write_json(const loadseries *s, const char *path, char *err, size_t errlen);

/* The latest figures in the Prometheus text format (wsbload_*), into buf.
 * Returns the length (truncated to len - 1). */
size_t loadseries_prom(const loadseries *s, char *buf, size_t len);

#endif
