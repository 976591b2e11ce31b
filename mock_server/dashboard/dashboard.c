/* dashboard: the lws side of the mock dashboard.
 *
 * One ws protocol serves both roles; the role comes from the URI (/ws for
 * publishers, /ws/stream for subscribers) and the token, both checked in
 * LWS_CALLBACK_HTTP_CONFIRM_UPGRADE, where 401/403/503 can still be answered
 * (lws 4.1.6 picks protocols by Sec-WebSocket-Protocol only). Messages are
 * reassembled here from small rx buffers, so size (1009), UTF-8 (1007),
 * binary (1003), nesting and rate limits are ours. Publishers' envelopes are
 * validated once, deduplicated and pushed to the history; everything sent is
 * laid out as ready frames and written with one lws_write(LWS_WRITE_RAW) per
 * writable callback. One sweeping timer does idle, ping and message-time
 * checks. Handshakes are bounded in time and number (slowloris). */
#include "dashboard.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "envelope.h"
#include "wclock.h"
#include "wjson.h"
#include "wlog.h"

#define SWEEP_US (250 * 1000)
#define SHUTDOWN_TICK_US (20 * 1000)

volatile sig_atomic_t dashboard_stop_requested;

size_t dashboard_frame_header(uint8_t *h, size_t len, int opcode)
{
    h[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        h[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; i++)
        h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

void dashboard_request_write(dashboard_conn *c)
{
    if (c->wsi && !c->writable_pending) {
        c->writable_pending = 1;
        lws_callback_on_writable(c->wsi);
    }
}

int dashboard_conn_send(dashboard *d, dashboard_conn *c, const char *json, size_t len)
{
    (void)d;
    if (c->close_code)
        return -1;
    if (c->out_count >= DASHBOARD_OUT_MAX) {
        dashboard_conn_close(c, 1008, "not reading its frames");
        return -1;
    }
    dashboard_out *o = malloc(sizeof(*o) + 10 + len);
    if (!o)
        return -1;
    size_t hl = dashboard_frame_header(o->data, len, 1);
    memcpy(o->data + hl, json, len);
    o->len = hl + len;
    o->next = NULL;
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->out_count++;
    dashboard_request_write(c);
    return 0;
}

void dashboard_conn_error(dashboard *d, dashboard_conn *c, int64_t seq, const char *code,
                          const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return;
    cJSON_AddStringToObject(o, "type", "error");
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)seq);
    if (seq > 0) /* raw: cJSON prints 2^53 as 9.00719925474099e+15 */
        cJSON_AddRawToObject(o, "seq", num);
    else
        cJSON_AddNullToObject(o, "seq");
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "reason", reason);
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (txt) {
        dashboard_conn_send(d, c, txt, strlen(txt));
        free(txt);
    }
    wlog_debug("%s %s: error %s: %s", c->role == DASHBOARD_ROLE_PUBLISHER ? "publisher" : "subscriber",
               c->name, code, reason);
}

void dashboard_conn_close(dashboard_conn *c, int code, const char *reason)
{
    if (c->close_code)
        return;
    c->close_code = code;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
    if (c->wsi) {
        /* a peer that never lets us write is cut after a bound */
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 3);
        c->writable_pending = 0;
        dashboard_request_write(c);
    }
}

int dashboard_conn_count(const dashboard *d)
{
    return d->npublishers + d->nsubscribers;
}

/* ---- HTTP ---- */

static int http_reply(struct lws *wsi, unsigned status, const char *ctype, const char *body,
                      size_t blen)
{
    size_t cap = LWS_PRE + 1024 + blen;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -1;
    uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + cap;
    char clen[24];
    int cl = snprintf(clen, sizeof clen, "%zu", blen);
    if (lws_add_http_header_status(wsi, status, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const uint8_t *)ctype,
                                     (int)strlen(ctype), &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, (const uint8_t *)clen,
                                     cl, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const uint8_t *)"no-store", 8, &p, end) ||
        lws_finalize_http_header(wsi, &p, end)) {
        free(buf);
        return -1;
    }
    memcpy(p, body, blen);
    p += blen;
    int n = (int)(p - start);
    int m = lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP);
    free(buf);
    return m == n ? 0 : -1;
}

