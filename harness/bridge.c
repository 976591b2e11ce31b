/* bridge: endpoints, tokens, publisher/subscriber set-up and status reads
 * for the suites (see bridge.h). */
#include "bridge.h"
#include "wlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "httpc.h"
#include "jwt.h"
#include "wclock.h"
#include "wjson.h"

check_result bridge_fail(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return CHECK_FAIL;
}

check_result bridge_skip(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return CHECK_SKIP;
}

check_result bridge_breach(char *msg, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
    return CHECK_BREACH;
}

const char *bridge_result_name(check_result r)
{
    switch (r) {
    case CHECK_PASS:
        return "PASS";
    case CHECK_FAIL:
        return "FAIL";
    case CHECK_SKIP:
        return "SKIP";
    case CHECK_BREACH:
        return "BREACH";
    }
    return "?";
}

void bridge_run_check(bridge_check_fn fn, const char *name, const char *file, int line)
{
    char msg[4096] = "";
    check_result r = fn(suite_get(), msg, sizeof(msg));
    if (r == CHECK_SKIP) {
        suite_skip("%s", msg);
        return;
    }
    suite_log("%s %s: %s", bridge_result_name(r), name, msg);
    if (r == CHECK_FAIL)
        CU_assertImplementation(CU_FALSE, (unsigned)line, msg, file, name, CU_FALSE);
}

void bridge_url(const suite_ctx *ctx, const char *path, char *buf, size_t len)
{
    const char *b = ctx->env ? envdriver_dashboard_url(ctx->env) : "ws://127.0.0.1:8000";
    size_t bl = strlen(b);
    while (bl && b[bl - 1] == '/')
        bl--;
    snprintf(buf, len, "%.*s%s", (int)bl, b, path);
}

char *bridge_token(const suite_ctx *ctx, const char *role, const char *sub, long ttl_s)
{
    if (ctx->jwt_secret && ctx->jwt_secret[0])
        return jwt_sign(ctx->jwt_secret, sub ? sub : "wsb-harness", role, ttl_s);
    const char *t = !strcmp(role, "publisher") ? ctx->publisher_token : ctx->subscriber_token;
    return t ? strdup(t) : NULL;
}

wsclient *bridge_client(const suite_ctx *ctx, char *err, size_t errlen)
{
    return bridge_client_max(ctx, 0, err, errlen);
}

wsclient *bridge_client_max(const suite_ctx *ctx, size_t max_message, char *err, size_t errlen)
{
    wsclient_opts o;
    memset(&o, 0, sizeof(o));
    o.max_message = max_message;
    o.ca_file = ctx->ca_file;
    o.tls = ctx->env && !strncmp(envdriver_dashboard_url(ctx->env), "wss://", 6);
    return wsclient_new(&o, err, errlen);
}

wsclient *bridge_publishing_client(const suite_ctx *ctx, char *msg, size_t len, check_result *r)
{
    return bridge_publishing_client_max(ctx, 0, msg, len, r);
}

wsclient *bridge_publishing_client_max(const suite_ctx *ctx, size_t max_message, char *msg,
                                       size_t len, check_result *r)
{
    if ((!ctx->jwt_secret || !ctx->jwt_secret[0]) && !ctx->publisher_token) {
        *r = bridge_skip(msg, len,
                          "needs --jwt-secret or --publisher-token (a test source distinct "
                          "from the bot) to publish");
        return NULL;
    }
    char err[512];
    wsclient *c = bridge_client_max(ctx, max_message, err, sizeof(err));
    if (!c)
        *r = bridge_fail(msg, len, "client: %s", err);
    return c;
}

check_result bridge_test_source(const suite_ctx *ctx, const char *welcome_source, char *mysrc,
                                size_t srclen, char *msg, size_t len)
{
    if (ctx->jwt_secret && ctx->jwt_secret[0]) {
        if (strcmp(welcome_source, mysrc))
            return bridge_fail(msg, len, "welcome names source \"%s\", the token's sub is \"%s\"",
                               welcome_source, mysrc);
        return CHECK_PASS;
    }
    const char *bot = ctx->bot_source && ctx->bot_source[0] ? ctx->bot_source : "bot-1";
    if (!strcmp(welcome_source, bot))
        return bridge_skip(msg, len,
                           "the ready publisher token publishes as the bot's own source \"%s\": "
                           "publishing as it would collide with the bot's sequence (give a "
                           "publisher token for a test source)",
                           bot);
    snprintf(mysrc, srclen, "%s", welcome_source);
    return CHECK_PASS;
}

