/* perf_measure: one measured window of the bot's stream through the
 * dashboard to the subscribers (see perf_measure.h): the bot's rate set by
 * command, receipts recorded from the client engine's message callback
 * (nothing kept per frame but a small per-sequence entry), and the figures
 * computed once the window has drained. */
#include "perf_measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wclock.h"
#include "wjson.h"

#define PERF_MAX_ENTRIES (8L * 1024 * 1024) /* sequences followed in one window */
#define PERF_CMD_MS 5000                     /* a command's round trip through the bridge */
#define PERF_FIRST_MS 5000                   /* the first bot message after the window opened */

enum role { ROLE_SUB, ROLE_SINGLE, ROLE_POOL, ROLE_PING };

typedef struct ent { /* one bot sequence in the window */
    int64_t ts, relay, first_rx, last_rx, pool_rx;
    uint16_t n; /* full subscribers that received it */
    uint8_t seen, trading;
} ent;

typedef struct meas meas;
typedef struct psub {
    meas *m;
    enum role role;
    int64_t last_seq;
    int done; /* saw a message scheduled after the window */
    wsconn *k;
} psub;

struct meas {
    const char *source;
    perf_result *r;
    int64_t t_start, t_end; /* real us; t_start INT64_MAX until the window opens */
    int64_t seq0;
    int have_seq0;
    ent *e;
    size_t cap;
    int64_t max_off;
    int nsec_alloc;
    long *delivered; /* receipts per second of the window (+ drain) */
    long parsed, bot_seen;
    int done;
    /* the command under way */
    char want_id[64];
    int acked; /* 0 waiting, 1 accepted/done, -1 rejected or refused */
    char ack_msg[200];
};

static int is_trading(const char *type)
{
    return strcmp(type, "heartbeat") && strcmp(type, "bot_status") &&
           strcmp(type, "command_ack") && strcmp(type, "alert");
}

static ent *entry(meas *m, int64_t seq)
{
    if (!m->have_seq0) {
        m->seq0 = seq;
        m->have_seq0 = 1;
    }
    if (seq < m->seq0) { /* an earlier one came late to another subscriber: shift */
        size_t shift = (size_t)(m->seq0 - seq);
        if ((size_t)m->max_off + 1 + shift > PERF_MAX_ENTRIES)
            return NULL;
        if ((size_t)m->max_off + 1 + shift > m->cap) {
            size_t nc = ((size_t)m->max_off + 1 + shift) * 2;
            ent *ne = realloc(m->e, nc * sizeof(ent));
            if (!ne)
                return NULL;
            memset(ne + m->cap, 0, (nc - m->cap) * sizeof(ent));
            m->e = ne;
            m->cap = nc;
        }
        memmove(m->e + shift, m->e, ((size_t)m->max_off + 1) * sizeof(ent));
        memset(m->e, 0, shift * sizeof(ent));
        m->seq0 = seq;
        m->max_off += (int64_t)shift;
    }
    int64_t off = seq - m->seq0;
    if (off >= PERF_MAX_ENTRIES)
        return NULL;
    if ((size_t)off >= m->cap) {
        size_t nc = m->cap ? m->cap : 4096;
        while (nc <= (size_t)off)
            nc *= 2;
        ent *ne = realloc(m->e, nc * sizeof(ent));
        if (!ne)
            return NULL;
        memset(ne + m->cap, 0, (nc - m->cap) * sizeof(ent));
        m->e = ne;
        m->cap = nc;
    }
    if (off > m->max_off)
        m->max_off = off;
    return &m->e[off];
}

static void command_frame(meas *m, cJSON *root, const char *type)
{
    if (!m->want_id[0])
        return;
    if (!strcmp(type, "command_ack")) {
        const char *id = wjson_str(root, "data.command_id", "");
        if (strcmp(id, m->want_id))
            return;
        const char *st = wjson_str(root, "data.status", "");
        if (!strcmp(st, "accepted") || !strcmp(st, "done")) {
            m->acked = 1;
        } else {
            m->acked = -1;
            snprintf(m->ack_msg, sizeof(m->ack_msg), "command_ack %s: %s", st,
                     wjson_str(root, "data.reason", ""));
        }
    } else if (!strcmp(type, "error")) {
        m->acked = -1;
        snprintf(m->ack_msg, sizeof(m->ack_msg), "error %s: %s", wjson_str(root, "code", "?"),
                 wjson_str(root, "reason", ""));
    }
}

