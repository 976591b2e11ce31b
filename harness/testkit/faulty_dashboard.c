/* faulty_dashboard: a small dashboard that misbehaves on purpose.
 *
 * It speaks enough of the wsbridge contract for the connectivity and
 * message-flow checks (publisher /ws with welcome/ack/error, subscriber
 * /ws/stream with subscribe filters, from/resume replay, /health,
 * /api/websocket/status, and a bot-like /status for its built-in generator),
 * and --fault makes it break one rule, so the harness's own tests can prove
 * that each suite check fails, naming the problem, when the system under
 * test does that. With --fault none it behaves, and the same checks pass.
 *
 *   faulty_dashboard --port 0 --jwt-secret S [--schemas DIR] [--generate RATE]
 *                    [--fault NAME] [--fault-at SEQ] [--fault-every N] [--stall-ms MS]
 *                    [--cert PEM --key PEM]   (wss:// and https://)
 * Prints "PORT <n>" on stdout once listening. The generator (source bot-1)
 * obeys subscriber commands pause, resume and set_rate with command_acks
 * (accepted, then done or rejected).
 * Faults (at seq == --fault-at, and every seq divisible by --fault-every,
 * of every source, unless said otherwise):
 *   drop dup reorder corrupt corrupt_value invalid   (relay to subscribers)
 *   accept_bad_token   any token (or none) is accepted, any role
 *   accept_invalid     schema-violating publishes are relayed, not refused
 *   no_1009            oversize messages are accepted (no close 1009)
 *   filter_leak        subscription filters are ignored
 *   resume_repeat      replay starts two messages before the asked seq
 *   status_lie         status endpoints report one message more than sent
 *   stall              the event loop blocks --stall-ms (150) after every 1 ms of work,
 *                      as a dashboard in long pauses: pongs, handshakes and relays wait
 *   refuse_after       WebSocket upgrades past --fault-at open connections get 503
 *   starve             every other subscriber connection never gets an envelope
 *   no_dedupe          a publish repeating a held source+seq is relayed again
 *   pub_auth_open      the publisher endpoint /ws accepts any token (or none)
 *   close_drop         a client's close frame is answered by dropping TCP (no close frame)
 *   close_wrong_code   a client's close frame is answered with close 1011, not its code
 *   relay_oversize     a message over the limit is handled (relayed) before the close 1009
 *   limit_off_by_one   a message of exactly the limit (64 KiB) is closed with 1009
 *   over_filter        a symbols filter also drops messages without a symbol (it should pass them)
 *   foreign_leak       a filtered subscriber also gets a foreign source's alert and a gap frame
 *   gap_instead        every other subscriber connection gets gap frames instead of envelopes
 *   resume_skip        replay starts three messages after the asked seq
 *   resume_ignore      "from" is ignored: no replay, only what comes next
 *   pause_away         the generator stops while a subscriber that closed is away (until a
 *                      subscribe with "from" comes), so there is nothing to resume
 *   diverge            odd subscriber connections get the hit messages with ts_us one more
 *                      (each stream is whole, valid and in order, but they differ)
 *   invalid_welcome    the welcome frame carries a property control/welcome does not allow
 *   invalid_ack        every ack carries a property control/ack does not allow
 *   invalid_status     /api/websocket/status says uptime_s -1 (status/dashboard: >= 0)
 *   no_pong            after its subscribe a subscriber's frames are no longer read: no pong
 *   collapse           at --fault-at open connections every WebSocket is dropped, and every
 *                      upgrade after that is refused with 503
 *   ignore_pause       the generator acks pause (accepted, done) and trades on
 *   cmd_drop           the generator's commands numbered --fault-at (and every
 *                      --fault-every-th) get no command_ack: the bot "never answers"
 * SIGTERM closes every WebSocket with 1001 (going away) before exiting.
 * The misbehaviours from relay_oversize on live in faulty_dashboard_judge.c;
 * the state and types both files use are in faulty_dashboard_int.h.
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "jwt.h"
#include "wclock.h"
#include "wjson.h"

#include "faulty_dashboard_int.h"

static const char *const fault_names[] = {
    "none", "drop", "dup", "reorder", "corrupt", "corrupt_value", "invalid", "accept_bad_token",
    "accept_invalid", "no_1009", "filter_leak", "resume_repeat", "status_lie", "stall",
    "refuse_after", "starve", "no_dedupe", "pub_auth_open", "close_drop", "close_wrong_code",
    "relay_oversize", "limit_off_by_one", "over_filter", "foreign_leak", "gap_instead",
    "resume_skip", "resume_ignore", "pause_away", "diverge", "invalid_welcome", "invalid_ack",
    "invalid_status", "no_pong", "collapse", "ignore_pause", "cmd_drop",
};

struct faulty_state fd;

static src_state *get_src(const char *name)
{
    for (int i = 0; i < fd.nsrcs; i++)
        if (!strcmp(fd.srcs[i].name, name))
            return &fd.srcs[i];
    if (fd.nsrcs == 16)
        return NULL;
    src_state *s = &fd.srcs[fd.nsrcs++];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    return s;
}

void faulty_q_push(pss *p, const char *text, size_t len)
{
    outq *o = malloc(sizeof(*o) + LWS_PRE + len);
    if (!o)
        return;
    o->next = NULL;
    o->len = len;
    memcpy(o->buf + LWS_PRE, text, len);
    if (p->qt)
        p->qt->next = o;
    else
        p->qh = o;
    p->qt = o;
    lws_callback_on_writable(p->wsi);
}

static void q_free(pss *p)
{
    while (p->qh) {
        outq *n = p->qh->next;
        free(p->qh);
        p->qh = n;
    }
    p->qt = NULL;
    free(p->held);
    p->held = NULL;
}


static int passes_filter(const pss *p, const hmsg *m)
{
    if (fd.fault == F_FILTER_LEAK)
        return 1;
    if (faulty_over_filtered(p, m))
        return 0;
    if (p->types_mask) {
        int ti = contract_type_index(m->type);
        if (ti < 0 || !(p->types_mask & (1u << ti)))
            return 0;
    }
    if (p->nsymbols && m->symbol[0]) {
        for (int i = 0; i < p->nsymbols; i++)
            if (!strcmp(p->symbols[i], m->symbol))
                return 1;
        return 0;
    }
    return 1;
}

/* Sends a history message to a subscriber, applying the relay faults. */
static void deliver(pss *p, const hmsg *m)
{
    if (!passes_filter(p, m))
        return;
    if (fd.fault == F_STARVE && (p->id & 1))
        return;
    if (faulty_gap_instead(p, m))
        return;
    int hit = m->seq == fd.fault_at || (fd.fault_every > 0 && m->seq % fd.fault_every == 0);
    if (hit && fd.fault == F_DROP)
        return;
    if (hit && fd.fault == F_CORRUPT) {
        faulty_q_push(p, m->text, m->len / 2); /* truncated JSON */
        return;
    }
    if (hit && faulty_diverged(p, m))
        return;
    if (hit && (fd.fault == F_CORRUPT_VALUE || fd.fault == F_INVALID)) {
        cJSON *root = cJSON_ParseWithLength(m->text, m->len);
        cJSON *data = root ? cJSON_GetObjectItemCaseSensitive(root, "data") : NULL;
        if (data && fd.fault == F_INVALID) {
            cJSON_AddStringToObject(data, "unexpected_field", "x"); /* additionalProperties */
        } else if (data) {
            cJSON *first = data->child;
            if (cJSON_IsNumber(first))
                cJSON_SetNumberValue(first, first->valuedouble + 1);
            else if (cJSON_IsString(first))
                cJSON_SetValuestring(first, "XX");
            else
                cJSON_AddNumberToObject(data, "x", 1);
        }
        char *t = root ? cJSON_PrintUnformatted(root) : NULL;
        if (t) {
            faulty_q_push(p, t, strlen(t));
            free(t);
        }
        cJSON_Delete(root);
        return;
    }
    if (hit && fd.fault == F_REORDER && !p->held) {
        outq *o = malloc(sizeof(*o) + m->len);
        if (o) {
            o->next = NULL;
            o->len = m->len;
            memcpy(o->buf, m->text, m->len);
            p->held = o;
        }
        return;
    }
    fd.delivered++;
    faulty_q_push(p, m->text, m->len);
    if (hit && fd.fault == F_DUP)
        faulty_q_push(p, m->text, m->len);
    if (p->held && !hit) {
        faulty_q_push(p, (char *)p->held->buf, p->held->len);
        free(p->held);
        p->held = NULL;
    }
}

