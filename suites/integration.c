/* integration: the integration suite. The bot's whole trading cycle followed
 * in the stream (integ_ledger.c), commands from a subscriber to the bot and
 * back, the status endpoints and /metrics against the wire, /metrics
 * snapshots, and every service log of the run (integ_logs.c). Each check is a
 * function of integration.h, proved against faulty peers by
 * harness/tests/test_integ_faulty.c. */
#include "integration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "httpc.h"
#include "integ_ledger.h"
#include "promtext.h"
#include "wclock.h"
#include "wjson.h"

#define OPEN_TIMEOUT_MS 10000
#define CMD_TIMEOUT_MS 5000
#define REPLAY_TIMEOUT_MS 60000
#define MAX_ACKS 16

static const char *bot_of(const suite_ctx *ctx)
{
    return ctx->bot_source ? ctx->bot_source : "bot-1";
}

static double env_num(const char *name, double dflt)
{
    const char *v = getenv(name);
    return v && *v ? atof(v) : dflt;
}

static int is_short(const suite_ctx *ctx)
{
    return ctx->profile.name && !strcmp(ctx->profile.name, "short");
}

static int trading_type(const char *t)
{
    return !strcmp(t, "market_data") || !strcmp(t, "signal") || !strcmp(t, "order_update") ||
           !strcmp(t, "trade_executed") || !strcmp(t, "position_update") ||
           !strcmp(t, "account_update");
}

/* ---- what a subscriber saw of the bot ------------------------------------------ */

typedef struct ack_seen {
    char id[64];
    char status[16];
    int64_t seq, ts_us, rx_mono_us;
} ack_seen;

typedef struct wire {
    const char *bot;
    integ_ledger *ledger; /* fed every frame when set */
    int64_t first_seq, max_seq, count;
    int64_t gaps; /* seq not max+1 */
    char gap_text[160];
    int64_t trading;      /* trading envelopes */
    int64_t last_trade_ts;
    int64_t last_trade_seq;
    char last_state[16];  /* of the last bot_status */
    int64_t last_state_seq;
    ack_seen acks[MAX_ACKS];
    int nacks;
} wire;

static void wire_cb(wsconn *k, const wsmsg *m, void *arg)
{
    (void)k;
    wire *w = arg;
    if (w->ledger)
        integ_ledger_feed(w->ledger, m->text, m->len);
    envelope_peek pk;
    if (envelope_peek_fields(m->text, m->len, &pk) < 0 || strcmp(pk.source, w->bot) || pk.seq <= 0)
        return;
    if (w->count && pk.seq != w->max_seq + 1 && w->gaps++ == 0)
        snprintf(w->gap_text, sizeof(w->gap_text), "seq %lld after %lld", (long long)pk.seq,
                 (long long)w->max_seq);
    if (!w->count)
        w->first_seq = pk.seq;
    if (pk.seq > w->max_seq)
        w->max_seq = pk.seq;
    w->count++;
    if (trading_type(pk.type)) {
        w->trading++;
        w->last_trade_ts = pk.ts_us;
        w->last_trade_seq = pk.seq;
    } else if (!strcmp(pk.type, "command_ack") || !strcmp(pk.type, "bot_status")) {
        cJSON *j = wjson_parse(m->text, m->len, WJSON_DEFAULT_MAX_DEPTH, NULL, 0);
        if (!strcmp(pk.type, "bot_status")) {
            snprintf(w->last_state, sizeof(w->last_state), "%s", wjson_str(j, "data.state", ""));
            w->last_state_seq = pk.seq;
        } else if (w->nacks < MAX_ACKS) {
            ack_seen *a = &w->acks[w->nacks++];
            snprintf(a->id, sizeof(a->id), "%s", wjson_str(j, "data.command_id", ""));
            snprintf(a->status, sizeof(a->status), "%s", wjson_str(j, "data.status", ""));
            a->seq = pk.seq;
            a->ts_us = pk.ts_us;
            a->rx_mono_us = m->rx_mono_us;
        }
        cJSON_Delete(j);
    }
}

