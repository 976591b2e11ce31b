/* bot_conn: the bot's lws client to the dashboard: welcome/resend, acks,
 * commands, ping/pong dead-connection detection and backoff (see bot_conn.h). */
#include "bot_conn.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "jwt.h"
#include "wclock.h"
#include "wjson.h"
#include "wlog.h"

#define RX_MAX (64 * 1024) /* largest control frame we accept */
#define TX_MAX (64 * 1024)
#define WRITE_BUDGET 2000      /* frames per writeable callback */
#define BATCH_MAX (256 * 1024) /* frames laid out for one write */
#define HOUSEKEEP_US (100 * 1000)
#define ALERT_MIN_GAP_US (1000 * 1000)
#define BACKOFF_STEPS 6
#define BACKOFF_CAP_MS 30000

struct bot_conn {
    bot_conn_config cfg;
    bot_queue *q;
    bot_loop *loop;
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    struct lws *wsi;

    /* parsed URL */
    char url_buf[512];
    const char *prot, *host;
    char path[512];
    int port;
    int tls;

    char *token; /* for the attempt under way (malloc'd) */

    uint32_t backoff_ms[BACKOFF_STEPS];
    lws_retry_bo_t retry;
    uint16_t retry_count;
    lws_sorted_usec_list_t sul_retry;
    lws_sorted_usec_list_t sul_house;

    int established; /* the handshake completed */
    int killing;     /* lws_set_timeout(KILL_ASYNC) issued for c->wsi */
    int welcomed;
    int ever_welcomed;
    int stopping;
    int ping_pending;
    lws_usec_t last_rx;
    lws_usec_t ping_sent;
    lws_usec_t last_alert;

    char *rx;
    size_t rxlen;
    int rx_overflow;
    unsigned char *tx;
    unsigned char *batch; /* LWS_PRE + BATCH_MAX: masked frames, written at once */
    uint64_t mask_state;

    atomic_int connected;
    bot_conn_status st;
};

static void schedule_retry(bot_conn *c);
static void try_connect(lws_sorted_usec_list_t *sul);

bot_conn *bot_conn_new(const bot_conn_config *cfg, bot_queue *q, bot_loop *loop, char *err,
                       size_t errlen)
{
    bot_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->q = q;
    c->loop = loop;
    if (snprintf(c->url_buf, sizeof(c->url_buf), "%s", cfg->url) >= (int)sizeof(c->url_buf)) {
        snprintf(err, errlen, "URL too long");
        goto fail;
    }
    const char *path = "";
    if (lws_parse_uri(c->url_buf, &c->prot, &c->host, &c->port, &path)) {
        snprintf(err, errlen, "cannot parse URL \"%s\"", cfg->url);
        goto fail;
    }
    if (!strcmp(c->prot, "wss"))
        c->tls = 1;
    else if (strcmp(c->prot, "ws")) {
        snprintf(err, errlen, "URL \"%s\": scheme must be ws or wss", cfg->url);
        goto fail;
    }
    if (!strstr(cfg->url, "://")) {
        snprintf(err, errlen, "URL \"%s\": want ws://host:port/path", cfg->url);
        goto fail;
    }
    snprintf(c->path, sizeof(c->path), "/%s", path);
    /* exponential backoff from the configured delay, capped; 20% jitter */
    double d = cfg->retry_delay_s > 0 ? cfg->retry_delay_s * 1000.0 : 1000.0;
    for (int i = 0; i < BACKOFF_STEPS; i++) {
        double v = d * (double)(1 << i);
        double cap = d > BACKOFF_CAP_MS ? d : BACKOFF_CAP_MS;
        c->backoff_ms[i] = (uint32_t)(v > cap ? cap : v < 1 ? 1 : v);
    }
    c->retry.retry_ms_table = c->backoff_ms;
    c->retry.retry_ms_table_count = BACKOFF_STEPS;
    c->retry.conceal_count = cfg->max_retries <= 0        ? LWS_RETRY_CONCEAL_ALWAYS
                             : cfg->max_retries >= 0xfffe ? 0xfffe
                                                          : (uint16_t)cfg->max_retries;
    c->retry.jitter_percent = 20;
    c->rx = malloc(RX_MAX + 1);
    c->tx = malloc(LWS_PRE + TX_MAX);
    c->batch = malloc(LWS_PRE + BATCH_MAX);
    if (!c->rx || !c->tx || !c->batch) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return c;
fail:
    free(c->rx);
    free(c->tx);
    free(c->batch);
    free(c);
    return NULL;
}