check_result bridge_test_pair(wsclient *c, const suite_ctx *ctx, const char *subscribe_json,
                              char *mysrc, size_t srclen, wsconn **sub, wsconn **pub,
                              int64_t *last_seq, int timeout_ms, char *msg, size_t len)
{
    char err[512], source[128];
    *pub = NULL;
    *last_seq = 0;
    *sub = bridge_subscriber(c, ctx, subscribe_json, NULL, timeout_ms, err, sizeof(err));
    if (!*sub)
        return bridge_fail(msg, len, "subscriber: %.400s", err);
    *pub = bridge_publisher(c, ctx, mysrc, source, sizeof(source), last_seq, timeout_ms, err,
                            sizeof(err));
    if (!*pub)
        return bridge_fail(msg, len, "publisher: %.400s", err);
    return bridge_test_source(ctx, source, mysrc, srclen, msg, len);
}

int bridge_is_type(const wsmsg *m, void *type_name)
{
    cJSON *r = cJSON_ParseWithLength(m->text, m->len);
    const cJSON *t = r ? cJSON_GetObjectItemCaseSensitive(r, "type") : NULL;
    int ok = cJSON_IsString(t) && !strcmp(t->valuestring, (const char *)type_name);
    cJSON_Delete(r);
    return ok;
}

int bridge_is_srcseq(const wsmsg *m, void *arg)
{
    const bridge_srcseq *w = arg;
    cJSON *r = cJSON_ParseWithLength(m->text, m->len);
    const cJSON *s = r ? cJSON_GetObjectItemCaseSensitive(r, "source") : NULL;
    int64_t seq = 0;
    int ok = cJSON_IsString(s) && !strcmp(s->valuestring, w->source) &&
             wjson_get_int64(cJSON_GetObjectItemCaseSensitive(r, "seq"), &seq) && seq == w->seq;
    cJSON_Delete(r);
    return ok;
}

/* A control frame judged against its schema (control/<type>) as it is seen:
 * 0 when valid (or no contract is loaded), else -1 with err naming the
 * schema, what is wrong and the frame. */
static int control_valid(const contract *ct, const char *type, const cJSON *frame,
                         const char *text, char *err, size_t errlen)
{
    char name[64], why[256];
    snprintf(name, sizeof(name), "control/%s", type);
    if (!ct || !frame || contract_check(ct, name, frame, why, sizeof(why)) == 0)
        return 0;
    wlog_seterr(err, errlen, "the %s frame violates %s: %s (%.160s)", type, name, why, text);
    return -1;
}

wsconn *bridge_publisher(wsclient *c, const suite_ctx *ctx, const char *sub, char *source,
                          size_t srclen, int64_t *last_seq, int timeout_ms, char *err,
                          size_t errlen)
{
    char url[300];
    bridge_url(ctx, BRIDGE_PUBLISHER_PATH, url, sizeof(url));
    char *tok = bridge_token(ctx, "publisher", sub, 600);
    if (!tok) {
        wlog_seterr(err, errlen, "no publisher token (give --jwt-secret or --publisher-token)");
        return NULL;
    }
    wsconn_opts o;
    memset(&o, 0, sizeof(o));
    o.url = url;
    o.token = tok;
    o.name = "test publisher";
    wsconn *k = wsclient_open(c, &o, timeout_ms, err, errlen);
    free(tok);
    if (!k)
        return NULL;
    char e2[256];
    const wsmsg *w = wsconn_expect(c, k, bridge_is_type, "welcome", timeout_ms, NULL, e2,
                                   sizeof(e2));
    if (!w) {
        wlog_seterr(err, errlen, "no welcome frame: %s", e2);
        wsconn_free(c, k);
        return NULL;
    }
    cJSON *r = cJSON_ParseWithLength(w->text, w->len);
    const cJSON *s = r ? cJSON_GetObjectItemCaseSensitive(r, "source") : NULL;
    int64_t ls = -1;
    if (control_valid(ctx->contract, "welcome", r, w->text, err, errlen) < 0) {
        cJSON_Delete(r);
        wsconn_free(c, k);
        return NULL;
    }
    if (!cJSON_IsString(s) ||
        !wjson_get_int64(cJSON_GetObjectItemCaseSensitive(r, "last_seq"), &ls)) {
        wlog_seterr(err, errlen, "malformed welcome frame: %.200s", w->text);
        cJSON_Delete(r);
        wsconn_free(c, k);
        return NULL;
    }
    if (source)
        snprintf(source, srclen, "%s", s->valuestring);
    if (last_seq)
        *last_seq = ls;
    cJSON_Delete(r);
    return k;
}

