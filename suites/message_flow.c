/* message_flow: the message-flow suite.
 *
 * Every message type the bot sends validates against schemas/; per-source
 * order is strictly increasing; integrity (no gap, no duplicate, counts equal
 * to what the bot's /status and the dashboard's /api/websocket/status say);
 * subscription filters deliver exactly the filtered set; resume after a
 * subscriber disconnect loses and repeats nothing; a schema-violating publish
 * is refused and never reaches a subscriber; several subscribers see the
 * identical stream end to end, within the e2e_latency budget (a threshold,
 * threshold.h: from the bot's schedule time to receipt at every subscriber).
 *
 * Windows start at the dashboard's current last_seq for the bot (or the first
 * message seen when there is no status endpoint) so the checks do not depend
 * on what ran before. The judging is flowcheck.c's; the checks are functions
 * (message_flow.h), the CUnit tests at the bottom only wrap them. */
#include "message_flow.h"
#include "message_flow_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "envelope.h"
#include "flowcheck.h"
#include "threshold.h"
#include "wclock.h"
#include "wjson.h"

#define START_POINT_WAIT_MS 10000

const char *mf_bot_of(const suite_ctx *ctx)
{
    return ctx->bot_source && ctx->bot_source[0] ? ctx->bot_source : "bot-1";
}

int mf_flow_n(const suite_ctx *ctx)
{
    return ctx->profile.flow_messages > 0 ? ctx->profile.flow_messages : 200;
}

static int has_bot(const suite_ctx *ctx)
{
    return ctx->env && envdriver_has(ctx->env, ENV_CAP_BOT);
}

/* The start of a check that watches the bot's stream. The bot is present
 * when its stream is: no status endpoint is needed, and a system whose
 * stream never carries the bot's source fails at the start point (naming
 * the source), never skips. FAIL without a client engine. The client, or
 * NULL with *r and msg set. */
wsclient *mf_bot_client(const suite_ctx *ctx, char *msg, size_t len, check_result *r)
{
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        *r = bridge_fail(msg, len, "client: %.400s", err);
    return c;
}

/* Where a window starts: the dashboard's last_seq for the bot, else the seq
 * before the first bot message a fresh subscriber sees. */
int mf_start_point(const suite_ctx *ctx, wsclient *c, int64_t *k0, char *err, size_t errlen)
{
    int absent = 0;
    char e2[512];
    cJSON *st = bridge_dashboard_status(ctx, &absent, e2, sizeof(e2));
    if (st) {
        int r = wjson_get_int64(wjson_getv(st, "sources", mf_bot_of(ctx), "last_seq", NULL), k0);
        cJSON_Delete(st);
        if (r)
            return 0;
    }
    wsconn *k = bridge_subscriber(c, ctx, NULL, NULL, OPEN_TIMEOUT_MS, err, errlen);
    if (!k)
        return -1;
    /* bounded as a whole: other sources' frames must not keep it waiting */
    int64_t deadline = wclock_mono_us() + START_POINT_WAIT_MS * 1000LL;
    int others = 0;
    for (;;) {
        int64_t left_ms = (deadline - wclock_mono_us()) / 1000;
        const wsmsg *m = left_ms > 0 ? wsconn_next(c, k, (int)left_ms, err, errlen) : NULL;
        if (!m) {
            wsconn_state ks = wsconn_get_state(k);
            if (ks != WSCONN_CLOSED && ks != WSCONN_FAILED)
                snprintf(err, errlen,
                         "no message from %s within %d ms (%d from other sources) and no "
                         "last_seq for it in the dashboard's status",
                         mf_bot_of(ctx), START_POINT_WAIT_MS, others);
            wsconn_free(c, k);
            return -1;
        }
        envelope_peek p;
        if (envelope_peek_fields(m->text, m->len, &p) == 0 && !strcmp(p.source, mf_bot_of(ctx)) &&
            p.seq > 0) {
            *k0 = p.seq - 1;
            break;
        }
        others++;
    }
    wsconn_free(c, k);
    return 0;
}

/* on_message: feeds a flowcheck. */
static void feed_cb(wsconn *k, const wsmsg *m, void *arg)
{
    (void)k;
    flowcheck_feed(arg, m->text, m->len);
}