void bot_conn_free(bot_conn *c)
{
    if (!c)
        return;
    free(c->token);
    free(c->rx);
    free(c->tx);
    free(c->batch);
    free(c);
}

static void set_error(bot_conn *c, const char *fmt, const char *arg)
{
    snprintf(c->st.last_error, sizeof(c->st.last_error), fmt, arg ? arg : "");
}

/* ---- queueing the bot's own messages ------------------------------------ */

static void push_json(bot_conn *c, int type, cJSON *data)
{
    char *txt = cJSON_PrintUnformatted(data);
    if (txt) {
        bot_queue_push_control(c->q, bot_msg_type_name(type), wclock_real_us(), txt, strlen(txt));
        free(txt);
    }
    cJSON_Delete(data);
}

static void maybe_alert(bot_conn *c, int force)
{
    if (!c->welcomed)
        return;
    lws_usec_t now = lws_now_usecs();
    if (!force && now - c->last_alert < ALERT_MIN_GAP_US)
        return;
    int64_t from, to, count;
    if (bot_queue_take_restart_loss(c->q, &from, &to)) {
        /* test-only wrong_loss: announce a range one short */
        if (c->cfg.test_fault && !strcmp(c->cfg.test_fault, "wrong_loss") && from < to)
            from++;
        char m[160];
        snprintf(m, sizeof(m), "restart: seq %lld..%lld were held unacked by the killed process",
                 (long long)from, (long long)to);
        wlog_warn("%s", m);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "level", "critical");
        cJSON_AddStringToObject(d, "code", "restart_loss");
        cJSON_AddStringToObject(d, "message", m);
        cJSON_AddNumberToObject(d, "from", (double)from);
        cJSON_AddNumberToObject(d, "to", (double)to);
        cJSON_AddNumberToObject(d, "count", (double)(to - from + 1));
        push_json(c, BOT_MSG_ALERT, d);
        c->st.alerts++;
    }
    if (!bot_queue_take_overflow(c->q, &from, &to, &count))
        return;
    c->last_alert = now;
    if (c->cfg.test_fault && !strcmp(c->cfg.test_fault, "silent_drop"))
        return; /* test-only: the drop goes unreported */
    char msg[160];
    snprintf(msg, sizeof(msg), "queue full: dropped %lld messages between seq %lld and %lld",
             (long long)count, (long long)from, (long long)to);
    wlog_warn("%s", msg);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "level", "warning");
    cJSON_AddStringToObject(d, "code", "queue_overflow");
    cJSON_AddStringToObject(d, "message", msg);
    cJSON_AddNumberToObject(d, "from", (double)from);
    cJSON_AddNumberToObject(d, "to", (double)to);
    cJSON_AddNumberToObject(d, "count", (double)count);
    push_json(c, BOT_MSG_ALERT, d);
    c->st.alerts++;
}

static int valid_command_id(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") == n;
}

static void handle_command(bot_conn *c, const cJSON *root)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "command_id");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
    if (!cJSON_IsString(id) || !valid_command_id(id->valuestring)) {
        wlog_warn("command without a valid command_id ignored");
        return;
    }
    c->st.commands++;
    const char *status = "done";
    char reason[256] = "";
    const char *nm = cJSON_IsString(name) ? name->valuestring : "";
    int known = !strcmp(nm, "pause") || !strcmp(nm, "resume") || !strcmp(nm, "status") ||
                !strcmp(nm, "set_rate");
    if (known) { /* accepted, then done (or rejected) once carried out */
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "command_id", id->valuestring);
        cJSON_AddStringToObject(a, "status", "accepted");
        push_json(c, BOT_MSG_COMMAND_ACK, a);
    }
    if (!strcmp(nm, "pause")) {
        bot_loop_set_paused(c->loop, 1);
    } else if (!strcmp(nm, "resume")) {
        bot_loop_set_paused(c->loop, 0);
    } else if (!strcmp(nm, "status")) {
        bot_loop_request_status(c->loop); /* a bot_status follows the ack */
    } else if (!strcmp(nm, "set_rate")) {
        const cJSON *rate =
            cJSON_IsObject(params) ? cJSON_GetObjectItemCaseSensitive(params, "rate") : NULL;
        if (!cJSON_IsNumber(rate) || bot_loop_set_rate(c->loop, rate->valuedouble) < 0) {
            status = "rejected";
            snprintf(reason, sizeof(reason), "params.rate must be a number > 0 and <= 1e7");
        }
    } else {
        status = "rejected";
        snprintf(reason, sizeof(reason), "unknown command \"%.64s\"", nm);
    }
    wlog_info("command %s (%s): %s%s%s", nm, id->valuestring, status, *reason ? ": " : "", reason);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "command_id", id->valuestring);
    cJSON_AddStringToObject(d, "status", status);
    if (*reason)
        cJSON_AddStringToObject(d, "reason", reason);
    push_json(c, BOT_MSG_COMMAND_ACK, d);
}

