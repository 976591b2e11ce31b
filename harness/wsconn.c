/* wsconn: one connection of the client engine as the test thread uses it:
 * queueing text and binary messages and waiting until they are written,
 * ping round trips, closing, reading what arrived (next, expect, collect)
 * and the accessors. The lws side (callback, connect) is wsclient.c; both
 * share wsclient_int.h. Every wait runs the loop through
 * wsclient_run_until and is bounded by its timeout. */
#include "wsclient.h"
#include "wsclient_int.h"

#include <stdlib.h>
#include <string.h>

#include "wclock.h"
#include "wlog.h"

/* ---- sending --------------------------------------------------------------- */

static int queue_tx(wsclient *c, wsconn *k, tx_kind kind, const void *data, size_t len,
                    char *err, size_t errlen)
{
    (void)c;
    if (k->state != WSCONN_OPEN || !k->wsi) {
        wlog_seterr(err, errlen, "%s: cannot send, connection %s", k->name,
               wsconn_state_name(k->state));
        return -1;
    }
    txmsg *t = malloc(sizeof(*t) + LWS_PRE + len);
    if (!t) {
        wlog_seterr(err, errlen, "out of memory queueing %zu bytes", len);
        return -1;
    }
    t->next = NULL;
    t->kind = kind;
    t->len = len;
    if (len)
        memcpy(t->buf + LWS_PRE, data, len);
    if (k->tx_tail)
        k->tx_tail->next = t;
    else
        k->tx_head = t;
    k->tx_tail = t;
    k->tx_queued++;
    lws_callback_on_writable(k->wsi);
    return 0;
}

int wsconn_send_text(wsclient *c, wsconn *k, const char *text, size_t len, char *err,
                     size_t errlen)
{
    return queue_tx(c, k, TX_TEXT, text, len, err, errlen);
}

int wsconn_send_binary(wsclient *c, wsconn *k, const void *data, size_t len, char *err,
                       size_t errlen)
{
    return queue_tx(c, k, TX_BINARY, data, len, err, errlen);
}

static int tx_drained(void *arg)
{
    wsconn *k = arg;
    return !k->tx_head || wsclient__conn_done(k);
}

int wsconn_flush(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen)
{
    if (wsclient_run_until(c, tx_drained, k, timeout_ms) < 0) {
        wlog_seterr(err, errlen, "%s: %zu messages still unsent after %d ms", k->name, k->tx_queued,
               timeout_ms);
        return -1;
    }
    if (k->tx_head) {
        wlog_seterr(err, errlen, "%s: connection %s with %zu messages unsent", k->name,
               wsconn_state_name(k->state), k->tx_queued);
        return -1;
    }
    return 0;
}

static int pong_or_done(void *arg)
{
    wsconn *k = arg;
    return k->pong_got || wsclient__conn_done(k);
}

int wsconn_ping(wsclient *c, wsconn *k, int timeout_ms, int64_t *rtt_us, char *err,
                size_t errlen)
{
    if (k->state != WSCONN_OPEN || !k->wsi) {
        wlog_seterr(err, errlen, "%s: cannot ping, connection %s", k->name,
               wsconn_state_name(k->state));
        return -1;
    }
    k->ping_id++;
    k->ping_want = 1;
    k->ping_sent = 0;
    k->pong_got = 0;
    lws_callback_on_writable(k->wsi);
    wsclient_run_until(c, pong_or_done, k, timeout_ms);
    if (!k->pong_got) {
        wlog_seterr(err, errlen, "%s: no pong within %d ms (%s)", k->name, timeout_ms,
               wsconn_state_name(k->state));
        return -1;
    }
    if (rtt_us)
        *rtt_us = k->pong_mono - k->ping_mono;
    return 0;
}