wsconn *mf_subscriber_from(wsclient *c, const suite_ctx *ctx, const char *filters,
                               int64_t from, flowcheck *f, int keep, char *err, size_t errlen)
{
    char sj[512];
    snprintf(sj, sizeof(sj), "{\"type\":\"subscribe\"%s%s,\"from\":{\"%s\":%lld}}",
             filters ? "," : "", filters ? filters : "", mf_bot_of(ctx), (long long)from);
    wsconn_opts o;
    memset(&o, 0, sizeof(o));
    o.keep_messages = keep ? 0 : -1;
    if (f) {
        o.on_message = feed_cb;
        o.on_message_arg = f;
        flowcheck_expect_from(f, mf_bot_of(ctx), from);
    }
    return bridge_subscriber(c, ctx, sj, &o, OPEN_TIMEOUT_MS, err, errlen);
}

int mf_unique_cond(void *arg)
{
    mf_unique_arg *a = arg;
    if (a->max_seq > 0) {
        const flow_source *s = flowcheck_find(a->f, a->src);
        return s && s->max_seq >= a->max_seq;
    }
    return flowcheck_unique(a->f, a->src) >= a->n;
}

static void send_command(wsclient *c, wsconn *k, const char *bot, const char *id,
                         const char *name, const char *params)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "{\"type\":\"command\",\"target\":\"%s\",\"command_id\":\"%s\","
                     "\"name\":\"%s\",\"params\":%s}",
                     bot, id, name, params ? params : "{}");
    wsconn_send_text(c, k, buf, (size_t)n, NULL, 0);
}

typedef struct ack_want {
    const char *id;
} ack_want;

static int is_cmd_ack(const wsmsg *m, void *arg)
{
    const ack_want *w = arg;
    char needle[128];
    snprintf(needle, sizeof(needle), "\"%s\"", w->id);
    return strstr(m->text, "command_ack") && strstr(m->text, needle);
}

/* 1 when the bot's status says it runs at rate (within 1 %) within 3 s, 0
 * when it says another rate, -1 when it says none. */
static int bot_rate_is(const suite_ctx *ctx, double rate)
{
    int64_t until = wclock_mono_us() + 3 * 1000000LL;
    int said = 0;
    do {
        char err[256];
        int absent;
        cJSON *bs = bridge_bot_status(ctx, &absent, err, sizeof(err));
        const cJSON *jr = bs ? cJSON_GetObjectItemCaseSensitive(bs, "rate") : NULL;
        said |= cJSON_IsNumber(jr);
        int ok = cJSON_IsNumber(jr) && fabs(jr->valuedouble - rate) <= rate * 0.01;
        cJSON_Delete(bs);
        if (ok)
            return 1;
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    } while (wclock_mono_us() < until);
    return said ? 0 : -1;
}

/* The bot sends an alert only when it loses messages (its queue overflowed
 * while the dashboard was unreachable). With process control: make the bot
 * fast, stop the dashboard long enough for the queue to overflow, start it
 * again, reconnect the subscriber with a resume, and restore the bot's rate.
 * Every step is bounded; failures show in the verdict (alert never seen). */