static wsconn *wire_open(wsclient *c, const suite_ctx *ctx, wire *w, const char *sj, char *err,
                         size_t errlen)
{
    wsconn_opts o;
    memset(&o, 0, sizeof(o));
    o.keep_messages = -1;
    o.on_message = wire_cb;
    o.on_message_arg = w;
    return bridge_subscriber(c, ctx, sj, &o, OPEN_TIMEOUT_MS, err, errlen);
}

static const ack_seen *ack_find(const wire *w, const char *id, const char *status)
{
    for (int i = 0; i < w->nacks; i++)
        if (!strcmp(w->acks[i].id, id) && (!status || !strcmp(w->acks[i].status, status)))
            return &w->acks[i];
    return NULL;
}

/* ---- the trading cycle ------------------------------------------------------------- */

typedef struct caught_up {
    const wire *w;
    int64_t target;
} caught_up;

static int reached(void *arg)
{
    const caught_up *a = arg;
    return a->w->max_seq >= a->target;
}

check_result integration_check_trading_cycle(const suite_ctx *ctx, char *msg, size_t len)
{
    if (!envdriver_has(ctx->env, ENV_CAP_BOT))
        return bridge_skip(msg, len, "no bot in the system under test (give --bot-status-url)");
    char err[512];
    int absent = 0;
    cJSON *ds = bridge_dashboard_status(ctx, &absent, err, sizeof(err));
    if (!ds)
        return absent ? bridge_skip(msg, len, "the dashboard has no status endpoint: %.400s", err)
                      : bridge_fail(msg, len, "dashboard status: %.400s", err);
    const char *bot = bot_of(ctx);
    int64_t held = 0;
    wjson_get_int64(wjson_getv(ds, "sources", bot, "last_seq", NULL), &held);
    cJSON_Delete(ds);
    integ_ledger *l = integ_ledger_new(bot);
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!l || !c) {
        integ_ledger_free(l);
        wsclient_free(c);
        return bridge_fail(msg, len, "client: %.400s", err);
    }
    check_result r = CHECK_PASS;
    wire w = {.bot = bot, .ledger = l};
    /* from 0: every message the dashboard still holds, its gaps told, then live */
    char sj[256];
    snprintf(sj, sizeof(sj), "{\"type\":\"subscribe\",\"from\":{\"%s\":0}}", bot);
    int64_t t0 = wclock_mono_us();
    wsconn *k = wire_open(c, ctx, &w, sj, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    caught_up cu = {&w, held};
    if (wsclient_run_until(c, reached, &cu, REPLAY_TIMEOUT_MS) < 0) {
        r = bridge_fail(msg, len,
                        "the replay from seq 0 stopped at seq %lld within %d s; the dashboard "
                        "held %lld (missing)",
                        (long long)w.max_seq, REPLAY_TIMEOUT_MS / 1000, (long long)held);
        goto out;
    }
    double replay_s = (double)(wclock_mono_us() - t0) / 1e6;
    double window = env_num("WSB_INTEG_WINDOW_S", is_short(ctx) ? 8 : 30);
    wsclient_run_for(c, (int)(window * 1000));
    integ_ledger_stats st;
    integ_ledger_stats_get(l, &st);
    int64_t min_fills = (int64_t)env_num("WSB_INTEG_MIN_FILLS", 20);
    suite_metric("cycle_messages", (double)st.messages, "msgs");
    suite_metric("cycle_replay_s", replay_s, "s");
    suite_metric("cycle_fills_checked", (double)st.fills_checked, "fills");
    suite_metric("cycle_orders_checked", (double)st.orders_checked, "orders");
    suite_metric("cycle_positions_checked", (double)st.positions_checked, "updates");
    suite_metric("cycle_accounts_checked", (double)st.accounts_checked, "updates");
    suite_metric("cycle_segments", (double)st.segments, "segments");
    suite_log("trading cycle: %lld messages to seq %lld, %lld of %lld fills judged, %lld orders, "
              "%lld position and %lld account updates, %lld segments",
              (long long)st.messages, (long long)st.last_seq, (long long)st.fills_checked,
              (long long)st.fills_seen, (long long)st.orders_checked,
              (long long)st.positions_checked, (long long)st.accounts_checked,
              (long long)st.segments);
    if (st.problems)
        r = bridge_fail(msg, len, "%lld problems in %lld messages of %s: %s",
                        (long long)st.problems, (long long)st.messages, bot,
                        integ_ledger_problems(l));
    else if (st.fills_checked < min_fills)
        r = bridge_fail(msg, len,
                        "only %lld fills could be judged (%lld seen in %lld messages), at least "
                        "%lld needed: the cycle was not observed",
                        (long long)st.fills_checked, (long long)st.fills_seen,
                        (long long)st.messages, (long long)min_fills);
    else
        snprintf(msg, len,
                 "%lld messages of %s add up: %lld fills, %lld orders, %lld positions, %lld "
                 "account updates judged (%lld segments)",
                 (long long)st.messages, bot, (long long)st.fills_checked,
                 (long long)st.orders_checked, (long long)st.positions_checked,
                 (long long)st.accounts_checked, (long long)st.segments);
out:
    wsclient_free(c);
    integ_ledger_free(l);
    return r;
}