static const char *http_reason_phrase(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 426: return "Upgrade Required";
    default: return "Service Unavailable";
    }
}

/* Refuses an upgrade from LWS_CALLBACK_HTTP_CONFIRM_UPGRADE. The response is
 * written by hand: at this point lws 4.1.6 has not recorded the request's
 * HTTP version, so lws_add_http_header_status() would answer "HTTP/1.0",
 * which strict clients (Python's websockets) reject as "not a valid HTTP
 * response" instead of seeing the 401. */
static int http_refuse(struct lws *wsi, unsigned status, const char *reason)
{
    char body[256], safe[160];
    size_t j = 0;
    for (const char *r = reason; *r && j + 1 < sizeof safe; r++)
        safe[j++] = (*r == '"' || *r == '\\' || (unsigned char)*r < 0x20) ? '\'' : *r;
    safe[j] = '\0';
    int blen = snprintf(body, sizeof body, "{\"error\":%u,\"reason\":\"%s\"}\n", status, safe);
    uint8_t buf[LWS_PRE + 768];
    char *start = (char *)buf + LWS_PRE;
    int n = snprintf(start, sizeof buf - LWS_PRE,
                     "HTTP/1.1 %u %s\r\n"
                     "content-type: application/json\r\n"
                     "content-length: %d\r\n"
                     "%s"
                     "cache-control: no-store\r\n"
                     "connection: close\r\n"
                     "\r\n%s",
                     status, http_reason_phrase(status), blen,
                     status == 401   ? "www-authenticate: Bearer\r\n"
                     : status == 426 ? "sec-websocket-version: 13\r\n"
                                     : "",
                     body);
    wlog_info("handshake refused %u: %s", status, reason);
    if (n <= 0 || (size_t)n >= sizeof buf - LWS_PRE ||
        lws_write(wsi, (uint8_t *)start, (size_t)n, LWS_WRITE_HTTP) != n)
        return -1;
    return 1; /* response sent: lws completes the transaction, no upgrade */
}