static void provoke_alert(const suite_ctx *ctx, wsclient *c, wsconn *k, flowcheck *f)
{
    char err[512];
    const char *bot = mf_bot_of(ctx);
    double rate0 = envdriver_bot_rate(ctx->env) > 0 ? envdriver_bot_rate(ctx->env) : 10;
    int absent;
    cJSON *bs = bridge_bot_status(ctx, &absent, err, sizeof(err));
    const cJSON *jr = bs ? cJSON_GetObjectItemCaseSensitive(bs, "rate") : NULL;
    if (cJSON_IsNumber(jr) && jr->valuedouble > 0)
        rate0 = jr->valuedouble;
    cJSON_Delete(bs);
    int q = envdriver_bot_queue_size(ctx->env) > 0 ? envdriver_bot_queue_size(ctx->env) : 10000;
    double fast = 10000;
    int down_ms = (int)(1.5 * q / fast * 1000) + 500;
    down_ms = down_ms < 1000 ? 1000 : down_ms > 5000 ? 5000 : down_ms;
    suite_log("schema: provoking a queue_overflow alert (queue %d, rate %.0f/s, dashboard "
              "down %d ms)", q, fast, down_ms);
    send_command(c, k, bot, "mf-fast", "set_rate", "{\"rate\":10000}");
    ack_want rate_ack = {"mf-fast"};
    if (!wsconn_expect(c, k, is_cmd_ack, &rate_ack, 2000, NULL, NULL, 0)) /* in effect */
        suite_log("schema: no command_ack for set_rate 10000 within 2 s; going on");
    if (envdriver_stop(ctx->env, ENV_DASHBOARD, 5000, err, sizeof(err)) < 0)
        suite_log("schema: stopping the dashboard: %s", err);
    wsclient_run_for(c, down_ms);
    if (envdriver_start(ctx->env, ENV_DASHBOARD, err, sizeof(err)) < 0 ||
        envdriver_wait_healthy(ctx->env, ENV_DASHBOARD, 20000, err, sizeof(err)) < 0)
        suite_log("schema: restarting the dashboard: %s", err);
    wsconn_wait_closed(c, k, 2000, NULL, 0);
    const flow_source *s = flowcheck_find(f, bot);
    if (wsconn_reconnect(c, k, OPEN_TIMEOUT_MS, err, sizeof(err)) == 0) {
        char res[256];
        int rl = snprintf(res, sizeof(res), "{\"type\":\"resume\",\"from\":{\"%s\":%lld}}",
                          bot, s ? (long long)s->max_seq : 0LL);
        wsconn_send_text(c, k, res, (size_t)rl, NULL, 0);
    } else {
        suite_log("schema: subscriber reconnect: %s", err);
    }
    /* restore the rate once the bot is back (its ack comes through the stream) */
    char params[64];
    snprintf(params, sizeof(params), "{\"rate\":%g}", rate0);
    int64_t until = wclock_mono_us() + 20 * 1000000LL;
    for (int i = 0; wclock_mono_us() < until; i++) {
        char id[64];
        snprintf(id, sizeof(id), "mf-restore-%d-%d", (int)getpid(), i);
        send_command(c, k, bot, id, "set_rate", params);
        ack_want w = {id};
        if (wsconn_expect(c, k, is_cmd_ack, &w, 2000, NULL, NULL, 0))
            break;
    }
    /* Every path ends at the rate the bot had: an ack lost in the replayed
     * backlog, a subscriber that could not reconnect or a bot still away
     * after 20 s would leave it at 10000/s for the suites after this one
     * (the fault-tolerance scenarios judge the bot's rate). The bot's own
     * status says; when it is still fast, a restart brings back the rate of
     * its command line. */
    if (bot_rate_is(ctx, rate0) == 0) {
        suite_log("schema: the bot is not back at %g/s after set_rate: restarting it", rate0);
        if (envdriver_restart(ctx->env, ENV_BOT, 5000, err, sizeof(err)) < 0 ||
            envdriver_wait_healthy(ctx->env, ENV_BOT, 20000, err, sizeof(err)) < 0)
            suite_log("schema: restarting the bot: %s", err);
        else if (bot_rate_is(ctx, rate0) != 1)
            suite_log("schema: the restarted bot's status does not say %g/s either", rate0);
    }
}

/* ---- schema: every type the bot sends validates --------------------------- */