wsconn *bridge_subscriber(wsclient *c, const suite_ctx *ctx, const char *subscribe_json,
                           const wsconn_opts *extra, int timeout_ms, char *err, size_t errlen)
{
    char url[300];
    bridge_url(ctx, BRIDGE_SUBSCRIBER_PATH, url, sizeof(url));
    char *tok = bridge_token(ctx, "subscriber", "wsb-harness", 600);
    if (!tok) {
        wlog_seterr(err, errlen, "no subscriber token (give --jwt-secret or --subscriber-token)");
        return NULL;
    }
    wsconn_opts o;
    if (extra)
        o = *extra;
    else
        memset(&o, 0, sizeof(o));
    o.url = url;
    o.token = tok;
    if (!o.name)
        o.name = "test subscriber";
    wsconn *k = wsclient_open(c, &o, timeout_ms, err, errlen);
    free(tok);
    if (!k)
        return NULL;
    const char *sj = subscribe_json ? subscribe_json : "{\"type\":\"subscribe\"}";
    if (wsconn_send_text(c, k, sj, strlen(sj), err, errlen) < 0 ||
        wsconn_ping(c, k, timeout_ms, NULL, err, errlen) < 0) {
        wsconn_free(c, k);
        return NULL;
    }
    return k;
}

typedef struct ack_arg {
    int64_t seq;
} ack_arg;

/* An ack with seq >= the wanted one, or an error frame about it (or unreadable). */
static int ack_or_error(const wsmsg *m, void *arg)
{
    const ack_arg *a = arg;
    cJSON *r = cJSON_ParseWithLength(m->text, m->len);
    const cJSON *t = r ? cJSON_GetObjectItemCaseSensitive(r, "type") : NULL;
    int64_t seq = 0;
    int ok = 0;
    if (cJSON_IsString(t) && !strcmp(t->valuestring, "ack"))
        ok = wjson_get_int64(cJSON_GetObjectItemCaseSensitive(r, "seq"), &seq) && seq >= a->seq;
    else if (cJSON_IsString(t) && !strcmp(t->valuestring, "error")) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "seq");
        ok = cJSON_IsNull(s) || (wjson_get_int64(s, &seq) && seq == a->seq);
    }
    cJSON_Delete(r);
    return ok;
}

int bridge_publish(wsclient *c, wsconn *pub, const char *text, size_t len, int64_t seq,
                    int timeout_ms, char *err, size_t errlen)
{
    if (wsconn_send_text(c, pub, text, len, err, errlen) < 0)
        return -1;
    ack_arg a = {seq};
    char e2[512];
    const wsmsg *m = wsconn_expect(c, pub, ack_or_error, &a, timeout_ms, NULL, e2, sizeof(e2));
    if (!m) {
        wlog_seterr(err, errlen, "neither ack nor error for seq %lld: %s", (long long)seq, e2);
        return -1;
    }
    int is_error = strstr(m->text, "\"error\"") != NULL;
    const suite_ctx *sc = suite_get();
    cJSON *fr = cJSON_ParseWithLength(m->text, m->len);
    int bad = control_valid(sc ? sc->contract : NULL, is_error ? "error" : "ack", fr, m->text,
                            err, errlen);
    cJSON_Delete(fr);
    if (bad < 0)
        return -1;
    if (is_error) {
        wlog_seterr(err, errlen, "%.400s", m->text);
        return 1;
    }
    return 0;
}