/* Accepts a valid envelope into history and fans it out. */
static void relay(const cJSON *root, const char *source, long long seq)
{
    if (fd.nhist >= HISTORY_MAX)
        return;
    cJSON *copy = cJSON_Duplicate(root, 1);
    cJSON_AddNumberToObject(copy, "relay_us", (double)wclock_real_us());
    char *t = cJSON_PrintUnformatted(copy);
    hmsg *m = &fd.hist[fd.nhist++];
    memset(m, 0, sizeof(*m));
    m->text = t;
    m->len = t ? strlen(t) : 0;
    snprintf(m->source, sizeof(m->source), "%s", source);
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(root, "type");
    snprintf(m->type, sizeof(m->type), "%s", cJSON_IsString(ty) ? ty->valuestring : "");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "data");
    const cJSON *sy = d ? cJSON_GetObjectItemCaseSensitive(d, "symbol") : NULL;
    if (cJSON_IsString(sy))
        snprintf(m->symbol, sizeof(m->symbol), "%s", sy->valuestring);
    m->seq = seq;
    cJSON_Delete(copy);
    for (pss *p = fd.conns; p; p = p->next)
        if (p->role == R_SUB && p->subscribed)
            deliver(p, m);
}

void faulty_send_json(pss *p, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof(buf))
        faulty_q_push(p, buf, (size_t)n);
}

