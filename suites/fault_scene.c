/* fault_scene: the frame of a fault-tolerance scenario (see fault_scene.h):
 * the resuming follower, bounded waits that keep it reading, the bot's and
 * the dashboard's status, the closing ledger and its verdict, and the
 * timeline written to <results>/metrics/faults.json after every scenario
 * (so a suite that dies midway still leaves the scenarios before). */
#include "fault_scene.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wclock.h"
#include "wjson.h"

#define FS_OPEN_MS 1000
#define FS_RETRY_S 0.2
#define FS_CATCH_UP_MS 20000
#define FS_RATE_TOLERANCE 0.05
#define FS_MAX_LAT 200000
#define FS_LATE_P99_MS 500 /* the loop's p99 lateness bound: generous for a shared machine */
#define FS_STOP_MS 5000
#define FS_START_MS 15000

struct fscene {
    const suite_ctx *ctx;
    char name[64];
    fscene_opts o;
    double t0;             /* monotonic seconds at begin */
    int64_t t0_real_us;
    wsclient *c;
    wsconn *k;
    ledger *lg;
    int64_t from;          /* the window starts after this seq */
    cJSON *ledgers;        /* the scenario's ledgers, one per subscriber */
    int reconnects;
    double next_try;
    char last_err[300];
    int64_t gen0;          /* the bot's "generated" at begin */
    cJSON *late0;          /* the bot's loop_late_steps at begin (NULL: it has none) */
    int64_t iter0;         /* its loop_iterations then */
    double gen0_t;
    env_stats st0;
    int have_st0;
    cJSON *json;           /* the scenario's entry in faults.json */
    cJSON *events;
    int lat_on;
    double *lat;
    size_t nlat;
};

static cJSON *g_doc; /* faults.json of this suite run */

int fscene_short(const suite_ctx *ctx)
{
    return ctx->profile.name && strcmp(ctx->profile.name, "short") == 0;
}

static const char *bot_of(const suite_ctx *ctx)
{
    return ctx->bot_source && ctx->bot_source[0] ? ctx->bot_source : "bot-1";
}

double fscene_now(const fscene *s)
{
    return wclock_mono_s() - s->t0;
}

void fscene_event(fscene *s, const char *what, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    double t = fscene_now(s);
    cJSON *e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "t_s", (double)(int64_t)(t * 1000) / 1000);
    cJSON_AddNumberToObject(e, "real_us", (double)wclock_real_us());
    cJSON_AddStringToObject(e, "event", what);
    cJSON_AddStringToObject(e, "detail", detail);
    cJSON_AddItemToArray(s->events, e);
    suite_log("%s +%.3f s %s: %s", s->name, t, what, detail);
}

void fscene_figure(fscene *s, const char *name, double value, const char *unit)
{
    suite_metric(name, value, unit);
    cJSON_AddNumberToObject(s->json, name, value);
}

static void on_message(wsconn *k, const wsmsg *m, void *arg)
{
    (void)k;
    fscene *s = arg;
    if (m->binary)
        return;
    ledger_feed(s->lg, m->text, m->len);
    if (s->lat_on && s->nlat < FS_MAX_LAT) {
        char err[64];
        cJSON *o = wjson_parse(m->text, m->len, 16, err, sizeof(err));
        int64_t ts = wjson_int(o, "ts_us", -1);
        if (ts > 0 && strcmp(wjson_str(o, "source", ""), bot_of(s->ctx)) == 0)
            s->lat[s->nlat++] = (double)(m->rx_real_us - ts) / 1000.0;
        cJSON_Delete(o);
    }
}

