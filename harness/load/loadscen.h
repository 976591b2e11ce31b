/* loadscen: load scenarios on the load engine, and the schedules the engine
 * follows for them.
 *
 * Scenarios (seed 002's list, each bounded in count and time):
 *   steady     N subscribers, P publishers at a rate, for a duration
 *   burst      publishers send burst_size messages in burst_s, then idle idle_s,
 *              in cycles for the duration
 *   ramp       subscribers join in steps (initial, then steps equal steps, one
 *              every step_s) while the publishers already send; a later
 *              joiner's ledger starts at the first message it received (from
 *              there on it must get every one, once, in order)
 *   stress     steady levels of subscribers, raised by a step until the
 *              latency p99 crosses target_latency_ms or the error rate
 *              crosses error_threshold (or max_level): the breaking point is
 *              the first level that crossed, the last good one is reported
 *   realistic  user profiles ("active:0.2,regular:0.5,passive:0.3"): each
 *              subscriber gets one by weight; active ones ping every 0.5 s,
 *              regular ones every 5 s, passive ones never (pings are
 *              answered by the server with pongs, counted)
 * Lifecycles (any scenario but stress): persistent (lost connections
 * reconnect with backoff and jitter) or intermittent (a subscriber leaves
 * after hold_s open and comes back after gap_s, resuming from the last seq it
 * saw; cycles stop once the publishers have sent everything).
 *
 * Each scenario ends with its threshold list in k6's notation (threshold.h:
 * delivery_rate, e2e_latency, errors; defaults or the caller's) and the
 * delivery ledger (every message published reached every subscriber, once,
 * in order). */
#ifndef WSB_LOADSCEN_H
#define WSB_LOADSCEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loadengine.h"
#include "threshold.h"

enum { LOADSCEN_STEADY, LOADSCEN_BURST, LOADSCEN_RAMP, LOADSCEN_STRESS, LOADSCEN_REALISTIC };
enum { LOADSCEN_PERSISTENT, LOADSCEN_INTERMITTENT };
extern const char *const loadscen_names[5];

#define LOADSCEN_MAX_PROFILES 8
#define LOADSCEN_MAX_LEVELS 32

typedef struct loadscen_profile {
    char name[16];
    double weight;  /* share of the subscribers */
    double ping_hz; /* pings a second each */
} loadscen_profile;

typedef struct loadscen_cfg {
    int kind;           /* LOADSCEN_* */
    int lifecycle;      /* LOADSCEN_PERSISTENT | LOADSCEN_INTERMITTENT */
    loadengine_cfg base; /* url, tokens, publishers and their tokens, subscribe... */
    double duration_s;  /* how long the publishers send (steady, burst, ramp, realistic) */
    double burst_s, idle_s; /* burst: a burst's length and the pause after it */
    long burst_size;    /* burst: messages each publisher sends in a burst */
    int ramp_initial, ramp_steps;
    double ramp_step_s;
    int stress_step, stress_max;      /* stress: subscribers added per level, the last level */
    double target_latency_ms;         /* stress: p99 above this breaks (default 100) */
    double error_threshold;           /* stress: error rate above this breaks (default 0.01) */
    loadscen_profile profiles[LOADSCEN_MAX_PROFILES];
    int nprofiles;                    /* realistic (0: active:0.2,regular:0.5,passive:0.3) */
    double hold_s, gap_s;             /* intermittent (defaults 2 and 0.5) */
    const threshold_set *thresholds;  /* NULL: the defaults */
} loadscen_cfg;

typedef struct loadscen_verdict {
    char text[160]; /* "delivery_rate: rate>=0.999 met: 1.000" */
    int met;
} loadscen_verdict;

typedef struct loadscen_result {
    loadengine_result run;      /* the (last) run's figures (stress: the breaking level's) */
    int levels;                 /* stress: levels run */
    int level_conns[LOADSCEN_MAX_LEVELS];
    double level_p99_ms[LOADSCEN_MAX_LEVELS], level_err[LOADSCEN_MAX_LEVELS];
    int last_good, breaking;    /* stress: connections; breaking 0 when none crossed */
    char breaking_why[160];
    int profile_count[LOADSCEN_MAX_PROFILES]; /* realistic: subscribers per profile */
    double delivery, error_rate;
    loadscen_verdict verdicts[16];
    int nverdicts, breaches;
    char ledger[200];           /* the delivery ledger in one line */
    int ledger_ok;
} loadscen_result;

/* Parses "active:0.2,regular:0.5,passive:0.3" (names active, regular,
 * passive, or NAME=HZ for another ping rate: "chatty=4:0.1"). 0 or -1 with err. */
int loadscen_parse_profiles(const char *text, loadscen_cfg *c, char *err, size_t errlen);
/* A scenario name to LOADSCEN_*, -1 when unknown. */
int loadscen_kind(const char *name);

/* Runs the scenario: 0 when it ran (verdicts say how it went: breaches), -1
 * with err when it could not start. Free r with loadscen_result_free. */
int loadscen_run(const loadscen_cfg *c, loadscen_result *r, char *err, size_t errlen);
void loadscen_result_free(loadscen_result *r);
/* The report: figures, the threshold list and the ledger. */
void loadscen_report(const loadscen_cfg *c, const loadscen_result *r, FILE *f);

/* ---- the schedules the engine follows (loadengine_cfg's scenario fields) ---- */

/* Messages a sender at rate should have sent el_us after it started (burst
 * cycles when burst_s and idle_s are set), and when message k (from 0) is due. */
uint64_t loadscen_due(const loadengine_cfg *c, double rate, int64_t el_us);
int64_t loadscen_time_us(const loadengine_cfg *c, double rate, uint64_t k);
/* Subscribers that may be open t_s after the start (the ramp), of n. */
int loadscen_open_limit(const loadengine_cfg *c, int n, double t_s);

#endif
