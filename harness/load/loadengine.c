/* loadengine: the load engine's event loop, connections, readers and writers
 * (see loadengine.h). lws opens and handshakes; bulk connections are then
 * read and written through an epoll set adopted into lws's loop as a raw
 * file, so one loop serves everything. Connection records live in one array
 * for the whole run (an epoll event names its index, never a freed pointer). */
#include "loadengine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "loadframe.h"
#include "loadscen.h"
#include "procstat.h"
#include "wclock.h"

#include "loadengine_int.h"

const char *const loadengine_error_names[LOADERR_COUNT] = {
    "connect", "refused", "timeout", "closed", "close_frame", "protocol", "too_big", "server",
};

static const uint32_t retry_ms[] = {100, 200, 400, 800, 1600, 3200};
static const lws_retry_bo_t retry_policy = {
    .retry_ms_table = retry_ms,
    .retry_ms_table_count = LWS_ARRAY_SIZE(retry_ms),
    .conceal_count = LWS_RETRY_CONCEAL_ALWAYS,
    .jitter_percent = 30,
};
static const lws_retry_bo_t no_validity = {.secs_since_valid_ping = 0,
                                           .secs_since_valid_hangup = 0};

static void stop(loadengine *e);
static int conn_open(lconn *c);

uint32_t loadengine_rnd(lconn *c)
{
    uint32_t x = c->rng; /* xorshift32: a mask key per frame, not a secret */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return c->rng = x ? x : 0x9e3779b9u;
}

void loadengine_count_err(loadengine *e, int kind)
{
    e->r->errors[kind]++;
}

/* ---- closing and retrying ---- */