static void publisher_frame(pss *p, const char *text, size_t len)
{
    char err[256];
    cJSON *root = wjson_parse(text, len, WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
    if (!root) {
        fd.invalid++;
        faulty_send_json(p, "{\"type\":\"error\",\"seq\":null,\"code\":\"json\",\"reason\":\"%s\"}",
                  "invalid JSON");
        return;
    }
    int64_t seq = 0;
    int has_seq = wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "seq"), &seq);
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
    if (fd.fault != F_ACCEPT_INVALID && contract_check_envelope(fd.c, root, err, sizeof(err))) {
        fd.invalid++;
        for (char *q = err; *q; q++)
            if (*q == '"' || *q == '\\')
                *q = '\'';
        if (has_seq)
            faulty_send_json(p, "{\"type\":\"error\",\"seq\":%lld,\"code\":\"schema\",\"reason\":\"%s\"}",
                      (long long)seq, err);
        else
            faulty_send_json(p, "{\"type\":\"error\",\"seq\":null,\"code\":\"schema\",\"reason\":\"%s\"}",
                      err);
        cJSON_Delete(root);
        return;
    }
    if (fd.fault != F_ACCEPT_INVALID &&
        (!cJSON_IsString(src) || strcmp(src->valuestring, p->sub))) {
        faulty_send_json(p, "{\"type\":\"error\",\"seq\":%lld,\"code\":\"source\",\"reason\":\"%s\"}",
                  (long long)seq, "source is not the token's sub");
        cJSON_Delete(root);
        return;
    }
    src_state *s = get_src(cJSON_IsString(src) ? src->valuestring : p->sub);
    if (s) {
        s->received++;
        fd.received_total++;
        if (seq > s->last_seq) {
            s->last_seq = seq;
            relay(root, s->name, seq);
        } else if (fd.fault == F_NO_DEDUPE) {
            relay(root, s->name, seq); /* the repeat goes out again */
        }
        faulty_send_json(p, "{\"type\":\"ack\",\"seq\":%lld%s}", s->last_seq,
                  fd.fault == F_INVALID_ACK ? ",\"ok\":true" : "");
    }
    cJSON_Delete(root);
}