/* (Re)subscribes from what the ledger holds; 0, or -1 with last_err. */
static int follow(fscene *s)
{
    char sub[300];
    snprintf(sub, sizeof(sub), "{\"type\":\"subscribe\",\"from\":{\"%s\":%lld}}", bot_of(s->ctx),
             (long long)ledger_high(s->lg));
    wsconn_opts eo = {0};
    eo.keep_messages = -1;
    eo.on_message = on_message;
    eo.on_message_arg = s;
    eo.name = "resuming subscriber";
    s->k = bridge_subscriber(s->c, s->ctx, sub, &eo, FS_OPEN_MS, s->last_err,
                             sizeof(s->last_err));
    return s->k ? 0 : -1;
}

void fscene_pump(fscene *s, int ms)
{
    double end = wclock_mono_s() + ms / 1000.0;
    for (;;) {
        double now = wclock_mono_s();
        if (now >= end)
            break;
        if (s->k) {
            wsconn_state st = wsconn_get_state(s->k);
            if (st == WSCONN_CLOSED || st == WSCONN_FAILED) {
                wsconn_free(s->c, s->k);
                s->k = NULL;
                s->next_try = now;
            }
        }
        if (!s->k && now >= s->next_try) {
            if (follow(s) == 0)
                s->reconnects++;
            else
                s->next_try = wclock_mono_s() + FS_RETRY_S;
            continue;
        }
        int left = (int)((end - now) * 1000) + 1;
        wsclient_service(s->c, left < 50 ? left : 50);
    }
}

static cJSON *bot_status(fscene *s)
{
    int absent = 0;
    char err[300];
    return bridge_bot_status(s->ctx, &absent, err, sizeof(err));
}

void fscene_bot_nums(fscene *s, const char *const *keys, int64_t *vals, int n)
{
    cJSON *j = bot_status(s);
    for (int i = 0; i < n; i++)
        vals[i] = wjson_int(j, keys[i], -1);
    cJSON_Delete(j);
}

int64_t fscene_bot_num(fscene *s, const char *key)
{
    int64_t v;
    fscene_bot_nums(s, &key, &v, 1);
    return v;
}

int64_t fscene_dashboard_num(fscene *s, const char *key)
{
    int absent = 0;
    char err[300];
    cJSON *j = bridge_dashboard_status(s->ctx, &absent, err, sizeof(err));
    int64_t v = -1;
    if (j && !wjson_get_int64(wjson_getv(j, "sources", bot_of(s->ctx), key, NULL), &v))
        v = j ? 0 : -1; /* no entry yet: nothing held */
    cJSON_Delete(j);
    return v;
}

int64_t fscene_dashboard_last_seq(fscene *s)
{
    return fscene_dashboard_num(s, "last_seq");
}

const ledger *fscene_ledger(const fscene *s)
{
    return s->lg;
}

wsclient *fscene_client(fscene *s)
{
    return s->c;
}

int fscene_restart_with(const suite_ctx *ctx, env_service sv, const char *args, char *err,
                        size_t len)
{
    if (envdriver_set_args(ctx->env, sv, args, err, len) < 0 ||
        envdriver_restart(ctx->env, sv, FS_STOP_MS, err, len) < 0 ||
        envdriver_wait_healthy(ctx->env, sv, FS_START_MS, err, len) < 0)
        return -1;
    suite_log("%s restarted with [%s]", envdriver_service_name(sv), args);
    return 0;
}

double fscene_wait_bot_connected(fscene *s, int want, int timeout_ms)
{
    double start = wclock_mono_s(), end = start + timeout_ms / 1000.0;
    while (wclock_mono_s() < end) {
        cJSON *j = bot_status(s);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "connected");
        int ok = j && cJSON_IsBool(c) && (cJSON_IsTrue(c) ? 1 : 0) == want;
        cJSON_Delete(j);
        if (ok)
            return wclock_mono_s() - start;
        fscene_pump(s, 50);
    }
    return -1;
}

double fscene_wait_caught_up(fscene *s, int64_t seq, int timeout_ms)
{
    double start = wclock_mono_s(), end = start + timeout_ms / 1000.0;
    while (ledger_high(s->lg) < seq) {
        if (wclock_mono_s() >= end)
            return -1;
        fscene_pump(s, 20);
    }
    return wclock_mono_s() - start;
}

