/* security_attack: one catalogue case against one endpoint (security.h).
 *
 * Opens the case's connections with rawws, runs its steps on each (the
 * upgrade with the case's token and headers, frames built as told, raw
 * bytes, pauses), optionally lets the caller probe while they are held, then
 * judges what the server did against the expected outcome within the case's
 * bound. The verdict's message says what happened instead ("still open after
 * 3000 ms: the frame was accepted (want close 1002)"). */
#include "security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rawws.h"
#include "wclock.h"
#include "wjson.h"

#define CONNECT_MS 3000
#define POLL_EVERY 64 /* repeated sends: read what arrived every so many */

typedef struct sec_conn {
    rawws *r;
    int status;        /* the upgrade's HTTP status, 0 none (yet) */
    char line[160];    /* its status line */
    int send_failed;
    int64_t seq;       /* next seq (welcome's last_seq + 1) on /ws */
} sec_conn;

static const char *endpoint_path(int endpoint)
{
    return endpoint == 1 ? BRIDGE_PUBLISHER_PATH : endpoint == 2 ? BRIDGE_SUBSCRIBER_PATH : "";
}

/* Reads the welcome on a fresh publisher connection: the next seq. */
static int64_t read_welcome(rawws *r, int timeout_ms)
{
    int op = 0;
    char *p = NULL;
    size_t n = 0;
    if (rawws_read(r, timeout_ms, &op, &p, &n) != RAWWS_FRAME || op != RAWWS_OP_TEXT)
        return 1;
    cJSON *j = cJSON_ParseWithLength(p, n);
    int64_t last = 0;
    if (j && !strcmp(wjson_str(j, "type", ""), "welcome"))
        last = wjson_int(j, "last_seq", 0);
    cJSON_Delete(j);
    return last + 1;
}

static int do_upgrade(const suite_ctx *ctx, const sec_case *c, sec_conn *k, sec_vars *v,
                      int endpoint, char *msg, size_t len, check_result *r)
{
    int none = 0, skip = 0;
    char err[300] = "";
    char *tok = security_token(ctx, c, v, &none, &skip, err, sizeof err);
    if (!tok && !none) {
        *r = skip ? bridge_skip(msg, len, "%s", err) : bridge_fail(msg, len, "token: %s", err);
        return -1;
    }
    size_t plen = strlen(v->path) + (tok ? strlen(tok) : 0) + 16;
    char *path = malloc(plen);
    size_t hcap = 64;
    for (int i = 0; i < c->nheaders; i++)
        hcap += strlen(c->headers[i]) + 2;
    char *extra = malloc(hcap);
    size_t qcap = plen + hcap + 1024 + (tok ? strlen(tok) : 0);
    char *req = malloc(qcap);
    int rc = -1;
    if (!path || !extra || !req) {
        *r = bridge_fail(msg, len, "out of memory");
        goto out;
    }
    if (c->token_in_query && tok)
        snprintf(path, plen, "%s?token=%s", v->path, tok);
    else
        snprintf(path, plen, "%s", v->path);
    extra[0] = '\0';
    for (int i = 0; i < c->nheaders; i++) {
        strcat(extra, c->headers[i]);
        strcat(extra, "\r\n");
    }
    size_t n = rawws_request(k->r, req, qcap, path, c->token_in_query ? NULL : tok, extra, c->omit);
    if (!n || rawws_send(k->r, req, n) < 0) {
        k->send_failed = 1;
        rc = 0;
        goto out;
    }
    k->status = rawws_read_status(k->r, c->within_ms, k->line, sizeof k->line);
    if (k->status == 101 && endpoint == 1)
        v->seq = k->seq = read_welcome(k->r, c->within_ms);
    rc = 0;
out:
    free(tok);
    free(path);
    free(extra);
    free(req);
    return rc;
}

static int do_send(const sec_step *st, sec_conn *k, const sec_vars *v, char *msg, size_t len,
                   check_result *r)
{
    size_t n = 0;
    char err[300] = "";
    uint8_t *p = security_payload(st->payload, v, &n, err, sizeof err);
    if (!p) {
        *r = bridge_fail(msg, len, "payload: %s", err);
        return -1;
    }
    uint8_t *wire = p;
    size_t wlen = n;
    if (st->kind == SEC_STEP_FRAME) {
        rawws_frame f = {.fin = st->fin, .rsv = st->rsv, .opcode = st->opcode,
                         .masked = st->masked, .len_override = st->len_override,
                         .declared_len = st->declared_len, .payload = p, .len = n};
        wlen = n + 14;
        wire = malloc(wlen);
        if (!wire || !(wlen = rawws_encode(&f, wire, wlen))) {
            free(p);
            free(wire);
            *r = bridge_fail(msg, len, "cannot encode a frame");
            return -1;
        }
    }
    for (int i = 0; i < st->repeat && !k->send_failed; i++) {
        if (rawws_send(k->r, wire, wlen) < 0)
            k->send_failed = 1;
        else if (i % POLL_EVERY == POLL_EVERY - 1 && rawws_poll(k->r) == RAWWS_EOF)
            k->send_failed = 1;
    }
    if (wire != p)
        free(wire);
    free(p);
    return 0;
}