/* ---- commands ------------------------------------------------------------------------ */

typedef struct ack_wait {
    const wire *w;
    const char *id;
    const char *status;
} ack_wait;

static int has_ack(void *arg)
{
    const ack_wait *a = arg;
    return ack_find(a->w, a->id, a->status) != NULL || ack_find(a->w, a->id, "rejected") != NULL;
}

/* Sends a command and waits for accepted then done. 0 with the round trips
 * (ms) in acc_ms/done_ms and the done ack's seq; else -1 with msg. */
static int command(wsclient *c, wsconn *k, wire *w, const char *bot, const char *name,
                   double *acc_ms, double *done_ms, int64_t *done_seq, char *msg, size_t len)
{
    char id[64], buf[256];
    snprintf(id, sizeof(id), "integ-%s-%d-%d", name, (int)getpid(), w->nacks);
    int n = snprintf(buf, sizeof(buf),
                     "{\"type\":\"command\",\"target\":\"%s\",\"command_id\":\"%s\","
                     "\"name\":\"%s\",\"params\":{}}",
                     bot, id, name);
    int64_t t0 = wclock_mono_us();
    if (wsconn_send_text(c, k, buf, (size_t)n, msg, len) < 0)
        return -1;
    ack_wait aw = {w, id, "done"};
    wsclient_run_until(c, has_ack, &aw, CMD_TIMEOUT_MS);
    const ack_seen *rej = ack_find(w, id, "rejected");
    const ack_seen *acc = ack_find(w, id, "accepted");
    const ack_seen *done = ack_find(w, id, "done");
    if (rej) {
        snprintf(msg, len, "command %s (%s) was rejected by the bot", name, id);
        return -1;
    }
    if (!done) {
        snprintf(msg, len, "no command_ack done for %s (%s) within %d ms (%s)", name, id,
                 CMD_TIMEOUT_MS, acc ? "accepted came" : "nothing came");
        return -1;
    }
    if (!acc || acc->seq > done->seq) {
        snprintf(msg, len,
                 "command %s (%s): done came without an accepted command_ack before it", name,
                 id);
        return -1;
    }
    *acc_ms = (double)(acc->rx_mono_us - t0) / 1000.0;
    *done_ms = (double)(done->rx_mono_us - t0) / 1000.0;
    *done_seq = done->seq;
    return 0;
}