double fscene_configured_rate(fscene *s)
{
    double r = envdriver_bot_rate(s->ctx->env);
    return r > 0 ? r : (double)fscene_bot_num(s, "rate");
}

void fscene_latency_start(fscene *s)
{
    s->nlat = 0;
    s->lat_on = 1;
}

double fscene_latency_stop(fscene *s, double pct, double *p50, size_t *count)
{
    s->lat_on = 0;
    *count = s->nlat;
    *p50 = s->nlat ? bridge_percentile(s->lat, s->nlat, 50) : -1;
    return s->nlat ? bridge_percentile(s->lat, s->nlat, pct) : -1;
}

fscene *fscene_begin(const suite_ctx *ctx, const char *name, const fscene_opts *o, char *msg,
                     size_t len, check_result *r)
{
    unsigned need = ENV_CAP_BOT | o->caps;
    if (!ctx->env || !envdriver_has(ctx->env, need)) {
        const char *what = !envdriver_has(ctx->env, ENV_CAP_BOT) ? "a bot in the system under test"
                           : (o->caps & ENV_CAP_FAULTS) && !envdriver_has(ctx->env, ENV_CAP_FAULTS)
                               ? "a fault proxy (wsb-faultproxy, or --toxiproxy-url)"
                               : "process control of the services";
        *r = bridge_skip(msg, len, "%s needs %s (the %s driver has none)", name, what,
                         ctx->env ? envdriver_name(ctx->env) : "no");
        return NULL;
    }
    fscene *s = calloc(1, sizeof(*s));
    if (!s) {
        *r = bridge_fail(msg, len, "out of memory");
        return NULL;
    }
    s->ctx = ctx;
    s->o = *o;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->t0 = wclock_mono_s();
    s->t0_real_us = wclock_real_us();
    s->json = cJSON_CreateObject();
    cJSON_AddStringToObject(s->json, "scenario", name);
    cJSON_AddStringToObject(s->json, "driver", envdriver_name(ctx->env));
    cJSON_AddNumberToObject(s->json, "start_real_us", (double)s->t0_real_us);
    s->events = cJSON_AddArrayToObject(s->json, "timeline");
    s->lat = calloc(FS_MAX_LAT, sizeof(double));
    char err[400];
    cJSON *bs = bot_status(s);
    int64_t acked = wjson_int(bs, "acked_seq", -1);
    s->gen0 = wjson_int(bs, "generated", -1);
    s->gen0_t = wclock_mono_s();
    s->iter0 = wjson_int(bs, "loop_iterations", -1);
    const cJSON *l0 = cJSON_GetObjectItemCaseSensitive(bs, "loop_late_steps");
    s->late0 = cJSON_IsObject(l0) ? cJSON_Duplicate(l0, 1) : NULL;
    cJSON_Delete(bs);
    if (acked < 0 || s->gen0 < 0) {
        *r = bridge_skip(msg, len, "%s needs the bot's /status (acked_seq, generated)", name);
        goto fail;
    }
    int64_t from = fscene_dashboard_last_seq(s);
    if (from < 0)
        from = acked;
    s->from = from;
    s->lg = ledger_new(bot_of(ctx), from);
    s->ledgers = cJSON_AddArrayToObject(s->json, "ledger");
    s->c = bridge_client(ctx, err, sizeof(err));
    if (!s->lat || !s->lg || !s->c) {
        *r = bridge_fail(msg, len, "%s: cannot start the follower: %.300s", name,
                         s->c ? "out of memory" : err);
        goto fail;
    }
    if (follow(s) < 0) {
        *r = bridge_fail(msg, len, "%s: the follower cannot subscribe: %.300s", name,
                         s->last_err);
        goto fail;
    }
    if ((o->resources || !fscene_short(ctx)) && envdriver_has(ctx->env, ENV_CAP_STATS) &&
        envdriver_stats(ctx->env, ENV_DASHBOARD, &s->st0, err, sizeof(err)) == 0)
        s->have_st0 = 1;
    fscene_event(s, "begin", "following %s from seq %lld", bot_of(ctx), (long long)from);
    msg[0] = 0;
    return s;
fail:
    if (s->c)
        wsclient_free(s->c);
    cJSON_Delete(s->late0);
    ledger_free(s->lg);
    cJSON_Delete(s->json);
    free(s->lat);
    free(s);
    return NULL;
}