check_result message_flow_check_schema(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = mf_bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    flowcheck *f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    /* from 0: the dashboard's whole history of the bot, then live */
    wsconn *k = mf_subscriber_from(c, ctx, NULL, 0, f, 1, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    /* command_ack only answers a command: ask for something harmless */
    char id[64];
    snprintf(id, sizeof(id), "mf-schema-%d", (int)getpid());
    send_command(c, k, mf_bot_of(ctx), id, "resume", NULL);
    char missing[512];
    int64_t deadline = wclock_mono_us() + 30 * 1000000LL;
    int provoked = 0;
    int64_t last_cmd = wclock_mono_us();
    int ncmd = 1;
    while (flowcheck_missing_types(f, missing, sizeof(missing)) > 0 &&
           wclock_mono_us() < deadline) {
        wsclient_run_for(c, 100);
        /* the bot may be (re)connecting: ask again until it answers */
        if (!flowcheck_type_count(f, contract_type_index("command_ack")) &&
            wclock_mono_us() - last_cmd > 3000000) {
            snprintf(id, sizeof(id), "mf-schema-%d-%d", (int)getpid(), ++ncmd);
            send_command(c, k, mf_bot_of(ctx), id, "resume", NULL);
            last_cmd = wclock_mono_us();
        }
        /* alert comes only when the bot loses messages: with process
         * control, provoke one (see provoke_alert) */
        if (!provoked && !strcmp(missing, "alert") && ctx->env &&
            envdriver_has(ctx->env, ENV_CAP_PROCESS) &&
            wclock_mono_us() > deadline - 25 * 1000000LL) {
            provoked = 1;
            provoke_alert(ctx, c, k, f);
            deadline = wclock_mono_us() + 20 * 1000000LL;
        }
    }
    int nmissing = flowcheck_missing_types(f, missing, sizeof(missing));
    suite_metric("frames_checked", (double)flowcheck_frames(f), "frames");
    suite_metric("types_seen", CONTRACT_NUM_TYPES - nmissing, "types");
    if (flowcheck_unparsable(f) || flowcheck_invalid(f)) {
        char probs[2048];
        flowcheck_problems(f, probs, sizeof(probs));
        r = bridge_fail(msg, len, "%llu of %llu frames broke the contract: %s",
                         (unsigned long long)(flowcheck_unparsable(f) + flowcheck_invalid(f)),
                         (unsigned long long)flowcheck_frames(f), probs);
    } else if (nmissing && !strcmp(missing, "alert") &&
               !(ctx->env && envdriver_has(ctx->env, ENV_CAP_PROCESS))) {
        r = bridge_skip(msg, len,
                         "%llu frames valid, 9 of 10 types seen; alert comes only on a queue "
                         "overflow, which needs process control to provoke",
                         (unsigned long long)flowcheck_frames(f));
    } else if (nmissing) {
        r = bridge_fail(msg, len, "types never seen in %llu frames within the time: %s",
                         (unsigned long long)flowcheck_frames(f), missing);
    } else {
        snprintf(msg, len, "all %d types seen, %llu frames valid", CONTRACT_NUM_TYPES,
                 (unsigned long long)flowcheck_frames(f));
    }
out:
    flowcheck_free(f);
    wsclient_free(c);
    return r;
}

/* ---- order: strictly increasing seq per source ----------------------------- */

check_result message_flow_check_order(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = mf_bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    flowcheck *f = flowcheck_new(ctx->contract, 0);
    int64_t k0 = 0;
    wsconn *k = NULL;
    if (mf_start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "no start point: %.400s", err);
        goto out;
    }
    k = mf_subscriber_from(c, ctx, NULL, k0, f, 0, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    int n = mf_flow_n(ctx);
    mf_unique_arg ua = {f, mf_bot_of(ctx), (uint64_t)n, 0};
    wsclient_run_until(c, mf_unique_cond, &ua, 60000);
    for (size_t i = 0; i < flowcheck_source_count(f); i++) {
        const flow_source *s = flowcheck_source(f, i);
        if (s->out_of_order || s->duplicates) {
            r = bridge_fail(msg, len,
                             "%s: seq not strictly increasing: %llu out of order (first: seq %lld "
                             "after %lld), %llu duplicates (first seq %lld)",
                             s->source, (unsigned long long)s->out_of_order,
                             (long long)s->first_ooo_seq, (long long)s->first_ooo_after,
                             (unsigned long long)s->duplicates, (long long)s->first_dup_seq);
            goto out;
        }
    }
    uint64_t got = flowcheck_unique(f, mf_bot_of(ctx));
    suite_metric("order_messages", (double)got, "msgs");
    if (got < (uint64_t)n)
        r = bridge_fail(msg, len, "only %llu of %d messages from %s arrived within 60 s",
                         (unsigned long long)got, n, mf_bot_of(ctx));
    else
        snprintf(msg, len, "%llu messages of %s in strictly increasing order",
                 (unsigned long long)got, mf_bot_of(ctx));
out:
    flowcheck_free(f);
    wsclient_free(c);
    return r;
}

/* ---- integrity: no gap, no duplicate, counts agree with the status endpoints - */

typedef struct settle_arg {
    const suite_ctx *ctx;
    flowcheck *f;
    wsconn *k;          /* the subscriber, whose stream carries the pause's ack */
    const char *pause_id;
    int acked;
    size_t scanned;
    int64_t bot_last, dash_last, queued;
    int64_t last_poll;
} settle_arg;

/* The bot paused: its queue empty, the dashboard and our subscriber at its
 * last seq. Polls the status endpoints at most every 200 ms. */
static int settled(void *arg)
{
    settle_arg *a = arg;
    /* the bot has paused once its command_ack went by: nothing comes after it */
    ack_want w = {a->pause_id};
    for (; !a->acked && a->scanned < wsconn_count(a->k); a->scanned++)
        a->acked = is_cmd_ack(wsconn_msg(a->k, a->scanned), &w);
    if (!a->acked)
        return 0;
    int64_t now = wclock_mono_us();
    if (now - a->last_poll < 200000)
        return 0;
    a->last_poll = now;
    int absent;
    char err[256];
    cJSON *bs = bridge_bot_status(a->ctx, &absent, err, sizeof(err));
    cJSON *ds = bridge_dashboard_status(a->ctx, &absent, err, sizeof(err));
    if (bs) {
        wjson_get_int64(wjson_get(bs, "last_seq"), &a->bot_last);
        wjson_get_int64(wjson_get(bs, "queued"), &a->queued);
    }
    if (ds)
        wjson_get_int64(wjson_getv(ds, "sources", mf_bot_of(a->ctx), "last_seq", NULL),
                        &a->dash_last);
    cJSON_Delete(bs);
    cJSON_Delete(ds);
    const flow_source *s = flowcheck_find(a->f, mf_bot_of(a->ctx));
    return a->queued == 0 && a->dash_last == a->bot_last && s && s->max_seq == a->bot_last;
}

check_result message_flow_check_integrity(const suite_ctx *ctx, char *msg, size_t len)
{
    if (!has_bot(ctx))
        return bridge_skip(msg, len, "no bot in the system under test (give --bot-status-url)");
    char err[512];
    int absent = 0;
    cJSON *bs0 = bridge_bot_status(ctx, &absent, err, sizeof(err));
    if (!bs0)
        return absent ? bridge_skip(msg, len, "the bot has no status endpoint: %.400s", err)
                      : bridge_fail(msg, len, "bot status: %.400s", err);
    cJSON *ds0 = bridge_dashboard_status(ctx, &absent, err, sizeof(err));
    if (!ds0) {
        cJSON_Delete(bs0);
        return absent ? bridge_skip(msg, len, "the dashboard has no status endpoint: %.400s", err)
                      : bridge_fail(msg, len, "dashboard status: %.400s", err);
    }
    const char *bot = mf_bot_of(ctx);
    int64_t k0 = 0, dropped0 = 0, gaps0 = 0, dups0 = 0;
    wjson_get_int64(wjson_getv(ds0, "sources", bot, "last_seq", NULL), &k0);
    wjson_get_int64(wjson_getv(ds0, "sources", bot, "gaps", NULL), &gaps0);
    wjson_get_int64(wjson_getv(ds0, "sources", bot, "duplicates", NULL), &dups0);
    wjson_get_int64(wjson_get(bs0, "dropped"), &dropped0);
    cJSON_Delete(bs0);
    cJSON_Delete(ds0);

    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %.400s", err);
    check_result r = CHECK_PASS;
    flowcheck *f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    int paused = 0;
    cJSON *bs = NULL, *ds = NULL;
    wsconn *k = mf_subscriber_from(c, ctx, NULL, k0, f, 1, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    mf_unique_arg ua = {f, bot, (uint64_t)(mf_flow_n(ctx) / 2 + 1), 0};
    wsclient_run_until(c, mf_unique_cond, &ua, 60000);
    /* stop the bot so that the counts can settle */
    char id[64];
    snprintf(id, sizeof(id), "mf-pause-%d", (int)getpid());
    send_command(c, k, bot, id, "pause", NULL);
    paused = 1;
    settle_arg sa = {ctx, f, k, id, 0, 0, -1, -2, -1, 0};
    /* the ack travels through the stream like everything else */
    int64_t t0 = wclock_mono_us();
    if (wsclient_run_until(c, settled, &sa, 10000) < 0) {
        const flow_source *s = flowcheck_find(f, bot);
        char probs[1024] = "";
        if (!sa.acked && flowcheck_problems(f, probs, sizeof(probs)))
            r = bridge_fail(msg, len,
                             "the bot's command_ack for pause (%s) never reached the "
                             "subscriber within 10 s; the stream: %s",
                             id, probs);
        else if (!sa.acked)
            r = bridge_fail(msg, len,
                             "the bot's command_ack for pause (%s) never reached the "
                             "subscriber within 10 s (missing)",
                             id);
        else /* the stream's own problems first: a lost last message shows only here */
            r = bridge_fail(
                msg, len,
                "counts never agreed within 10 s after pausing the bot: bot status "
                "last_seq %lld (queued %lld), dashboard status last_seq %lld, subscriber "
                "last seq %lld (count mismatch)%s%s",
                (long long)sa.bot_last, (long long)sa.queued, (long long)sa.dash_last,
                s ? (long long)s->max_seq : -1LL,
                flowcheck_problems(f, probs, sizeof(probs)) ? "; the stream: " : "", probs);
        goto out;
    }
    suite_metric("settle_ms", (double)(wclock_mono_us() - t0) / 1000.0, "ms");
    bs = bridge_bot_status(ctx, &absent, err, sizeof(err));
    ds = bridge_dashboard_status(ctx, &absent, err, sizeof(err));
    if (!bs || !ds) {
        r = bridge_fail(msg, len, "status endpoint stopped answering: %.400s", err);
        goto out;
    }
    int64_t gen = -1, acked = -1, queued = -1, dropped = -1, blast = -1, gaps = 0, dups = 0;
    wjson_get_int64(wjson_get(bs, "generated"), &gen);
    wjson_get_int64(wjson_get(bs, "acked"), &acked);
    wjson_get_int64(wjson_get(bs, "queued"), &queued);
    wjson_get_int64(wjson_get(bs, "dropped"), &dropped);
    wjson_get_int64(wjson_get(bs, "last_seq"), &blast);
    wjson_get_int64(wjson_getv(ds, "sources", bot, "gaps", NULL), &gaps);
    wjson_get_int64(wjson_getv(ds, "sources", bot, "duplicates", NULL), &dups);
    char probs[2048];
    uint64_t uniq = flowcheck_unique(f, bot);
    suite_metric("integrity_messages", (double)uniq, "msgs");
    if (flowcheck_problems(f, probs, sizeof(probs))) {
        r = bridge_fail(msg, len, "subscriber stream from %lld: %s", (long long)k0, probs);
    } else if (uniq != (uint64_t)(blast - k0)) {
        r = bridge_fail(msg, len,
                         "subscriber has %llu messages after seq %lld, the bot's last_seq %lld "
                         "says %lld (count mismatch)",
                         (unsigned long long)uniq, (long long)k0, (long long)blast,
                         (long long)(blast - k0));
    } else if (gen != acked + queued + dropped) {
        r = bridge_fail(msg, len,
                         "bot status: generated %lld != acked %lld + queued %lld + dropped %lld",
                         (long long)gen, (long long)acked, (long long)queued, (long long)dropped);
    } else if (dropped != dropped0) {
        r = bridge_fail(msg, len, "the bot dropped %lld messages during the window",
                         (long long)(dropped - dropped0));
    } else if (gaps != gaps0) {
        r = bridge_fail(msg, len, "the dashboard counted %lld new gaps for %s during the window",
                         (long long)(gaps - gaps0), bot);
    } else {
        snprintf(msg, len,
                 "%llu messages (%lld..%lld) without gap or duplicate; bot and dashboard agree "
                 "(dashboard saw %lld resent duplicates)",
                 (unsigned long long)uniq, (long long)k0 + 1, (long long)blast,
                 (long long)(dups - dups0));
    }
out:
    if (paused && k) {
        char rid[64];
        snprintf(rid, sizeof(rid), "mf-resume-%d", (int)getpid());
        send_command(c, k, bot, rid, "resume", NULL);
        wsconn_flush(c, k, 2000, NULL, 0);
        /* the dashboard has the command once it answered a later ping */
        wsconn_ping(c, k, 2000, NULL, NULL, 0);
    }
    cJSON_Delete(bs);
    cJSON_Delete(ds);
    flowcheck_free(f);
    wsclient_free(c);
    return r;
}

/* ---- CUnit wrappers ----------------------------------------------------------- */

BRIDGE_TEST(message_flow, schema)
BRIDGE_TEST(message_flow, order)
BRIDGE_TEST(message_flow, integrity)
BRIDGE_TEST(message_flow, filters)
BRIDGE_TEST(message_flow, resume)
BRIDGE_TEST(message_flow, invalid_publish)
BRIDGE_TEST(message_flow, end_to_end)
BRIDGE_TEST(message_flow, exactly_once)

static CU_TestInfo tests[] = {
    {"schema", test_schema},
    {"order", test_order},
    {"integrity", test_integrity},
    {"filters", test_filters},
    {"resume", test_resume},
    {"invalid_publish", test_invalid_publish},
    {"end_to_end", test_end_to_end},
    {"exactly_once", test_exactly_once},
    CU_TEST_INFO_NULL,
};

const suite_def suite_message_flow = {
    .name = "message_flow",
    .description = "schemas, order, integrity, filters, resume, invalid publish, end to end, "
                   "exactly once",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
