/* wsclient: the harness's WebSocket client engine on libwebsockets.
 *
 * One lws context per wsclient, one protocol ("wsb-client") whose callback
 * only records into the wsconn found through the wsi's opaque user data.
 * The test thread drives the loop from the blocking primitives
 * (wsclient_run_until and friends); a single lws_sul timer bounds each
 * lws_service() pass so no wait can overrun its deadline. Sending, reading
 * what arrived and the accessors are in wsconn.c. See wsclient.h. */
#include "wsclient.h"
#include "wsclient_int.h"
#include "wclock.h"
#include "wlog.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ------------------------------------------------------- */

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

const char *wsconn_state_name(wsconn_state s)
{
    switch (s) {
    case WSCONN_CONNECTING: return "connecting";
    case WSCONN_OPEN: return "open";
    case WSCONN_CLOSING: return "closing";
    case WSCONN_CLOSED: return "closed";
    case WSCONN_FAILED: return "failed";
    }
    return "?";
}

int wsclient__conn_done(const wsconn *k)
{
    return k->state == WSCONN_CLOSED || k->state == WSCONN_FAILED;
}

/* ws://host[:port][/path] or wss://...; fills k->host, port, tls, path. */
static int parse_url(wsconn *k, const char *url, char *err, size_t errlen)
{
    const char *p;
    if (!strncmp(url, "ws://", 5)) {
        k->tls = 0;
        p = url + 5;
        k->port = 80;
    } else if (!strncmp(url, "wss://", 6)) {
        k->tls = 1;
        p = url + 6;
        k->port = 443;
    } else {
        wlog_seterr(err, errlen, "bad URL \"%s\": want ws:// or wss://", url);
        return -1;
    }
    size_t hl = strcspn(p, ":/?");
    if (hl == 0 || hl >= sizeof(k->host)) {
        wlog_seterr(err, errlen, "bad URL \"%s\": no host", url);
        return -1;
    }
    memcpy(k->host, p, hl);
    k->host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port <= 0 || port > 65535) {
            wlog_seterr(err, errlen, "bad URL \"%s\": bad port", url);
            return -1;
        }
        k->port = (int)port;
        p = end;
    }
    const char *path = *p ? p : "/";
    char buf[2048];
    int n;
    if (k->token_in_query && k->token)
        n = snprintf(buf, sizeof(buf), "%s%s%stoken=%s", *path == '?' ? "/" : "", path,
                     strchr(path, '?') ? "&" : "?", k->token);
    else
        n = snprintf(buf, sizeof(buf), "%s%s", *path == '?' ? "/" : "", path);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        wlog_seterr(err, errlen, "URL too long");
        return -1;
    }
    k->path = strdup(buf);
    return k->path ? 0 : -1;
}

/* ---- receive ------------------------------------------------------------- */

static int store_message(wsconn *k, char *text, size_t len, int binary)
{
    wsmsg m;
    m.text = text;
    m.len = len;
    m.binary = binary;
    m.rx_real_us = wclock_real_us();
    m.rx_mono_us = wclock_mono_us();
    m.index = k->received_total++;
    if (k->on_message)
        k->on_message(k, &m, k->on_message_arg);
    if (k->keep_messages < 0 || (k->c->o.max_queued && k->nmsgs >= k->c->o.max_queued)) {
        free(text);
        return 0;
    }
    if (k->nmsgs == k->msgs_cap) {
        size_t cap = k->msgs_cap ? k->msgs_cap * 2 : 16;
        wsmsg *nm = realloc(k->msgs, cap * sizeof(*nm));
        if (!nm) {
            free(text);
            snprintf(k->error, sizeof(k->error), "out of memory storing message %llu",
                     (unsigned long long)m.index);
            return -1;
        }
        k->msgs = nm;
        k->msgs_cap = cap;
    }
    k->msgs[k->nmsgs++] = m;
    return 0;
}

/* Appends a received piece; at the final fragment stores the message.
 * Returns -1 when the message is over the limit (caller closes with 1009). */