static void on_replay(wsconn *k, const wsmsg *m, void *arg)
{
    (void)k;
    if (!m->binary)
        ledger_feed(arg, m->text, m->len);
}

check_result fscene_replay(fscene *s, char *msg, size_t len)
{
    int64_t to = fscene_bot_num(s, "last_seq");
    if (to < 0)
        return bridge_fail(msg, len, "%s: the bot's status is unreadable", s->name);
    ledger *lg = ledger_new(bot_of(s->ctx), s->from);
    char sub[300], err[400];
    snprintf(sub, sizeof(sub), "{\"type\":\"subscribe\",\"from\":{\"%s\":%lld}}",
             bot_of(s->ctx), (long long)s->from);
    wsconn_opts eo = {0};
    eo.keep_messages = -1;
    eo.on_message = on_replay;
    eo.on_message_arg = lg;
    eo.name = "replaying subscriber";
    wsconn *k = lg ? bridge_subscriber(s->c, s->ctx, sub, &eo, FS_OPEN_MS * 5, err, sizeof(err))
                   : NULL;
    if (!k) {
        ledger_free(lg);
        return bridge_fail(msg, len, "%s: a replaying subscriber cannot subscribe: %.300s",
                           s->name, lg ? err : "out of memory");
    }
    double end = wclock_mono_s() + FS_CATCH_UP_MS / 1000.0;
    while (ledger_high(lg) < to && wclock_mono_s() < end)
        fscene_pump(s, 20);
    wsconn_free(s->c, k);
    ledger_totals t;
    char lost[300], dup[300], ooo[300], ann[300], line[300];
    ledger_close(lg, to, &t, lost, sizeof(lost), dup, sizeof(dup), ooo, sizeof(ooo), ann,
                 sizeof(ann));
    ledger_line(&t, line, sizeof(line));
    fscene_event(s, "replay", "a fresh subscriber replaying from seq %lld: %s",
                 (long long)s->from + 1, line);
    cJSON *lj = ledger_json(lg, to);
    cJSON_AddStringToObject(lj, "subscriber", "replaying");
    cJSON_AddItemToArray(s->ledgers, lj);
    ledger_free(lg);
    if (t.lost || t.announced)
        return bridge_fail(msg, len,
                           "%s: the dashboard lost messages it had acknowledged across its "
                           "restarts (journal lost?): a fresh subscriber replaying from seq "
                           "%lld gets %lld of %lld; missing [%s], announced as gaps [%s]",
                           s->name, (long long)s->from + 1, (long long)t.received,
                           (long long)t.generated, lost, ann);
    if (t.duplicated || t.out_of_order)
        return bridge_fail(msg, len,
                           "%s: the replay after the restarts repeats %lld and reorders %lld "
                           "messages: seq %s %s",
                           s->name, (long long)t.duplicated, (long long)t.out_of_order, dup, ooo);
    return CHECK_PASS;
}

/* The trading loop's lateness p99 over the scenario, from the bot's cumulative
 * loop_late_steps (steps later than N ms): the smallest N that at most 1 % of
 * the window's steps exceeded; *steps the window's loop iterations. -1 when the
 * bot reports no lateness; 1e9 when even the largest bound was exceeded. */
