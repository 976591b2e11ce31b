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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "flowcheck.h"
#include "threshold.h"
#include "wclock.h"
#include "wjson.h"

#define OPEN_TIMEOUT_MS 5000
#define START_POINT_WAIT_MS 10000

static const char *bot_of(const suite_ctx *ctx)
{
    return ctx->bot_source && ctx->bot_source[0] ? ctx->bot_source : "bot-1";
}

static int flow_n(const suite_ctx *ctx)
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
static wsclient *bot_client(const suite_ctx *ctx, char *msg, size_t len, check_result *r)
{
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        *r = bridge_fail(msg, len, "client: %.400s", err);
    return c;
}

/* Where a window starts: the dashboard's last_seq for the bot, else the seq
 * before the first bot message a fresh subscriber sees. */
static int start_point(const suite_ctx *ctx, wsclient *c, int64_t *k0, char *err, size_t errlen)
{
    int absent = 0;
    char e2[512];
    cJSON *st = bridge_dashboard_status(ctx, &absent, e2, sizeof(e2));
    if (st) {
        int r = wjson_get_int64(wjson_getv(st, "sources", bot_of(ctx), "last_seq", NULL), k0);
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
                         bot_of(ctx), START_POINT_WAIT_MS, others);
            wsconn_free(c, k);
            return -1;
        }
        envelope_peek p;
        if (envelope_peek_fields(m->text, m->len, &p) == 0 && !strcmp(p.source, bot_of(ctx)) &&
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

static wsconn *subscriber_from(wsclient *c, const suite_ctx *ctx, const char *filters,
                               int64_t from, flowcheck *f, int keep, char *err, size_t errlen)
{
    char sj[512];
    snprintf(sj, sizeof(sj), "{\"type\":\"subscribe\"%s%s,\"from\":{\"%s\":%lld}}",
             filters ? "," : "", filters ? filters : "", bot_of(ctx), (long long)from);
    wsconn_opts o;
    memset(&o, 0, sizeof(o));
    o.keep_messages = keep ? 0 : -1;
    if (f) {
        o.on_message = feed_cb;
        o.on_message_arg = f;
        flowcheck_expect_from(f, bot_of(ctx), from);
    }
    return bridge_subscriber(c, ctx, sj, &o, OPEN_TIMEOUT_MS, err, errlen);
}

typedef struct unique_arg {
    flowcheck *f;
    const char *src;
    uint64_t n;
    int64_t max_seq; /* or reach this max seq when > 0 */
} unique_arg;

static int unique_cond(void *arg)
{
    unique_arg *a = arg;
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

/* The bot sends an alert only when it loses messages (its queue overflowed
 * while the dashboard was unreachable). With process control: make the bot
 * fast, stop the dashboard long enough for the queue to overflow, start it
 * again, reconnect the subscriber with a resume, and restore the bot's rate.
 * Every step is bounded; failures show in the verdict (alert never seen). */
static void provoke_alert(const suite_ctx *ctx, wsclient *c, wsconn *k, flowcheck *f)
{
    char err[512];
    const char *bot = bot_of(ctx);
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
}

/* ---- schema: every type the bot sends validates --------------------------- */

check_result message_flow_check_schema(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    flowcheck *f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    /* from 0: the dashboard's whole history of the bot, then live */
    wsconn *k = subscriber_from(c, ctx, NULL, 0, f, 1, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    /* command_ack only answers a command: ask for something harmless */
    char id[64];
    snprintf(id, sizeof(id), "mf-schema-%d", (int)getpid());
    send_command(c, k, bot_of(ctx), id, "resume", NULL);
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
            send_command(c, k, bot_of(ctx), id, "resume", NULL);
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
    wsclient *c = bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    flowcheck *f = flowcheck_new(ctx->contract, 0);
    int64_t k0 = 0;
    wsconn *k = NULL;
    if (start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "no start point: %.400s", err);
        goto out;
    }
    k = subscriber_from(c, ctx, NULL, k0, f, 0, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    int n = flow_n(ctx);
    unique_arg ua = {f, bot_of(ctx), (uint64_t)n, 0};
    wsclient_run_until(c, unique_cond, &ua, 60000);
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
    uint64_t got = flowcheck_unique(f, bot_of(ctx));
    suite_metric("order_messages", (double)got, "msgs");
    if (got < (uint64_t)n)
        r = bridge_fail(msg, len, "only %llu of %d messages from %s arrived within 60 s",
                         (unsigned long long)got, n, bot_of(ctx));
    else
        snprintf(msg, len, "%llu messages of %s in strictly increasing order",
                 (unsigned long long)got, bot_of(ctx));
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
        wjson_get_int64(wjson_getv(ds, "sources", bot_of(a->ctx), "last_seq", NULL),
                        &a->dash_last);
    cJSON_Delete(bs);
    cJSON_Delete(ds);
    const flow_source *s = flowcheck_find(a->f, bot_of(a->ctx));
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
    const char *bot = bot_of(ctx);
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
    wsconn *k = subscriber_from(c, ctx, NULL, k0, f, 1, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    unique_arg ua = {f, bot, (uint64_t)(flow_n(ctx) / 2 + 1), 0};
    wsclient_run_until(c, unique_cond, &ua, 60000);
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
        else
            r = bridge_fail(
                msg, len,
                "counts never agreed within 10 s after pausing the bot: bot status "
                "last_seq %lld (queued %lld), dashboard status last_seq %lld, subscriber "
                "last seq %lld (count mismatch)",
                (long long)sa.bot_last, (long long)sa.queued, (long long)sa.dash_last,
                s ? (long long)s->max_seq : -1LL);
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

/* ---- filters: exactly the filtered set ------------------------------------ */

typedef struct fmsg {
    char type[32], source[64], symbol[32];
    int64_t seq;
} fmsg;

static int parse_fmsg(const wsmsg *m, fmsg *o)
{
    memset(o, 0, sizeof(*o));
    cJSON *r = wjson_parse(m->text, m->len, WJSON_DEFAULT_MAX_DEPTH, NULL, 0);
    if (!r)
        return -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "type");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "source");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "data");
    const cJSON *sy = d ? cJSON_GetObjectItemCaseSensitive(d, "symbol") : NULL;
    int ok = cJSON_IsString(t) && cJSON_IsString(s) &&
             wjson_get_int64(cJSON_GetObjectItemCaseSensitive(r, "seq"), &o->seq);
    if (ok) {
        snprintf(o->type, sizeof(o->type), "%s", t->valuestring);
        snprintf(o->source, sizeof(o->source), "%s", s->valuestring);
        if (cJSON_IsString(sy))
            snprintf(o->symbol, sizeof(o->symbol), "%s", sy->valuestring);
    }
    cJSON_Delete(r);
    return ok ? 0 : -1;
}

static const char *const filter_types[] = {"market_data", "order_update", "account_update"};
#define FILTER_SYMBOL "BTC-USD"

static int filter_passes(const fmsg *m)
{
    int t = 0;
    for (size_t i = 0; i < sizeof(filter_types) / sizeof(filter_types[0]); i++)
        t |= !strcmp(m->type, filter_types[i]);
    return t && (!m->symbol[0] || !strcmp(m->symbol, FILTER_SYMBOL));
}

/* 1 when conn k holds a frame of source with seq. */
static int holds(const wsconn *k, const char *source, int64_t seq)
{
    for (size_t i = 0; i < wsconn_count(k); i++) {
        fmsg m;
        if (parse_fmsg(wsconn_msg(k, i), &m) == 0 && m.seq == seq && !strcmp(m.source, source))
            return 1;
    }
    return 0;
}

typedef struct beyond_arg {
    wsconn *k;
    const char *src;
    int64_t top;
    size_t scanned;
} beyond_arg;

static int beyond_top(void *arg)
{
    beyond_arg *b = arg;
    for (; b->scanned < wsconn_count(b->k); b->scanned++) {
        const wsmsg *m = wsconn_msg(b->k, b->scanned);
        envelope_peek p;
        if (envelope_peek_fields(m->text, m->len, &p) == 0 && !strcmp(p.source, b->src) &&
            p.seq > b->top)
            return 1;
    }
    return 0;
}

check_result message_flow_check_filters(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    const char *bot = bot_of(ctx);
    flowcheck *fb = flowcheck_new(NULL, 0);
    int64_t k0 = 0;
    wsconn *a = NULL, *b = NULL;
    if (start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "no start point: %.400s", err);
        goto out;
    }
    char filt[256];
    snprintf(filt, sizeof(filt), "\"types\":[\"%s\",\"%s\",\"%s\"],\"symbols\":[\"%s\"]",
             filter_types[0], filter_types[1], filter_types[2], FILTER_SYMBOL);
    a = subscriber_from(c, ctx, filt, k0, NULL, 1, err, sizeof(err));
    b = a ? subscriber_from(c, ctx, NULL, k0, fb, 1, err, sizeof(err)) : NULL;
    if (!a || !b) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    int n = flow_n(ctx);
    unique_arg ua = {fb, bot, (uint64_t)n, 0};
    wsclient_run_until(c, unique_cond, &ua, 60000);
    const flow_source *sb = flowcheck_find(fb, bot);
    if (!sb || flowcheck_unique(fb, bot) < (uint64_t)n) {
        r = bridge_fail(msg, len,
                         "the unfiltered subscriber got only %llu of %d messages within 60 s",
                         (unsigned long long)flowcheck_unique(fb, bot), n);
        goto out;
    }
    int64_t top = sb->max_seq;
    /* let the filtered subscriber catch up with everything up to top: until it
     * holds a message past top (or 5 s: the filter may pass nothing more) */
    beyond_arg ba = {a, bot, top, 0};
    wsclient_run_until(c, beyond_top, &ba, 5000);
    wsconn_ping(c, a, 2000, NULL, NULL, 0);
    uint64_t expected = 0, leaked = 0, dropped = 0;
    char first_leak[200] = "", first_drop[200] = "";
    for (size_t i = 0; i < wsconn_count(a); i++) {
        fmsg m;
        if (parse_fmsg(wsconn_msg(a, i), &m) < 0 || strcmp(m.source, bot) || m.seq > top)
            continue;
        if (!filter_passes(&m)) {
            if (!leaked++)
                snprintf(first_leak, sizeof(first_leak), "%s#%lld %s %s", m.source,
                         (long long)m.seq, m.type, m.symbol[0] ? m.symbol : "(no symbol)");
        }
    }
    for (size_t i = 0; i < wsconn_count(b); i++) {
        fmsg m;
        if (parse_fmsg(wsconn_msg(b, i), &m) < 0 || strcmp(m.source, bot) || m.seq > top ||
            !filter_passes(&m))
            continue;
        expected++;
        if (!holds(a, bot, m.seq) && !dropped++)
            snprintf(first_drop, sizeof(first_drop), "%s#%lld %s %s", m.source,
                     (long long)m.seq, m.type, m.symbol[0] ? m.symbol : "(no symbol)");
    }
    suite_metric("filter_expected", (double)expected, "msgs");
    if (leaked || dropped)
        r = bridge_fail(
            msg, len,
            "filter {types %s,%s,%s; symbols %s}: %llu messages leaked through (first %s), "
            "%llu matching messages missing (first %s)",
            filter_types[0], filter_types[1], filter_types[2], FILTER_SYMBOL,
            (unsigned long long)leaked, leaked ? first_leak : "-", (unsigned long long)dropped,
            dropped ? first_drop : "-");
    else if (!expected)
        r = bridge_fail(msg, len,
                         "no message of %s between %lld and %lld matched the filter; cannot "
                         "judge it",
                         bot, (long long)k0 + 1, (long long)top);
    else
        snprintf(msg, len, "%llu of %llu messages (%lld..%lld) passed the filter, exactly the "
                           "matching ones",
                 (unsigned long long)expected, (unsigned long long)(top - k0),
                 (long long)k0 + 1, (long long)top);
out:
    flowcheck_free(fb);
    wsclient_free(c);
    return r;
}

/* ---- resume after a subscriber disconnect ---------------------------------- */

check_result message_flow_check_resume(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    const char *bot = bot_of(ctx);
    flowcheck *f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    int64_t k0 = 0;
    wsconn *k = NULL;
    if (start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "no start point: %.400s", err);
        goto out;
    }
    k = subscriber_from(c, ctx, NULL, k0, f, 0, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    int n = flow_n(ctx) / 4 + 10;
    unique_arg ua = {f, bot, (uint64_t)n, 0};
    wsclient_run_until(c, unique_cond, &ua, 30000);
    wsconn_close(c, k, 1000, "going to resume");
    wsconn_wait_closed(c, k, 3000, NULL, 0);
    const flow_source *s = flowcheck_find(f, bot);
    int64_t last = s ? s->max_seq : k0;
    /* stay away while the bot goes on */
    wsclient_run_for(c, 1000);
    if (wsconn_reconnect(c, k, OPEN_TIMEOUT_MS, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "reconnect: %.400s", err);
        goto out;
    }
    char res[1024];
    int rl = flowcheck_resume_frame(f, res, sizeof(res));
    if (rl < 0) {
        r = bridge_fail(msg, len, "resume frame too long");
        goto out;
    }
    wsconn_send_text(c, k, res, (size_t)rl, NULL, 0);
    unique_arg ub = {f, bot, 0, last + n};
    wsclient_run_until(c, unique_cond, &ub, 30000);
    s = flowcheck_find(f, bot);
    char probs[2048];
    if (flowcheck_problems(f, probs, sizeof(probs)))
        r = bridge_fail(msg, len, "across the disconnect (resume from %lld): %s", (long long)last,
                         probs);
    else if (!s || s->max_seq < last + n)
        r = bridge_fail(msg, len, "after resume from %lld only up to seq %lld arrived within 30 s",
                         (long long)last, s ? (long long)s->max_seq : -1LL);
    else
        snprintf(msg, len, "resumed after seq %lld: %lld..%lld without loss or repeat",
                 (long long)last, (long long)k0 + 1, (long long)s->max_seq);
out:
    flowcheck_free(f);
    wsclient_free(c);
    return r;
}

/* ---- a schema-violating publish is refused and never relayed ---------------- */

check_result message_flow_check_invalid_publish(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = bridge_publishing_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512], src[64], mysrc[64];
    snprintf(mysrc, sizeof(mysrc), "mf-test-%d", (int)getpid());
    char *good = NULL;
    flowcheck *f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    wsconn *sub = bridge_subscriber(c, ctx, NULL, NULL, OPEN_TIMEOUT_MS, err, sizeof(err));
    int64_t last = 0;
    wsconn *pub = sub ? bridge_publisher(c, ctx, mysrc, src, sizeof(src), &last,
                                          OPEN_TIMEOUT_MS, err, sizeof(err))
                      : NULL;
    if (!sub || !pub) {
        r = bridge_fail(msg, len, "%s: %.400s", sub ? "publisher" : "subscriber", err);
        goto out;
    }
    if ((r = bridge_test_source(ctx, src, mysrc, sizeof(mysrc), msg, len)) != CHECK_PASS)
        goto out;
    int64_t seq = last + 1;
    char bad[512];
    int bl = snprintf(bad, sizeof(bad),
                      "{\"v\":1,\"type\":\"market_data\",\"source\":\"%s\",\"seq\":%lld,"
                      "\"ts_us\":%lld,\"data\":{\"symbol\":\"BTC-USD\",\"price\":-1,\"bid\":1,"
                      "\"ask\":1,\"volume\":1}}",
                      mysrc, (long long)seq, (long long)wclock_real_us());
    int pr = bridge_publish(c, pub, bad, (size_t)bl, seq, 5000, err, sizeof(err));
    if (pr == 0) {
        r = bridge_fail(msg, len,
                         "a schema-violating publish (market_data price -1) was accepted "
                         "(acked), not refused with an error frame");
        goto check_relay;
    }
    if (pr < 0) {
        r = bridge_fail(msg, len, "a schema-violating publish got no error frame: %.400s", err);
        goto out;
    }
    if (!strstr(err, "\"schema\"")) {
        r = bridge_fail(msg, len,
                         "a schema-violating publish was refused with the wrong code: %.400s", err);
        goto out;
    }
    /* the same seq, now valid, is accepted: the refused one held nothing */
    size_t gl = 0;
    good = bridge_envelope(0, mysrc, seq, 0, &gl);
    pr = bridge_publish(c, pub, good, gl, seq, 5000, err, sizeof(err));
    if (pr != 0) {
        r = bridge_fail(msg, len, "the valid message after the refused one was %s: %.400s",
                         pr > 0 ? "refused" : "not acked", err);
        goto out;
    }
    bridge_srcseq w = {mysrc, seq};
    if (!wsconn_expect(c, sub, bridge_is_srcseq, &w, 5000, NULL, err, sizeof(err))) {
        r = bridge_fail(msg, len, "the valid message %s#%lld never reached the subscriber: %.400s",
                         mysrc, (long long)seq, err);
        goto out;
    }
check_relay:
    wsconn_ping(c, sub, 2000, NULL, NULL, 0);
    wsclient_run_for(c, 300);
    {
        char needle[96];
        snprintf(needle, sizeof(needle), "\"%s\"", mysrc);
        for (size_t i = 0; i < wsconn_count(sub); i++) {
            const wsmsg *m = wsconn_msg(sub, i);
            if (strstr(m->text, needle))
                flowcheck_feed(f, m->text, m->len);
        }
        if (flowcheck_invalid(f) || flowcheck_unparsable(f)) {
            char probs[2048];
            flowcheck_problems(f, probs, sizeof(probs));
            size_t l = r == CHECK_FAIL ? strlen(msg) : 0;
            r = CHECK_FAIL;
            snprintf(msg + l, len - l, "%sthe schema-violating message reached a subscriber: %s",
                     l ? "; " : "", probs);
        } else if (r == CHECK_PASS && flowcheck_unique(f, mysrc) != 1) {
            r = bridge_fail(msg, len,
                             "the subscriber got %llu messages of %s, want exactly the 1 valid one",
                             (unsigned long long)flowcheck_unique(f, mysrc), mysrc);
        } else if (r == CHECK_PASS) {
            snprintf(msg, len, "refused with code schema; only the valid message was relayed");
        }
    }
out:
    free(good);
    flowcheck_free(f);
    wsclient_free(c);
    return r;
}