/* Waits for an error frame with code want: 1 seen, else what was seen in why. */
static int wait_error(rawws *r, const char *want, int64_t deadline, char *why, size_t wlen)
{
    for (;;) {
        int64_t left = deadline - wclock_mono_ms();
        int op = 0;
        char *p = NULL;
        size_t n = 0;
        int rc = rawws_read(r, left > 0 ? (int)left : 0, &op, &p, &n);
        if (rc == RAWWS_TIMEOUT) {
            snprintf(why, wlen, "no error frame within the bound: the input was accepted");
            return 0;
        }
        if (rc == RAWWS_EOF) {
            snprintf(why, wlen, "the connection ended without a close frame");
            return 0;
        }
        if (op == RAWWS_OP_CLOSE) {
            snprintf(why, wlen, "closed with %d",
                     n >= 2 ? ((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 1005);
            return 0;
        }
        if (op != RAWWS_OP_TEXT)
            continue;
        cJSON *j = cJSON_ParseWithLength(p, n);
        int is_err = j && !strcmp(wjson_str(j, "type", ""), "error");
        char code[40];
        snprintf(code, sizeof code, "%s", j ? wjson_str(j, "code", "") : "");
        cJSON_Delete(j);
        if (is_err && !strcmp(code, want))
            return 1;
        if (is_err) {
            snprintf(why, wlen, "error %s", code);
            return 0;
        }
    }
}

/* The verdict on one connection after the steps. 1 as expected, else 0 with why. */
static int judge(const sec_case *c, sec_conn *k, int upgraded, int64_t deadline, char *why,
                 size_t wlen)
{
    int code = 0;
    if (c->expect == SEC_EXPECT_HTTP || c->expect == SEC_EXPECT_REFUSED) {
        if (!upgraded) {
            int64_t left = deadline - wclock_mono_ms();
            k->status = rawws_read_status(k->r, left > 0 ? (int)left : 0, k->line, sizeof k->line);
        }
        if (c->expect == SEC_EXPECT_HTTP ? k->status == c->codes[0]
                                         : k->status == 0 || k->status >= 400) {
            if (k->status > 0)
                snprintf(why, wlen, "HTTP %d", k->status);
            else
                snprintf(why, wlen, "the connection ended without an answer");
            return 1;
        }
        if (k->status < 0)
            snprintf(why, wlen, "no HTTP answer within the bound");
        else if (k->status == 0)
            snprintf(why, wlen, "the connection ended without an HTTP answer");
        else if (k->status == 101)
            snprintf(why, wlen, "upgraded (HTTP 101): accepted");
        else
            snprintf(why, wlen, "HTTP %d (%s)", k->status, k->line);
        return 0;
    }
    if (upgraded && k->status != 101) {
        snprintf(why, wlen, "the upgrade was refused: %s",
                 k->status > 0 ? k->line : k->status < 0 ? "no answer" : "connection ended");
        return 0;
    }
    int64_t left = deadline - wclock_mono_ms();
    int ms = left > 0 ? (int)left : 0;
    switch (c->expect) {
    case SEC_EXPECT_CLOSE:
    case SEC_EXPECT_CLOSED: {
        int rc = rawws_wait_close(k->r, ms, &code, NULL);
        if (rc == RAWWS_TIMEOUT) {
            snprintf(why, wlen, "still open after %d ms: accepted", c->within_ms);
            return 0;
        }
        if (rc == RAWWS_EOF)
            snprintf(why, wlen, "the connection ended without a close frame");
        else
            snprintf(why, wlen, "close %d", code);
        if (c->expect == SEC_EXPECT_CLOSED)
            return 1;
        for (int i = 0; i < c->ncodes; i++)
            if (code == c->codes[i])
                return 1;
        if (rc == RAWWS_EOF)
            snprintf(why, wlen, "the connection ended without a close frame");
        else
            snprintf(why, wlen, "closed with %d", code);
        return 0;
    }
    case SEC_EXPECT_ERROR:
        if (!wait_error(k->r, c->error, deadline, why, wlen))
            return 0;
        /* after the error the connection must still serve */
        __attribute__((fallthrough));
    case SEC_EXPECT_OPEN: {
        /* two round trips: a close the server decided on is written after
         * the first pong at the latest (lws sends a pending pong first) */
        int p = 0;
        for (int i = 0; i < 2; i++) {
            left = deadline - wclock_mono_ms();
            p = rawws_ping(k->r, i ? "sec-probe-2" : "sec-probe", left > 1000 ? (int)left : 1000,
                           &code);
            if (p != 1)
                break;
        }
        if (p == 1)
            return 1;
        if (p == 0)
            snprintf(why, wlen, "%sno pong within the bound",
                     c->expect == SEC_EXPECT_ERROR ? "after the error, " : "");
        else
            snprintf(why, wlen, "%sclosed with %d",
                     c->expect == SEC_EXPECT_ERROR ? "after the error, " : "", code);
        return 0;
    }
    default:
        return 0;
    }
}

check_result security_attack(const suite_ctx *ctx, const sec_case *c, int endpoint, int run_index,
                             sec_hold_fn hold_fn, void *hold_arg, char *msg, size_t len)
{
    char url[300], want[64];
    bridge_url(ctx, endpoint == 4 ? "/" : endpoint_path(endpoint), url, sizeof url);
    security_expect_text(c, want, sizeof want);
    char sub[64];
    snprintf(sub, sizeof sub, "sec-%d-%d", (int)getpid(), run_index);
    sec_vars v = {.sub = sub,
                  .role = endpoint == 1 ? "publisher" : "subscriber",
                  .other_role = endpoint == 1 ? "subscriber" : "publisher",
                  .path = endpoint_path(endpoint),
                  .bot = ctx->bot_source && ctx->bot_source[0] ? ctx->bot_source : "bot-1",
                  .seq = 1,
                  .now = (int64_t)time(NULL)};
    int upgraded = c->nsteps && c->steps[0].kind == SEC_STEP_UPGRADE;
    check_result r = CHECK_PASS;
    char seen[320] = ""; /* what the first connection got, when it passed */
    sec_conn *k = calloc((size_t)c->conns, sizeof *k);
    if (!k)
        return bridge_fail(msg, len, "out of memory");
    msg[0] = '\0';
    for (int t = 0; t < c->times && r == CHECK_PASS; t++) {
        char err[300];
        int opened = 0;
        for (int i = 0; i < c->conns; i++) {
            memset(&k[i], 0, sizeof k[i]);
            if (!(k[i].r = rawws_connect(url, CONNECT_MS, err, sizeof err))) {
                r = bridge_fail(msg, len, "connection %d of %d (run %d): %s", i + 1, c->conns,
                                t + 1, err);
                break;
            }
            opened++;
        }
        for (int i = 0; i < opened && r == CHECK_PASS; i++) {
            for (int s = 0; s < c->nsteps && r == CHECK_PASS && !k[i].send_failed; s++) {
                const sec_step *st = &c->steps[s];
                if (st->kind == SEC_STEP_UPGRADE) {
                    if (do_upgrade(ctx, c, &k[i], &v, endpoint, msg, len, &r) < 0)
                        break;
                    if (k[i].status != 101)
                        break; /* refused: judged below */
                } else if (st->kind == SEC_STEP_PAUSE) {
                    for (int p = 0; p < st->repeat; p++)
                        usleep((useconds_t)st->pause_ms * 1000);
                } else if (do_send(st, &k[i], &v, msg, len, &r) < 0) {
                    break;
                }
            }
        }
        if (r == CHECK_PASS && c->hold && hold_fn) {
            char hm[1024];
            if (hold_fn(hold_arg, hm, sizeof hm) != CHECK_PASS)
                r = bridge_fail(msg, len, "while %d connections were held: %s", c->conns, hm);
        }
        int64_t deadline = wclock_mono_ms() + c->within_ms;
        int bad = 0;
        char first[300] = "";
        for (int i = 0; i < opened && r == CHECK_PASS; i++) {
            char why[300] = "";
            if (!judge(c, &k[i], upgraded, deadline, why, sizeof why)) {
                if (!bad++)
                    snprintf(first, sizeof first, "%s", why);
            } else if (i == 0 && why[0]) {
                snprintf(seen, sizeof seen, " (%s)", why);
            }
        }
        if (bad && r == CHECK_PASS) {
            if (c->conns > 1 || c->times > 1)
                r = bridge_fail(msg, len, "%s: %d of %d connections (run %d of %d): %s (want %s)",
                                c->name, bad, opened, t + 1, c->times, first, want);
            else
                r = bridge_fail(msg, len, "%s: %s (want %s)", c->name, first, want);
        }
        for (int i = 0; i < opened; i++)
            rawws_close(k[i].r);
    }
    free(k);
    if (r == CHECK_PASS)
        snprintf(msg, len, "%s: %s as expected%s", c->name, want, seen);
    return r;
}