static int serve_http(dashboard *d, struct lws *wsi, const char *uri)
{
    char *body = NULL;
    size_t len = 0;
    const char *ctype = "application/json";
    int rc;
    const char *why = NULL;
    unsigned refuse = dashboard_guard_http(wsi, &why);
    if (refuse) {
        char b[160];
        int bl = snprintf(b, sizeof b, "{\"error\":%u,\"reason\":\"%s\"}\n", refuse, why);
        wlog_info("http refused %u: %s", refuse, why);
        http_reply(wsi, refuse, ctype, b, (size_t)bl);
        return -1; /* answered; the connection is not reused */
    }
    if (!strcmp(uri, "/health")) {
        const char *b = d->shutting_down ? "{\"status\":\"stopping\"}\n" : "{\"status\":\"ok\"}\n";
        rc = http_reply(wsi, d->shutting_down ? 503 : 200, ctype, b, strlen(b));
    } else if (!strcmp(uri, "/api/websocket/status")) {
        body = dashboard_status_json(d, &len);
        rc = body ? http_reply(wsi, 200, ctype, body, len) : -1;
    } else if (dashboard_page_match(uri)) {
        const char *page = dashboard_page(&len);
        rc = http_reply(wsi, 200, "text/html; charset=utf-8", page, len);
    } else if (!strcmp(uri, "/metrics")) {
        body = dashboard_metrics_text(d, &len);
        rc = body ? http_reply(wsi, 200, "text/plain; version=0.0.4", body, len) : -1;
    } else {
        const char *b = "{\"error\":404,\"reason\":\"not found\"}\n";
        rc = http_reply(wsi, 404, ctype, b, strlen(b));
    }
    free(body);
    if (rc)
        return -1;
    dashboard_wire_http_done(lws_get_socket_fd(wsi));
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- handshake ---- */

/* What the handshake decided, kept until LWS_CALLBACK_ESTABLISHED. */
typedef struct dashboard_auth {
    int role;
    char name[DASHBOARD_NAME_MAX];
} dashboard_auth;

static int confirm_upgrade(dashboard *d, struct lws *wsi)
{
    char uri[256] = "", tok[4200] = "";
    jwt_claims cl;
    char err[128];
    int want;

    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return http_refuse(wsi, 400, "bad request line");
    if (!strcmp(uri, "/ws") || !strcmp(uri, "/ws/"))
        want = DASHBOARD_ROLE_PUBLISHER;
    else if (!strcmp(uri, "/ws/stream") || !strcmp(uri, "/ws/stream/"))
        want = DASHBOARD_ROLE_SUBSCRIBER;
    else
        return http_refuse(wsi, 404, "no websocket endpoint here (use /ws or /ws/stream)");

    const char *why = NULL;
    unsigned refuse = dashboard_guard_upgrade(d, wsi, &why);
    if (refuse)
        return http_refuse(wsi, refuse, why);
    if (d->shutting_down)
        return http_refuse(wsi, 503, "shutting down");
    if (dashboard_conn_count(d) >= d->cfg.max_connections) {
        d->st.refused_max_conn++;
        return http_refuse(wsi, 503, "too many connections");
    }

    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 0 && n < (int)sizeof tok && lws_hdr_copy(wsi, tok, sizeof tok,
                                                     WSI_TOKEN_HTTP_AUTHORIZATION) > 0) {
        if (strncasecmp(tok, "Bearer ", 7)) {
            d->st.refused_auth++;
            return http_refuse(wsi, 401, "Authorization must be Bearer");
        }
        memmove(tok, tok + 7, strlen(tok + 7) + 1);
    } else if (n >= (int)sizeof tok) {
        d->st.refused_auth++;
        return http_refuse(wsi, 401, "malformed token");
    } else {
        tok[0] = '\0';
        lws_get_urlarg_by_name(wsi, "token=", tok, (int)sizeof tok);
        /* lws_get_urlarg_by_name copies "token=VALUE" */
        if (!strncmp(tok, "token=", 6))
            memmove(tok, tok + 6, strlen(tok + 6) + 1);
    }
    if (!tok[0]) {
        d->st.refused_auth++;
        return http_refuse(wsi, 401, "missing token");
    }
    if (jwt_verify(tok, d->cfg.jwt_secret, 0, &cl, err, sizeof err) != 0) {
        d->st.refused_auth++;
        return http_refuse(wsi, 401, err);
    }
    int role = !strcmp(cl.role, "publisher")    ? DASHBOARD_ROLE_PUBLISHER
               : !strcmp(cl.role, "subscriber") ? DASHBOARD_ROLE_SUBSCRIBER
                                                : DASHBOARD_ROLE_NONE;
    if (role != want) {
        d->st.refused_forbidden++;
        return http_refuse(wsi, 403, "token role does not match the endpoint");
    }
    if (role == DASHBOARD_ROLE_PUBLISHER && !envelope_source_ok(cl.sub)) {
        d->st.refused_forbidden++;
        return http_refuse(wsi, 403, "token sub is not a valid source name");
    }
    dashboard_auth *a = malloc(sizeof(*a));
    if (!a)
        return http_refuse(wsi, 503, "out of memory");
    a->role = role;
    snprintf(a->name, sizeof a->name, "%s", cl.sub);
    free(lws_get_opaque_user_data(wsi));
    lws_set_opaque_user_data(wsi, a);
    return 0;
}

/* ---- lists ---- */

static void list_add(dashboard_conn **head, dashboard_conn *c)
{
    c->prev = NULL;
    c->next = *head;
    if (*head)
        (*head)->prev = c;
    *head = c;
}

