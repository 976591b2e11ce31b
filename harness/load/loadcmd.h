/* loadcmd: command round trips under load, for the load suite and wsb-load.
 *
 * One subscriber connection on /ws/stream (filtered to command_ack) submits
 * count commands for a bot in batches of batch: it sends a whole batch, then
 * waits until every command of the batch has its command_ack with status
 * "done" (or "rejected", or the batch's bound passes), then sends the next.
 * Each command is tracked by its command_id from submission to the ack; the
 * round trip (send to "done" received) goes into a mergeable histogram.
 * While it runs, the bot's /status is polled every sample_ms for its queue
 * depth ("queued"), kept as a time series. With a rate, batches are paced
 * so submissions stay under it. Every wait is bounded: a command
 * with no "done" within batch_timeout_s counts as lost. Not thread-safe. */
#ifndef WSB_LOADCMD_H
#define WSB_LOADCMD_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

#define LOADCMD_MAX_SAMPLES 2000 /* queue-depth samples kept */

typedef struct loadcmd_cfg {
    const char *url;          /* ws://host:port/ws/stream (wss:// too) */
    const char *token;        /* the subscriber's bearer token (NULL: none) */
    const char *target;       /* the bot's source name the commands go to */
    const char *name;         /* the command (default "resume": harmless) */
    const char *params;       /* its params as JSON text (NULL: {}) */
    const char *id_prefix;    /* command ids are "<prefix>-<n>" (default "load-<pid>");
                                 acks for other prefixes are another client's */
    long count;               /* commands in all (N) */
    int batch;                /* commands sent before waiting for their acks (B) */
    double rate;              /* submissions per second at most: batch k starts no
                                 earlier than k * batch / rate (0: no pacing; a
                                 server may limit a subscriber's commands/s) */
    double batch_timeout_s;   /* a batch's bound (default 10) */
    double connect_timeout_s; /* the handshake's (default 10) */
    const char *status_url;   /* the bot's status document (http://host:port/status;
                                 NULL: no queue-depth series) */
    int sample_ms;            /* status polling period (default 200) */
    const char *ca_file;
} loadcmd_cfg;

typedef struct loadcmd_sample {
    double t_s;       /* since the first submission */
    long long queued; /* the bot's queue depth; -1 when the status did not answer */
} loadcmd_sample;

typedef struct loadcmd_result {
    long submitted, done, rejected, lost; /* lost: no "done" or "rejected" in time */
    long unknown_acks;                    /* acks for ids of this run's prefix never sent */
    long dup_acks;                        /* a second answer to an answered command */
    long dashboard_errors;                /* error frames the dashboard answered */
    char first_lost[80];                  /* the first lost command's id ("" none) */
    char first_error[160];                /* the first error or rejection's text */
    double submit_s;                      /* first submission to the last one written */
    double elapsed_s;                     /* first submission to the last answer */
    histogram *rtt;                       /* submission to "done" (ns), owned */
    loadcmd_sample samples[LOADCMD_MAX_SAMPLES];
    int nsamples;
    long long queue_max; /* the largest depth seen (-1: none) */
} loadcmd_result;

/* Runs the round trips: 0 when they ran (the figures say how it went), -1
 * with err when it could not start (no connection, bad configuration). r is
 * filled either way; free with loadcmd_result_free. */
int loadcmd_run(const loadcmd_cfg *cfg, loadcmd_result *r, char *err, size_t errlen);
void loadcmd_result_free(loadcmd_result *r);

/* Submitted and completed per second (0 when no time passed). */
double loadcmd_submit_rate(const loadcmd_result *r);
double loadcmd_done_rate(const loadcmd_result *r);

/* What went wrong, or NULL: lost commands, rejections, unknown acks. */
const char *loadcmd_problems(const loadcmd_result *r, char *buf, size_t len);

#endif
