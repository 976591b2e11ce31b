/* wsb-bot: the mock AI trading bot that publishes to the dashboard.
 *
 * This file is the program around the modules: configuration from the
 * environment names a real bot deployment uses (SYSTEM__WEBSOCKET_*) and flags, --help, the lws context (one vhost
 * serving the status endpoints and carrying the client connection),
 * signals, --count runs and the bounded flush on SIGTERM.
 *   bot_loop   the trading loop on its own thread and clock
 *   bot_queue  the bounded queue of unacked messages
 *   bot_conn   the WebSocket client to the dashboard
 *   bot_status /health, /status, /metrics
 * The trading loop has its own thread (not an lws timer) because this lws
 * build resolves names synchronously (no LWS_WITH_SYS_ASYNC_DNS): a connect
 * attempt during a network outage can block the service thread for seconds,
 * and the loop must keep its schedule meanwhile. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libwebsockets.h>

#include "bot_conn.h"
#include "bot_loop.h"
#include "bot_queue.h"
#include "bot_state.h"
#include "bot_status.h"
#include "envelope.h"
#include "wclock.h"
#include "wparse.h"
#include "wlog.h"

#define APP_TICK_US (50 * 1000)

typedef struct bot_config {
    int enabled;
    const char *url;
    int max_retries;
    double retry_delay_s;
    long queue_size;
    int drop_policy;
    int test_mode;
    const char *token;
    const char *jwt_secret;
    const char *source;
    long status_port; /* -1: off, 0: pick */
    const char *symbols;
    double rate;
    int pattern;
    uint64_t seed;
    int seed_given;
    long long count;
    double timeout_s;
    double flush_timeout_s;
    double ping_interval_s;
    double pong_timeout_s;
    double heartbeat_s;
    double status_s;
    const char *ca_file;
    const char *log_level;
    const char *state_file; /* the last assigned number survives a kill (bot_state.h) */
    const char *test_fault; /* test-only misbehaviour (--test-fault, see bot_conn.h) */
} bot_config;

typedef struct bot_app {
    bot_config cfg;
    struct lws_context *ctx;
    bot_loop *loop;
    bot_queue *q;
    bot_conn *conn;
    bot_status *status;
    bot_state *state;
    lws_sorted_usec_list_t sul_app;
    int64_t started_us;
    int stopping; /* SIGTERM seen: flushing */
    int64_t flush_deadline_us;
    int64_t count_done_us;
    int done;
    int exit_code;
} bot_app;

static volatile sig_atomic_t got_signal;
static struct lws_context *signal_ctx;

static void on_signal(int sig)
{
    got_signal = sig;
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
}