static int rx_piece(wsconn *k, struct lws *wsi, const void *in, size_t len)
{
    size_t max = k->c->o.max_message;
    if (!k->asm_active) {
        k->asm_active = 1;
        k->asm_len = 0;
        k->asm_binary = lws_frame_is_binary(wsi);
    }
    if (k->asm_len + len > max) {
        k->oversize++;
        snprintf(k->error, sizeof(k->error),
                 "received a message over the %zu-byte limit (%zu bytes so far)", max,
                 k->asm_len + len);
        k->asm_active = 0;
        k->asm_len = 0;
        return -1;
    }
    if (k->asm_len + len + 1 > k->asm_cap) {
        size_t cap = k->asm_cap ? k->asm_cap : 1024;
        while (cap < k->asm_len + len + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *nb = realloc(k->asm_buf, cap);
        if (!nb) {
            snprintf(k->error, sizeof(k->error), "out of memory reassembling a message");
            return -1;
        }
        k->asm_buf = nb;
        k->asm_cap = cap;
    }
    if (len)
        memcpy(k->asm_buf + k->asm_len, in, len);
    k->asm_len += len;
    if (lws_is_final_fragment(wsi)) {
        char *text = malloc(k->asm_len + 1);
        if (!text) {
            snprintf(k->error, sizeof(k->error), "out of memory storing a message");
            return -1;
        }
        memcpy(text, k->asm_buf, k->asm_len);
        text[k->asm_len] = '\0';
        k->asm_active = 0;
        store_message(k, text, k->asm_len, k->asm_binary);
        k->asm_len = 0;
        /* Keep the reassembly buffer small between messages. */
        if (k->asm_cap > 16384) {
            free(k->asm_buf);
            k->asm_buf = NULL;
            k->asm_cap = 0;
        }
    }
    return 0;
}

/* ---- send ---------------------------------------------------------------- */

/* lws's own opcode for a close frame (private-lib-core.h, 4 in every
 * release): lws_close_reason() is the public way, but it makes lws take the
 * server's answer as the ack of its close and never report it. */
#define WSC_WRITE_CLOSE ((enum lws_write_protocol)4)

static void tx_free_all(wsconn *k)
{
    txmsg *t = k->tx_head;
    while (t) {
        txmsg *n = t->next;
        free(t);
        t = n;
    }
    k->tx_head = k->tx_tail = NULL;
    k->tx_queued = 0;
}

static int on_writeable(wsconn *k, struct lws *wsi)
{
    if (k->close_sent)
        return 0; /* nothing goes out after our close frame */
    if (k->close_pending) {
        /* Our close frame is written here rather than by lws (lws_close_reason
         * and return -1), so the connection stays established for lws and the
         * server's answer comes back as a peer close (its code is recorded);
         * lws would swallow it as the ack of its own close. */
        unsigned char buf[LWS_PRE + 2 + sizeof(k->close_reason_tx)];
        size_t rl = strlen(k->close_reason_tx);
        buf[LWS_PRE] = (unsigned char)(k->close_code_tx >> 8);
        buf[LWS_PRE + 1] = (unsigned char)(k->close_code_tx & 0xff);
        memcpy(buf + LWS_PRE + 2, k->close_reason_tx, rl);
        k->close_pending = 0;
        k->close_sent = 1;
        if (lws_write(wsi, buf + LWS_PRE, 2 + rl, WSC_WRITE_CLOSE) < (int)(2 + rl))
            return -1;
        /* the server has this long to answer with its close frame */
        lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, WSCLIENT_CLOSE_WAIT_S);
        return 0;
    }
    if (k->ping_want) {
        unsigned char buf[LWS_PRE + 16];
        int n = snprintf((char *)buf + LWS_PRE, 16, "p%08x", k->ping_id);
        k->ping_want = 0;
        k->ping_sent = 1;
        k->ping_mono = wclock_mono_us();
        if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_PING) < n) {
            snprintf(k->error, sizeof(k->error), "writing a ping failed");
            return -1;
        }
    } else if (k->tx_head) {
        txmsg *t = k->tx_head;
        int r = lws_write(wsi, t->buf + LWS_PRE, t->len,
                          t->kind == TX_BINARY ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        if (r < (int)t->len) {
            snprintf(k->error, sizeof(k->error), "writing a %zu-byte message failed", t->len);
            return -1;
        }
        k->tx_head = t->next;
        if (!k->tx_head)
            k->tx_tail = NULL;
        k->tx_queued--;
        free(t);
    }
    if (k->tx_head || k->ping_want || k->close_pending)
        lws_callback_on_writable(wsi);
    return 0;
}

/* ---- the callback ---------------------------------------------------------- */

static void mark_closed(wsconn *k)
{
    if (k->state == WSCONN_CONNECTING || k->state == WSCONN_FAILED) {
        k->state = WSCONN_FAILED;
    } else {
        k->state = WSCONN_CLOSED;
        if (!k->close_frame_rx) /* whoever began it, the peer sent no close frame */
            k->close_code = WSCLIENT_CLOSE_ABNORMAL;
    }
    if (!k->closed_mono)
        k->closed_mono = wclock_mono_us();
    k->wsi = NULL;
    k->asm_active = 0;
    k->asm_len = 0;
}