static void on_msg(wsconn *k, const wsmsg *msg, void *arg)
{
    (void)k;
    psub *s = arg;
    meas *m = s->m;
    m->parsed++;
    cJSON *root = cJSON_ParseWithLength(msg->text, msg->len);
    if (!root)
        return;
    const char *type = wjson_str(root, "type", "");
    command_frame(m, root, type);
    const char *src = wjson_str(root, "source", "");
    int ours = strcmp(src, m->source) == 0;
    int64_t seq = wjson_int(root, "seq", -1), ts = wjson_int(root, "ts_us", -1);
    int64_t relay = wjson_int(root, "relay_us", -1);
    int trading = is_trading(type);
    cJSON_Delete(root); /* src and type point into it: not used below */
    if (!ours || seq < 0 || ts < 0 || s->role == ROLE_PING)
        return;
    m->bot_seen++;
    if (ts >= m->t_end) {
        if (!s->done) {
            s->done = 1;
            m->done++;
        }
        return;
    }
    if (ts < m->t_start)
        return;
    perf_result *r = m->r;
    int64_t rx = msg->rx_real_us;
    if (s->role == ROLE_SUB && seq <= s->last_seq)
        r->out_of_order++;
    if (seq > s->last_seq)
        s->last_seq = seq;
    ent *x = entry(m, seq);
    if (!x)
        return;
    if (!x->seen) {
        x->seen = 1;
        x->ts = ts;
        x->relay = relay;
        x->trading = (uint8_t)trading;
        r->messages++;
        if (relay >= 0)
            histogram_record_us(r->hop1, (double)(relay - ts));
    }
    switch (s->role) {
    case ROLE_SUB: {
        x->n++;
        if (!x->first_rx || rx < x->first_rx)
            x->first_rx = rx;
        if (rx > x->last_rx)
            x->last_rx = rx;
        histogram_record_us(r->e2e, (double)(rx - ts));
        if (relay >= 0)
            histogram_record_us(r->hop2, (double)(rx - relay));
        r->receipts++;
        int64_t b = (rx - m->t_start) / 1000000;
        if (b >= m->nsec_alloc)
            b = m->nsec_alloc - 1;
        if (b >= 0)
            m->delivered[b]++;
        break;
    }
    case ROLE_SINGLE:
        histogram_record_us(r->single, (double)(rx - ts));
        break;
    case ROLE_POOL:
        if (!x->pool_rx || rx < x->pool_rx)
            x->pool_rx = rx;
        break;
    default:
        break;
    }
}

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmd_answered(void *arg)
{
    return ((meas *)arg)->acked != 0;
}

/* Sends a command on k and services until its command_ack (or refusal). */
static int send_command(wsclient *c, wsconn *k, meas *m, const char *source, const char *name,
                        const char *params, char *err, size_t errlen)
{
    static unsigned counter;
    snprintf(m->want_id, sizeof(m->want_id), "perf-%d-%u", (int)getpid(), ++counter);
    m->acked = 0;
    m->ack_msg[0] = 0;
    char frame[512];
    int n = snprintf(frame, sizeof(frame),
                     "{\"type\":\"command\",\"target\":\"%s\",\"command_id\":\"%s\",\"name\":\"%s\","
                     "\"params\":%s}",
                     source, m->want_id, name, params ? params : "{}");
    if (wsconn_send_text(c, k, frame, (size_t)n, err, errlen) < 0)
        return -1;
    if (wsclient_run_until(c, cmd_answered, m, PERF_CMD_MS) < 0) {
        snprintf(err, errlen, "no command_ack for %s within %d ms", name, PERF_CMD_MS);
        m->want_id[0] = 0;
        return -1;
    }
    m->want_id[0] = 0;
    if (m->acked < 0) {
        snprintf(err, errlen, "%s refused: %s", name, m->ack_msg);
        return -1;
    }
    return 0;
}