/* ---- configuration ------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: wsb-bot [options]\n"
        "The mock AI trading bot: trades on its own clock and publishes the contract's\n"
        "messages to the dashboard with at-least-once delivery and exact drop accounting.\n"
        "Options (environment names in brackets; flags win over the environment):\n"
        "  --url URL              dashboard publisher endpoint [SYSTEM__WEBSOCKET_DASHBOARD_URL]\n"
        "                         (default ws://dashboard-backend:8000/ws)\n"
        "  --publish BOOL         publish at all [SYSTEM__ENABLE_WEBSOCKET_PUBLISHING] (true)\n"
        "  --max-retries N        failed attempts in a row before giving up, 0 = forever\n"
        "                         [SYSTEM__WEBSOCKET_MAX_RETRIES] (0)\n"
        "  --retry-delay S        first backoff delay in seconds, fractional ok; doubles per\n"
        "                         attempt up to 30 s, 20%% jitter [SYSTEM__WEBSOCKET_RETRY_DELAY] "
        "(1)\n"
        "  --queue-size N         unacked messages kept [SYSTEM__WEBSOCKET_QUEUE_SIZE] (100)\n"
        "  --drop-policy P        oldest (drop the oldest unacked) | newest (refuse the new one)\n"
        "  --log-level L          error|warn|info|debug [LOG_LEVEL] (info)\n"
        "  --test-mode BOOL       heartbeat every 1 s and bot_status every 5 s (else 5 s / 30 s)\n"
        "                         [TEST_MODE] (false)\n"
        "  --token T              bearer token [WSB_BOT_TOKEN]\n"
        "  --jwt-secret S         mint a publisher token (sub = source) per connection attempt\n"
        "                         [WSB_JWT_SECRET, DASHBOARD_JWT_SECRET]\n"
        "  --source NAME          this bot's source name [BOT_SOURCE, WSB_BOT_SOURCE] (bot-1)\n"
        "  --status-port N        HTTP /health /status /metrics; 0 = pick a free port and print\n"
        "                         \"status on port N\"; -1 = off [WSB_BOT_STATUS_PORT] (8081)\n"
        "  --symbols LIST         comma-separated symbols [WSB_BOT_SYMBOLS] "
        "(BTC-USD,ETH-USD,SOL-USD)\n"
        "  --rate R               trading events per second [BOT_RATE, WSB_BOT_RATE] (10)\n"
        "  --pattern P            steady | bursts (0.5 s at 3x every 2 s) [WSB_BOT_PATTERN]\n"
        "  --seed N               seed of the trading stream [WSB_BOT_SEED] (time-based)\n"
        "  --count N              publish exactly N trading events, wait for their acks, print a\n"
        "                         summary, exit 0 only if acked + dropped == generated\n"
        "  --timeout S            --count: seconds to wait for acks after the last event (30)\n"
        "  --flush-timeout S      SIGTERM: seconds to try to flush the queue (5)\n"
        "  --ping-interval S      silence before a ping (5)\n"
        "  --pong-timeout S       further silence before the connection counts as dead (5)\n"
        "  --heartbeat S          heartbeat period in seconds (overrides --test-mode)\n"
        "  --bot-status S         bot_status period in seconds (overrides --test-mode)\n"
        "  --ca-file F            CA bundle for wss:// [WSB_CA_FILE]\n"
        "  --state-file F         keep the last assigned seq in F; after a kill, number after\n"
        "                         it and announce what was lost [WSB_BOT_STATE_FILE] (none)\n"
        "  -h, --help             this text\n"
        "SIGTERM/SIGINT: stop trading, flush for at most --flush-timeout, exit 0.\n");
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

enum {
    OPT_URL = 256,
    OPT_PUBLISH,
    OPT_MAX_RETRIES,
    OPT_RETRY_DELAY,
    OPT_QUEUE_SIZE,
    OPT_DROP_POLICY,
    OPT_LOG_LEVEL,
    OPT_TEST_MODE,
    OPT_TOKEN,
    OPT_JWT_SECRET,
    OPT_SOURCE,
    OPT_STATUS_PORT,
    OPT_SYMBOLS,
    OPT_STATE_FILE,
    OPT_RATE,
    OPT_PATTERN,
    OPT_SEED,
    OPT_COUNT,
    OPT_TIMEOUT,
    OPT_FLUSH_TIMEOUT,
    OPT_PING,
    OPT_PONG,
    OPT_HEARTBEAT,
    OPT_BOT_STATUS,
    OPT_CA_FILE,
    OPT_TEST_FAULT,
};

/* The numeric and boolean settings: where each one goes and its range. */
typedef enum { NUM_BOOL, NUM_INT, NUM_LONG, NUM_LLONG, NUM_DOUBLE } num_kind;
static const struct {
    int opt;
    num_kind kind;
    double lo, hi; /* integers: exact in a double */
    size_t off;
} num_opts[] = {
    {OPT_PUBLISH, NUM_BOOL, 0, 0, offsetof(bot_config, enabled)},
    {OPT_TEST_MODE, NUM_BOOL, 0, 0, offsetof(bot_config, test_mode)},
    {OPT_MAX_RETRIES, NUM_INT, 0, INT_MAX, offsetof(bot_config, max_retries)},
    {OPT_QUEUE_SIZE, NUM_LONG, 1, 10000000, offsetof(bot_config, queue_size)},
    {OPT_STATUS_PORT, NUM_LONG, -1, 65535, offsetof(bot_config, status_port)},
    {OPT_COUNT, NUM_LLONG, 1, 4503599627370496.0 /* 2^52 */, offsetof(bot_config, count)},
    {OPT_RETRY_DELAY, NUM_DOUBLE, 0.001, 3600, offsetof(bot_config, retry_delay_s)},
    {OPT_RATE, NUM_DOUBLE, 1e-6, 1e7, offsetof(bot_config, rate)},
    {OPT_TIMEOUT, NUM_DOUBLE, 0.001, 86400, offsetof(bot_config, timeout_s)},
    {OPT_FLUSH_TIMEOUT, NUM_DOUBLE, 0, 3600, offsetof(bot_config, flush_timeout_s)},
    {OPT_PING, NUM_DOUBLE, 0.01, 3600, offsetof(bot_config, ping_interval_s)},
    {OPT_PONG, NUM_DOUBLE, 0.01, 3600, offsetof(bot_config, pong_timeout_s)},
    {OPT_HEARTBEAT, NUM_DOUBLE, 0, 3600, offsetof(bot_config, heartbeat_s)},
    {OPT_BOT_STATUS, NUM_DOUBLE, 0, 3600, offsetof(bot_config, status_s)},
};