/* ---- frames from the dashboard ----------------------------------------- */

static void handle_frame(bot_conn *c, const char *text, size_t len)
{
    /* acks are most of what arrives: read them without building a tree */
    envelope_peek pk;
    if (envelope_peek_fields(text, len, &pk) == 0 && !strcmp(pk.type, "ack")) {
        if (pk.seq > 0)
            bot_queue_ack(c->q, pk.seq);
        return;
    }
    char err[160];
    cJSON *root = wjson_parse(text, len, WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
    if (!root) {
        wlog_warn("unreadable frame from the dashboard: %s", err);
        return;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    int64_t v = 0;
    if (!strcmp(t, "welcome")) {
        if (!wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "last_seq"), &v) || v < 0) {
            wlog_warn("welcome without a valid last_seq ignored");
        } else {
            const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
            if (cJSON_IsString(src) && strcmp(src->valuestring, c->cfg.source))
                wlog_warn("welcome names source \"%s\", we are \"%s\"", src->valuestring,
                          c->cfg.source);
            int reuse = c->cfg.test_fault && !strcmp(c->cfg.test_fault, "reuse_seq");
            bot_queue_welcome(c->q, reuse && !c->ever_welcomed ? 0 : v); /* test-only */
            if (c->ever_welcomed)
                c->st.reconnects++;
            c->ever_welcomed = 1;
            c->welcomed = 1;
            c->retry_count = 0;
            atomic_store(&c->connected, 1);
            bot_queue_stats qs;
            bot_queue_get_stats(c->q, &qs);
            wlog_info("welcome: last_seq %lld, resending from %lld (%lld queued)", (long long)v,
                      (long long)(qs.last_seq - qs.queued + 1), (long long)qs.queued);
            maybe_alert(c, 1);
            lws_callback_on_writable(c->wsi);
        }
    } else if (!strcmp(t, "ack")) {
        if (wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "seq"), &v) && v >= 0)
            bot_queue_ack(c->q, v);
    } else if (!strcmp(t, "error")) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(root, "reason");
        char e[BOT_CONN_ERR_MAX];
        snprintf(e, sizeof(e), "dashboard error %s: %s",
                 cJSON_IsString(code) ? code->valuestring : "?",
                 cJSON_IsString(reason) ? reason->valuestring : "?");
        wlog_warn("%s", e);
        set_error(c, "%s", e);
    } else if (!strcmp(t, "command")) {
        handle_command(c, root);
        lws_callback_on_writable(c->wsi);
    } else {
        wlog_debug("ignoring frame of type \"%s\"", t);
    }
    cJSON_Delete(root);
}

/* ---- sending ------------------------------------------------------------ */

/* Lays out one client text frame (FIN, masked, RFC 6455 5.2) at out; the
 * mask comes from a per-connection stream seeded from lws's random source.
 * Returns the frame's size (at most n + 14). */