int perf_bot_command(const suite_ctx *ctx, const char *name, const char *params_json,
                     char *err, size_t errlen)
{
    wsclient *c = bridge_client(ctx, err, errlen);
    if (!c)
        return -1;
    meas m;
    memset(&m, 0, sizeof(m));
    m.t_start = m.t_end = INT64_MAX;
    m.source = ctx->bot_source;
    psub s = {.m = &m, .role = ROLE_PING};
    wsconn_opts xo = {.keep_messages = -1, .on_message = on_msg, .on_message_arg = &s};
    const char *sj = "{\"type\":\"subscribe\",\"types\":[\"command_ack\"]}";
    wsconn *k = bridge_subscriber(c, ctx, sj, &xo, PERF_CMD_MS, err, errlen);
    int rc = k ? send_command(c, k, &m, ctx->bot_source, name, params_json, err, errlen) : -1;
    wsclient_free(c);
    return rc;
}

/* The rate to come back to after the window: the environment's, else the bot's status. */
static double configured_rate(const suite_ctx *ctx)
{
    double rate = envdriver_bot_rate(ctx->env);
    if (rate > 0)
        return rate;
    int absent = 0;
    char err[200];
    cJSON *st = bridge_bot_status(ctx, &absent, err, sizeof(err));
    if (st) {
        rate = wjson_num(st, "rate", 0);
        cJSON_Delete(st);
    }
    return rate;
}

/* Everything computed after the window from the per-sequence entries. */
static void finish(meas *m, perf_result *r, int nsub, int pool)
{
    if (m->have_seq0) {
        r->seq_first = m->seq0;
        r->seq_last = m->seq0 + m->max_off;
        r->expected = (long)(m->max_off + 1) * nsub;
    }
    r->nsec = (int)ceil(r->duration_s);
    r->sec = calloc((size_t)r->nsec + 1, sizeof(perf_second));
    double iv = r->rate > 0 ? 1e6 / r->rate : 0;
    int64_t grid0 = -1;
    double *offs = calloc((size_t)m->max_off + 2, sizeof(double));
    long noffs = 0;
    for (int64_t i = 0; m->have_seq0 && i <= m->max_off; i++) {
        const ent *x = &m->e[i];
        if (!x->seen)
            continue;
        if (x->n == nsub && nsub > 1)
            histogram_record_us(r->spread, (double)(x->last_rx - x->first_rx));
        if (pool > 0 && x->pool_rx)
            histogram_record_us(r->pooled, (double)(x->pool_rx - x->ts));
        int64_t b = (x->ts - m->t_start) / 1000000;
        if (r->sec && b >= 0 && b < r->nsec)
            r->sec[b].published++;
        if (x->trading && iv > 0 && offs) { /* against the fixed-rate grid */
            if (grid0 < 0)
                grid0 = x->ts;
            double d = (double)(x->ts - grid0);
            double off = fabs(d - round(d / iv) * iv);
            offs[noffs++] = off;
            r->trading++;
            if (off > PERF_GRID_TOLERANCE_US)
                r->off_grid++;
        }
    }
    if (noffs)
        r->off_grid_p50_us = bridge_percentile(offs, (size_t)noffs, 50);
    free(offs);
    double pub = 0, del = 0;
    for (int s = 0; r->sec && s < r->nsec; s++) {
        r->sec[s].delivered = m->delivered[s];
        pub += (double)r->sec[s].published;
        del += (double)m->delivered[s] / (nsub > 0 ? nsub : 1);
        r->sec[s].backlog = pub - del;
    }
    r->published_rate = pub / r->duration_s;
    r->delivered_rate = del / r->duration_s;
    /* growth over the window's whole seconds, the first one being the baseline */
    if (r->sec && r->nsec >= 2)
        r->backlog_growth = (r->sec[r->nsec - 1].backlog - r->sec[0].backlog) / (r->nsec - 1);
}