void wsconn_close(wsclient *c, wsconn *k, int code, const char *reason)
{
    (void)c;
    if (!k->wsi || wsclient__conn_done(k))
        return;
    k->closed_by_us = 1;
    k->close_pending = 1;
    k->close_code_tx = code;
    snprintf(k->close_reason_tx, sizeof(k->close_reason_tx), "%s", reason ? reason : "");
    if (k->state == WSCONN_OPEN) {
        k->state = WSCONN_CLOSING;
        lws_callback_on_writable(k->wsi);
    } else {
        /* Not open yet: nothing to say, just drop it. */
        lws_set_timeout(k->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

static int closed_cond(void *arg)
{
    return wsclient__conn_done(arg);
}

int wsconn_wait_closed(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen)
{
    if (wsclient_run_until(c, closed_cond, k, timeout_ms) < 0) {
        wlog_seterr(err, errlen, "%s: still %s after %d ms", k->name, wsconn_state_name(k->state),
               timeout_ms);
        return -1;
    }
    return 0;
}

/* ---- reading what arrived ---------------------------------------------------- */

typedef struct avail_arg {
    wsconn *k;
    size_t want; /* messages after the cursor */
} avail_arg;

static int avail_cond(void *arg)
{
    avail_arg *a = arg;
    return a->k->nmsgs - a->k->cursor >= a->want || wsclient__conn_done(a->k);
}

const wsmsg *wsconn_next(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen)
{
    avail_arg a = {k, 1};
    wsclient_run_until(c, avail_cond, &a, timeout_ms);
    if (k->cursor < k->nmsgs)
        return &k->msgs[k->cursor++];
    if (wsclient__conn_done(k))
        wlog_seterr(err, errlen, "%s: connection %s (close %d \"%s\") with no message left", k->name,
               wsconn_state_name(k->state), k->close_code, k->close_reason);
    else
        wlog_seterr(err, errlen, "%s: no message within %d ms", k->name, timeout_ms);
    return NULL;
}

const wsmsg *wsconn_expect(wsclient *c, wsconn *k, wsmsg_pred pred, void *arg, int timeout_ms,
                           int *skipped, char *err, size_t errlen)
{
    int64_t deadline = wclock_mono_us() + (int64_t)timeout_ms * 1000;
    int skip = 0;
    for (;;) {
        while (k->cursor < k->nmsgs) {
            const wsmsg *m = &k->msgs[k->cursor++];
            if (pred(m, arg)) {
                if (skipped)
                    *skipped = skip;
                return m;
            }
            skip++;
        }
        int64_t left = deadline - wclock_mono_us();
        if (left <= 0 || wsclient__conn_done(k))
            break;
        avail_arg a = {k, 1};
        wsclient_run_until(c, avail_cond, &a, (int)((left + 999) / 1000));
    }
    if (skipped)
        *skipped = skip;
    if (wsclient__conn_done(k))
        wlog_seterr(err, errlen,
               "%s: connection %s (close %d \"%s\") before a matching message (%d others seen)",
               k->name, wsconn_state_name(k->state), k->close_code, k->close_reason, skip);
    else
        wlog_seterr(err, errlen, "%s: no matching message within %d ms (%d others seen)", k->name,
               timeout_ms, skip);
    return NULL;
}

size_t wsconn_collect(wsclient *c, wsconn *k, size_t n, int timeout_ms)
{
    avail_arg a = {k, n};
    wsclient_run_until(c, avail_cond, &a, timeout_ms);
    return k->nmsgs - k->cursor;
}

typedef struct total_arg {
    wsconn *k;
    uint64_t n;
} total_arg;

static int total_cond(void *arg)
{
    total_arg *a = arg;
    return a->k->received_total >= a->n || wsclient__conn_done(a->k);
}

uint64_t wsconn_wait_received(wsclient *c, wsconn *k, uint64_t n, int timeout_ms)
{
    total_arg a = {k, n};
    wsclient_run_until(c, total_cond, &a, timeout_ms);
    return k->received_total;
}

size_t wsconn_count(const wsconn *k) { return k->nmsgs; }
const wsmsg *wsconn_msg(const wsconn *k, size_t i) { return i < k->nmsgs ? &k->msgs[i] : NULL; }
size_t wsconn_cursor(const wsconn *k) { return k->cursor; }
void wsconn_set_cursor(wsconn *k, size_t i) { k->cursor = i <= k->nmsgs ? i : k->nmsgs; }
uint64_t wsconn_received_total(const wsconn *k) { return k->received_total; }

void wsconn_clear_messages(wsconn *k)
{
    for (size_t i = 0; i < k->nmsgs; i++)
        free(k->msgs[i].text);
    k->nmsgs = 0;
    k->cursor = 0;
}

wsconn_state wsconn_get_state(const wsconn *k) { return k->state; }
int wsconn_http_status(const wsconn *k) { return k->http_status; }
int wsconn_close_code(const wsconn *k) { return k->close_code; }
const char *wsconn_close_reason(const wsconn *k) { return k->close_reason; }
int wsconn_closed_by_us(const wsconn *k) { return k->closed_by_us; }
const char *wsconn_error(const wsconn *k) { return k->error; }
int64_t wsconn_opened_mono_us(const wsconn *k) { return k->opened_mono; }
int64_t wsconn_closed_mono_us(const wsconn *k) { return k->closed_mono; }
const char *wsconn_name(const wsconn *k) { return k->name; }
int wsconn_oversize_count(const wsconn *k) { return k->oversize; }
void wsconn_set_user(wsconn *k, void *user) { k->user = user; }
void *wsconn_get_user(const wsconn *k) { return k->user; }

int64_t wsconn_connect_us(const wsconn *k)
{
    return k->opened_mono ? k->opened_mono - k->start_mono : -1;
}