/* Applies a numeric or boolean setting: 0, -1 with err, or 1 when opt is not one. */
static int apply_num(bot_config *c, int opt, const char *v, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++) {
        if (num_opts[i].opt != opt)
            continue;
        char *field = (char *)c + num_opts[i].off;
        long long n;
        if (num_opts[i].kind == NUM_BOOL)
            return wparse_bool(v, (int *)(void *)field, err, errlen) ? -1 : 0;
        if (num_opts[i].kind == NUM_DOUBLE)
            return wparse_double(v, num_opts[i].lo, num_opts[i].hi, (double *)(void *)field, err,
                                 errlen)
                       ? -1
                       : 0;
        if (wparse_long(v, (long long)num_opts[i].lo, (long long)num_opts[i].hi, &n, err, errlen))
            return -1;
        if (num_opts[i].kind == NUM_INT)
            *(int *)(void *)field = (int)n;
        else if (num_opts[i].kind == NUM_LONG)
            *(long *)(void *)field = (long)n;
        else
            *(long long *)(void *)field = n;
        return 0;
    }
    return 1;
}

/* Applies one setting (from a flag or the environment). 0, or -1 with err. */
static int apply(bot_config *c, int opt, const char *v, char *err, size_t errlen)
{
    long long n;
    int r = apply_num(c, opt, v, err, errlen);
    if (r <= 0)
        return r;
    switch (opt) {
    case OPT_URL:
        c->url = v;
        return 0;
    case OPT_DROP_POLICY:
        if (!strcmp(v, "oldest"))
            c->drop_policy = BOT_DROP_OLDEST;
        else if (!strcmp(v, "newest"))
            c->drop_policy = BOT_DROP_NEWEST;
        else
            goto bad;
        return 0;
    case OPT_LOG_LEVEL:
        if (wlog_parse_level(v) < 0)
            goto bad;
        c->log_level = v;
        return 0;
    case OPT_TOKEN:
        c->token = *v ? v : NULL;
        return 0;
    case OPT_JWT_SECRET:
        c->jwt_secret = *v ? v : NULL;
        return 0;
    case OPT_SOURCE:
        if (!envelope_source_ok(v))
            goto bad;
        c->source = v;
        return 0;
    case OPT_SYMBOLS:
        c->symbols = v;
        return 0;
    case OPT_PATTERN:
        if (!strcmp(v, "steady"))
            c->pattern = BOT_PATTERN_STEADY;
        else if (!strcmp(v, "bursts"))
            c->pattern = BOT_PATTERN_BURSTS;
        else
            goto bad;
        return 0;
    case OPT_SEED:
        if (wparse_long(v, 0, LLONG_MAX, &n, err, errlen))
            return -1;
        c->seed = (uint64_t)n;
        c->seed_given = 1;
        return 0;
    case OPT_CA_FILE:
        c->ca_file = v;
        return 0;
    case OPT_STATE_FILE:
        c->state_file = v;
        return 0;
    case OPT_TEST_FAULT: /* test-only, deliberately not in --help */
        if (strcmp(v, "reuse_seq") && strcmp(v, "silent_drop") && strcmp(v, "block_loop") &&
            strcmp(v, "stamp_at_send") && strcmp(v, "bad_fills") && strcmp(v, "lose_state") &&
            strcmp(v, "wrong_loss"))
            goto bad;
        c->test_fault = v;
        return 0;
    default:
        break;
    }
bad:
    snprintf(err, errlen, "bad value \"%s\"", v);
    return -1;
}