static int wsc_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len)
{
    (void)user;
    wsconn *k = wsi ? lws_get_opaque_user_data(wsi) : NULL;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        if (!k)
            break;
        unsigned char **p = (unsigned char **)in, *end = (*p) + len;
        char val[2048];
        const char *v = NULL;
        if (k->auth_header)
            v = k->auth_header;
        else if (k->token && !k->token_in_query) {
            snprintf(val, sizeof(val), "Bearer %s", k->token);
            v = val;
        }
        if (v && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                              (const unsigned char *)v, (int)strlen(v), p, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        /* user: the X509_STORE_CTX, len: OpenSSL's verdict; the verdict stands */
        if (k && !len && user)
            snprintf(k->tls_verify, sizeof(k->tls_verify), "%s",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(user)));
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (!k)
            break;
        k->http_status = (int)lws_http_client_http_response(wsi);
        if (k->tls_verify[0]) /* lws's own text here is "connect SSL err 1: error:00000001" */
            snprintf(k->error, sizeof(k->error), "TLS: certificate verification error: %s (the "
                     "server's certificate does not verify against the CA trusted, --ca-file)",
                     k->tls_verify);
        else if (k->http_status && k->http_status != 101)
            snprintf(k->error, sizeof(k->error), "HTTP %d at handshake (%s)", k->http_status,
                     in ? (const char *)in : "refused");
        else
            snprintf(k->error, sizeof(k->error), "%s", in ? (const char *)in : "connect failed");
        k->state = WSCONN_FAILED;
        mark_closed(k);
        /* this wsi is finished with k (which may be reconnected or freed) */
        lws_set_opaque_user_data(wsi, NULL);
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!k)
            break;
        k->state = WSCONN_OPEN;
        k->http_status = 101;
        k->opened_mono = wclock_mono_us();
        if (k->tx_head || k->close_pending || k->ping_want)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!k || k->close_sent)
            break; /* after our close frame, data is dropped (as lws does awaiting an ack) */
        if (rx_piece(k, wsi, in, len) < 0) {
            k->closed_by_us = 1;
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)"message too large", 17);
            return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (!k)
            break;
        if (k->ping_sent && len == 9 && ((const char *)in)[0] == 'p') {
            char want[16];
            snprintf(want, sizeof(want), "p%08x", k->ping_id);
            if (!memcmp(in, want, 9)) {
                k->pong_got = 1;
                k->pong_mono = wclock_mono_us();
            }
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!k)
            return -1; /* detached by wsconn_free: close */
        return on_writeable(k, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (!k)
            break;
        if (len >= 2) {
            const unsigned char *b = in;
            k->close_code = (b[0] << 8) | b[1];
            size_t rl = len - 2 < sizeof(k->close_reason) - 1 ? len - 2
                                                              : sizeof(k->close_reason) - 1;
            memcpy(k->close_reason, b + 2, rl);
            k->close_reason[rl] = '\0';
        } else {
            k->close_code = 1005; /* no status in the close frame */
        }
        k->close_frame_rx = 1;
        if (k->close_sent)
            return -1; /* the answer to our close: done, nothing to echo */
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        if (!k)
            break;
        if (k->wsi == wsi || !k->wsi)
            mark_closed(k);
        lws_set_opaque_user_data(wsi, NULL);
        break;
    default:
        break;
    }
    return 0;
}

/* ---- client ---------------------------------------------------------------- */