static double late_p99(fscene *s, int64_t *steps)
{
    cJSON *bs = bot_status(s);
    const cJSON *l1 = cJSON_GetObjectItemCaseSensitive(bs, "loop_late_steps");
    int64_t it1 = wjson_int(bs, "loop_iterations", -1);
    double p99 = -1;
    *steps = it1 >= s->iter0 && s->iter0 >= 0 ? it1 - s->iter0 : 0;
    if (s->late0 && cJSON_IsObject(l1) && *steps > 0) {
        p99 = 1e9;
        const cJSON *e;
        cJSON_ArrayForEach(e, l1)
        {
            int64_t a = wjson_int(s->late0, e->string, 0), b = 0;
            wjson_get_int64(e, &b);
            double bound = atof(e->string);
            if ((double)(b - a) <= 0.01 * (double)*steps && bound < p99)
                p99 = bound;
        }
    }
    cJSON_Delete(bs);
    return p99;
}

static void write_doc(const suite_ctx *ctx)
{
    char dir[512], path[600], tmp[620];
    snprintf(dir, sizeof(dir), "%s/metrics", ctx->results_dir);
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        suite_log("cannot create %s: %s", dir, strerror(errno));
        return;
    }
    snprintf(path, sizeof(path), "%s/faults.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    char *txt = cJSON_Print(g_doc);
    FILE *f = txt ? fopen(tmp, "w") : NULL;
    if (f) {
        fputs(txt, f);
        fputc('\n', f);
        if (fclose(f) == 0)
            rename(tmp, path);
    } else {
        suite_log("cannot write %s", path);
    }
    free(txt);
}