static const struct option long_opts[] = {
    {"url", required_argument, 0, OPT_URL},
    {"publish", required_argument, 0, OPT_PUBLISH},
    {"max-retries", required_argument, 0, OPT_MAX_RETRIES},
    {"retry-delay", required_argument, 0, OPT_RETRY_DELAY},
    {"queue-size", required_argument, 0, OPT_QUEUE_SIZE},
    {"drop-policy", required_argument, 0, OPT_DROP_POLICY},
    {"log-level", required_argument, 0, OPT_LOG_LEVEL},
    {"test-mode", required_argument, 0, OPT_TEST_MODE},
    {"token", required_argument, 0, OPT_TOKEN},
    {"jwt-secret", required_argument, 0, OPT_JWT_SECRET},
    {"source", required_argument, 0, OPT_SOURCE},
    {"status-port", required_argument, 0, OPT_STATUS_PORT},
    {"symbols", required_argument, 0, OPT_SYMBOLS},
    {"rate", required_argument, 0, OPT_RATE},
    {"pattern", required_argument, 0, OPT_PATTERN},
    {"seed", required_argument, 0, OPT_SEED},
    {"count", required_argument, 0, OPT_COUNT},
    {"timeout", required_argument, 0, OPT_TIMEOUT},
    {"flush-timeout", required_argument, 0, OPT_FLUSH_TIMEOUT},
    {"ping-interval", required_argument, 0, OPT_PING},
    {"pong-timeout", required_argument, 0, OPT_PONG},
    {"heartbeat", required_argument, 0, OPT_HEARTBEAT},
    {"bot-status", required_argument, 0, OPT_BOT_STATUS},
    {"ca-file", required_argument, 0, OPT_CA_FILE},
    {"state-file", required_argument, 0, OPT_STATE_FILE},
    {"test-fault", required_argument, 0, OPT_TEST_FAULT},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static const struct {
    const char *env;
    int opt;
} env_map[] = {
    {"SYSTEM__WEBSOCKET_DASHBOARD_URL", OPT_URL},
    {"SYSTEM__ENABLE_WEBSOCKET_PUBLISHING", OPT_PUBLISH},
    {"SYSTEM__WEBSOCKET_MAX_RETRIES", OPT_MAX_RETRIES},
    {"SYSTEM__WEBSOCKET_RETRY_DELAY", OPT_RETRY_DELAY},
    {"SYSTEM__WEBSOCKET_QUEUE_SIZE", OPT_QUEUE_SIZE},
    {"LOG_LEVEL", OPT_LOG_LEVEL},
    {"TEST_MODE", OPT_TEST_MODE},
    {"WSB_BOT_TOKEN", OPT_TOKEN},
    {"DASHBOARD_JWT_SECRET", OPT_JWT_SECRET},
    {"WSB_JWT_SECRET", OPT_JWT_SECRET}, /* wins over DASHBOARD_JWT_SECRET */
    {"BOT_SOURCE", OPT_SOURCE},
    {"WSB_BOT_SOURCE", OPT_SOURCE},
    {"WSB_BOT_STATUS_PORT", OPT_STATUS_PORT},
    {"WSB_BOT_SYMBOLS", OPT_SYMBOLS},
    {"BOT_RATE", OPT_RATE},
    {"WSB_BOT_RATE", OPT_RATE},
    {"WSB_BOT_PATTERN", OPT_PATTERN},
    {"WSB_BOT_SEED", OPT_SEED},
    {"WSB_CA_FILE", OPT_CA_FILE},
    {"WSB_BOT_STATE_FILE", OPT_STATE_FILE},
};

static int configure(bot_config *c, int argc, char **argv)
{
    memset(c, 0, sizeof(*c));
    c->enabled = 1;
    c->url = "ws://dashboard-backend:8000/ws";
    c->max_retries = 0;
    c->retry_delay_s = 1.0;
    c->queue_size = 100;
    c->source = "bot-1";
    c->status_port = 8081;
    c->rate = 10;
    c->timeout_s = 30;
    c->flush_timeout_s = 5;
    c->ping_interval_s = 5;
    c->pong_timeout_s = 5;
    c->heartbeat_s = -1;
    c->status_s = -1;
    char err[160];
    for (size_t i = 0; i < sizeof(env_map) / sizeof(env_map[0]); i++) {
        const char *v = env_or(env_map[i].env, NULL);
        if (v && apply(c, env_map[i].opt, v, err, sizeof(err))) {
            fprintf(stderr, "wsb-bot: %s: %s\n", env_map[i].env, err);
            return -1;
        }
    }
    int o;
    while ((o = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (o == 'h') {
            usage(stdout);
            exit(0);
        }
        if (o == '?') {
            usage(stderr);
            return -1;
        }
        if (apply(c, o, optarg, err, sizeof(err))) {
            for (const struct option *lo = long_opts; lo->name; lo++)
                if (lo->val == o)
                    fprintf(stderr, "wsb-bot: --%s: %s\n", lo->name, err);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "wsb-bot: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (c->heartbeat_s < 0)
        c->heartbeat_s = c->test_mode ? 1 : 5;
    if (c->status_s < 0)
        c->status_s = c->test_mode ? 5 : 30;
    if (!c->seed_given)
        c->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return 0;
}

/* ---- glue between the modules ------------------------------------------- */

static void loop_stats(void *ud, bot_loop_stats *out)
{
    bot_app *a = ud;
    bot_queue_stats qs;
    bot_queue_get_stats(a->q, &qs);
    out->generated = qs.generated;
    out->queued = qs.queued;
    out->dropped = qs.dropped;
    out->connected = a->conn ? bot_conn_connected(a->conn) : 0; /* runs on the loop thread */
}

static void loop_sink(void *ud, const bot_event *ev)
{
    bot_app *a = ud;
    if (!a->cfg.enabled)
        return; /* trading goes on; nothing is published */
    bot_queue_push(a->q, bot_msg_type_name(ev->type), ev->ts_us, ev->data, strlen(ev->data));
}

static void loop_batch(void *ud)
{
    bot_app *a = ud;
    if (a->conn)
        bot_conn_wake(a->conn);
}

static void status_snapshot(void *ud, bot_status_snapshot *s)
{
    bot_app *a = ud;
    bot_queue_stats qs;
    bot_queue_get_stats(a->q, &qs);
    bot_conn_status cs;
    memset(&cs, 0, sizeof(cs));
    if (a->conn)
        bot_conn_get_status(a->conn, &cs);
    static char last_error[BOT_CONN_ERR_MAX];
    snprintf(last_error, sizeof(last_error), "%s", cs.last_error);
    s->source = a->cfg.source;
    s->uptime_s = (double)(wclock_real_us() - a->started_us) / 1e6;
    s->connected = cs.connected;
    if (a->stopping)
        s->state = "stopping";
    else if (bot_loop_paused(a->loop))
        s->state = "paused";
    else if (cs.connected || !a->cfg.enabled)
        s->state = "running";
    else if (cs.reconnects == 0 && cs.attempts <= 1 && s->uptime_s < 5 && !cs.gave_up)
        s->state = "starting";
    else
        s->state = "degraded";
    s->rate = bot_loop_rate(a->loop);
    s->loop_iterations = bot_loop_iterations(a->loop);
    bot_loop_lateness(a->loop, s->late, &s->late_max_us);
    s->generated = qs.generated;
    s->sent = qs.sent;
    s->acked = qs.acked;
    s->acked_seq = qs.acked_seq;
    s->last_seq = qs.last_seq;
    s->queued = qs.queued;
    s->dropped = qs.dropped;
    s->restored_seq = qs.restored_seq;
    s->lost_at_source = qs.lost_at_source;
    s->reconnects = cs.reconnects;
    s->last_error = last_error;
}

static void print_summary(bot_app *a, const char *result)
{
    bot_queue_stats qs;
    bot_queue_get_stats(a->q, &qs);
    bot_conn_status cs;
    memset(&cs, 0, sizeof(cs));
    if (a->conn)
        bot_conn_get_status(a->conn, &cs);
    printf("wsb-bot summary: source=%s trading=%lld generated=%lld acked=%lld dropped=%lld "
           "queued=%lld sent=%lld last_seq=%lld reconnects=%lld elapsed_s=%.3f result=%s\n",
           a->cfg.source, (long long)bot_loop_trading_events(a->loop), (long long)qs.generated,
           (long long)qs.acked, (long long)qs.dropped, (long long)qs.queued, (long long)qs.sent,
           (long long)qs.last_seq, (long long)cs.reconnects,
           (double)(wclock_real_us() - a->started_us) / 1e6, result);
    fflush(stdout);
}

static void finish(bot_app *a, int code)
{
    if (a->done)
        return;
    a->done = 1;
    a->exit_code = code;
    bot_loop_stop(a->loop);
    if (a->conn)
        bot_conn_shutdown(a->conn);
    lws_cancel_service(a->ctx);
}

static void app_tick(lws_sorted_usec_list_t *sul)
{
    bot_app *a = lws_container_of(sul, bot_app, sul_app);
    int64_t now = wclock_real_us();
    bot_queue_stats qs;
    bot_queue_get_stats(a->q, &qs);
    bot_conn_status cs;
    memset(&cs, 0, sizeof(cs));
    if (a->conn)
        bot_conn_get_status(a->conn, &cs);
    /* settled: nothing queued and every drop reported (the alert itself acked) */
    int settled = qs.queued == 0 && qs.reported == qs.dropped;

    if (got_signal && !a->stopping) {
        wlog_info("signal %d: stopping the loop, flushing %lld queued for at most %.1f s",
                  (int)got_signal, (long long)qs.queued, a->cfg.flush_timeout_s);
        a->stopping = 1;
        bot_loop_stop(a->loop);
        a->flush_deadline_us = now + (int64_t)(a->cfg.flush_timeout_s * 1e6);
        if (a->cfg.enabled) {
            /* a last bot_status tells subscribers this stop was orderly */
            char d[512];
            int n = snprintf(d, sizeof(d),
                             "{\"state\":\"stopping\",\"uptime_s\":%.3f,\"loop_iterations\":%lld,"
                             "\"generated\":%lld,\"queued\":%lld,\"dropped\":%lld,"
                             "\"connected\":%s}",
                             (double)(now - a->started_us) / 1e6,
                             (long long)bot_loop_iterations(a->loop), (long long)qs.generated + 1,
                             (long long)qs.queued + 1, (long long)qs.dropped,
                             cs.connected ? "true" : "false");
            bot_queue_push_control(a->q, bot_msg_type_name(BOT_MSG_BOT_STATUS), now, d, (size_t)n);
            bot_conn_wake(a->conn);
            bot_queue_get_stats(a->q, &qs);
            settled = 0;
        }
    }
    if (a->stopping) {
        if (settled || !a->cfg.enabled || now >= a->flush_deadline_us || cs.gave_up) {
            wlog_info("stopped: generated %lld acked %lld dropped %lld queued %lld",
                      (long long)qs.generated, (long long)qs.acked, (long long)qs.dropped,
                      (long long)qs.queued);
            if (a->cfg.count)
                print_summary(a, settled ? "ok" : "interrupted");
            finish(a, 0);
            return;
        }
    } else if (a->cfg.count && bot_loop_finished(a->loop)) {
        if (!a->count_done_us)
            a->count_done_us = now;
        int timed_out = now - a->count_done_us >= (int64_t)(a->cfg.timeout_s * 1e6);
        if ((settled && qs.acked + qs.dropped == qs.generated) || timed_out || cs.gave_up ||
            !a->cfg.enabled) {
            int ok = settled && qs.acked + qs.dropped == qs.generated;
            print_summary(a, ok ? "ok" : timed_out ? "timeout" : "incomplete");
            finish(a, ok ? 0 : 1);
            return;
        }
    }
    lws_sul_schedule(a->ctx, 0, &a->sul_app, app_tick, APP_TICK_US);
}

static void lws_log_to_wlog(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    wlog_msg(level == LLL_ERR ? WLOG_WARN : WLOG_DEBUG, "lws: %.*s", (int)n, line);
}

int main(int argc, char **argv)
{
    static bot_app app; /* static: the lws callbacks hold pointers into it */
    bot_app *a = &app;
    char err[256];

    if (configure(&a->cfg, argc, argv))
        return 2;
    wlog_init("wsb-bot");
    if (a->cfg.log_level)
        wlog_set_level((enum wlog_level)wlog_parse_level(a->cfg.log_level));
    lws_set_log_level(wlog_get_level() >= WLOG_DEBUG ? (LLL_ERR | LLL_WARN) : LLL_ERR,
                      lws_log_to_wlog);
    signal(SIGPIPE, SIG_IGN);

    a->started_us = wclock_real_us();
    a->q = bot_queue_new((size_t)a->cfg.queue_size, a->cfg.drop_policy);
    if (!a->q) {
        wlog_error("out of memory for a queue of %ld", a->cfg.queue_size);
        return 1;
    }
    if (a->cfg.test_fault && !strcmp(a->cfg.test_fault, "stamp_at_send"))
        bot_queue_test_stamp_at_send(a->q);
    if (a->cfg.state_file) {
        int64_t last = 0;
        a->state = bot_state_open(a->cfg.state_file, &last, err, sizeof(err));
        if (!a->state) {
            wlog_error("%s", err);
            return 1;
        }
        /* test-only lose_state (and reuse_seq): start as if the file had been lost */
        int lose = a->cfg.test_fault && (!strcmp(a->cfg.test_fault, "lose_state") ||
                                         !strcmp(a->cfg.test_fault, "reuse_seq"));
        if (last > 0 && !lose) {
            wlog_info("state file: the previous process numbered up to %lld", (long long)last);
            bot_queue_set_floor(a->q, last);
        }
        bot_queue_on_number(a->q, bot_state_save, a->state);
    }
    bot_loop_config lc = {
        .symbols = a->cfg.symbols,
        .seed = a->cfg.seed,
        .rate = a->cfg.rate,
        .pattern = a->cfg.pattern,
        .start_us = a->started_us,
        .heartbeat_us = (int64_t)(a->cfg.heartbeat_s * 1e6),
        .status_us = (int64_t)(a->cfg.status_s * 1e6),
        .count = a->cfg.count,
        .stats = loop_stats,
        .stats_ud = a,
        .test_block_when_down = a->cfg.test_fault && !strcmp(a->cfg.test_fault, "block_loop"),
        .test_bad_fills = a->cfg.test_fault && !strcmp(a->cfg.test_fault, "bad_fills"),
    };
    a->loop = bot_loop_new(&lc, err, sizeof(err));
    if (!a->loop) {
        wlog_error("%s", err);
        return 2;
    }
    if (a->cfg.enabled) {
        bot_conn_config cc = {
            .url = a->cfg.url,
            .token = a->cfg.token,
            .jwt_secret = a->cfg.jwt_secret,
            .source = a->cfg.source,
            .retry_delay_s = a->cfg.retry_delay_s,
            .max_retries = a->cfg.max_retries,
            .ping_interval_s = a->cfg.ping_interval_s,
            .pong_timeout_s = a->cfg.pong_timeout_s,
            .test_fault = a->cfg.test_fault,
        };
        a->conn = bot_conn_new(&cc, a->q, a->loop, err, sizeof(err));
        if (!a->conn) {
            wlog_error("%s", err);
            return 2;
        }
        if (!a->cfg.token && !a->cfg.jwt_secret)
            wlog_warn("no --token or --jwt-secret: connecting without credentials");
    }
    a->status = bot_status_new(status_snapshot, a);

    struct lws_protocols protocols[3];
    memset(protocols, 0, sizeof(protocols));
    int np = 0;
    protocols[np++] = bot_status_protocol(a->status);
    if (a->conn)
        protocols[np++] = bot_conn_protocol(a->conn);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_DISABLE_IPV6;
    info.user = a;
    info.timeout_secs = 5;
    info.connect_timeout_secs = 5;
    a->ctx = lws_create_context(&info);
    if (!a->ctx) {
        wlog_error("lws_create_context failed");
        return 1;
    }
    info.port = a->cfg.status_port < 0 ? CONTEXT_PORT_NO_LISTEN : (int)a->cfg.status_port;
    info.vhost_name = "wsb-bot";
    info.protocols = protocols;
    info.client_ssl_ca_filepath = a->cfg.ca_file;
    struct lws_vhost *vh = lws_create_vhost(a->ctx, &info);
    if (!vh) {
        wlog_error("cannot create the vhost (status port %ld in use?)", a->cfg.status_port);
        lws_context_destroy(a->ctx);
        return 1;
    }
    if (a->cfg.status_port == 0) {
        printf("status on port %d\n", lws_get_vhost_listen_port(vh));
        fflush(stdout);
    }
    wlog_info("source %s, url %s, rate %g/s (%s), queue %ld, seed %llu%s", a->cfg.source,
              a->cfg.enabled ? a->cfg.url : "(publishing disabled)", a->cfg.rate,
              a->cfg.pattern == BOT_PATTERN_BURSTS ? "bursts" : "steady", a->cfg.queue_size,
              (unsigned long long)a->cfg.seed, a->cfg.test_mode ? ", test mode" : "");

    signal_ctx = a->ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (a->conn)
        bot_conn_start(a->conn, a->ctx, vh);
    if (bot_loop_start(a->loop, loop_sink, loop_batch, a, err, sizeof(err))) {
        wlog_error("%s", err);
        lws_context_destroy(a->ctx);
        return 1;
    }
    lws_sul_schedule(a->ctx, 0, &a->sul_app, app_tick, APP_TICK_US);

    while (!a->done)
        if (lws_service(a->ctx, 0) < 0)
            break;
    /* a few non-blocking turns let the close frame go out */
    for (int i = 0; i < 20; i++) {
        lws_service(a->ctx, -1);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    bot_loop_stop(a->loop);
    signal_ctx = NULL;
    lws_context_destroy(a->ctx);
    bot_conn_free(a->conn);
    bot_status_free(a->status);
    bot_loop_free(a->loop);
    bot_queue_free(a->q);
    bot_state_close(a->state);
    return a->exit_code;
}