wsclient *wsclient_new(const wsclient_opts *o, char *err, size_t errlen)
{
    wsclient *c = calloc(1, sizeof(*c));
    if (!c) {
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (o)
        c->o = *o;
    if (!c->o.rx_buffer)
        c->o.rx_buffer = WSCLIENT_DEFAULT_RX_BUFFER;
    if (!c->o.max_message)
        c->o.max_message = WSCLIENT_DEFAULT_MAX_MESSAGE;

    c->protocols[0].name = "wsb-client";
    c->protocols[0].callback = wsc_callback;
    c->protocols[0].per_session_data_size = 0;
    c->protocols[0].rx_buffer_size = c->o.rx_buffer;

    /* lws warns about every refused handshake, which tests do on purpose */
    const char *ll = getenv("WSB_LWS_LOG");
    lws_set_log_level(ll ? atoi(ll) : LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = c->protocols;
    info.gid = -1;
    info.uid = -1;
    info.timeout_secs = 10;
    /* Without TLS no client SSL_CTX (and no parse of the system CA store) */
    if (c->o.tls || c->o.ca_file || c->o.insecure)
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (c->o.ca_file)
        info.client_ssl_ca_filepath = c->o.ca_file;
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        wlog_seterr(err, errlen, "lws_create_context failed");
        free(c);
        return NULL;
    }
    return c;
}

static void conn_release(wsconn *k)
{
    tx_free_all(k);
    wsconn_clear_messages(k);
    free(k->msgs);
    free(k->asm_buf);
    free(k->url);
    free(k->token);
    free(k->auth_header);
    free(k->protocol);
    free(k->name);
    free(k->path);
    free(k);
}

void wsclient_free(wsclient *c)
{
    if (!c)
        return;
    /* Close what is still open and let lws finish (bounded): a context
     * destroyed with a wsi half-way through a write or close does not free
     * everything. */
    for (wsconn *k = c->conns; k; k = k->next)
        if (k->wsi && !wsclient__conn_done(k))
            wsconn_close(c, k, 1001, "client going away");
    int64_t until = wclock_mono_us() + 300000;
    while (wsclient_live_count(c) && wclock_mono_us() < until)
        wsclient_service(c, 20);
    lws_sul_cancel(&c->wake);
    /* Destroying the context closes every wsi; the callbacks still find
     * their wsconn, so free those after. */
    lws_context_destroy(c->ctx);
    wsconn *k = c->conns;
    while (k) {
        wsconn *n = k->next;
        conn_release(k);
        k = n;
    }
    free(c);
}

static void wake_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to end the poll wait */
}

void wsclient_service(wsclient *c, int timeout_ms)
{
    if (timeout_ms < 0)
        timeout_ms = 0;
    lws_sul_schedule(c->ctx, 0, &c->wake, wake_cb, (lws_usec_t)timeout_ms * 1000);
    lws_service(c->ctx, 0);
    lws_sul_cancel(&c->wake);
}

int wsclient_run_until(wsclient *c, int (*cond)(void *arg), void *arg, int timeout_ms)
{
    int64_t deadline = wclock_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        if (cond(arg))
            return 0;
        int64_t left = deadline - wclock_mono_us();
        if (left <= 0)
            return cond(arg) ? 0 : -1;
        int ms = (int)(left / 1000);
        if (ms > 50)
            ms = 50;
        wsclient_service(c, ms ? ms : 1);
    }
}

static int never(void *arg)
{
    (void)arg;
    return 0;
}

void wsclient_run_for(wsclient *c, int ms)
{
    wsclient_run_until(c, never, NULL, ms);
}

int wsclient_live_count(const wsclient *c)
{
    int n = 0;
    for (const wsconn *k = c->conns; k; k = k->next)
        if (!wsclient__conn_done(k))
            n++;
    return n;
}

static int start_connect(wsclient *c, wsconn *k, char *err, size_t errlen)
{
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = c->ctx;
    i.address = k->host;
    i.port = k->port;
    i.path = k->path;
    i.host = k->host;
    i.origin = k->host;
    i.protocol = k->protocol;
    i.local_protocol_name = "wsb-client";
    if (k->tls && !(c->o.tls || c->o.ca_file || c->o.insecure)) {
        snprintf(k->error, sizeof(k->error), "wss:// needs a client made with tls (or ca_file)");
        k->state = WSCONN_FAILED;
        wlog_seterr(err, errlen, "%s: %s", k->name, k->error);
        return -1;
    }
    if (k->tls) {
        i.ssl_connection = LCCSCF_USE_SSL;
        if (c->o.insecure)
            i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                LCCSCF_ALLOW_INSECURE;
    }
    i.opaque_user_data = k;
    /* No pwsi: lws would write through it after a wsconn_free(). */

    k->state = WSCONN_CONNECTING;
    k->http_status = 0;
    k->close_code = 0;
    k->close_reason[0] = '\0';
    k->closed_by_us = 0;
    k->error[0] = '\0';
    k->tls_verify[0] = '\0';
    k->start_mono = wclock_mono_us();
    k->opened_mono = 0;
    k->closed_mono = 0;
    k->close_pending = k->close_sent = k->close_frame_rx = 0;
    k->ping_want = k->ping_sent = k->pong_got = 0;
    k->asm_active = 0;
    k->asm_len = 0;
    tx_free_all(k);

    k->wsi = NULL;
    struct lws *w = lws_client_connect_via_info(&i);
    if (w && !wsclient__conn_done(k))
        k->wsi = w;
    if (!w) {
        /* lws may already have called CONNECTION_ERROR (and cleared k->wsi). */
        if (k->state == WSCONN_CONNECTING) {
            k->state = WSCONN_FAILED;
            if (!k->error[0])
                snprintf(k->error, sizeof(k->error), "connect to %.200s:%d failed at once", k->host,
                         k->port);
        }
        wlog_seterr(err, errlen, "%s: %s", k->name, k->error);
        return -1;
    }
    return 0;
}