static int conns_alive(psub *subs, int n, char *msg, size_t len)
{
    for (int i = 0; i < n; i++) {
        wsconn_state st = wsconn_get_state(subs[i].k);
        if (st != WSCONN_OPEN) {
            bridge_fail(msg, len, "subscriber %d is %s during the window (close %d %s)", i,
                        wsconn_state_name(st), wsconn_close_code(subs[i].k),
                        wsconn_close_reason(subs[i].k));
            return 0;
        }
    }
    return 1;
}

check_result perf_run(const suite_ctx *ctx, const perf_opts *o, perf_result *r, char *msg,
                      size_t len)
{
    memset(r, 0, sizeof(*r));
    r->subscribers = o->subscribers;
    r->duration_s = o->duration_s;
    r->e2e = histogram_new();
    r->hop1 = histogram_new();
    r->hop2 = histogram_new();
    r->spread = histogram_new();
    r->ping = histogram_new();
    r->single = histogram_new();
    r->pooled = histogram_new();
    if (!r->e2e || !r->hop1 || !r->hop2 || !r->spread || !r->ping || !r->single || !r->pooled)
        return bridge_fail(msg, len, "out of memory");
    if (o->subscribers < 1 || o->subscribers > PERF_MAX_SUBSCRIBERS || o->duration_s <= 0)
        return bridge_fail(msg, len, "bad window: %d subscribers (1..%d), %.1f s", o->subscribers,
                           PERF_MAX_SUBSCRIBERS, o->duration_s);
    if (!envdriver_has(ctx->env, ENV_CAP_BOT))
        return bridge_skip(msg, len, "no bot in the system under test: nothing publishes");
    char err[300];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client engine: %s", err);
    meas m;
    memset(&m, 0, sizeof(m));
    m.source = ctx->bot_source;
    m.r = r;
    m.t_start = m.t_end = INT64_MAX;
    m.nsec_alloc = (int)ceil(o->duration_s) + PERF_DRAIN_MS / 1000 + 2;
    m.delivered = calloc((size_t)m.nsec_alloc, sizeof(long));
    int nconn = o->subscribers + (o->pool > 0 ? 1 + o->pool : 0) + (o->ping_ms > 0);
    psub *subs = calloc((size_t)nconn, sizeof(psub));
    check_result cr = CHECK_PASS;
    perf_res *res = NULL;
    double orig_rate = 0;
    if (!m.delivered || !subs) {
        cr = bridge_fail(msg, len, "out of memory");
        goto out;
    }
    for (int i = 0; i < nconn; i++) {
        psub *s = &subs[i];
        s->m = &m;
        s->last_seq = -1;
        s->role = i < o->subscribers                            ? ROLE_SUB
                  : o->pool > 0 && i == o->subscribers           ? ROLE_SINGLE
                  : o->pool > 0 && i <= o->subscribers + o->pool ? ROLE_POOL
                                                                 : ROLE_PING;
        wsconn_opts xo = {.keep_messages = -1, .on_message = on_msg, .on_message_arg = s};
        const char *sj = s->role == ROLE_PING
                             ? "{\"type\":\"subscribe\",\"types\":[\"command_ack\"]}"
                             : NULL;
        s->k = bridge_subscriber(c, ctx, sj, &xo, 5000, err, sizeof(err));
        if (!s->k) {
            cr = bridge_fail(msg, len, "subscriber %d of %d: %s", i + 1, nconn, err);
            goto out;
        }
    }
    if (o->resources)
        res = perf_res_start(ctx); /* its first samples are the baselines, during the settle */
    r->rate = o->rate;
    if (o->rate > 0) {
        orig_rate = configured_rate(ctx);
        char p[64];
        snprintf(p, sizeof(p), "{\"rate\":%g}", o->rate);
        if (send_command(c, subs[0].k, &m, ctx->bot_source, "set_rate", p, err, sizeof(err)) <
            0) {
            suite_log("set_rate %g: %s; measuring at the bot's own rate", o->rate, err);
            r->rate = orig_rate;
        } else {
            r->rate_set = 1;
        }
    } else {
        r->rate = configured_rate(ctx);
    }
    int64_t now = wclock_real_us();
    m.t_start = now + PERF_SETTLE_MS * 1000LL;
    m.t_end = m.t_start + (int64_t)(o->duration_s * 1e6);
    double cpu0 = thread_cpu_s(), wall0 = wclock_mono_s();
    long parsed0 = m.parsed;
    int64_t next_ping = wclock_mono_ms() + o->ping_ms;
    int needed = o->subscribers + (o->pool > 0 ? 1 + o->pool : 0);
    for (;;) {
        wsclient_service(c, 5);
        now = wclock_real_us();
        if (!conns_alive(subs, nconn, msg, len)) {
            cr = CHECK_FAIL;
            goto out;
        }
        if (m.bot_seen == 0 && now > m.t_start + PERF_FIRST_MS * 1000LL) {
            cr = bridge_fail(msg, len, "no message from the bot (%s) within %d ms of the window",
                             ctx->bot_source, PERF_FIRST_MS);
            goto out;
        }
        if (now < m.t_end) {
            if (o->ping_ms > 0 && wclock_mono_ms() >= next_ping && now >= m.t_start) {
                int64_t rtt;
                if (wsconn_ping(c, subs[nconn - 1].k, 2000, &rtt, err, sizeof(err)) == 0)
                    histogram_record_us(r->ping, (double)rtt);
                else
                    suite_log("ping under load: %s", err);
                next_ping = wclock_mono_ms() + o->ping_ms;
            }
            continue;
        }
        if (m.done >= needed || now > m.t_end + PERF_DRAIN_MS * 1000LL)
            break;
    }
    r->rx_cpu_s = thread_cpu_s() - cpu0;
    double wall = wclock_mono_s() - wall0;
    long parsed = m.parsed - parsed0;
    if (m.done < needed)
        suite_log("drain: %d of %d receivers saw a message scheduled after the window within "
                  "%d ms",
                  m.done, needed, PERF_DRAIN_MS);
    suite_metric("rx_cpu_per_msg", parsed ? r->rx_cpu_s * 1e6 / (double)parsed : 0, "us");
    suite_metric("rx_cpu", wall > 0 ? 100.0 * r->rx_cpu_s / wall : 0, "%");
    finish(&m, r, o->subscribers, o->pool);
out:
    if (res) {
        perf_res_stop(res);
        r->res = res;
    }
    if (r->rate_set && orig_rate > 0) {
        char p[64];
        snprintf(p, sizeof(p), "{\"rate\":%g}", orig_rate);
        if (send_command(c, subs[0].k, &m, ctx->bot_source, "set_rate", p, err, sizeof(err)) <
            0)
            suite_log("restoring the bot's rate %g: %s", orig_rate, err);
    }
    wsclient_free(c);
    free(subs);
    free(m.delivered);
    free(m.e);
    return cr;
}