static void gen_emit(int ti, const char *data, int64_t ts_us);
static void gen_cb(lws_sorted_usec_list_t *sul);

/* A subscriber's command for the generator's source bot-1. */
static void gen_command(pss *p, const cJSON *root)
{
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(root, "target");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "command_id");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (!cJSON_IsString(target) || strcmp(target->valuestring, "bot-1") || fd.gen_rate <= 0) {
        faulty_send_json(p, "{\"type\":\"error\",\"seq\":null,\"code\":\"no_target\",\"reason\":\"%s\"}",
                  "no such bot");
        return;
    }
    if (!cJSON_IsString(id) || !cJSON_IsString(name) || strlen(id->valuestring) > 60)
        return;
    static long long ncmd;
    ncmd++;
    if (fd.fault == F_CMD_DROP &&
        (ncmd == fd.fault_at || (fd.fault_every > 0 && ncmd % fd.fault_every == 0)))
        return; /* the fault: this command is never answered */
    const char *status = "done";
    char data[160];
    if (!strcmp(name->valuestring, "pause") || !strcmp(name->valuestring, "resume") ||
        !strcmp(name->valuestring, "set_rate")) {
        snprintf(data, sizeof(data), "{\"command_id\":\"%s\",\"status\":\"accepted\"}",
                 id->valuestring);
        gen_emit(9, data, wclock_real_us());
    }
    if (!strcmp(name->valuestring, "pause")) {
        fd.gen_paused = fd.fault != F_IGNORE_PAUSE;
    } else if (!strcmp(name->valuestring, "resume")) {
        fd.gen_paused = 0;
    } else if (!strcmp(name->valuestring, "set_rate")) {
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
        const cJSON *rate = params ? cJSON_GetObjectItemCaseSensitive(params, "rate") : NULL;
        if (cJSON_IsNumber(rate) && rate->valuedouble > 0 && rate->valuedouble <= 100000)
            fd.gen_rate = rate->valuedouble;
        else
            status = "rejected";
    } else {
        status = "rejected";
    }
    snprintf(data, sizeof(data), "{\"command_id\":\"%s\",\"status\":\"%s\"}", id->valuestring,
             status);
    gen_emit(9, data, wclock_real_us());
}

static void subscriber_frame(pss *p, const char *text, size_t len)
{
    char err[256];
    cJSON *root = wjson_parse(text, len, WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
    const cJSON *ty = root ? cJSON_GetObjectItemCaseSensitive(root, "type") : NULL;
    if (cJSON_IsString(ty) && !strcmp(ty->valuestring, "command")) {
        gen_command(p, root);
        cJSON_Delete(root);
        return;
    }
    if (!cJSON_IsString(ty) || (strcmp(ty->valuestring, "subscribe") &&
                                strcmp(ty->valuestring, "resume"))) {
        faulty_send_json(p, "{\"type\":\"error\",\"seq\":null,\"code\":\"protocol\",\"reason\":\"%s\"}",
                  "expected subscribe or resume");
        cJSON_Delete(root);
        return;
    }
    p->types_mask = 0;
    p->nsymbols = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "types")) {
        int ti = cJSON_IsString(it) ? contract_type_index(it->valuestring) : -1;
        if (ti >= 0)
            p->types_mask |= 1u << ti;
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "symbols")) {
        if (cJSON_IsString(it) && p->nsymbols < 16)
            snprintf(p->symbols[p->nsymbols++], 32, "%s", it->valuestring);
    }
    p->subscribed = 1;
    faulty_foreign_leak(p);
    if (fd.fault == F_NO_PONG)
        lws_rx_flow_control(p->wsi, 0); /* pings wait unread: no pong ever */
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(root, "from");
    cJSON_ArrayForEach(it, from) {
        int64_t n = 0;
        if (!wjson_get_int64(it, &n))
            continue;
        if (fd.fault == F_RESUME_REPEAT)
            n -= 2;
        n = faulty_replay_from(n);
        if (n < 0)
            continue;
        for (size_t i = 0; i < fd.nhist; i++)
            if (!strcmp(fd.hist[i].source, it->string) && fd.hist[i].seq > n)
                deliver(p, &fd.hist[i]);
    }
    cJSON_Delete(root);
}