static size_t frame_masked(bot_conn *c, unsigned char *out, const unsigned char *p, size_t n)
{
    size_t h = 0;
    out[h++] = 0x81;
    if (n < 126) {
        out[h++] = (unsigned char)(0x80 | n);
    } else if (n <= 0xffff) {
        out[h++] = 0x80 | 126;
        out[h++] = (unsigned char)(n >> 8);
        out[h++] = (unsigned char)n;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    uint64_t z = (c->mask_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    unsigned char *mk = out + h;
    memcpy(mk, &z, 4);
    h += 4;
    for (size_t i = 0; i < n; i++)
        out[h + i] = p[i] ^ mk[i & 3];
    return h + n;
}

/* Sends what is unsent: as many frames as fit one buffer, masked here and
 * written with one lws_write(LWS_WRITE_RAW) (one syscall for many frames;
 * lws keeps any part the kernel did not take and flushes it first). */
static int write_some(bot_conn *c, struct lws *wsi)
{
    if (c->ping_pending) {
        c->ping_pending = 0;
        c->ping_sent = lws_now_usecs();
        if (lws_write(wsi, c->tx + LWS_PRE, 0, LWS_WRITE_PING) < 0)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (!c->welcomed)
        return 0;
    unsigned char *b = c->batch + LWS_PRE;
    size_t len = 0;
    for (int i = 0; i < WRITE_BUDGET && BATCH_MAX - len >= TX_MAX + 14; i++) {
        int n = bot_queue_encode_next(c->q, c->cfg.source, (char *)c->tx + LWS_PRE, TX_MAX, NULL);
        if (n == 0)
            break;
        if (n < 0) {
            wlog_error("a message does not fit %d bytes: skipped", TX_MAX);
            continue;
        }
        len += frame_masked(c, b + len, c->tx + LWS_PRE, (size_t)n);
    }
    if (len && lws_write(wsi, b, len, LWS_WRITE_RAW) < (int)len)
        return -1;
    if (bot_queue_has_unsent(c->q))
        lws_callback_on_writable(wsi);
    return 0;
}

/* ---- connection lifecycle ----------------------------------------------- */

static void connection_lost(bot_conn *c, const char *why)
{
    int was = c->welcomed;
    if (c->killing)
        why = "pong timeout"; /* we closed it: say why, not how it ended */
    c->wsi = NULL;
    c->killing = 0;
    c->established = 0;
    c->welcomed = 0;
    c->ping_pending = 0;
    atomic_store(&c->connected, 0);
    if (why)
        set_error(c, "%s", why);
    if (c->stopping)
        wlog_info("connection to the dashboard closed");
    else if (was)
        wlog_warn("connection to the dashboard lost: %s", why ? why : "closed");
    else
        wlog_info("cannot connect to %s: %s", c->cfg.url, why ? why : "closed");
    if (!c->stopping)
        schedule_retry(c);
}

static void schedule_retry(bot_conn *c)
{
    if (lws_retry_sul_schedule(c->ctx, 0, &c->sul_retry, &c->retry, try_connect, &c->retry_count)) {
        c->st.gave_up = 1;
        wlog_error("giving up on the dashboard after %d retries; trading goes on, messages queue",
                   c->cfg.max_retries);
        snprintf(c->st.last_error, sizeof(c->st.last_error), "gave up after %d retries",
                 c->cfg.max_retries);
    }
}

static void try_connect(lws_sorted_usec_list_t *sul)
{
    bot_conn *c = lws_container_of(sul, bot_conn, sul_retry);
    if (c->stopping || c->wsi)
        return;
    free(c->token);
    c->token = NULL;
    if (c->cfg.token)
        c->token = strdup(c->cfg.token);
    else if (c->cfg.jwt_secret)
        c->token = jwt_sign(c->cfg.jwt_secret, c->cfg.source, "publisher", 24 * 3600);
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = c->ctx;
    i.vhost = c->vhost;
    i.address = c->host;
    i.port = c->port;
    i.path = c->path;
    i.host = c->host;
    i.origin = c->host;
    i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
    i.protocol = NULL; /* no Sec-WebSocket-Protocol: the dashboard routes by path */
    i.local_protocol_name = "wsb-bot-client";
    i.pwsi = &c->wsi;
    i.retry_and_idle_policy = &c->retry;
    c->st.attempts++;
    c->last_rx = lws_now_usecs(); /* a stalled handshake counts as silence too */
    c->ping_sent = c->last_rx;
    wlog_debug("connecting to %s (attempt %lld)", c->cfg.url, (long long)c->st.attempts);
    if (!lws_client_connect_via_info(&i)) {
        c->wsi = NULL;
        /* the CONNECTION_ERROR callback may already have rescheduled */
        if (lws_dll2_is_detached(&c->sul_retry.list) && !c->st.gave_up) {
            set_error(c, "%s", "connect failed to start");
            schedule_retry(c);
        }
    }
}

static void housekeep(lws_sorted_usec_list_t *sul)
{
    bot_conn *c = lws_container_of(sul, bot_conn, sul_house);
    lws_usec_t now = lws_now_usecs();
    /* lws clears c->wsi (pwsi) when it frees the connection; a client killed
     * during its handshake may do so without a close callback reaching this
     * protocol, so make sure a lost connection always leads to a retry */
    if (!c->wsi && (c->established || c->welcomed))
        connection_lost(c, "closed");
    else if (!c->wsi && !c->stopping && !c->st.gave_up &&
             lws_dll2_is_detached(&c->sul_retry.list)) {
        wlog_debug("connection vanished without a close callback: retrying");
        schedule_retry(c);
    }
    if (c->wsi && !c->stopping) {
        lws_usec_t silent = now - c->last_rx;
        lws_usec_t ping_us = (lws_usec_t)(c->cfg.ping_interval_s * 1e6);
        lws_usec_t dead_us = ping_us + (lws_usec_t)(c->cfg.pong_timeout_s * 1e6);
        if (ping_us > 0 && silent > dead_us && !c->killing) {
            c->killing = 1;
            wlog_warn("no frame from the dashboard for %.1f s: connection dead",
                      (double)silent / 1e6);
            set_error(c, "%s", "pong timeout");
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        } else if (c->established && ping_us > 0 && silent > ping_us &&
                   now - c->ping_sent > ping_us) {
            c->ping_pending = 1;
            lws_callback_on_writable(c->wsi);
        }
        maybe_alert(c, 0);
        if (c->welcomed && bot_queue_has_unsent(c->q))
            lws_callback_on_writable(c->wsi);
    }
    if (!c->stopping)
        lws_sul_schedule(c->ctx, 0, &c->sul_house, housekeep, HOUSEKEEP_US);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    (void)user;
    const struct lws_protocols *p = lws_get_protocol(wsi);
    bot_conn *c = p ? p->user : NULL;
    if (!c)
        return 0;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
        if (!c->token)
            break;
        unsigned char **pp = (unsigned char **)in, *end = (*pp) + len;
        char auth[2048];
        int n = snprintf(auth, sizeof(auth), "Bearer %s", c->token);
        if (n >= (int)sizeof(auth) ||
            lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)auth,
                                         n, pp, end))
            return -1;
        break;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_get_random(c->ctx, &c->mask_state, sizeof(c->mask_state));
        c->established = 1;
        c->last_rx = lws_now_usecs();
        c->ping_sent = c->last_rx;
        c->rxlen = 0;
        wlog_info("connected to %s, waiting for welcome", c->cfg.url);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        c->last_rx = lws_now_usecs();
        if (lws_is_first_fragment(wsi)) {
            c->rxlen = 0;
            c->rx_overflow = 0;
        }
        if (c->rxlen + len > RX_MAX)
            c->rx_overflow = 1;
        else {
            memcpy(c->rx + c->rxlen, in, len);
            c->rxlen += len;
        }
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            if (c->rx_overflow)
                wlog_warn("frame from the dashboard larger than %d bytes ignored", RX_MAX);
            else
                handle_frame(c, c->rx, c->rxlen);
            c->rxlen = 0;
        }
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        c->last_rx = lws_now_usecs();
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c->stopping && !c->welcomed)
            return -1;
        return write_some(c, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        connection_lost(c, in && len ? (const char *)in : "connection error");
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        connection_lost(c, "closed");
        break;
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        /* a client closed before its upgrade completed (e.g. killed while
         * the handshake stalled) ends here, not in CLIENT_CLOSED */
        if (wsi == c->wsi)
            connection_lost(c, "closed during the handshake");
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (c->wsi && c->welcomed)
            lws_callback_on_writable(c->wsi);
        break;
    default:
        break;
    }
    return 0;
}