wsconn *wsclient_connect(wsclient *c, const wsconn_opts *o, char *err, size_t errlen)
{
    if (!o || !o->url) {
        wlog_seterr(err, errlen, "no URL");
        return NULL;
    }
    wsconn *k = calloc(1, sizeof(*k));
    if (!k) {
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    k->c = c;
    k->url = dupstr(o->url);
    k->token = dupstr(o->token);
    k->auth_header = dupstr(o->auth_header);
    k->protocol = dupstr(o->protocol);
    k->name = dupstr(o->name ? o->name : o->url);
    k->token_in_query = o->token_in_query;
    k->keep_messages = o->keep_messages;
    k->on_message = o->on_message;
    k->on_message_arg = o->on_message_arg;
    if (!k->url || !k->name || parse_url(k, o->url, err, errlen) < 0) {
        if (err && errlen && !err[0])
            wlog_seterr(err, errlen, "out of memory");
        conn_release(k);
        return NULL;
    }
    k->next = c->conns;
    if (c->conns)
        c->conns->prev = k;
    c->conns = k;
    /* Even when the start fails the connection is returned (FAILED), so
     * that callers see the reason through wsconn_error(). */
    start_connect(c, k, NULL, 0);
    return k;
}

static int open_or_done(void *arg)
{
    wsconn *k = arg;
    return k->state != WSCONN_CONNECTING;
}

int wsconn_wait_open(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen)
{
    wsclient_run_until(c, open_or_done, k, timeout_ms);
    if (k->state == WSCONN_OPEN)
        return 0;
    if (k->state == WSCONN_CONNECTING)
        wlog_seterr(err, errlen, "%s: not open after %d ms", k->name, timeout_ms);
    else if (k->state == WSCONN_FAILED)
        wlog_seterr(err, errlen, "%s: %s", k->name, k->error[0] ? k->error : "connect failed");
    else
        wlog_seterr(err, errlen, "%s: %s (close %d %s)", k->name, wsconn_state_name(k->state),
               k->close_code, k->close_reason);
    return -1;
}

wsconn *wsclient_open(wsclient *c, const wsconn_opts *o, int timeout_ms, char *err, size_t errlen)
{
    wsconn *k = wsclient_connect(c, o, err, errlen);
    if (!k)
        return NULL;
    if (wsconn_wait_open(c, k, timeout_ms, err, errlen) < 0) {
        wsconn_free(c, k);
        return NULL;
    }
    return k;
}

typedef struct many_arg {
    wsconn **v;
    int n;
} many_arg;

static int all_settled(void *arg)
{
    many_arg *m = arg;
    for (int i = 0; i < m->n; i++)
        if (m->v[i] && m->v[i]->state == WSCONN_CONNECTING)
            return 0;
    return 1;
}

int wsclient_connect_many(wsclient *c, const wsconn_opts *o, int n, wsconn **out, int timeout_ms)
{
    for (int i = 0; i < n; i++)
        out[i] = wsclient_connect(c, o, NULL, 0);
    many_arg m = {out, n};
    wsclient_run_until(c, all_settled, &m, timeout_ms);
    int open = 0;
    for (int i = 0; i < n; i++)
        if (out[i] && out[i]->state == WSCONN_OPEN)
            open++;
    return open;
}

int wsconn_reconnect(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen)
{
    if (k->wsi && !wsclient__conn_done(k)) {
        wlog_seterr(err, errlen, "%s: still %s", k->name, wsconn_state_name(k->state));
        return -1;
    }
    if (start_connect(c, k, err, errlen) < 0)
        return -1;
    return wsconn_wait_open(c, k, timeout_ms, err, errlen);
}

void wsconn_free(wsclient *c, wsconn *k)
{
    if (!k)
        return;
    if (k->wsi) {
        /* Detach: the callback sees no wsconn from now on and the wsi is
         * closed from the loop. */
        lws_set_opaque_user_data(k->wsi, NULL);
        lws_set_timeout(k->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        k->wsi = NULL;
    }
    if (k->prev)
        k->prev->next = k->next;
    else
        c->conns = k->next;
    if (k->next)
        k->next->prev = k->prev;
    conn_release(k);
}
