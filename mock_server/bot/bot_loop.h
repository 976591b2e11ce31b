/* bot_loop: the mock trading bot's trading loop, as a pure generator plus a
 * thread that runs it on its own clock.
 *
 * The generator is deterministic for a seed: a per-symbol price random walk
 * (market_data), AI decisions (signal), orders and their lifecycle
 * (order_update), fills (trade_executed) and the positions and account they
 * imply (position_update, account_update), plus periodic heartbeat and
 * bot_status. Positions are the sum of signed fills; equity is balance plus
 * unrealised PnL. One loop iteration ("tick") hands out one trading event;
 * ticks follow the rate and pattern, and every event carries its tick's
 * schedule time (ts_us), not the time a socket took it.
 *
 * The runner thread (bot_loop_start) sleeps until the next schedule time,
 * produces everything due and gives it to a sink; it never waits for the
 * network. pause/set_rate may be called from any thread. */
#ifndef WSB_BOT_LOOP_H
#define WSB_BOT_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define BOT_DATA_MAX 1024 /* the largest data object the loop writes */
#define BOT_MAX_SYMBOLS 32
#define BOT_SYMBOL_MAX 24

enum bot_msg_type {
    BOT_MSG_MARKET_DATA = 0,
    BOT_MSG_SIGNAL,
    BOT_MSG_ORDER_UPDATE,
    BOT_MSG_TRADE_EXECUTED,
    BOT_MSG_POSITION_UPDATE,
    BOT_MSG_ACCOUNT_UPDATE,
    BOT_MSG_BOT_STATUS,
    BOT_MSG_HEARTBEAT,
    BOT_MSG_ALERT,
    BOT_MSG_COMMAND_ACK,
    BOT_MSG_NUM_TYPES
};

enum bot_pattern {
    BOT_PATTERN_STEADY = 0,
    BOT_PATTERN_BURSTS = 1, /* 0.5 s at 3x the rate every 2 s, 1/3 of it between */
};

/* The contract name of a type ("market_data"); static text. */
const char *bot_msg_type_name(int type);

typedef struct bot_event {
    int type;                /* enum bot_msg_type */
    int trading;             /* 1 for the six trading types (counted by --count) */
    int64_t ts_us;           /* schedule time, microseconds since the epoch */
    char data[BOT_DATA_MAX]; /* the data object as compact JSON */
} bot_event;

/* What heartbeat and bot_status report about the rest of the bot. */
typedef struct bot_loop_stats {
    int64_t generated;
    int64_t queued;
    int64_t dropped;
    int connected;
} bot_loop_stats;
typedef void (*bot_loop_stats_fn)(void *ud, bot_loop_stats *out);

typedef struct bot_loop_config {
    const char *symbols; /* comma-separated, e.g. "BTC-USD,ETH-USD"; NULL: default */
    uint64_t seed;
    double rate;             /* ticks (trading events) per second, > 0 */
    int pattern;             /* enum bot_pattern */
    int64_t start_us;        /* epoch time of schedule offset 0; 0: now */
    int64_t heartbeat_us;    /* heartbeat period in schedule time; 0: none */
    int64_t status_us;       /* bot_status period; 0: none */
    int64_t count;           /* stop after this many trading events; 0: unbounded */
    bot_loop_stats_fn stats; /* may be NULL (all zero) */
    void *stats_ud;
    int test_block_when_down; /* test-only (--test-fault block_loop): the runner waits
                                 while stats say disconnected, then catches up late */
    int test_bad_fills;       /* test-only (--test-fault bad_fills): every 5th
                                 trade_executed reports one unit more than was filled */
} bot_loop_config;

typedef struct bot_loop bot_loop;

/* NULL with err on a bad symbol list or rate. Free with bot_loop_free. */
bot_loop *bot_loop_new(const bot_loop_config *cfg, char *err, size_t errlen);
void bot_loop_free(bot_loop *loop);

/* Schedule offset (microseconds from start_us) of the next step; INT64_MAX
 * when the loop is finished (count reached). */
int64_t bot_loop_next_due(const bot_loop *loop);

/* Performs the next scheduled step. 1: *ev holds an event; 0: a tick that
 * produced nothing (paused); -1: finished. Not thread-safe against itself. */
int bot_loop_step(bot_loop *loop, bot_event *ev);

/* From any thread. */
void bot_loop_set_paused(bot_loop *loop, int paused);
int bot_loop_paused(const bot_loop *loop);
/* A bot_status event at the next step (the "status" command), beside the periodic ones. */
void bot_loop_request_status(bot_loop *loop);
int bot_loop_set_rate(bot_loop *loop, double rate); /* -1 when rate <= 0 or absurd */
double bot_loop_rate(const bot_loop *loop);
int64_t bot_loop_iterations(const bot_loop *loop);
int64_t bot_loop_trading_events(const bot_loop *loop);
int64_t bot_loop_start_us(const bot_loop *loop);
int bot_loop_finished(const bot_loop *loop);

/* Loop lateness: how long after its schedule time each step ran. Steps later
 * than BOT_LATE_BOUNDS_MS[i] ms are counted in late[i] (cumulative since the
 * start); *max_us gets the worst. A reader diffs two samples for a window. */
#define BOT_LATE_NB 8
#define BOT_LATE_BOUNDS_MS {1, 5, 10, 50, 100, 500, 1000, 5000}
void bot_loop_lateness(const bot_loop *loop, int64_t late[BOT_LATE_NB], int64_t *max_us);

/* The runner thread. sink is called on the runner thread for each event;
 * batch_done after each batch of due events (to wake the network loop). */
typedef void (*bot_loop_sink_fn)(void *ud, const bot_event *ev);
typedef void (*bot_loop_batch_fn)(void *ud);
int bot_loop_start(bot_loop *loop, bot_loop_sink_fn sink, bot_loop_batch_fn batch_done, void *ud,
                   char *err, size_t errlen);
/* Stops and joins the runner (no-op when not started). */
void bot_loop_stop(bot_loop *loop);

#endif
