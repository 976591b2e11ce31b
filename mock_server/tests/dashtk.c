/* dashtk: what the dashboard's test programs share (test_dashboard.c,
 * test_dashboard_hostile.c): starting wsb-dashboard on a free port, tokens,
 * testws connections as a role, JSON frames, acks, the welcome, the status
 * document and the subscriber sync. Every wait has a timeout. */
#include "dashtk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jwt.h"
#include "testkit.h"
#include "wclock.h"
#include "wjson.h"

char dashtk_tmpdir[128];
contract *dashtk_contract;

int dashtk_init(const char *stem)
{
    char err[256];
    dashtk_contract = contract_load(NULL, err, sizeof err);
    if (!dashtk_contract) {
        fprintf(stderr, "schemas: %s\n", err);
        return -1;
    }
    return testkit_mkdtemp(dashtk_tmpdir, sizeof dashtk_tmpdir, stem) ? 0 : -1;
}

void dashtk_done(void)
{
    contract_free(dashtk_contract);
    dashtk_contract = NULL;
}

char dashtk_server_log[300];

int dashtk_server_start(server *s, const char *journal, ...)
{
    char prog[256];
    testkit_bin_path("wsb-dashboard", prog, sizeof prog);
    const char *argv[40];
    int n = 0;
    argv[n++] = prog;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--host";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--jwt-secret";
    argv[n++] = DASHTK_SECRET;
    if (journal) {
        argv[n++] = "--journal";
        argv[n++] = journal;
    }
    va_list ap;
    va_start(ap, journal);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 38)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;

    static int seq;
    char *log = dashtk_server_log, err[600];
    snprintf(log, sizeof dashtk_server_log, "%s/dashboard-%d.log", dashtk_tmpdir, ++seq);
    if (testkit_start_server(s, (char *const *)argv, log, "listening on port ", 10000, err,
                             sizeof err) < 0) {
        fprintf(stderr, "server did not start: %s\n", err);
        return -1;
    }
    return 0;
}

/* ---- contract checks of what the server sends ---- */

/* 1 when frame j passes the schema (name as for contract_check; "stream"
 * for envelopes); prints why not. */
int dashtk_conforms(const char *name, const cJSON *j)
{
    char err[256];
    if (!j)
        return 0;
    int rc = !strcmp(name, "stream") ? contract_check_stream(dashtk_contract, j, err, sizeof err)
                                     : contract_check(dashtk_contract, name, j, err, sizeof err);
    if (rc != 0) {
        char *t = cJSON_PrintUnformatted(j);
        fprintf(stderr, "%s does not conform: %s: %s\n", name, err, t ? t : "");
        free(t);
    }
    return rc == 0;
}

/* ---- helpers ---- */

char *dashtk_token(const char *role, const char *sub)
{
    return jwt_sign(DASHTK_SECRET, sub, role, 600);
}

testws *dashtk_connect_as(server *s, const char *role, const char *sub)
{
    char *t = dashtk_token(role, sub);
    int st;
    char err[256];
    testws *c = testws_connect(s->port, !strcmp(role, "publisher") ? "/ws" : "/ws/stream", t,
                               DASHTK_WAIT_MS, &st, err, sizeof err);
    if (!c)
        fprintf(stderr, "connect %s %s: %d %s\n", role, sub, st, err);
    free(t);
    return c;
}

/* Status code of a handshake (101 when upgraded). */
int dashtk_handshake_status(server *s, const char *path, const char *tok)
{
    int st;
    char err[256];
    testws *c = testws_connect(s->port, path, tok, DASHTK_WAIT_MS, &st, err, sizeof err);
    testws_close(c);
    return st;
}

/* Next text frame parsed as JSON (caller deletes), NULL on timeout/close. */
cJSON *dashtk_recv_json(testws *c, int timeout_ms)
{
    char *p;
    size_t n;
    if (testws_recv_text(c, timeout_ms, &p, &n) != 1)
        return NULL;
    return cJSON_ParseWithLength(p, n);
}

