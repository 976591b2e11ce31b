/* message_flow_stream: the message-flow checks that follow a subscriber's
 * stream against what was published: filters deliver exactly the filtered
 * set, a resume after a disconnect loses and repeats nothing, a
 * schema-violating publish is refused and never relayed, and several
 * subscribers see the identical stream end to end. The suite's table and
 * the other checks are in message_flow.c; the helpers both use are in
 * message_flow_int.h. */
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
#include "message_flow_int.h"

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

/* Names a frame that is no envelope (a gap or error frame, or junk) for
 * the filters' leak count. */
static void leak_frame_name(const wsmsg *w, char *out, size_t cap)
{
    cJSON *r = wjson_parse(w->text, w->len, WJSON_DEFAULT_MAX_DEPTH, NULL, 0);
    const cJSON *t = r ? cJSON_GetObjectItemCaseSensitive(r, "type") : NULL;
    if (cJSON_IsString(t))
        snprintf(out, cap, "a %.40s frame (%.100s)", t->valuestring, w->text);
    else
        snprintf(out, cap, "a frame that is no envelope (%.100s)", w->text);
    cJSON_Delete(r);
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
    wsclient *c = mf_bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    const char *bot = mf_bot_of(ctx);
    flowcheck *fb = flowcheck_new(NULL, 0);
    int64_t k0 = 0;
    wsconn *a = NULL, *b = NULL;
    if (mf_start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "no start point: %.400s", err);
        goto out;
    }
    char filt[256];
    snprintf(filt, sizeof(filt), "\"types\":[\"%s\",\"%s\",\"%s\"],\"symbols\":[\"%s\"]",
             filter_types[0], filter_types[1], filter_types[2], FILTER_SYMBOL);
    a = mf_subscriber_from(c, ctx, filt, k0, NULL, 1, err, sizeof(err));
    b = a ? mf_subscriber_from(c, ctx, NULL, k0, fb, 1, err, sizeof(err)) : NULL;
    if (!a || !b) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    int n = mf_flow_n(ctx);
    mf_unique_arg ua = {fb, bot, (uint64_t)n, 0};
    wsclient_run_until(c, mf_unique_cond, &ua, 60000);
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
    /* every frame the filtered subscriber got is judged: an envelope of any
     * source the filter does not pass, a gap or error frame, or junk is a leak
     * (the bot's own past the window are not judged: b's window ends at top) */
    for (size_t i = 0; i < wsconn_count(a); i++) {
        fmsg m;
        char what[200] = "";
        if (parse_fmsg(wsconn_msg(a, i), &m) < 0)
            leak_frame_name(wsconn_msg(a, i), what, sizeof(what));
        else if (!strcmp(m.source, bot) && m.seq > top)
            continue;
        else if (!filter_passes(&m))
            snprintf(what, sizeof(what), "%s#%lld %s %s%s", m.source, (long long)m.seq, m.type,
                     m.symbol[0] ? m.symbol : "(no symbol)",
                     strcmp(m.source, bot) ? " (a foreign source)" : "");
        if (what[0] && !leaked++)
            snprintf(first_leak, sizeof(first_leak), "%s", what);
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
            "filter {types %s,%s,%s; symbols %s}: %llu frames leaked through (first %s), "
            "%llu messages the filter passes never arrived (%sfirst %s)",
            filter_types[0], filter_types[1], filter_types[2], FILTER_SYMBOL,
            (unsigned long long)leaked, leaked ? first_leak : "-", (unsigned long long)dropped,
            dropped ? "over-filtering; " : "", dropped ? first_drop : "-");
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
    wsclient *c = mf_bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512];
    const char *bot = mf_bot_of(ctx);
    flowcheck *f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    int64_t k0 = 0;
    wsconn *k = NULL, *witness = NULL;
    if (mf_start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "no start point: %.400s", err);
        goto out;
    }
    k = mf_subscriber_from(c, ctx, NULL, k0, f, 0, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %.400s", err);
        goto out;
    }
    int n = mf_flow_n(ctx) / 4 + 10;
    mf_unique_arg ua = {f, bot, (uint64_t)n, 0};
    wsclient_run_until(c, mf_unique_cond, &ua, 30000);
    /* a witness stays connected: what the bot published while the subscriber
     * was away, without which the resume would check nothing */
    witness = bridge_subscriber(c, ctx, NULL, NULL, OPEN_TIMEOUT_MS, err, sizeof(err));
    if (!witness) {
        r = bridge_fail(msg, len, "witness subscriber: %.400s", err);
        goto out;
    }
    wsconn_close(c, k, 1000, "going to resume");
    wsconn_wait_closed(c, k, (WSCLIENT_CLOSE_WAIT_S + 1) * 1000, NULL, 0);
    const flow_source *s = flowcheck_find(f, bot);
    int64_t last = s ? s->max_seq : k0;
    /* stay away while the bot goes on */
    wsclient_run_for(c, 1000);
    int64_t away_top = last;
    for (size_t i = 0; i < wsconn_count(witness); i++) {
        envelope_peek p;
        const wsmsg *m = wsconn_msg(witness, i);
        if (envelope_peek_fields(m->text, m->len, &p) == 0 && !strcmp(p.source, bot) &&
            p.seq > away_top)
            away_top = p.seq;
    }
    suite_metric("resume_missed_while_away", (double)(away_top - last), "msgs");
    if (away_top <= last) {
        r = bridge_fail(msg, len,
                        "nothing was published by %s in the 1 s the subscriber was away (still "
                        "at seq %lld): the resume would check nothing",
                        bot, (long long)last);
        goto out;
    }
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
    mf_unique_arg ub = {f, bot, 0, last + n};
    wsclient_run_until(c, mf_unique_cond, &ub, 30000);
    s = flowcheck_find(f, bot);
    char probs[2048];
    if (flowcheck_problems(f, probs, sizeof(probs)))
        r = bridge_fail(msg, len, "across the disconnect (resume from %lld): %s", (long long)last,
                         probs);
    else if (!s || s->max_seq < last + n)
        r = bridge_fail(msg, len, "after resume from %lld only up to seq %lld arrived within 30 s",
                         (long long)last, s ? (long long)s->max_seq : -1LL);
    else
        snprintf(msg, len,
                 "resumed after seq %lld (%lld published while away): %lld..%lld without loss "
                 "or repeat",
                 (long long)last, (long long)(away_top - last), (long long)k0 + 1,
                 (long long)s->max_seq);
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
    char err[512], mysrc[64];
    snprintf(mysrc, sizeof(mysrc), "mf-test-%d", (int)getpid());
    char *good = NULL;
    flowcheck *f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    wsconn *sub = NULL, *pub = NULL;
    int64_t last = 0;
    if ((r = bridge_test_pair(c, ctx, NULL, mysrc, sizeof(mysrc), &sub, &pub, &last,
                              OPEN_TIMEOUT_MS, msg, len)) != CHECK_PASS)
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
    wsclient *c = mf_bot_client(ctx, msg, len, &r);
    if (!c)
        return r;
    int ns = ctx->profile.flow_subscribers > 1 ? ctx->profile.flow_subscribers : 3;
    int n = mf_flow_n(ctx);
    const char *bot = mf_bot_of(ctx);
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
    if (mf_start_point(ctx, c, &k0, err, sizeof(err)) < 0) {
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