check_result fscene_end(fscene *s, check_result r, char *msg, size_t len)
{
    const suite_ctx *ctx = s->ctx;
    char err[400];
    int64_t to = fscene_bot_num(s, "last_seq");
    double gen_t = wclock_mono_s();
    int64_t gen1 = fscene_bot_num(s, "generated");
    double rate = fscene_configured_rate(s);
    if (to < 0 && r != CHECK_FAIL)
        r = bridge_fail(msg, len, "%s: the bot's status is unreadable at the end", s->name);
    double cu = to >= 0 ? fscene_wait_caught_up(s, to, FS_CATCH_UP_MS) : -1;
    fscene_event(s, "end", "bot last_seq %lld, follower holds up to %lld (%d resumes)",
                 (long long)to, (long long)ledger_high(s->lg), s->reconnects);
    ledger_totals t;
    char lost[300], dup[300], ooo[300], ann[300], line[300];
    ledger_close(s->lg, to, &t, lost, sizeof(lost), dup, sizeof(dup), ooo, sizeof(ooo), ann,
                 sizeof(ann));
    ledger_line(&t, line, sizeof(line));
    suite_log("%s ledger (%s): %s; lost [%s] duplicated [%s] out of order [%s] announced [%s]",
              s->name, bot_of(ctx), line, lost, dup, ooo, ann);
    cJSON *lj = ledger_json(s->lg, to);
    cJSON_AddStringToObject(lj, "subscriber", "resuming");
    cJSON_AddItemToArray(s->ledgers, lj);
    fscene_figure(s, "generated", (double)t.generated, "messages");
    fscene_figure(s, "received", (double)t.received, "messages");
    fscene_figure(s, "lost", (double)t.lost, "messages");
    fscene_figure(s, "duplicated", (double)t.duplicated, "messages");
    fscene_figure(s, "out_of_order", (double)t.out_of_order, "messages");
    fscene_figure(s, "announced", (double)t.announced, "messages");
    fscene_figure(s, "subscriber_resumes", s->reconnects, "count");
    int64_t steps = 0;
    double lp99 = late_p99(s, &steps);
    if (lp99 >= 0)
        fscene_figure(s, "loop_lateness_p99_ms", lp99, "ms");
    double gen_rate = -1;
    if (gen1 >= s->gen0 && s->gen0 >= 0 && gen_t > s->gen0_t) {
        gen_rate = (double)(gen1 - s->gen0) / (gen_t - s->gen0_t);
        fscene_figure(s, "generated_per_s", gen_rate, "1/s");
    }
    env_stats st1;
    if (s->have_st0 && envdriver_stats(ctx->env, ENV_DASHBOARD, &st1, err, sizeof(err)) == 0) {
        fscene_figure(s, "dashboard_rss_before_bytes", (double)s->st0.mem_bytes, "bytes");
        fscene_figure(s, "dashboard_rss_after_bytes", (double)st1.mem_bytes, "bytes");
        if (s->st0.open_fds >= 0 && st1.open_fds >= 0) {
            fscene_figure(s, "dashboard_fds_before", (double)s->st0.open_fds, "count");
            fscene_figure(s, "dashboard_fds_after", (double)st1.open_fds, "count");
        }
    }
    if (r != CHECK_FAIL) {
        if (cu < 0 && t.lost == 0)
            r = bridge_fail(msg, len, "%s: the subscriber did not catch up to seq %lld within %d ms",
                            s->name, (long long)to, FS_CATCH_UP_MS);
        else if (t.lost)
            r = bridge_fail(msg, len,
                            "%s: %lld of %lld messages lost (never delivered, never announced): "
                            "seq %s",
                            s->name, (long long)t.lost, (long long)t.generated, lost);
        else if (t.duplicated)
            r = bridge_fail(msg, len, "%s: %lld duplicated deliveries (resume repeated them): seq %s",
                            s->name, (long long)t.duplicated, dup);
        else if (t.out_of_order)
            r = bridge_fail(msg, len, "%s: %lld messages out of order: seq %s", s->name,
                            (long long)t.out_of_order, ooo);
        else if (t.announced && !s->o.allow_announced)
            r = bridge_fail(msg, len,
                            "%s: %lld messages dropped (announced as gaps) in a fault the system "
                            "must survive without loss: seq %s",
                            s->name, (long long)t.announced, ann);
        else if (s->o.judge_rate &&
                 ((rate > 0 && gen_rate >= 0 && gen_rate < rate * (1 - FS_RATE_TOLERANCE)) ||
                  lp99 > FS_LATE_P99_MS)) {
            /* a blocked loop shows as either or both: say each that holds */
            char slow[200] = "", late[200] = "";
            if (rate > 0 && gen_rate >= 0 && gen_rate < rate * (1 - FS_RATE_TOLERANCE))
                snprintf(slow, sizeof(slow),
                         "did not keep its rate through the fault: %.1f generated/s, "
                         "configured %.0f/s (more than %.0f %% below)",
                         gen_rate, rate, FS_RATE_TOLERANCE * 100);
            if (lp99 > FS_LATE_P99_MS)
                snprintf(late, sizeof(late),
                         "ran late through the fault: more than 1 %% of its %lld steps ran "
                         "over %d ms after their schedule time (it waited for the network?)",
                         (long long)steps, FS_LATE_P99_MS);
            r = bridge_fail(msg, len, "%s: the trading loop %s%s%s", s->name, slow,
                            slow[0] && late[0] ? "; it " : "", late);
        } else if (r == CHECK_PASS)
            snprintf(msg + strlen(msg), len - strlen(msg), "%s%s", msg[0] ? "; " : "", line);
    }
    cJSON_AddStringToObject(s->json, "verdict", r == CHECK_PASS ? "pass" : "fail");
    cJSON_AddStringToObject(s->json, "message", msg);
    if (!g_doc) {
        g_doc = cJSON_CreateObject();
        cJSON_AddNumberToObject(g_doc, "version", 1);
        cJSON_AddStringToObject(g_doc, "suite", "fault_tolerance");
        cJSON_AddArrayToObject(g_doc, "scenarios");
    }
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(g_doc, "scenarios"), s->json);
    write_doc(ctx);
    if (s->k)
        wsconn_free(s->c, s->k);
    wsclient_free(s->c);
    cJSON_Delete(s->late0);
    ledger_free(s->lg);
    free(s->lat);
    free(s);
    return r;
}