/* ---- end to end: several subscribers see the identical stream ---------------- */

typedef struct maxseq_arg {
    const char *src;
    int64_t max;
} maxseq_arg;

static void maxseq_cb(wsconn *k, const wsmsg *m, void *arg)
{
    (void)k;
    maxseq_arg *a = arg;
    envelope_peek p;
    if (envelope_peek_fields(m->text, m->len, &p) == 0 && !strcmp(p.source, a->src) &&
        p.seq > a->max)
        a->max = p.seq;
}

typedef struct all_arg {
    maxseq_arg *v;
    int n;
    int64_t target;
} all_arg;

static int all_reached(void *arg)
{
    all_arg *a = arg;
    for (int i = 0; i < a->n; i++)
        if (a->v[i].max < a->target)
            return 0;
    return 1;
}

check_result message_flow_check_end_to_end(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    int ns = ctx->profile.flow_subscribers > 1 ? ctx->profile.flow_subscribers : 3;
    int n = flow_n(ctx);
    const char *bot = bot_of(ctx);
    char err[512];
    wsconn **subs = calloc((size_t)ns, sizeof(*subs));
    maxseq_arg *mx = calloc((size_t)ns, sizeof(*mx));
    flowcheck **fc = calloc((size_t)ns, sizeof(*fc));
    double *lat = NULL;
    size_t nlat = 0;
    int64_t k0 = 0;
    if (!subs || !mx || !fc) {
        r = bridge_fail(msg, len, "out of memory");
        goto out;
    }
    if (start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "no start point: %.400s", err);
        goto out;
    }
    for (int i = 0; i < ns; i++) {
        char sj[256];
        snprintf(sj, sizeof(sj), "{\"type\":\"subscribe\",\"from\":{\"%s\":%lld}}", bot,
                 (long long)k0);
        mx[i].src = bot;
        wsconn_opts o = {.on_message = maxseq_cb, .on_message_arg = &mx[i]};
        subs[i] = bridge_subscriber(c, ctx, sj, &o, OPEN_TIMEOUT_MS, err, sizeof(err));
        if (!subs[i]) {
            r = bridge_fail(msg, len, "subscriber %d: %.400s", i, err);
            goto out;
        }
    }
    /* latency counts messages scheduled once every subscriber was live: the
       ones before were replayed from history (from k0), not relayed live */
    int64_t live_us = wclock_real_us();
    int64_t target = k0 + n;
    all_arg aa = {mx, ns, target};
    if (wsclient_run_until(c, all_reached, &aa, 90000) < 0) {
        for (int i = 0; i < ns; i++)
            if (mx[i].max < target) {
                r = bridge_fail(msg, len,
                                 "subscriber %d reached only seq %lld of %lld within 90 s", i,
                                 (long long)mx[i].max, (long long)target);
                goto out;
            }
    }
    size_t latcap = ((size_t)n + 16) * (size_t)ns;
    lat = calloc(latcap, sizeof(*lat)); /* every subscriber's receipts, in us */
    for (int i = 0; i < ns; i++) {
        fc[i] = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA | FLOWCHECK_KEEP_LOG);
        flowcheck_expect_from(fc[i], bot, k0);
        for (size_t j = 0; j < wsconn_count(subs[i]); j++) {
            const wsmsg *m = wsconn_msg(subs[i], j);
            envelope_peek p;
            if (envelope_peek_fields(m->text, m->len, &p) == 0 && !strcmp(p.source, bot) &&
                p.seq > target)
                continue; /* beyond the window */
            flowcheck_feed(fc[i], m->text, m->len);
            if (lat && nlat < latcap && p.ts_us >= live_us && !strcmp(p.source, bot))
                lat[nlat++] = (double)(m->rx_real_us - p.ts_us);
        }
        char probs[2048];
        if (flowcheck_problems(fc[i], probs, sizeof(probs))) {
            r = bridge_fail(msg, len, "subscriber %d: %s", i, probs);
            goto out;
        }
        if (flowcheck_unique(fc[i], bot) != (uint64_t)n) {
            r = bridge_fail(msg, len, "subscriber %d has %llu of the %d messages %lld..%lld", i,
                             (unsigned long long)flowcheck_unique(fc[i], bot), n, (long long)k0 + 1,
                             (long long)target);
            goto out;
        }
        if (i > 0 && flowcheck_compare(fc[0], fc[i], err, sizeof(err)) < 0) {
            r = bridge_fail(msg, len, "subscribers 0 and %d saw different streams: %.400s", i,
                             err);
            goto out;
        }
    }
    if (nlat) {
        suite_metric("e2e_latency_p50_ms", bridge_percentile(lat, nlat, 50) / 1000.0, "ms");
        suite_metric("e2e_latency_p99_ms", bridge_percentile(lat, nlat, 99) / 1000.0, "ms");
        suite_metric("e2e_latency_max_ms", lat[nlat - 1] / 1000.0, "ms");
    }
    suite_metric("e2e_subscribers", ns, "subs");
    suite_metric("e2e_messages", n, "msgs");
    char why[300];
    if (threshold_judge_trend(ctx->thresholds, "e2e_latency", lat, nlat, why, sizeof(why)))
        r = bridge_breach(msg, len, "%s (%zu receipts of %d messages at %d subscribers; max "
                                    "%.1f ms)",
                          why, nlat, n, ns, nlat ? lat[nlat - 1] / 1000.0 : 0.0);
    else
        snprintf(msg, len, "%d subscribers saw the identical %d messages %lld..%lld", ns, n,
                 (long long)k0 + 1, (long long)target);
out:
    for (int i = 0; fc && i < ns; i++)
        flowcheck_free(fc[i]);
    free(fc);
    free(subs);
    free(mx);
    free(lat);
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