static void epoll_drop(lconn *c)
{
    if (c->in_epoll && c->e->epfd >= 0)
        epoll_ctl(c->e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    c->in_epoll = 0;
}

static void retry_cb(lws_sorted_usec_list_t *sul)
{
    lconn *c = lws_container_of(sul, lconn, sul);
    if (!c->e->stopping && c->state == ST_RETRY)
        conn_open(c);
}

/* The connection is gone (closed, refused, failed): retry or finish. */
static void conn_gone(lconn *c)
{
    loadengine *e = c->e;
    epoll_drop(c);
    free(c->wq);
    c->wq = NULL;
    c->wq_len = c->wq_off = 0;
    loadframe_rx_free(&c->rx);
    if (c->state == ST_CONNECTING)
        e->in_flight--;
    if (c->state == ST_OPEN)
        e->r->open_now--;
    c->wsi = NULL;
    c->fd = -1;
    c->killing = 0;
    c->ready = c->welcomed = 0;
    if (c->planned && !e->stopping) { /* intermittent: back after the gap */
        c->planned = 0;
        c->state = ST_RETRY;
        lws_sul_schedule(e->ctx, 0, &c->sul, retry_cb, (lws_usec_t)(e->cfg->gap_s * 1e6));
        return;
    }
    if (e->cfg->reconnect && !e->stopping) {
        char conceal;
        unsigned ms = lws_retry_get_delay_ms(e->ctx, &retry_policy, &c->retries, &conceal);
        c->state = ST_RETRY;
        lws_sul_schedule(e->ctx, 0, &c->sul, retry_cb, (lws_usec_t)ms * 1000);
        return;
    }
    c->state = ST_DONE;
}

/* Ends an open connection from the engine's side (lws closes it next round). */
void loadengine_conn_kill(lconn *c, int kind)
{
    if (c->killing || !c->wsi)
        return;
    if (kind >= 0)
        loadengine_count_err(c->e, kind);
    c->killing = 1;
    epoll_drop(c);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* ---- writing ---- */

static void epoll_want(lconn *c, uint32_t ev)
{
    struct epoll_event ee = {.events = ev, .data.u32 = (uint32_t)c->idx};
    if (c->e->epfd < 0 || c->killing || c->fd < 0)
        return;
    if (epoll_ctl(c->e->epfd, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ee) == 0)
        c->in_epoll = 1;
}

static uint32_t epoll_events(const lconn *c)
{
    return (c->bulk && !c->pub ? EPOLLIN : 0) | (c->wq_len > c->wq_off ? EPOLLOUT : 0);
}

/* Writes what the socket takes of the queue. -1 when the connection broke. */
static int flush(lconn *c)
{
    while (c->wq_off < c->wq_len) {
        ssize_t w = write(c->fd, c->wq + c->wq_off, c->wq_len - c->wq_off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            loadengine_conn_kill(c, LOADERR_CLOSED);
            return -1;
        }
        c->wq_off += (uint32_t)w;
    }
    if (c->wq_off == c->wq_len) {
        free(c->wq);
        c->wq = NULL;
        c->wq_len = c->wq_off = 0;
    }
    epoll_want(c, epoll_events(c));
    return 0;
}

/* Sends ready frames on a bulk connection: at once when nothing is queued,
 * the rest queued for EPOLLOUT. -1 when the connection broke. */
int loadengine_bulk_send(lconn *c, const uint8_t *p, size_t n)
{
    if (!c->wq_len) {
        ssize_t w;
        do
            w = write(c->fd, p, n);
        while (w < 0 && errno == EINTR);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            loadengine_conn_kill(c, LOADERR_CLOSED);
            return -1;
        }
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
        if (!n)
            return 0;
    }
    uint8_t *q = realloc(c->wq, c->wq_len + n);
    if (!q) {
        loadengine_conn_kill(c, LOADERR_CLOSED);
        return -1;
    }
    memcpy(q + c->wq_len, p, n);
    c->wq = q;
    c->wq_len += (uint32_t)n;
    epoll_want(c, epoll_events(c));
    return 0;
}

/* The text of message number seq (from 1) this connection sends, into buf. */
static size_t message_text(const lconn *c, char *buf, size_t cap, int64_t seq, int64_t ts)
{
    const loadengine *e = c->e;
    int n;
    if (c->pub)
        n = snprintf(buf, cap,
                     "{\"v\":1,\"type\":\"market_data\",\"source\":\"%.*s\",\"seq\":%lld,"
                     "\"ts_us\":%lld,\"data\":{\"symbol\":\"%s\",\"price\":64250.5,"
                     "\"bid\":64250.0,\"ask\":64251.0,\"volume\":12.75,\"change_pct\":-0.42}}",
                     (int)e->source_len[c->idx - e->nsub], e->sources[c->idx - e->nsub],
                     (long long)seq, (long long)ts,
                     e->cfg->pub_symbol ? e->cfg->pub_symbol : "BTC-USD");
    else
        n = snprintf(buf, cap, "{\"type\":\"load\",\"source\":\"c%d\",\"seq\":%lld,\"ts_us\":%lld}",
                     c->idx, (long long)seq, (long long)ts);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    size_t len = (size_t)n, want = e->cfg->send_size;
    if (!c->pub && want > len && want <= cap) {
        memset(buf + len - 1, ' ', want - len); /* JSON blanks before the closing brace */
        buf[want - 1] = '}';
        len = want;
    }
    return len;
}

/* How many messages the connection's schedule wants sent by now. */
static uint64_t due_count(const lconn *c, int64_t now_real)
{
    const loadengine_cfg *cfg = c->e->cfg;
    double rate = c->pub ? cfg->pub_rate : cfg->send_rate;
    long limit = c->pub ? cfg->pub_messages : cfg->send_count;
    if (rate <= 0 || c->state != ST_OPEN || c->killing || (c->pub && !c->welcomed) ||
        (!c->pub && !c->ready))
        return 0;
    uint64_t due = loadscen_due(cfg, rate, now_real - c->send_start_us);
    if (limit > 0 && due > (uint64_t)limit)
        due = (uint64_t)limit;
    return due;
}

/* Sends every message due by now on the connection's schedule (ts_us is the
 * scheduled time, so a late write shows as latency). */
static void send_due(lconn *c, int64_t now_real)
{
    loadengine *e = c->e;
    double rate = c->pub ? e->cfg->pub_rate : e->cfg->send_rate;
    uint64_t due = due_count(c, now_real);
    if (c->wq_len || due <= c->sent)
        return;
    uint64_t todo = due - c->sent;
    if (!c->bulk) {
        lws_callback_on_writable(c->wsi);
        return;
    }
    if (todo > MAX_PER_WRITE)
        todo = MAX_PER_WRITE;
    size_t off = 0;
    char *text = (char *)e->tbuf + LWS_PRE;
    for (uint64_t i = 0; i < todo; i++) {
        uint64_t k = c->sent + i;
        int64_t ts = c->send_start_us + loadscen_time_us(e->cfg, rate, k);
        size_t tl = message_text(c, text, e->tcap, c->next_seq + (int64_t)k, ts);
        size_t w = loadframe_encode(e->wbuf + off, e->wcap - off, LOADFRAME_OP_TEXT, text, tl,
                                    1, loadengine_rnd(c));
        if (!w) {
            todo = i;
            break;
        }
        off += w;
    }
    c->sent += todo;
    if (!c->pub)
        e->r->conns[c->idx].sent += todo;
    if (c->pub)
        e->r->pub_sent += todo;
    else
        e->r->sent += todo;
    loadengine_bulk_send(c, e->wbuf, off);
}

/* ---- lws callbacks ---- */

static void established(lconn *c)
{
    loadengine *e = c->e;
    e->in_flight--;
    c->state = ST_OPEN;
    c->retries = 0;
    loadconn_stat *st = &e->r->conns[c->idx < e->nsub ? c->idx : 0];
    if (c->idx < e->nsub) {
        if (!st->ok)
            st->connect_us = wclock_mono_us() - c->open_us;
        else
            st->reconnects++;
        st->ok = 1;
    }
    if (++e->r->open_now > e->r->open_peak)
        e->r->open_peak = e->r->open_now;
    c->fd = lws_get_socket_fd(c->wsi);
    int tls = c->pub ? e->pub_tls : e->sub_tls;
    /* Bulk only when the client speaks first: what the server sent with the
     * handshake answer may sit in lws's buffer, which its reader drains. */
    int speaks_first = !c->pub && (e->cfg->subscribe || e->cfg->send_rate > 0);
    c->bulk = !e->cfg->no_bulk && !tls && e->epfd >= 0 && c->fd >= 0 &&
              (speaks_first || c->pub);
    if (!c->pub && c->bulk) {
        lws_rx_flow_control(c->wsi, 0);
        e->r->bulk_conns++;
    }
    c->send_start_us = wclock_real_us();
    c->pinged = 0;
    if (e->cfg->hold_s > 0 && c->nseen)
        c->live_from_us = c->send_start_us; /* resuming: what it missed comes as replay */
    if (e->cfg->hold_s > 0)
        c->hold_until_us = wclock_mono_us() +
                           (int64_t)(e->cfg->hold_s * 1e6 * (0.8 + 0.4 * (loadengine_rnd(c) % 1000) / 1000.0));
    if (!c->pub) {
        char sb[4096];
        const char *sub = loadscen_sub_text(c, sb, sizeof sb);
        if (sub && c->bulk) {
            uint8_t f[8192];
            size_t sl = strlen(sub);
            size_t w = loadframe_encode(f, sizeof f - 8, LOADFRAME_OP_TEXT, sub, sl,
                                        1, loadengine_rnd(c));
            w += loadframe_encode(f + w, sizeof f - w, LOADFRAME_OP_PING, "r", 1, 1, loadengine_rnd(c));
            epoll_want(c, EPOLLIN);
            loadengine_bulk_send(c, f, w);
        } else if (c->bulk) {
            c->ready = 1;
            epoll_want(c, EPOLLIN);
        } else if (e->cfg->subscribe) {
            lws_callback_on_writable(c->wsi);
        } else {
            c->ready = 1;
        }
    }
}

/* lws's writer: the subscribe, then one due message per call (non-bulk). */
static int lws_writeable(lconn *c)
{
    loadengine *e = c->e;
    uint8_t *buf = e->tbuf;
    if (c->bulk)
        return 0; /* the engine writes bulk connections itself */
    char sb[4096];
    const char *sub = c->pub || c->ready ? NULL : loadscen_sub_text(c, sb, sizeof sb);
    if (sub) {
        size_t n = strlen(sub);
        if (n > e->tcap)
            return -1;
        memcpy(buf + LWS_PRE, sub, n);
        if (lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
            return -1;
        c->ready = 1;
        return 0;
    }
    double rate = c->pub ? e->cfg->pub_rate : e->cfg->send_rate;
    if (due_count(c, wclock_real_us()) <= c->sent)
        return 0; /* lws also calls when nothing is due (before a welcome, too) */
    int64_t ts = c->send_start_us + loadscen_time_us(e->cfg, rate, c->sent);
    size_t n = message_text(c, (char *)buf + LWS_PRE, e->tcap,
                            c->next_seq + (int64_t)c->sent, ts);
    if (!n || lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
        return -1;
    c->sent++;
    if (c->pub)
        e->r->pub_sent++;
    else {
        e->r->sent++;
        e->r->conns[c->idx].sent++;
    }
    if (due_count(c, wclock_real_us()) > c->sent)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len)
{
    (void)user;
    lconn *c = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        const char *tok = c ? (c->pub ? c->e->cfg->pub_tokens[c->idx - c->e->nsub]
                                      : c->e->cfg->token)
                            : NULL;
        if (!tok || !*tok)
            break;
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        char v[2048];
        int n = snprintf(v, sizeof v, "Bearer %s", tok);
        if (n < 0 || n >= (int)sizeof v ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                         (const unsigned char *)v, n, p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (c)
            established(c);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c) {
            int st = lws_http_client_http_response(wsi);
            int kind = st > 0 ? LOADERR_REFUSED
                       : wclock_mono_us() - c->open_us >=
                               (int64_t)(c->e->cfg->connect_timeout_s * 1e6) - 100000
                           ? LOADERR_TIMEOUT
                           : LOADERR_CONNECT;
            loadengine_count_err(c->e, kind);
            if (c->idx < c->e->nsub && st > 0)
                c->e->r->conns[c->idx].http_status = st;
            lws_set_opaque_user_data(wsi, NULL);
            conn_gone(c);
        }
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        /* the last word on a wsi: one that ended without a connection error
         * or a close callback (a handshake killed by a timeout) ends here */
        if (c) {
            if (!c->planned)
                loadengine_count_err(c->e, c->state == ST_CONNECTING ? LOADERR_TIMEOUT
                                                                     : LOADERR_CLOSED);
            lws_set_opaque_user_data(wsi, NULL);
            conn_gone(c);
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c) {
            if (!c->killing && !c->e->stopping)
                loadengine_count_err(c->e, LOADERR_CLOSED);
            lws_set_opaque_user_data(wsi, NULL);
            conn_gone(c);
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c && !c->killing) {
            /* lws's reader: join the pieces of a message, then as the bulk one */
            int first = lws_is_first_fragment(wsi), fin = lws_is_final_fragment(wsi) &&
                                                          !lws_remaining_packet_payload(wsi);
            c->e->r->bytes_rx += len;
            c->e->r->reads_rx++;
            c->e->rx_mono_us = wclock_mono_us();
            c->e->rx_real_us = wclock_real_us();
            if (first && fin && !c->rx.msg_len)
            {
                loadengine_on_frame(c, lws_frame_is_binary(wsi) ? 2 : 1, in, len);
                break;
            }
            if (c->rx.msg_len + len > c->e->cfg->max_message) {
                loadengine_conn_kill(c, LOADERR_TOO_BIG);
                break;
            }
            uint8_t *m = realloc(c->rx.msg, c->rx.msg_len + len + 1);
            if (!m)
                return -1;
            memcpy(m + c->rx.msg_len, in, len);
            c->rx.msg = m;
            c->rx.msg_len += (uint32_t)len;
            if (fin) {
                loadengine_on_frame(c, lws_frame_is_binary(wsi) ? 2 : 1, c->rx.msg, c->rx.msg_len);
                free(c->rx.msg);
                c->rx.msg = NULL;
                c->rx.msg_len = 0;
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (c)
            c->ready = 1;
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c && !c->killing && lws_writeable(c))
            return -1;
        break;
    default:
        break;
    }
    return 0;
}

/* The epoll set is readable: serve its connections. */
static int cb_epoll(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    (void)user, (void)in, (void)len;
    loadengine *e = lws_context_user(lws_get_context(wsi));
    if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
        e->epfd = -1; /* lws closed it */
        return 0;
    }
    if (reason != LWS_CALLBACK_RAW_RX_FILE || e->epfd < 0)
        return 0;
    struct epoll_event ev[256];
    for (int round = 0; round < 16; round++) {
        int n = epoll_wait(e->epfd, ev, 256, 0);
        for (int i = 0; i < n; i++) {
            lconn *c = &e->c[ev[i].data.u32];
            if (!c->in_epoll || c->killing)
                continue;
            if ((ev[i].events & EPOLLOUT) && flush(c) < 0)
                continue;
            if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                if (c->pub)
                    loadengine_conn_kill(c, LOADERR_CLOSED); /* publishers are read by lws */
                else
                    loadengine_bulk_read(c);
            }
        }
        if (n < 256)
            break;
    }
    return 0;
}

/* ---- opening, ticking, stopping ---- */

static int conn_open(lconn *c)
{
    loadengine *e = c->e;
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = e->ctx;
    i.address = c->pub ? e->pub_addr : e->sub_addr;
    i.host = i.address;
    i.origin = i.address;
    i.port = c->pub ? e->pub_port : e->sub_port;
    i.path = c->pub ? e->pub_path : e->sub_path;
    i.local_protocol_name = "wsb-load";
    i.opaque_user_data = c;
    i.retry_and_idle_policy = &no_validity;
    if (c->pub ? e->pub_tls : e->sub_tls)
        i.ssl_connection = LCCSCF_USE_SSL;
    c->open_us = wclock_mono_us();
    if (!c->t0_us)
        c->t0_us = c->open_us;
    c->state = ST_CONNECTING;
    e->in_flight++;
    c->wsi = lws_client_connect_via_info(&i);
    if (!c->wsi) {
        /* already reported through CLIENT_CONNECTION_ERROR, or failed outright */
        if (c->state == ST_CONNECTING) {
            loadengine_count_err(e, LOADERR_CONNECT);
            conn_gone(c);
        }
        return -1;
    }
    return 0;
}

static int all_done(loadengine *e)
{
    const loadengine_cfg *cfg = e->cfg;
    for (int i = 0; i < e->n; i++) {
        lconn *c = &e->c[i];
        if (c->state == ST_DONE)
            continue;
        if (c->state != ST_OPEN)
            return 0;
        if (c->pub) {
            if (cfg->pub_messages <= 0 || c->sent < (uint64_t)cfg->pub_messages || c->wq_len)
                return 0;
            /* and every ready subscriber has them all (the ledger), in contract mode */
            int p = i - e->nsub;
            for (int s = 0; cfg->contract && s < e->nsub; s++) {
                const lconn *sc = &e->c[s];
                if (sc->state != ST_OPEN || !sc->ready)
                    continue;
                if (p >= sc->nseen || !sc->seen[p].count)
                    return 0;
                uint64_t skip = cfg->pubs_first ? (uint64_t)(sc->seen[p].first - c->next_seq) : 0;
                if (sc->seen[p].count + skip < c->sent)
                    return 0;
            }
        } else {
            if (cfg->target_messages > 0 && !e->r->conns[i].target_met)
                return 0;
            if (cfg->send_rate > 0 && (cfg->send_count <= 0 || c->sent < (uint64_t)cfg->send_count))
                return 0;
        }
    }
    return 1;
}

static void tick_cb(lws_sorted_usec_list_t *sul)
{
    loadengine *e = lws_container_of(sul, loadengine, tick);
    if (e->stopping)
        return;
    int64_t now = wclock_mono_us(), real = wclock_real_us();
    int max_fl = e->cfg->max_in_flight > 0 ? e->cfg->max_in_flight : 200;
    int limit = loadscen_open_limit(e->cfg, e->nsub, (double)(now - e->start_us) / 1e6);
    while (e->next_open < limit && e->in_flight < max_fl)
        conn_open(&e->c[e->next_open++]);
    if (e->next_open == e->nsub && !e->deadline_us)
        e->deadline_us = now + (int64_t)(e->cfg->duration_s * 1e6);
    /* publishers start once every subscriber is ready or has failed */
    if (!e->pubs_started && (e->next_open == e->nsub || e->cfg->pubs_first)) {
        int waiting = 0;
        for (int i = 0; i < e->nsub && !waiting; i++)
            waiting = e->c[i].state == ST_CONNECTING || (e->c[i].state == ST_OPEN &&
                                                         !e->c[i].ready);
        if (!waiting || e->cfg->pubs_first) {
            e->pubs_started = 1;
            for (int i = e->nsub; i < e->n; i++)
                conn_open(&e->c[i]);
        }
    }
    int sends = e->cfg->send_rate > 0 || (e->pubs_started && e->cfg->publishers);
    int64_t hs_bound = (int64_t)(e->cfg->connect_timeout_s * 1e6) + 1000000;
    for (int i = 0; sends && i < e->n; i++)
        if (e->c[i].state == ST_OPEN)
            send_due(&e->c[i], real);
    loadscen_tick(e, now); /* pings, intermittent leaves */
    if (now - e->last_progress_us >= 1000000) {
        e->last_progress_us = now;
        /* a backstop behind lws's own handshake timeout, once a second */
        for (int i = 0; e->in_flight && i < e->n; i++) {
            lconn *c = &e->c[i];
            if (c->state == ST_CONNECTING && c->wsi && !c->killing &&
                now - c->open_us > hs_bound) {
                c->killing = 1; /* once: lws reports the end through a callback */
                lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            }
        }
        long long rss = procstat_rss_bytes(getpid());
        if (rss > e->r->rss_peak)
            e->r->rss_peak = rss;
        if (e->cfg->progress)
            e->cfg->progress(e->cfg->user, e->r, (double)(now - e->start_us) / 1e6);
        histogram_reset(e->r->latency_1s); /* the next second's window */
    }
    /* at the deadline, handshakes still in flight get their own bound to end */
    if (e->deadline_us && now >= e->deadline_us &&
        (!e->in_flight || now >= e->deadline_us + hs_bound)) {
        e->r->timed_out = 1;
        stop(e);
        return;
    }
    if (e->cfg->stop_when_done && e->next_open == e->nsub && e->pubs_started && all_done(e)) {
        stop(e);
        return;
    }
    lws_sul_schedule(e->ctx, 0, &e->tick, tick_cb, TICK_US);
}

static void stop(loadengine *e)
{
    if (e->stopping)
        return;
    e->stopping = 1;
    e->r->elapsed_s = (double)(wclock_mono_us() - e->start_us) / 1e6;
    long long rss = procstat_rss_bytes(getpid());
    if (rss > e->r->rss_peak)
        e->r->rss_peak = rss;
    for (int i = 0; i < e->n; i++)
        lws_sul_cancel(&e->c[i].sul);
    if (e->evlib)
        lws_context_destroy(e->ctx); /* first stage: ends the libev loop */
}

long loadengine_raise_nofile(long want, char *msg, size_t msglen)
{
    struct rlimit rl;
    if (msg && msglen)
        msg[0] = '\0';
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want) {
        rlim_t to = (rlim_t)want;
        if (rl.rlim_max != RLIM_INFINITY && to > rl.rlim_max) {
            to = rl.rlim_max;
            if (msg)
                snprintf(msg, msglen,
                         "the hard file limit (%ld) caps this process below the %ld files "
                         "asked for: use more workers",
                         (long)rl.rlim_max, want);
        }
        rl.rlim_cur = to;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if (msg && !msg[0] && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want)
            snprintf(msg, msglen, "the soft file limit stays at %ld, below the %ld files asked for",
                     (long)rl.rlim_cur, want);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

double loadengine_success_rate(const loadengine_result *r)
{
    int ok = 0;
    for (int i = 0; i < r->connections; i++)
        ok += r->conns[i].ok;
    return r->connections ? (double)ok / r->connections : 1.0;
}

uint64_t loadengine_errors_total(const loadengine_result *r)
{
    uint64_t t = 0;
    for (int i = 0; i < LOADERR_COUNT; i++)
        t += r->errors[i];
    return t;
}

void loadengine_result_free(loadengine_result *r)
{
    free(r->conns);
    histogram_free(r->latency);
    histogram_free(r->latency_1s);
    histogram_free(r->relay);
    memset(r, 0, sizeof(*r));
}

/* ws[s]://host:port/path into addr, port, path. -1 with err. */
static int split_url(const char *url, char *addr, size_t al, int *port, char *path, size_t pl,
                     int *tls, char *err, size_t errlen)
{
    char tmp[1300];
    const char *prot, *a, *p;
    if (!url || strlen(url) >= sizeof tmp) {
        snprintf(err, errlen, "no usable URL");
        return -1;
    }
    strcpy(tmp, url);
    if (lws_parse_uri(tmp, &prot, &a, port, &p) ||
        (strcmp(prot, "ws") && strcmp(prot, "wss"))) {
        snprintf(err, errlen, "\"%s\": expected ws://HOST:PORT/PATH or wss://", url);
        return -1;
    }
    *tls = !strcmp(prot, "wss");
    snprintf(addr, al, "%s", a);
    snprintf(path, pl, "/%s", p);
    return 0;
}

int loadengine_run(const loadengine_cfg *cfg_in, loadengine_result *r, char *err, size_t errlen)
{
    loadengine_cfg cfg = *cfg_in;
    memset(r, 0, sizeof(*r));
    if (cfg.connections < 0 || cfg.publishers < 0 || (cfg.publishers && !cfg.pub_tokens)) {
        snprintf(err, errlen, "bad configuration (connections, publishers or their tokens)");
        return -1;
    }
    if (cfg.connect_timeout_s <= 0)
        cfg.connect_timeout_s = 10;
    if (cfg.max_message == 0)
        cfg.max_message = 65536;
    if (cfg.duration_s <= 0)
        cfg.duration_s = 10;
    loadengine *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->cfg = &cfg;
    e->r = r;
    e->nsub = cfg.connections;
    e->n = cfg.connections + cfg.publishers;
    e->epfd = -1;
    r->connections = cfg.connections;
    r->rss_peak = -1;
    r->conns = calloc((size_t)(cfg.connections ? cfg.connections : 1), sizeof(*r->conns));
    e->c = calloc((size_t)(e->n ? e->n : 1), sizeof(*e->c));
    e->rbuf = malloc(READ_BUF);
    e->tcap = cfg.send_size + 1024 > 70000 ? cfg.send_size + 1024 : 70000;
    e->wcap = e->tcap + LOADFRAME_MAX_HEADER > WRITE_BUF ? e->tcap + LOADFRAME_MAX_HEADER
                                                         : WRITE_BUF;
    e->wbuf = malloc(e->wcap);
    e->tbuf = malloc(LWS_PRE + e->tcap);
    r->latency = histogram_new();
    r->latency_1s = histogram_new();
    r->relay = histogram_new();
    int rc = -1;
    if (!r->conns || !e->c || !e->rbuf || !e->wbuf || !e->tbuf || !r->latency || !r->latency_1s ||
        !r->relay) {
        snprintf(err, errlen, "out of memory for %d connections", e->n);
        goto out;
    }
    if (cfg.connections &&
        split_url(cfg.url, e->sub_addr, sizeof e->sub_addr, &e->sub_port, e->sub_path,
                  sizeof e->sub_path, &e->sub_tls, err, errlen))
        goto out;
    if (cfg.publishers &&
        split_url(cfg.pub_url, e->pub_addr, sizeof e->pub_addr, &e->pub_port, e->pub_path,
                  sizeof e->pub_path, &e->pub_tls, err, errlen))
        goto out;
    for (int i = 0; i < cfg.publishers; i++) {
        /* a publisher's source is its token's sub: the engine names them itself
         * and the token is minted for that name by the caller */
        char s[64];
        snprintf(s, sizeof s, "load-%d", cfg.pub_first + i + 1);
        loadengine_source_index(e, s, strlen(s));
    }
    for (int i = 0; i < e->n; i++) {
        e->c[i].e = e;
        e->c[i].idx = i;
        e->c[i].fd = -1;
        e->c[i].pub = i >= e->nsub;
        e->c[i].rng = 0x12345u + (uint32_t)i * 2654435761u;
        e->c[i].next_seq = 1;
        if (i < e->nsub)
            r->conns[i].connect_us = r->conns[i].first_us = r->conns[i].last_us = -1;
    }
    r->nofile = loadengine_raise_nofile(e->n + 64, NULL, 0);
    e->protocols[0] = (struct lws_protocols){"wsb-load", cb_ws, 0, 256, 0, NULL, 0};
    e->protocols[1] = (struct lws_protocols){"wsb-load-epoll", cb_epoll, 0, 0, 0, NULL, 0};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = e->protocols;
    info.user = e;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_LIBEV;
    info.fd_limit_per_thread = (unsigned)(r->nofile > 64 ? r->nofile : 1024);
    info.timeout_secs = (unsigned)(cfg.connect_timeout_s + 0.999);
    info.retry_and_idle_policy = &no_validity;
    info.client_ssl_ca_filepath = cfg.ca_file;
    info.count_threads = 1;
    lws_set_log_level(getenv("WSB_LOAD_LWS_LOG") ? LLL_ERR | LLL_WARN : 0, NULL);
    e->ctx = lws_create_context(&info);
    if (e->ctx) {
        e->evlib = 1;
    } else {
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
        e->ctx = lws_create_context(&info);
    }
    if (!e->ctx) {
        snprintf(err, errlen, "cannot create the libwebsockets context");
        goto out;
    }
    r->evlib = e->evlib;
    e->vh = lws_get_vhost_by_name(e->ctx, "default");
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd >= 0) {
        lws_sock_file_fd_type u;
        u.filefd = e->epfd;
        if (!e->vh || !lws_adopt_descriptor_vhost(e->vh, LWS_ADOPT_RAW_FILE_DESC, u,
                                                  "wsb-load-epoll", NULL)) {
            close(e->epfd); /* no bulk path: lws reads everything */
            e->epfd = -1;
        }
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    e->start_us = e->last_progress_us = wclock_mono_us();
    lws_sul_schedule(e->ctx, 0, &e->tick, tick_cb, 1);
    if (e->evlib) {
        lws_service(e->ctx, 0); /* returns once stop() ended the loop */
    } else {
        while (!e->stopping)
            if (lws_service(e->ctx, 0) < 0)
                break;
    }
    if (!e->stopping)
        stop(e);
    lws_context_destroy(e->ctx);
    getrusage(RUSAGE_SELF, &ru1);
    r->cpu_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
               (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
               (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    /* the delivery ledger: every subscriber saw every publisher's messages
     * from the first it was sent to the last, once each */
    if (cfg.contract && cfg.publishers)
        for (int s = 0; s < e->nsub; s++) {
            if (!r->conns[s].ok)
                continue;
            for (int p = 0; p < cfg.publishers; p++) {
                lconn *pc = &e->c[e->nsub + p];
                uint64_t want = pc->sent;
                uint64_t got = p < e->c[s].nseen ? e->c[s].seen[p].count : 0;
                if (cfg.pubs_first && got) /* a ramp: from its first message on */
                    want -= (uint64_t)(e->c[s].seen[p].first - pc->next_seq);
                if (got < want)
                    r->ledger_short += want - got;
            }
        }
    for (int p = 0; p < cfg.publishers; p++) {
        lconn *pc = &e->c[e->nsub + p];
        if (pc->acked >= pc->next_seq)
            r->pub_acked += (uint64_t)(pc->acked - pc->next_seq + 1);
    }
    rc = 0;
out:
    if (e->epfd >= 0 && !e->ctx)
        close(e->epfd);
    for (int i = 0; e->c && i < e->n; i++) {
        loadframe_rx_free(&e->c[i].rx);
        free(e->c[i].seen);
        free(e->c[i].wq);
    }
    free(e->c);
    free(e->rbuf);
    free(e->wbuf);
    free(e->tbuf);
    free(e);
    return rc;
}