void dashtk_envelope_text(char *buf, size_t cap, const char *src, long long seq, const char *symbol)
{
    snprintf(buf, cap,
             "{\"v\":1,\"type\":\"market_data\",\"source\":\"%s\",\"seq\":%lld,\"ts_us\":%lld,"
             "\"data\":{\"symbol\":\"%s\",\"price\":101.5,\"bid\":101,\"ask\":102,\"volume\":3}}",
             src, seq, (long long)time(NULL) * 1000000, symbol);
}

int dashtk_publish(testws *p, const char *src, long long seq, const char *symbol)
{
    char buf[512];
    dashtk_envelope_text(buf, sizeof buf, src, seq, symbol);
    return testws_send_text(p, buf);
}

/* Reads frames until an ack with seq >= want (1) or an error/timeout (0). */
int dashtk_wait_ack_ms(testws *p, long long want, int timeout_ms)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    while (wclock_mono_ms() < deadline) {
        cJSON *j = dashtk_recv_json(p, (int)(deadline - wclock_mono_ms()));
        if (!j)
            return 0;
        int ok = !strcmp(wjson_str(j, "type", ""), "ack") && wjson_int(j, "seq", -1) >= want &&
                 dashtk_conforms("control/ack", j);
        cJSON_Delete(j);
        if (ok)
            return 1;
    }
    return 0;
}

int dashtk_wait_ack(testws *p, long long want)
{
    return dashtk_wait_ack_ms(p, want, DASHTK_WAIT_MS);
}

/* The welcome: returns last_seq, -1 when the first frame is not a welcome. */
long long dashtk_read_welcome(testws *p)
{
    cJSON *j = dashtk_recv_json(p, DASHTK_WAIT_MS);
    long long v =
        j && !strcmp(wjson_str(j, "type", ""), "welcome") && dashtk_conforms("control/welcome", j)
            ? wjson_int(j, "last_seq", -1)
            : -1;
    cJSON_Delete(j);
    return v;
}

cJSON *dashtk_get_status(server *s)
{
    char *body;
    int st = testws_http_get(s->port, "/api/websocket/status", &body, DASHTK_WAIT_MS);
    cJSON *j = st == 200 ? cJSON_Parse(body) : NULL;
    free(body);
    return j;
}

/* A number at a path like "refused.auth" or "sources.bot-1.last_seq". */
long long dashtk_status_num(server *s, const char *a, const char *b, const char *c)
{
    cJSON *j = dashtk_get_status(s);
    int64_t r = -1;
    wjson_get_int64(wjson_getv(j, a, b, c, NULL), &r); /* b and c may be NULL: a shorter path */
    cJSON_Delete(j);
    return r;
}

/* Polls the status until the value equals want (timeout DASHTK_WAIT_MS). */
int dashtk_status_wait(server *s, const char *a, const char *b, const char *c, long long want)
{
    int64_t deadline = wclock_mono_ms() + DASHTK_WAIT_MS;
    while (wclock_mono_ms() < deadline) {
        if (dashtk_status_num(s, a, b, c) == want)
            return 1;
        wclock_sleep_ms(20);
    }
    return 0;
}

testws *dashtk_subscribe(server *s, const char *name, const char *frame)
{
    testws *c = dashtk_connect_as(s, "subscriber", name);
    if (c && testws_send_text(c, frame)) {
        testws_close(c);
        return NULL;
    }
    return c;
}

/* Returns once the dashboard has applied every frame sub sent before (1), or
 * 0 on timeout or when any other frame comes first. One connection's frames
 * are handled in order, so the answer to a command for a target nobody
 * publishes as proves the subscribe before it took effect: a publish after
 * this cannot overtake it (no sleep-and-hope). */
int dashtk_sub_sync(testws *sub)
{
    if (!sub || testws_send_text(sub, "{\"type\":\"command\",\"target\":\"nobody-sync\","
                                      "\"command_id\":\"sync\",\"name\":\"sync\"}"))
        return 0;
    cJSON *j = dashtk_recv_json(sub, DASHTK_WAIT_MS);
    int ok = j && !strcmp(wjson_str(j, "type", ""), "error") &&
             !strcmp(wjson_str(j, "code", ""), "no_target");
    if (j && !ok) {
        char *t = cJSON_PrintUnformatted(j);
        fprintf(stderr, "sub_sync: unexpected frame before the sync answer: %s\n", t ? t : "");
        free(t);
    }
    cJSON_Delete(j);
    return ok;
}