static void list_del(dashboard_conn **head, dashboard_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (*head == c)
        *head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void established(dashboard *d, struct lws *wsi, dashboard_conn *c)
{
    c->wsi = wsi;
    c->established = 1;
    c->last_rx_us = wclock_real_us();
    c->tokens = d->cfg.rate_limit > 1.0 ? d->cfg.rate_limit : 1.0;
    c->tokens_us = c->last_rx_us;
    c->cmd_tokens = d->cfg.command_rate > 1.0 ? d->cfg.command_rate : 1.0;
    c->cmd_tokens_us = c->last_rx_us;
    c->acked_sent = -1;
    c->src = -1;
    if (c->role == DASHBOARD_ROLE_PUBLISHER) {
        list_add(&d->publishers, c);
        d->npublishers++;
        c->src = dashboard_source_get(d, c->name);
        if (c->src < 0) {
            dashboard_conn_close(c, 1011, "out of memory");
            return;
        }
        dashboard_source *s = &d->sources[c->src];
        s->seen = 1;
        s->publisher = c;
        char buf[160];
        int n = snprintf(buf, sizeof buf, "{\"type\":\"welcome\",\"source\":\"%s\",\"last_seq\":%lld}",
                         s->name, (long long)s->last_seq);
        dashboard_conn_send(d, c, buf, (size_t)n);
        c->acked_sent = s->durable_seq; /* the welcome says as much */
        wlog_info("publisher %s connected (last_seq %lld)", c->name, (long long)s->last_seq);
    } else {
        list_add(&d->subscribers, c);
        d->nsubscribers++;
        wlog_debug("subscriber %s connected", c->name);
    }
}

static void closed(dashboard *d, dashboard_conn *c)
{
    if (!c->established)
        return;
    if (c->role == DASHBOARD_ROLE_PUBLISHER) {
        list_del(&d->publishers, c);
        d->npublishers--;
        if (c->src >= 0 && d->sources[c->src].publisher == c) {
            d->sources[c->src].publisher = NULL;
            /* another publisher of the same source takes over commands */
            for (dashboard_conn *o = d->publishers; o; o = o->next)
                if (o->src == c->src)
                    d->sources[c->src].publisher = o;
        }
        wlog_info("publisher %s disconnected", c->name);
    } else {
        list_del(&d->subscribers, c);
        d->nsubscribers--;
        wlog_debug("subscriber %s disconnected", c->name);
    }
    while (c->out_head) {
        dashboard_out *o = c->out_head;
        c->out_head = o->next;
        free(o);
    }
    c->out_tail = NULL;
    free(c->rx);
    c->rx = NULL;
    dashboard_sub_free(c);
    c->established = 0;
    c->wsi = NULL;
}

/* ---- rate limits ---- */

int dashboard_bucket_take(double *tokens, int64_t *tokens_us, double rate)
{
    int64_t t = wclock_real_us();
    /* the bucket holds a second's worth, and at least one message (a rate
     * under 1/s would otherwise never reach a whole token) */
    double burst = rate > 1.0 ? rate : 1.0;
    *tokens += (double)(t - *tokens_us) * rate / 1e6;
    *tokens_us = t;
    if (*tokens > burst)
        *tokens = burst;
    if (*tokens < 1.0)
        return 0;
    *tokens -= 1.0;
    return 1;
}

size_t dashboard_out_fill(dashboard_conn *c, uint8_t *buf, size_t cap, int *more)
{
    size_t n = 0;
    *more = 0;
    while (c->out_head) {
        dashboard_out *o = c->out_head;
        if (n && n + o->len > cap) {
            *more = 1;
            return n;
        }
        memcpy(buf + n, o->data, o->len);
        n += o->len;
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->out_count--;
        free(o);
    }
    return n;
}


/* ---- receive ---- */

static int close_now(struct lws *wsi, int code, const char *reason)
{
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
    return -1;
}

static int message(dashboard *d, dashboard_conn *c, struct lws *wsi, const char *text, size_t len)
{
    if (!wjson_utf8_valid(text, len)) {
        d->st.refused_bad_utf8++;
        if (c->src >= 0)
            d->sources[c->src].invalid++;
        return close_now(wsi, 1007, "invalid UTF-8");
    }
    if (d->cfg.rate_limit > 0 && !dashboard_bucket_take(&c->tokens, &c->tokens_us,
                                                         d->cfg.rate_limit)) {
        d->st.refused_rate++;
        dashboard_conn_error(d, c, 0, "rate", "message rate limit exceeded");
        dashboard_conn_close(c, 1008, "rate limit");
        return 0;
    }
    if (c->role == DASHBOARD_ROLE_PUBLISHER)
        dashboard_pub_message(d, c, text, len);
    else
        dashboard_sub_message(d, c, text, len);
    return 0;
}

static int receive(dashboard *d, dashboard_conn *c, struct lws *wsi, const char *in, size_t len)
{
    if (c->close_code)
        return 0; /* closing: input is ignored */
    if (dashboard_wire_unmasked(lws_get_socket_fd(wsi))) {
        d->st.refused_unmasked++;
        return close_now(wsi, 1002, "client frames must be masked");
    }
    int first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
    size_t remain = lws_remaining_packet_payload(wsi);
    if (first && !c->rx_len)
        c->rx_binary = lws_frame_is_binary(wsi);
    if (c->rx_binary) {
        d->st.refused_binary++;
        return close_now(wsi, 1003, "binary frames are not accepted");
    }
    if (c->rx_len + len + remain > d->cfg.max_message) {
        d->st.refused_too_large++;
        if (c->src >= 0)
            d->sources[c->src].invalid++;
        return close_now(wsi, 1009, "message too big");
    }
    if (final && !remain) {
        /* the idle timer counts complete messages: a message dripped a
         * byte at a time keeps nothing alive (and has --message-timeout) */
        c->last_rx_us = wclock_real_us();
        c->ping_due = 0;
        c->partial_since_us = 0;
    } else if (!c->partial_since_us) {
        c->partial_since_us = wclock_real_us();
    }
    if (!c->rx_len && final && !remain)
        return message(d, c, wsi, in, len); /* whole message in one piece */
    if (c->rx_len + len > c->rx_cap) {
        /* grown as bytes come, not as the header promises */
        size_t cap = c->rx_cap ? c->rx_cap : 1024;
        while (cap < c->rx_len + len)
            cap *= 2;
        if (cap > d->cfg.max_message)
            cap = d->cfg.max_message;
        char *b = realloc(c->rx, cap);
        if (!b)
            return close_now(wsi, 1011, "out of memory");
        c->rx = b;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!final || remain)
        return 0;
    size_t n = c->rx_len;
    c->rx_len = 0;
    int rc = message(d, c, wsi, c->rx, n);
    if (c->rx_cap > 16384) { /* do not keep a big buffer for an idle peer */
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
    return rc;
}

static int writeable(dashboard *d, dashboard_conn *c, struct lws *wsi)
{
    c->writable_pending = 0;
    uint8_t *buf = d->scratch + LWS_PRE;
    int more = 0;
    if (c->close_code) {
        /* the frames that explain the close (an error) go first */
        size_t n = dashboard_out_fill(c, buf, DASHBOARD_WRITE_CAP, &more);
        if (n && lws_write(wsi, buf, n, LWS_WRITE_RAW) < (int)n)
            return -1;
        return close_now(wsi, c->close_code, c->close_reason);
    }
    size_t n = c->role == DASHBOARD_ROLE_SUBSCRIBER
                   ? dashboard_sub_fill(d, c, buf, DASHBOARD_WRITE_CAP, &more)
                   : dashboard_pub_fill(d, c, buf, DASHBOARD_WRITE_CAP, &more);
    if (c->ping_due == 1) {
        /* a ping with a payload: lws 4.1.6 does not report empty pongs */
        buf[n++] = 0x89;
        buf[n++] = 0x01;
        buf[n++] = 'p';
        c->ping_due = 2;
    }
    if (n) {
        int m = lws_write(wsi, buf, n, LWS_WRITE_RAW);
        if (m < (int)n) {
            wlog_info("%s: write failed, closing", c->name);
            return -1;
        }
    }
    if (more)
        dashboard_request_write(c);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    dashboard *d = ctx ? lws_context_user(ctx) : NULL;
    dashboard_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        /* the vhost's server SSL_CTX (user), once, before it listens */
        return d ? dashboard_wire_tls_ctx(user, d->cfg.test_fault &&
                                                    !strcmp(d->cfg.test_fault, "tls1"))
                 : -1;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        dashboard_wire_accepted((int)(lws_intptr_t)in); /* in: the accepted fd */
        break;
    case LWS_CALLBACK_HTTP:
        return serve_http(d, wsi, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(d, wsi);
    case LWS_CALLBACK_ESTABLISHED: {
        /* the http wsi has no pss: the handshake's verdict rides on the
         * wsi's opaque pointer until here */
        dashboard_auth *a = lws_get_opaque_user_data(wsi);
        if (!c || !a)
            return -1; /* no upgrade without a confirmed token */
        memset(c, 0, sizeof(*c));
        c->role = a->role;
        snprintf(c->name, sizeof c->name, "%s", a->name);
        lws_set_opaque_user_data(wsi, NULL);
        free(a);
        established(d, wsi, c);
        break;
    }
    case LWS_CALLBACK_WSI_DESTROY:
        free(lws_get_opaque_user_data(wsi));
        lws_set_opaque_user_data(wsi, NULL);
        break;
    case LWS_CALLBACK_RECEIVE:
        if (!c || !c->established)
            return -1;
        return receive(d, c, wsi, in, len);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return dashboard_guard_close(in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        if (c && c->established) {
            if (dashboard_wire_unmasked(lws_get_socket_fd(wsi))) {
                d->st.refused_unmasked++;
                return close_now(wsi, 1002, "client frames must be masked");
            }
            c->last_rx_us = wclock_real_us();
            c->ping_due = 0;
        }
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!c || !c->established)
            return 0;
        return writeable(d, c, wsi);
    case LWS_CALLBACK_CLOSED:
        if (c)
            closed(d, c);
        if (d && d->cfg.test_fault && !strcmp(d->cfg.test_fault, "leak_fd"))
            (void)!open("/dev/null", O_RDONLY); /* the test fault: never closed */
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: /* lws_cancel_service() from the signal handler */
        if (d && dashboard_stop_requested && !d->shutting_down)
            dashboard_begin_shutdown(d);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    /* tx_packet_size: lws_issue_raw sends at most this much per call (else
     * rx_buffer_size, which would cut every coalesced write into 512-byte
     * pieces buffered on the heap) */
    {"wsbridge", callback, sizeof(dashboard_conn), DASHBOARD_RX_BUFFER, 0, NULL,
     DASHBOARD_TX_PACKET},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* One connection's turn in the sweep at time t. */
static void sweep_conn(dashboard *d, dashboard_conn *c, int64_t t, int unmasked)
{
    const char *role = c->role == DASHBOARD_ROLE_PUBLISHER ? "publisher" : "subscriber";
    int64_t idle = (int64_t)d->cfg.idle_timeout_s * 1000000;
    int64_t msg_max = (int64_t)d->cfg.message_timeout_s * 1000000;
    if (c->close_code)
        return;
    if (unmasked && c->wsi && dashboard_wire_unmasked(lws_get_socket_fd(c->wsi))) {
        /* an unmasked control frame (ping, pong) reaches no RECEIVE */
        d->st.refused_unmasked++;
        dashboard_conn_close(c, 1002, "client frames must be masked");
        return;
    }
    if (unmasked && c->wsi && dashboard_wire_oversize(lws_get_socket_fd(c->wsi))) {
        /* a frame declared past the limit: no need to wait for its payload */
        d->st.refused_too_large++;
        dashboard_conn_close(c, 1009, "message too big");
        return;
    }
    if (msg_max > 0 && c->partial_since_us && t - c->partial_since_us > msg_max) {
        d->st.refused_stalled++;
        wlog_info("%s %s: a message started %llds ago is not complete, closing", role, c->name,
                  (long long)((t - c->partial_since_us) / 1000000));
        dashboard_conn_close(c, 1008, "message not completed in time");
        return;
    }
    if (idle <= 0)
        return;
    int64_t quiet = t - c->last_rx_us;
    if (quiet > idle) {
        d->st.refused_idle++;
        wlog_info("%s %s: idle for %llds, closing", role, c->name, (long long)(quiet / 1000000));
        dashboard_conn_close(c, 1001, "idle timeout");
    } else if (quiet > idle / 2 && !c->ping_due) {
        c->ping_due = 1;
        dashboard_request_write(c);
    }
}

/* One timer for every connection: idle timeouts, pings, messages that do
 * not complete, unmasked control frames, frames declared past the limit
 * (`unmasked` below: dashboard_wire flagged some connection). */
static void sweep_cb(lws_sorted_usec_list_t *sul)
{
    dashboard *d = lws_container_of(sul, dashboard, sul_sweep);
    if (dashboard_stop_requested && !d->shutting_down)
        dashboard_begin_shutdown(d);
    int unmasked = dashboard_wire_take_flagged() > 0;
    if (d->cfg.idle_timeout_s > 0 || d->cfg.message_timeout_s > 0 || unmasked) {
        int64_t t = wclock_real_us();
        dashboard_conn *lists[2] = {d->publishers, d->subscribers};
        for (int l = 0; l < 2; l++)
            for (dashboard_conn *c = lists[l]; c; c = c->next)
                sweep_conn(d, c, t, unmasked);
    }
    lws_sul_schedule(d->ctx, 0, &d->sul_sweep, sweep_cb, SWEEP_US);
}

/* libev owns SIGINT when it runs the loop: it calls this from the loop. */
static void evlib_signal(void *handle, int signum)
{
    (void)handle;
    (void)signum;
    dashboard_stop_requested = 1;
}

static void lws_log_to_wlog(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        n--;
    if (level & LLL_ERR)
        wlog_error("lws: %.*s", (int)n, line);
    else
        wlog_warn("lws: %.*s", (int)n, line);
}

int dashboard_start(dashboard *d, char *err, size_t errlen)
{
    d->start_us = wclock_real_us();
    d->contract = contract_load(d->cfg.schemas, err, errlen);
    if (!d->contract)
        return -1;
    if (dashboard_history_init(d, err, errlen) || dashboard_journal_open(d, err, errlen))
        return -1;
    dashboard_wire_set_max(d->cfg.max_message);
    d->scratch_cap = DASHBOARD_WRITE_CAP + d->cfg.max_message + 8192;
    d->scratch = malloc(LWS_PRE + d->scratch_cap);
    if (!d->scratch) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);

    lws_set_log_level(LLL_ERR | (wlog_get_level() >= WLOG_DEBUG ? LLL_WARN : 0), lws_log_to_wlog);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = d->cfg.port;
    info.iface = d->cfg.host && strcmp(d->cfg.host, "0.0.0.0") && *d->cfg.host ? d->cfg.host : NULL;
    info.protocols = protocols;
    info.user = d;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.signal_cb = evlib_signal;
    info.count_threads = 1;
    info.fd_limit_per_thread = rl.rlim_cur > 1000000 ? 1000000 : (unsigned)rl.rlim_cur;
    info.timeout_secs = 10;
    /* No lws validity timers: each would be an O(connections) insert into
     * lws's sorted timer list per connection and per pong; idle and ping
     * checks are the one sweeping timer here. */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_ping = 0,
                                               .secs_since_valid_hangup = 0};
    info.retry_and_idle_policy = &no_validity;
    /* Slow or stalled handshakes (slowloris): each holds one of
     * HANDSHAKE_MAX header tables at most handshake_timeout_s seconds from
     * its first byte (lws's PENDING_TIMEOUT_HOLDING_AH, not reset by more
     * bytes); connections past HANDSHAKE_MAX wait, unread, for a table. */
    info.max_http_header_pool = DASHBOARD_HANDSHAKE_MAX;
    info.timeout_secs_ah_idle = (unsigned)d->cfg.handshake_timeout_s;
    if (d->cfg.tls_cert) { /* wss:// and https:// on the one port; the versions: the callback */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = d->cfg.tls_cert;
        info.ssl_private_key_filepath = d->cfg.tls_key;
        info.alpn = "http/1.1"; /* not h2: the HTTP answers are written as HTTP/1.1 */
        /* lws replaces the handshake's header-table timeout with a
         * timeout_secs one once the TLS handshake is done: the same bound,
         * or a silent or dribbling client is held 10 s */
        info.timeout_secs = (unsigned)d->cfg.handshake_timeout_s;
        if (d->cfg.test_fault && !strcmp(d->cfg.test_fault, "tls_plain"))
            info.options |= LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT |
                            LWS_SERVER_OPTION_ALLOW_HTTP_ON_HTTPS_LISTENER; /* test-only */
    }
    if (d->cfg.use_libev) {
        /* lws's own loop poll()s every fd each round: O(connections) per
         * event, which 19,000 idle subscribers make the whole cost */
        info.options |= LWS_SERVER_OPTION_LIBEV;
        d->ctx = lws_create_context(&info);
        if (d->ctx)
            d->evlib = 1;
        else
            wlog_warn("libev event loop unavailable (libwebsockets-evlib-ev not installed?): "
                      "using lws's poll() loop");
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
    }
    if (!d->ctx)
        d->ctx = lws_create_context(&info);
    if (!d->ctx) {
        snprintf(err, errlen, "cannot listen on %s:%d%s", d->cfg.host ? d->cfg.host : "0.0.0.0",
                 d->cfg.port, d->cfg.tls_cert ? " (or the TLS certificate or key does not load)"
                                              : "");
        return -1;
    }
    d->vhost = lws_get_vhost_by_name(d->ctx, "default");
    d->port = d->vhost ? lws_get_vhost_listen_port(d->vhost) : d->cfg.port;
    lws_sul_schedule(d->ctx, 0, &d->sul_sweep, sweep_cb, SWEEP_US);
    return 0;
}

/* Ends the drain once every connection closed or the deadline passed. */
static void shutdown_tick(lws_sorted_usec_list_t *sul)
{
    dashboard *d = lws_container_of(sul, dashboard, sul_shutdown);
    if (dashboard_conn_count(d) > 0 && wclock_real_us() < d->shutdown_deadline_us) {
        lws_sul_schedule(d->ctx, 0, &d->sul_shutdown, shutdown_tick, SHUTDOWN_TICK_US);
        return;
    }
    dashboard_journal_flush(d, 1);
    d->finished = 1;
    if (d->evlib)
        lws_context_destroy(d->ctx); /* first stage: stops the libev loop */
}

void dashboard_begin_shutdown(dashboard *d)
{
    if (d->shutting_down)
        return;
    d->shutting_down = 1;
    d->shutdown_deadline_us = wclock_real_us() + (int64_t)d->cfg.shutdown_ms * 1000;
    wlog_info("shutting down: closing %d connections with 1001", dashboard_conn_count(d));
    dashboard_conn *lists[2] = {d->publishers, d->subscribers};
    for (int l = 0; l < 2; l++)
        for (dashboard_conn *c = lists[l]; c; c = c->next)
            dashboard_conn_close(c, 1001, "server shutting down");
    dashboard_journal_flush(d, 1);
    lws_sul_schedule(d->ctx, 0, &d->sul_shutdown, shutdown_tick, SHUTDOWN_TICK_US);
}

void dashboard_run(dashboard *d)
{
    if (d->evlib) {
        lws_service(d->ctx, 0); /* returns when shutdown_tick stops the loop */
        return;
    }
    while (!d->finished)
        if (lws_service(d->ctx, 0) < 0)
            break;
}

void dashboard_destroy(dashboard *d)
{
    dashboard_journal_flush(d, 1);
    if (d->ctx) {
        lws_context_destroy(d->ctx);
        d->ctx = NULL;
    }
    dashboard_history_free(d);
    contract_free(d->contract);
    d->contract = NULL;
    free(d->scratch);
    d->scratch = NULL;
    dashboard_wire_free();
}