void perf_result_free(perf_result *r)
{
    histogram_free(r->e2e);
    histogram_free(r->hop1);
    histogram_free(r->hop2);
    histogram_free(r->spread);
    histogram_free(r->ping);
    histogram_free(r->single);
    histogram_free(r->pooled);
    free(r->sec);
    perf_res_free(r->res);
    memset(r, 0, sizeof(*r));
}

int perf_write_rate_series(const suite_ctx *ctx, const char *tag, const perf_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "wsb-perf-rate");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddNumberToObject(root, "rate", r->rate);
    cJSON_AddNumberToObject(root, "subscribers", r->subscribers);
    cJSON_AddNumberToObject(root, "backlog_growth_per_s", r->backlog_growth);
    cJSON *arr = cJSON_AddArrayToObject(root, "seconds");
    for (int s = 0; r->sec && s < r->nsec; s++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "t", s);
        cJSON_AddNumberToObject(e, "published", (double)r->sec[s].published);
        cJSON_AddNumberToObject(e, "delivered_per_subscriber",
                                (double)r->sec[s].delivered / (r->subscribers ? r->subscribers : 1));
        cJSON_AddNumberToObject(e, "backlog", r->sec[s].backlog);
        cJSON_AddItemToArray(arr, e);
    }
    return perf_write_json(ctx, tag, "rate", root);
}