static cJSON *get_status(const suite_ctx *ctx, const char *base, const char *path,
                         const char *schema, int *absent, char *err, size_t errlen)
{
    *absent = 0;
    if (!base || !base[0]) {
        *absent = 1;
        wlog_seterr(err, errlen, "no URL for %s", path);
        return NULL;
    }
    char url[400];
    snprintf(url, sizeof(url), "%s%s", base, path);
    httpc_response r;
    memset(&r, 0, sizeof(r));
    if (httpc_get(url, 5000, &r, err, errlen) < 0)
        return NULL; /* configured but silent: the service is down or hung, not absent */
    if (r.status == 404 || r.status == 405 || r.status == 501) {
        *absent = 1;
        wlog_seterr(err, errlen, "%s answered HTTP %ld", url, r.status);
        httpc_response_free(&r);
        return NULL;
    }
    if (r.status != 200) {
        wlog_seterr(err, errlen, "%s answered HTTP %ld", url, r.status);
        httpc_response_free(&r);
        return NULL;
    }
    char e2[256];
    cJSON *j = wjson_parse(r.body, r.len, WJSON_DEFAULT_MAX_DEPTH, e2, sizeof(e2));
    if (!j)
        wlog_seterr(err, errlen, "%s: not JSON: %s", url, e2);
    httpc_response_free(&r);
    /* every status document is judged against its schema as it is read */
    if (j && ctx->contract && contract_check(ctx->contract, schema, j, e2, sizeof(e2)) != 0) {
        wlog_seterr(err, errlen, "%s: the status document violates %s: %s", url, schema, e2);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

cJSON *bridge_dashboard_status(const suite_ctx *ctx, int *absent, char *err, size_t errlen)
{
    return get_status(ctx, ctx->env ? envdriver_dashboard_http(ctx->env) : NULL,
                      "/api/websocket/status", "status/dashboard", absent, err, errlen);
}

cJSON *bridge_bot_status(const suite_ctx *ctx, int *absent, char *err, size_t errlen)
{
    return get_status(ctx, ctx->env ? envdriver_bot_status_url(ctx->env) : NULL, "/status",
                      "status/bot", absent, err, errlen);
}

size_t bridge_max_message(const suite_ctx *ctx, const char **from)
{
    if (ctx->max_message) {
        *from = "--max-message";
        return ctx->max_message;
    }
    int absent = 0;
    char err[256];
    cJSON *st = bridge_dashboard_status(ctx, &absent, err, sizeof(err));
    const cJSON *lim = st ? cJSON_GetObjectItemCaseSensitive(st, "limits") : NULL;
    const cJSON *mm = lim ? cJSON_GetObjectItemCaseSensitive(lim, "max_message_bytes") : NULL;
    size_t n = CONTRACT_MAX_MESSAGE_BYTES;
    *from = "the contract's default";
    if (cJSON_IsNumber(mm) && mm->valuedouble >= 1 && mm->valuedouble <= (double)(1 << 30)) {
        n = (size_t)mm->valuedouble;
        *from = "the status document";
    }
    cJSON_Delete(st);
    return n;
}

char *bridge_envelope(int ti, const char *source, int64_t seq, size_t pad_to, size_t *len)
{
    if (ti < 0 || ti >= CONTRACT_NUM_TYPES)
        return NULL;
    char head[1400];
    int n = snprintf(head, sizeof(head),
                     "{\"v\":1,\"type\":\"%s\",\"source\":\"%s\",\"seq\":%lld,\"ts_us\":%lld,"
                     "\"data\":%s",
                     contract_types[ti], source, (long long)seq,
                     (long long)wclock_real_us(), contract_sample_data(ti));
    if (n < 0 || (size_t)n >= sizeof(head))
        return NULL;
    size_t total = (size_t)n + 1;
    if (pad_to > total)
        total = pad_to;
    char *b = malloc(total + 1);
    if (!b)
        return NULL;
    memcpy(b, head, (size_t)n);
    memset(b + n, ' ', total - (size_t)n - 1); /* JSON whitespace before the last brace */
    b[total - 1] = '}';
    b[total] = '\0';
    if (len)
        *len = total;
    return b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bridge_percentile(double *v, size_t n, double pct)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    double rank = pct / 100.0 * (double)(n - 1);
    size_t lo = (size_t)rank;
    if (lo + 1 >= n)
        return v[n - 1];
    double frac = rank - (double)lo;
    return v[lo] + (v[lo + 1] - v[lo]) * frac;
}