/* --- the built-in generator (source bot-1) ------------------------------- */

static void gen_emit(int ti, const char *data, int64_t ts_us)
{
    char buf[1024];
    long long seq = ++fd.gen_seq;
    snprintf(buf, sizeof(buf),
             "{\"v\":1,\"type\":\"%s\",\"source\":\"bot-1\",\"seq\":%lld,\"ts_us\":%lld,"
             "\"data\":%s}",
             contract_types[ti], seq, (long long)ts_us, data);
    cJSON *root = cJSON_Parse(buf);
    src_state *s = get_src("bot-1");
    if (root && s) {
        s->received++;
        fd.received_total++;
        s->last_seq = seq;
        s->connected = 1;
        relay(root, "bot-1", seq);
    }
    cJSON_Delete(root);
}

/* The generator keeps a schedule, as a trading loop does: every event due
 * by now is emitted, stamped with its scheduled time, so time the loop spent
 * blocked (the stall fault) shows as latency. */
static void gen_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    static long long tick;
    static int64_t due;
    int64_t now = wclock_real_us(), step = (int64_t)(1e6 / fd.gen_rate);
    if (!due || fd.gen_paused || now - due > 10 * 1000000LL)
        due = now; /* start, paused, or too far behind: restart the schedule */
    for (int n = 0; due <= now && n < 5000; n++, due += step) {
        if (fd.gen_paused)
            continue;
        /* cycle through the types; command_ack only answers commands */
        int ti = (int)(tick++ % (CONTRACT_NUM_TYPES - 1));
        gen_emit(ti, contract_sample_data(ti), due);
    }
    lws_sul_schedule(fd.ctx, 0, &fd.gen_sul, gen_cb, (lws_usec_t)(due > now ? due - now : 1));
}

/* --- HTTP -------------------------------------------------------------------- */