struct lws_protocols bot_conn_protocol(bot_conn *c)
{
    struct lws_protocols p;
    memset(&p, 0, sizeof(p));
    p.name = "wsb-bot-client";
    p.callback = callback;
    p.rx_buffer_size = 4096;
    p.user = c;
    return p;
}

void bot_conn_start(bot_conn *c, struct lws_context *ctx, struct lws_vhost *vhost)
{
    c->ctx = ctx;
    c->vhost = vhost;
    lws_sul_schedule(ctx, 0, &c->sul_retry, try_connect, 1);
    lws_sul_schedule(ctx, 0, &c->sul_house, housekeep, HOUSEKEEP_US);
}

void bot_conn_wake(bot_conn *c)
{
    if (c->ctx)
        lws_cancel_service(c->ctx);
}

void bot_conn_shutdown(bot_conn *c)
{
    c->stopping = 1;
    lws_sul_cancel(&c->sul_retry);
    lws_sul_cancel(&c->sul_house);
    if (c->wsi && !c->killing) {
        c->killing = 1;
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

void bot_conn_get_status(bot_conn *c, bot_conn_status *out)
{
    *out = c->st;
    out->connected = atomic_load(&c->connected);
}

int bot_conn_connected(bot_conn *c)
{
    return atomic_load(&c->connected);
}
