/* fault_scene: what every fault-tolerance scenario shares: a subscriber that
 * follows the bot's stream into a ledger and resumes after every
 * interruption (fscene_follower), the scenario's frame (baseline, status
 * reads, the final ledger, the trading-rate and resource figures) and its
 * timeline in <results>/metrics/faults.json.
 *
 * A scenario is: fscene_begin (skips when the system lacks what it needs),
 * the fault itself (inject, wait for detection, heal, wait for recovery,
 * each an event of the timeline), fscene_end (waits until the subscriber
 * holds everything the bot generated, closes the ledger, judges and writes).
 * Every wait is bounded; the follower is pumped while waiting, so it keeps
 * reading and reconnecting. Nothing here asserts: results are check_result
 * with a message. */
#ifndef WSB_FAULT_SCENE_H
#define WSB_FAULT_SCENE_H

#include <stddef.h>
#include <stdint.h>

#include "bridge.h"
#include "fault_ledger.h"

typedef struct fscene fscene;

/* What a scenario needs of the environment (ENV_CAP_* bits) and how it is
 * judged at the end. */
typedef struct fscene_opts {
    unsigned caps;        /* needed besides ENV_CAP_BOT */
    int judge_rate;       /* check the bot's generated rate over the scenario (5 %) */
    int allow_announced;  /* sequences announced in gap frames are not a failure */
    int resources;        /* the dashboard's RSS and open fds before and after, also in the
                             short profile (a Docker stats sample takes ~2 s) */
} fscene_opts;

/* Starts a scenario: SKIP when the system lacks a bot, its status, or caps;
 * FAIL when the follower cannot subscribe. NULL with *r and msg set then;
 * else msg is emptied for the scenario's own words. */
fscene *fscene_begin(const suite_ctx *ctx, const char *name, const fscene_opts *o, char *msg,
                     size_t len, check_result *r);

/* A timeline event ("inject", "detected", "heal", "recovered"...) with detail. */
void fscene_event(fscene *s, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Seconds since the scenario began (monotonic). */
double fscene_now(const fscene *s);
/* Keeps the follower reading (and resuming) for ms. */
void fscene_pump(fscene *s, int ms);

/* Waits (pumping) until the bot's status says connected == want; the seconds it
 * took, or -1 on timeout. */
double fscene_wait_bot_connected(fscene *s, int want, int timeout_ms);
/* The bot's status number at key ("last_seq", "generated"...), -1 when unreadable. */
int64_t fscene_bot_num(fscene *s, const char *key);
/* The same for n keys read from ONE status document (figures that must agree,
 * such as last_seq and generated, taken at one instant). */
void fscene_bot_nums(fscene *s, const char *const *keys, int64_t *vals, int n);
/* The bot's rate as the environment configured it (else as its status says). */
double fscene_configured_rate(fscene *s);
/* The dashboard's last_seq for the bot, -1 when unreadable. */
int64_t fscene_dashboard_last_seq(fscene *s);
/* The dashboard's status number for the bot's source at key ("gaps", "gap_messages"):
 * 0 when the source has no entry yet, -1 when the status is unreadable. */
int64_t fscene_dashboard_num(fscene *s, const char *key);
/* The follower's ledger (owned by s; valid until fscene_end). */
const ledger *fscene_ledger(const fscene *s);
/* The follower's client engine (owned by s): a scenario's other connections
 * opened on it are serviced by fscene_pump and the waits. */
wsclient *fscene_client(fscene *s);
/* Restarts service sv with extra command-line arguments (envdriver_set_args; ""
 * gives it back its own) and waits until it is healthy; 0, or -1 with err. Only
 * drivers that can change a command line (native) can; the others say so in err. */
int fscene_restart_with(const suite_ctx *ctx, env_service sv, const char *args, char *err,
                        size_t len);
/* Waits (pumping) until the follower holds every sequence up to seq (received
 * or announced); seconds taken, or -1 on timeout. */
double fscene_wait_caught_up(fscene *s, int64_t seq, int timeout_ms);

/* Latency samples (receive time minus the bot's ts_us) of what the follower
 * receives from now on; fscene_latency_stop ends the phase and gives its
 * percentile pct in ms (-1 when no sample). The low percentiles are the
 * link's floor: a machine's load only adds to them. */
void fscene_latency_start(fscene *s);
double fscene_latency_stop(fscene *s, double pct, double *p50, size_t *count);

/* A second, fresh subscriber replays the bot's stream from the scenario's
 * start up to the bot's current last_seq: the dashboard's durable history
 * must still hold all of it (its own ledger joins the scenario's). FAIL with
 * a message naming what is missing, else PASS. */
check_result fscene_replay(fscene *s, char *msg, size_t len);

/* Records a figure: a metric of the test and a field of the scenario's JSON. */
void fscene_figure(fscene *s, const char *name, double value, const char *unit);

/* Ends the scenario: waits for the follower to hold everything up to the bot's
 * last_seq, closes the ledger, judges it (and the rate when asked), records
 * the figures and the timeline, frees s. r is the fault's own verdict so far
 * (a FAIL there is kept, with its message). */
check_result fscene_end(fscene *s, check_result r, char *msg, size_t len);

/* The profile: 1 for "short". */
int fscene_short(const suite_ctx *ctx);

#endif