typedef struct state_wait {
    const wire *w;
    int64_t after;
} state_wait;

static int status_after(void *arg)
{
    const state_wait *a = arg;
    return a->w->last_state_seq > a->after;
}

static int trading_after(void *arg)
{
    const state_wait *a = arg;
    return a->w->last_trade_seq > a->after;
}

static const char *bot_state(const suite_ctx *ctx, char *buf, size_t len)
{
    int absent;
    char err[256];
    cJSON *bs = bridge_bot_status(ctx, &absent, err, sizeof(err));
    snprintf(buf, len, "%s", bs ? wjson_str(bs, "state", "?") : "(no /status)");
    cJSON_Delete(bs);
    return buf;
}

check_result integration_check_commands(const suite_ctx *ctx, char *msg, size_t len)
{
    if (!envdriver_has(ctx->env, ENV_CAP_BOT))
        return bridge_skip(msg, len, "no bot in the system under test (give --bot-status-url)");
    char err[512], st[32];
    const char *bot = bot_of(ctx);
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %.400s", err);
    check_result r = CHECK_PASS;
    int paused = 0;
    wire w = {.bot = bot};
    wsconn *k = wire_open(c, ctx, &w, NULL, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    state_wait sw = {&w, 0};
    if (wsclient_run_until(c, trading_after, &sw, OPEN_TIMEOUT_MS) < 0) {
        r = bridge_fail(msg, len, "the bot sent no trading message within %d s",
                        OPEN_TIMEOUT_MS / 1000);
        goto out;
    }
    double acc, done, sacc, sdone, racc, rdone;
    int64_t pseq, sseq, rseq;
    if (command(c, k, &w, bot, "pause", &acc, &done, &pseq, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "%s", err);
        goto out;
    }
    paused = 1;
    suite_metric("pause_accepted_ms", acc, "ms");
    suite_metric("pause_done_ms", done, "ms");
    int64_t pause_ts = 0; /* the done ack's stamp: when the bot had paused */
    for (int i = 0; i < w.nacks; i++)
        if (w.acks[i].seq == pseq)
            pause_ts = w.acks[i].ts_us;
    /* paused: watch; nothing scheduled after the pause may trade */
    int64_t trading0 = w.trading;
    wsclient_run_for(c, (int)env_num("WSB_INTEG_PAUSE_MS", 1500));
    if (w.last_trade_ts > pause_ts) {
        r = bridge_fail(msg, len,
                        "the paused bot kept trading: %lld trading messages after its pause was "
                        "done, the last (seq %lld) scheduled %.1f ms after it",
                        (long long)(w.trading - trading0), (long long)w.last_trade_seq,
                        (double)(w.last_trade_ts - pause_ts) / 1000.0);
        goto out;
    }
    if (strcmp(bot_state(ctx, st, sizeof(st)), "paused")) {
        r = bridge_fail(msg, len, "the bot acked pause but its /status says state \"%s\"", st);
        goto out;
    }
    if (command(c, k, &w, bot, "status", &sacc, &sdone, &sseq, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "%s", err);
        goto out;
    }
    suite_metric("status_done_ms", sdone, "ms");
    sw.after = sseq;
    if (wsclient_run_until(c, status_after, &sw, CMD_TIMEOUT_MS) < 0) {
        r = bridge_fail(msg, len, "no bot_status followed the status command within %d ms",
                        CMD_TIMEOUT_MS);
        goto out;
    }
    if (strcmp(w.last_state, "paused")) {
        r = bridge_fail(msg, len,
                        "the paused bot's bot_status says state \"%s\" (its /status: paused)",
                        w.last_state);
        goto out;
    }
    if (command(c, k, &w, bot, "resume", &racc, &rdone, &rseq, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "%s", err);
        goto out;
    }
    paused = 0;
    suite_metric("resume_done_ms", rdone, "ms");
    sw.after = rseq;
    if (wsclient_run_until(c, trading_after, &sw, CMD_TIMEOUT_MS) < 0) {
        r = bridge_fail(msg, len, "the resumed bot sent no trading message within %d ms",
                        CMD_TIMEOUT_MS);
        goto out;
    }
    if (strcmp(bot_state(ctx, st, sizeof(st)), "running")) {
        r = bridge_fail(msg, len, "the bot acked resume but its /status says state \"%s\"", st);
        goto out;
    }
    if (w.gaps) {
        r = bridge_fail(msg, len, "the numbering has %lld gaps across pause and resume (%s)",
                        (long long)w.gaps, w.gap_text);
        goto out;
    }
    snprintf(msg, len,
             "pause accepted %.1f ms, done %.1f ms; status done %.1f ms (bot_status paused); "
             "resume done %.1f ms; no trading while paused; seq %lld..%lld without a gap",
             acc, done, sdone, rdone, (long long)w.first_seq, (long long)w.max_seq);
out:
    if (paused) {
        double a, d;
        int64_t s;
        command(c, k, &w, bot, "resume", &a, &d, &s, err, sizeof(err));
    }
    wsclient_free(c);
    return r;
}

/* ---- monitoring and /metrics ------------------------------------------------------- */

/* Saves GET url/metrics as <results>/metrics/integration_<svc>_<when>.prom (when
 * NULL: not saved) and
 * parses it; NULL with *absent when there is no /metrics (404), else the
 * parsed text (caller frees) or NULL with err. */
static promtext *snapshot(const suite_ctx *ctx, const char *base, const char *svc,
                          const char *when, int *absent, char *err, size_t errlen)
{
    char url[512], path[1024];
    *absent = 0;
    if (!base || !*base) {
        *absent = 1;
        snprintf(err, errlen, "%s: no URL", svc);
        return NULL;
    }
    snprintf(url, sizeof(url), "%s/metrics", base);
    httpc_response h;
    if (httpc_get(url, 5000, &h, err, errlen) < 0)
        return NULL;
    if (h.status == 404) {
        *absent = 1;
        snprintf(err, errlen, "%.300s: no /metrics (404)", url);
        httpc_response_free(&h);
        return NULL;
    }
    if (h.status != 200) {
        snprintf(err, errlen, "%.300s: HTTP %ld", url, h.status);
        httpc_response_free(&h);
        return NULL;
    }
    if (ctx->results_dir && when) {
        snprintf(path, sizeof(path), "%s/metrics", ctx->results_dir);
        mkdir(path, 0777);
        snprintf(path, sizeof(path), "%s/metrics/integration_%s_%s.prom", ctx->results_dir, svc,
                 when);
        FILE *f = fopen(path, "w");
        if (f) {
            fwrite(h.body, 1, h.len, f);
            fclose(f);
        }
    }
    promtext *p = promtext_parse(h.body, err, errlen);
    httpc_response_free(&h);
    return p;
}

typedef struct settle {
    const wire *w;
    int64_t last;
    int64_t since;
} settle;

/* The wire's last seq unchanged for 500 ms. */
static int quiet(void *arg)
{
    settle *s = arg;
    int64_t now = wclock_mono_us();
    if (s->w->max_seq != s->last) {
        s->last = s->w->max_seq;
        s->since = now;
    }
    return now - s->since >= 500000;
}

/* One sample: the dashboard's and the bot's view against the wire. 0, or -1 with msg. */
static int sample(const suite_ctx *ctx, wsclient *c, const wire *w, int exact, char *msg,
                  size_t len)
{
    const char *bot = bot_of(ctx);
    int64_t w0 = w->max_seq;
    char err[512];
    int absent = 0;
    /* in this order, each a later look: wire <= dashboard status <= /metrics <= bot */
    cJSON *ds = bridge_dashboard_status(ctx, &absent, err, sizeof(err));
    int pabsent;
    double m = -1;
    promtext *pm = snapshot(ctx, envdriver_dashboard_http(ctx->env), "dashboard", NULL, &pabsent,
                            err, sizeof(err));
    char key[256];
    snprintf(key, sizeof(key), "wsbridge_last_seq{source=\"%s\"}", bot);
    if (pm)
        promtext_get(pm, key, &m);
    promtext_free(pm);
    cJSON *bs = bridge_bot_status(ctx, &absent, err, sizeof(err));
    int64_t d = -1, b = -1, subs = -1, queued = -1;
    if (ds) {
        wjson_get_int64(wjson_getv(ds, "sources", bot, "last_seq", NULL), &d);
        wjson_get_int64(wjson_get(ds, "connections.subscribers"), &subs);
    }
    if (bs) {
        wjson_get_int64(wjson_get(bs, "last_seq"), &b);
        wjson_get_int64(wjson_get(bs, "queued"), &queued);
    }
    cJSON_Delete(ds);
    cJSON_Delete(bs);
    if (d < 0 || b < 0) {
        snprintf(msg, len, "status: dashboard last_seq of %s %lld, bot last_seq %lld (missing)",
                 bot, (long long)d, (long long)b);
        return -1;
    }
    if (subs < 1) {
        snprintf(msg, len, "dashboard status counts %lld subscribers while ours is connected",
                 (long long)subs);
        return -1;
    }
    if (d < w0 || b < d) {
        snprintf(msg, len,
                 "dashboard status says %s last_seq %lld, bot /status %lld, but seq %lld had "
                 "already reached the wire: the status lies",
                 bot, (long long)d, (long long)b, (long long)w0);
        return -1;
    }
    if (m >= 0 && (m < (double)d || m > (double)b)) {
        snprintf(msg, len,
                 "dashboard /metrics says wsbridge_last_seq %.0f, outside its status %lld .. the "
                 "bot's %lld read after: the metrics lie",
                 m, (long long)d, (long long)b);
        return -1;
    }
    if (exact && (d != w->max_seq || b != w->max_seq || (m >= 0 && m != (double)d))) {
        snprintf(msg, len,
                 "with the bot paused and the wire quiet at seq %lld, the dashboard status says "
                 "last_seq %lld, the bot /status %lld (queued %lld), /metrics %.0f: the status "
                 "lies",
                 (long long)w->max_seq, (long long)d, (long long)b, (long long)queued, m);
        return -1;
    }
    if (!exact) { /* the dashboard must deliver what it says it holds */
        caught_up cu = {w, d};
        if (wsclient_run_until(c, reached, &cu, 3000) < 0) {
            snprintf(msg, len,
                     "dashboard status says %s last_seq %lld, the wire stayed at %lld for 3 s: "
                     "the status lies or delivery stalls",
                     bot, (long long)d, (long long)w->max_seq);
            return -1;
        }
    }
    return 0;
}

check_result integration_check_monitoring(const suite_ctx *ctx, char *msg, size_t len)
{
    if (!envdriver_has(ctx->env, ENV_CAP_BOT))
        return bridge_skip(msg, len, "no bot in the system under test (give --bot-status-url)");
    char err[512];
    int absent = 0;
    cJSON *probe = bridge_dashboard_status(ctx, &absent, err, sizeof(err));
    if (!probe)
        return absent ? bridge_skip(msg, len, "the dashboard has no status endpoint: %.400s", err)
                      : bridge_fail(msg, len, "dashboard status: %.400s", err);
    cJSON_Delete(probe);
    const char *bot = bot_of(ctx);
    int dabs, babs;
    char derr[256] = "", berr[256] = "";
    promtext *d0 = snapshot(ctx, envdriver_dashboard_http(ctx->env), "dashboard", "before", &dabs,
                            derr, sizeof(derr));
    promtext *b0 = snapshot(ctx, envdriver_bot_status_url(ctx->env), "bot", "before", &babs, berr,
                            sizeof(berr));
    if ((!d0 && !dabs) || (!b0 && !babs)) {
        promtext_free(d0);
        promtext_free(b0);
        return bridge_fail(msg, len, "/metrics: %.200s %.200s", derr, berr);
    }
    promtext_free(d0);
    promtext_free(b0);
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %.400s", err);
    check_result r = CHECK_PASS;
    wire w = {.bot = bot};
    int paused = 0, samples = 0;
    wsconn *k = wire_open(c, ctx, &w, NULL, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    state_wait sw = {&w, 0};
    if (wsclient_run_until(c, trading_after, &sw, OPEN_TIMEOUT_MS) < 0) {
        r = bridge_fail(msg, len, "the bot sent nothing within %d s", OPEN_TIMEOUT_MS / 1000);
        goto out;
    }
    /* during the run: the status within the in-flight window of the wire */
    int n = is_short(ctx) ? 5 : 20;
    for (int i = 0; i < n; i++, samples++) {
        wsclient_run_for(c, 300);
        if (sample(ctx, c, &w, 0, err, sizeof(err)) < 0) {
            r = bridge_fail(msg, len, "sample %d: %s", i + 1, err);
            goto out;
        }
    }
    /* paused and quiet: exact */
    double a, dn;
    int64_t s;
    if (command(c, k, &w, bot, "pause", &a, &dn, &s, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "%s", err);
        goto out;
    }
    paused = 1;
    settle q = {&w, -1, 0};
    wsclient_run_until(c, quiet, &q, 5000);
    /* the bot's queue drains once the dashboard acked: poll a little for it */
    for (int i = 0; i < 10; i++, samples++) {
        if (sample(ctx, c, &w, 1, err, sizeof(err)) == 0)
            break;
        if (i == 9) {
            r = bridge_fail(msg, len, "%s", err);
            goto out;
        }
        wsclient_run_for(c, 200);
    }
    snprintf(msg, len,
             "%d samples of the dashboard status%s and the bot /status agree with the wire "
             "(%lld messages to seq %lld); exact while paused",
             samples, dabs ? "" : ", /metrics", (long long)w.count, (long long)w.max_seq);
    if (dabs || babs)
        suite_log("monitoring: %s%s%s", dabs ? derr : "", dabs && babs ? "; " : "",
                  babs ? berr : "");
    suite_metric("monitor_samples", samples, "samples");
out:
    if (paused) {
        double a2, d2;
        int64_t s2;
        command(c, k, &w, bot, "resume", &a2, &d2, &s2, err, sizeof(err));
    }
    wsclient_free(c);
    if (r == CHECK_PASS) {
        promtext *d1 = snapshot(ctx, envdriver_dashboard_http(ctx->env), "dashboard", "after",
                                &dabs, derr, sizeof(derr));
        promtext *b1 = snapshot(ctx, envdriver_bot_status_url(ctx->env), "bot", "after", &babs,
                                berr, sizeof(berr));
        if ((!d1 && !dabs) || (!b1 && !babs))
            r = bridge_fail(msg, len, "/metrics after: %.200s %.200s", derr, berr);
        promtext_free(d1);
        promtext_free(b1);
    }
    return r;
}

/* ---- the suite ----------------------------------------------------------------------- */

BRIDGE_TEST(integration, trading_cycle)
BRIDGE_TEST(integration, commands)
BRIDGE_TEST(integration, monitoring)
BRIDGE_TEST(integration, logs)

static CU_TestInfo tests[] = {
    {"trading_cycle", test_trading_cycle},
    {"commands", test_commands},
    {"monitoring", test_monitoring},
    {"logs", test_logs},
    CU_TEST_INFO_NULL,
};

const suite_def suite_integration = {
    .name = "integration",
    .description = "full trading cycle, commands end to end, monitoring against the wire, "
                   "/metrics snapshots, log analysis",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
