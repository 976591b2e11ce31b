/* bot_status: /health, /status and /metrics of the mock bot over lws HTTP
 * (see bot_status.h). */
#include "bot_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

struct bot_status {
    bot_status_fn fn;
    void *ud;
};

typedef struct pss {
    char *body;
    size_t len;
} pss;

bot_status *bot_status_new(bot_status_fn fn, void *ud)
{
    bot_status *s = calloc(1, sizeof(*s));
    if (s) {
        s->fn = fn;
        s->ud = ud;
    }
    return s;
}

void bot_status_free(bot_status *s)
{
    free(s);
}

char *bot_status_json(const bot_status_snapshot *n)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "service", "wsb-bot");
    cJSON_AddStringToObject(o, "source", n->source);
    cJSON_AddStringToObject(o, "state", n->state);
    cJSON_AddBoolToObject(o, "connected", n->connected);
    cJSON_AddNumberToObject(o, "uptime_s", n->uptime_s);
    cJSON_AddNumberToObject(o, "loop_iterations", (double)n->loop_iterations);
    /* lateness: steps that ran more than N ms after their schedule time */
    static const int bounds_ms[BOT_LATE_NB] = BOT_LATE_BOUNDS_MS;
    cJSON *late = cJSON_AddObjectToObject(o, "loop_late_steps");
    for (int i = 0; late && i < BOT_LATE_NB; i++) {
        char k[16];
        snprintf(k, sizeof(k), "%d", bounds_ms[i]);
        cJSON_AddNumberToObject(late, k, (double)n->late[i]);
    }
    cJSON_AddNumberToObject(o, "loop_lateness_max_ms", (double)n->late_max_us / 1000.0);
    cJSON_AddNumberToObject(o, "generated", (double)n->generated);
    cJSON_AddNumberToObject(o, "sent", (double)n->sent);
    cJSON_AddNumberToObject(o, "acked", (double)n->acked);
    cJSON_AddNumberToObject(o, "acked_seq", (double)n->acked_seq);
    cJSON_AddNumberToObject(o, "last_seq", (double)n->last_seq);
    cJSON_AddNumberToObject(o, "queued", (double)n->queued);
    cJSON_AddNumberToObject(o, "dropped", (double)n->dropped);
    cJSON_AddNumberToObject(o, "reconnects", (double)n->reconnects);
    cJSON_AddNumberToObject(o, "restored_seq", (double)n->restored_seq);
    cJSON_AddNumberToObject(o, "lost_at_source", (double)n->lost_at_source);
    cJSON_AddNumberToObject(o, "rate", n->rate);
    if (n->last_error && *n->last_error)
        cJSON_AddStringToObject(o, "last_error", n->last_error);
    else
        cJSON_AddNullToObject(o, "last_error");
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return txt;
}

char *bot_status_metrics(const bot_status_snapshot *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const struct {
        const char *name, *type, *help;
        double v;
    } m[] = {
        {"wsbridge_bot_loop_iterations_total", "counter", "Trading loop iterations.",
         (double)n->loop_iterations},
        {"wsbridge_bot_generated_total", "counter", "Messages generated (queued for sending).",
         (double)n->generated},
        {"wsbridge_bot_sent_total", "counter", "Frames written to the socket, resends included.",
         (double)n->sent},
        {"wsbridge_bot_acked_total", "counter", "Messages acknowledged by the dashboard.",
         (double)n->acked},
        {"wsbridge_bot_queued", "gauge", "Messages waiting for an ack.", (double)n->queued},
        {"wsbridge_bot_dropped_total", "counter", "Messages lost to queue overflow.",
         (double)n->dropped},
        {"wsbridge_bot_reconnects_total", "counter", "Connections established after the first.",
         (double)n->reconnects},
        {"wsbridge_bot_connected", "gauge", "1 while welcomed on a live connection.",
         (double)n->connected},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", m[i].name, m[i].help, m[i].name,
                m[i].type, m[i].name, m[i].v);
    fclose(f);
    return buf;
}

static int respond(struct lws *wsi, pss *p, int code, const char *ctype, char *body)
{
    unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *q = start,
                                      *end = hdr + sizeof(hdr) - 1;
    p->body = body;
    p->len = body ? strlen(body) : 0;
    if (lws_add_http_common_headers(wsi, (unsigned int)code, ctype, p->len, &q, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &q, end) ||
        lws_finalize_write_http_header(wsi, start, &q, end))
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    (void)len;
    pss *p = user;
    const struct lws_protocols *proto = lws_get_protocol(wsi);
    bot_status *s = proto ? proto->user : NULL;

    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        if (!s || !p)
            return lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, NULL);
        const char *uri = in ? (const char *)in : "";
        bot_status_snapshot snap;
        memset(&snap, 0, sizeof(snap));
        s->fn(s->ud, &snap);
        if (!strcmp(uri, "/health")) {
            char *b = NULL;
            if (asprintf(&b, "{\"status\":\"ok\",\"service\":\"wsb-bot\",\"connected\":%s}",
                         snap.connected ? "true" : "false") < 0)
                return 1;
            return respond(wsi, p, HTTP_STATUS_OK, "application/json", b);
        }
        if (!strcmp(uri, "/status")) {
            char *b = bot_status_json(&snap);
            return b ? respond(wsi, p, HTTP_STATUS_OK, "application/json", b) : 1;
        }
        if (!strcmp(uri, "/metrics")) {
            char *b = bot_status_metrics(&snap);
            return b ? respond(wsi, p, HTTP_STATUS_OK, "text/plain; version=0.0.4", b) : 1;
        }
        char *b = strdup("{\"error\":\"not found\"}");
        return b ? respond(wsi, p, HTTP_STATUS_NOT_FOUND, "application/json", b) : 1;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!p || !p->body)
            break;
        unsigned char *buf = malloc(LWS_PRE + p->len + 1);
        if (!buf)
            return 1;
        memcpy(buf + LWS_PRE, p->body, p->len);
        int n = lws_write(wsi, buf + LWS_PRE, p->len, LWS_WRITE_HTTP_FINAL);
        free(buf);
        free(p->body);
        p->body = NULL;
        if (n < (int)p->len)
            return 1;
        if (lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
        if (p) {
            free(p->body);
            p->body = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

struct lws_protocols bot_status_protocol(bot_status *s)
{
    struct lws_protocols p;
    memset(&p, 0, sizeof(p));
    p.name = "http";
    p.callback = callback;
    p.per_session_data_size = sizeof(pss);
    p.user = s;
    return p;
}