static int http_reply(struct lws *wsi, int code, const char *ctype, const char *body)
{
    unsigned char hb[LWS_PRE + 1024], *start = hb + LWS_PRE, *p = start, *end = hb + sizeof(hb);
    size_t len = strlen(body);
    if (lws_add_http_common_headers(wsi, (unsigned int)code, ctype, len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    unsigned char *b = malloc(LWS_PRE + len + 1);
    if (!b)
        return -1;
    memcpy(b + LWS_PRE, body, len);
    int w = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
    free(b);
    if (w < (int)len)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_status(struct lws *wsi, const char *uri)
{
    char body[8192];
    int lie = fd.fault == F_STATUS_LIE;
    if (!strcmp(uri, "/health"))
        return http_reply(wsi, 200, "text/plain", "ok\n");
    if (!strcmp(uri, "/api/websocket/status")) {
        int pubs = 0, subs = 0;
        for (pss *p = fd.conns; p; p = p->next) {
            pubs += p->role == R_PUB;
            subs += p->role == R_SUB;
        }
        size_t off = (size_t)snprintf(
            body, sizeof(body),
            "{\"service\":\"wsb-dashboard\",\"uptime_s\":%.3f,\"connections\":{\"publishers\":%d,"
            "\"subscribers\":%d,\"total\":%d},\"sources\":{",
            fd.fault == F_INVALID_STATUS ? -1.0 : (double)(wclock_real_us() - fd.start_us) / 1e6,
            pubs, subs, pubs + subs);
        for (int i = 0; i < fd.nsrcs && off < sizeof(body) - 300; i++)
            off += (size_t)snprintf(body + off, sizeof(body) - off,
                                    "%s\"%s\":{\"last_seq\":%lld,\"received\":%lld,"
                                    "\"duplicates\":0,\"gaps\":0,\"gap_messages\":0,"
                                    "\"invalid\":0,\"connected\":%s}",
                                    i ? "," : "", fd.srcs[i].name, fd.srcs[i].last_seq + lie,
                                    fd.srcs[i].received + lie,
                                    fd.srcs[i].connected ? "true" : "false");
        snprintf(body + off, sizeof(body) - off,
                 "},\"subscribers\":{\"count\":%d,\"max_queue_depth\":0,\"queue_depths\":[]},"
                 "\"slow_consumers\":{\"disconnected\":0,\"dropped_messages\":0},"
                 "\"history\":{\"size\":%zu,\"capacity\":%d},\"limits\":{\"max_message_bytes\":%d},"
                 "\"journal\":{\"enabled\":false,\"bytes\":0,\"records\":0},"
                 "\"refused\":{\"auth\":%lld,\"forbidden\":%lld,\"max_connections\":0,"
                 "\"too_large\":%lld,\"bad_utf8\":0,\"binary\":0,\"too_deep\":0,\"rate\":0,"
                 "\"idle\":0,\"invalid\":%lld},"
                 "\"messages\":{\"received\":%lld,\"delivered\":%lld}}",
                 subs, fd.nhist, HISTORY_MAX, MAX_MSG, fd.refused_auth, fd.refused_forbidden,
                 fd.refused_too_large, fd.invalid, fd.received_total + lie, fd.delivered);
        return http_reply(wsi, 200, "application/json", body);
    }
    if (!strcmp(uri, "/status") && fd.gen_rate > 0) {
        long long n = fd.gen_seq + lie;
        snprintf(body, sizeof(body),
                 "{\"service\":\"wsb-bot\",\"source\":\"bot-1\",\"state\":\"%s\","
                 "\"connected\":true,\"loop_iterations\":%lld,\"generated\":%lld,\"sent\":%lld,"
                 "\"acked\":%lld,\"acked_seq\":%lld,\"last_seq\":%lld,\"queued\":0,\"dropped\":0,"
                 "\"reconnects\":0,\"rate\":%.3f,\"last_error\":null}",
                 fd.gen_paused ? "paused" : "running", n, n, n, n, n, n, fd.gen_rate);
        return http_reply(wsi, 200, "application/json", body);
    }
    return http_reply(wsi, 404, "text/plain", "not found\n");
}

/* --- auth at the upgrade -------------------------------------------------------- */

/* 0 and role/sub when allowed, else the HTTP status to refuse with. */
static int authorize(struct lws *wsi, enum role *role, char *sub, size_t sublen)
{
    char uri[256] = "", auth[2048] = "";
    lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
    int want_pub = !strcmp(uri, "/ws"), want_sub = !strcmp(uri, "/ws/stream");
    if (!want_pub && !want_sub)
        return 404;
    const char *token = NULL;
    if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        !strncmp(auth, "Bearer ", 7))
        token = auth + 7;
    else
        token = lws_get_urlarg_by_name(wsi, "token=", auth, sizeof(auth));
    jwt_claims cl;
    memset(&cl, 0, sizeof(cl));
    char err[128];
    *role = want_pub ? R_PUB : R_SUB;
    if (fd.fault == F_BAD_TOKEN || (fd.fault == F_PUB_AUTH_OPEN && want_pub)) {
        if (!token || jwt_verify(token, fd.secret, 0, &cl, err, sizeof(err)) < 0)
            snprintf(cl.sub, sizeof(cl.sub), "anonymous");
    } else {
        if (!token || jwt_verify(token, fd.secret, 0, &cl, err, sizeof(err)) < 0)
            return 401;
        if (strcmp(cl.role, want_pub ? "publisher" : "subscriber"))
            return 403;
    }
    snprintf(sub, sublen, "%s", cl.sub);
    return 0;
}

static int confirm_upgrade(struct lws *wsi)
{
    enum role r;
    char sub[64];
    int code = authorize(wsi, &r, sub, sizeof(sub));
    if (!code && faulty_collapse())
        code = 503;
    if (!code && fd.fault == F_REFUSE_AFTER) {
        long long open = 0;
        for (pss *q = fd.conns; q; q = q->next)
            open++;
        if (open >= fd.fault_at)
            code = 503;
    }
    if (!code)
        return 0;
    if (code == 401)
        fd.refused_auth++;
    if (code == 403)
        fd.refused_forbidden++;
    lws_return_http_status(wsi, (unsigned int)code, NULL);
    return 1;
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return http_status(wsi, (const char *)in);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(wsi);
    case LWS_CALLBACK_ESTABLISHED:
        memset(p, 0, sizeof(*p));
        if (authorize(wsi, &p->role, p->sub, sizeof(p->sub)))
            return -1;
        p->wsi = wsi;
        p->id = fd.next_id++;
        p->next = fd.conns;
        fd.conns = p;
        if (p->role == R_PUB) {
            src_state *s = get_src(p->sub);
            if (s)
                s->connected = 1;
            faulty_send_json(p, "{\"type\":\"welcome\",\"source\":\"%s\",\"last_seq\":%lld%s}",
                      p->sub, s ? s->last_seq : 0,
                      fd.fault == F_INVALID_WELCOME ? ",\"motd\":\"hello\"" : "");
        }
        break;
    case LWS_CALLBACK_RECEIVE: {
        if (p->rxlen + len > faulty_size_limit() && !faulty_size_let_in())
            return faulty_close_too_large(wsi);
        char *n = realloc(p->rx, p->rxlen + len + 1);
        if (!n)
            return -1;
        p->rx = n;
        memcpy(p->rx + p->rxlen, in, len);
        p->rxlen += len;
        if (!lws_is_final_fragment(wsi))
            break;
        int over = p->rxlen > MAX_MSG;
        if (!over || faulty_size_let_in()) {
            if (p->role == R_PUB)
                publisher_frame(p, p->rx, p->rxlen);
            else
                subscriber_frame(p, p->rx, p->rxlen);
        }
        p->rxlen = 0;
        if (over && fd.fault == F_RELAY_OVERSIZE)
            return faulty_close_too_large(wsi);
        break;
    }
    case LWS_CALLBACK_RECEIVE_PONG:
        break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return faulty_peer_close(wsi);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (fd.stopping) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)"shutting down",
                             13);
            return -1;
        }
        if (p->qh) {
            outq *o = p->qh;
            if (lws_write(wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len)
                return -1;
            p->qh = o->next;
            if (!p->qh)
                p->qt = NULL;
            free(o);
            if (p->qh)
                lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_CLOSED:
        for (pss **pp = &fd.conns; *pp; pp = &(*pp)->next)
            if (*pp == p) {
                *pp = p->next;
                break;
            }
        if (p->role == R_PUB) {
            src_state *s = get_src(p->sub);
            if (s)
                s->connected = 0;
        }
        if (p->role == R_SUB && p->subscribed && fd.fault == F_PAUSE_AWAY)
            fd.gen_paused = 1;
        q_free(p);
        free(p->rx);
        p->rx = NULL;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"wsb", cb, sizeof(pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* stall: block the whole event loop, then let it work for 1 ms. */
static void stall_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    struct timespec ts = {fd.stall_ms / 1000, (long)(fd.stall_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    lws_sul_schedule(fd.ctx, 0, &fd.stall_sul, stall_cb, LWS_US_PER_MS);
}

static void on_signal(int sig)
{
    (void)sig;
    fd.stop = 1;
    if (fd.ctx)
        lws_cancel_service(fd.ctx);
}

int main(int argc, char **argv)
{
    int port = 0;
    const char *schemas = NULL, *cert = NULL, *key = NULL;
    fd.secret = "test-secret";
    fd.fault_at = 5;
    fd.stall_ms = 150;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--port") && v) {
            port = atoi(v);
            i++;
        } else if (!strcmp(a, "--jwt-secret") && v) {
            fd.secret = v;
            i++;
        } else if (!strcmp(a, "--schemas") && v) {
            schemas = v;
            i++;
        } else if (!strcmp(a, "--generate") && v) {
            fd.gen_rate = atof(v);
            i++;
        } else if (!strcmp(a, "--cert") && v) {
            cert = v;
            i++;
        } else if (!strcmp(a, "--key") && v) {
            key = v;
            i++;
        } else if (!strcmp(a, "--fault-every") && v) {
            fd.fault_every = atoll(v);
            i++;
        } else if (!strcmp(a, "--stall-ms") && v) {
            fd.stall_ms = atoi(v);
            i++;
        } else if (!strcmp(a, "--fault-at") && v) {
            fd.fault_at = atoll(v);
            i++;
        } else if (!strcmp(a, "--fault") && v) {
            size_t k;
            for (k = 0; k < sizeof(fault_names) / sizeof(fault_names[0]); k++)
                if (!strcmp(v, fault_names[k]))
                    break;
            if (k == sizeof(fault_names) / sizeof(fault_names[0])) {
                fprintf(stderr, "faulty_dashboard: unknown fault %s\n", v);
                return 2;
            }
            fd.fault = (enum fault)k;
            i++;
        } else {
            fprintf(stderr, "usage: faulty_dashboard --port N --jwt-secret S [--schemas DIR] "
                            "[--generate RATE] [--fault NAME] [--fault-at SEQ] "
                            "[--fault-every N] [--stall-ms MS]\n");
            return 2;
        }
    }
    char err[512];
    fd.c = contract_load(schemas, err, sizeof(err));
    if (!fd.c) {
        fprintf(stderr, "faulty_dashboard: %s\n", err);
        return 1;
    }
    fd.hist = calloc(HISTORY_MAX, sizeof(*fd.hist));
    fd.start_us = wclock_real_us();
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = port; /* 0: the system picks a free port */
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (cert && key) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cert;
        info.ssl_private_key_filepath = key;
    }
    fd.ctx = lws_create_context(&info);
    struct lws_vhost *vh = fd.ctx ? lws_create_vhost(fd.ctx, &info) : NULL;
    if (!vh) {
        fprintf(stderr, "faulty_dashboard: cannot listen\n");
        return 1;
    }
    printf("PORT %d\n", lws_get_vhost_listen_port(vh));
    fflush(stdout);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (fd.gen_rate > 0)
        lws_sul_schedule(fd.ctx, 0, &fd.gen_sul, gen_cb, (lws_usec_t)(1e6 / fd.gen_rate));
    if (fd.fault == F_STALL)
        lws_sul_schedule(fd.ctx, 0, &fd.stall_sul, stall_cb, 1);
    while (!fd.stop && lws_service(fd.ctx, 0) >= 0)
        ;
    /* going away: every WebSocket gets a 1001 close frame first */
    fd.stopping = 1;
    lws_callback_on_writable_all_protocol(fd.ctx, &protocols[0]);
    int64_t t0 = wclock_mono_ms();
    do
        lws_service(fd.ctx, 0);
    while (fd.conns && wclock_mono_ms() - t0 < 500);
    lws_context_destroy(fd.ctx);
    for (size_t i = 0; i < fd.nhist; i++)
        free(fd.hist[i].text);
    free(fd.hist);
    contract_free(fd.c);
    return 0;
}
