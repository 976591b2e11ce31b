/* connectivity_limits: the connectivity suite's message-size check.
 *
 * The limit is learned (bridge_max_message: --max-message, else the status
 * document's limits.max_message_bytes, else 64 KiB) and judged at the
 * boundary on both endpoints: on /ws a message of exactly the limit is acked
 * and relayed unchanged, one byte more is closed with 1009 and never reaches
 * a subscriber; on /ws/stream a subscribe of exactly the limit is taken and
 * one byte more is closed with 1009. */
#include "connectivity.h"
#include "connectivity_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowcheck.h"

#define SIZE_WAIT_MS 10000 /* an ack, a relay or a close 1009 comes within this */

/* A subscribe frame for alerts padded with JSON whitespace to exactly size
 * bytes: malloc'd, or NULL. */
static char *padded_subscribe(size_t size)
{
    static const char head[] = "{\"type\":\"subscribe\",\"types\":[\"alert\"]";
    if (size < sizeof(head))
        return NULL;
    char *b = malloc(size + 1);
    if (!b)
        return NULL;
    memcpy(b, head, sizeof(head) - 1);
    memset(b + sizeof(head) - 1, ' ', size - sizeof(head));
    b[size - 1] = '}';
    b[size] = '\0';
    return b;
}

/* Sends text (one byte over the limit) on k and expects the server's close
 * 1009. PASS, or FAIL naming what came instead. */
static check_result expect_1009(wsclient *c, wsconn *k, const char *text, size_t n,
                                const char *where, size_t limit, char *msg, size_t len)
{
    char err[512];
    if (wsconn_send_text(c, k, text, n, err, sizeof(err)) < 0)
        return bridge_fail(msg, len, "sending %zu bytes on %s: %s", n, where, err);
    if (wsconn_wait_closed(c, k, SIZE_WAIT_MS, err, sizeof(err)) < 0)
        return bridge_fail(msg, len,
                           "a %zu-byte message on %s (one byte over the %zu-byte limit) was "
                           "accepted: the connection stayed open, no close 1009 (%s)",
                           n, where, limit, err);
    if (wsconn_close_code(k) != 1009)
        return bridge_fail(msg, len,
                           "a %zu-byte message on %s (one byte over the %zu-byte limit) got "
                           "close %d \"%s\", want 1009",
                           n, where, limit, wsconn_close_code(k), wsconn_close_reason(k));
    return CHECK_PASS;
}

/* /ws: exactly the limit acked and relayed unchanged; one over closed 1009
 * and never relayed. */
static check_result publisher_limit(wsclient *c, const suite_ctx *ctx, size_t limit,
                                    const char *from, char *msg, size_t len)
{
    char err[512], mysrc[64];
    connectivity_test_source(mysrc, sizeof(mysrc));
    wsconn *sub = NULL, *pub = NULL;
    int64_t last = 0;
    char *at = NULL, *over = NULL;
    check_result r = bridge_test_pair(c, ctx, "{\"type\":\"subscribe\",\"types\":[\"alert\"]}",
                                      mysrc, sizeof(mysrc), &sub, &pub, &last, OPEN_TIMEOUT_MS,
                                      msg, len);
    if (r != CHECK_PASS)
        return r;
    size_t alen = 0, olen = 0;
    int64_t seq = last + 1;
    at = bridge_envelope(8, mysrc, seq, limit, &alen); /* a valid alert, padded */
    over = bridge_envelope(8, mysrc, seq + 1, limit + 1, &olen);
    if (!at || !over || alen != limit || olen != limit + 1) {
        r = bridge_fail(msg, len, "cannot build messages of %zu and %zu bytes", limit, limit + 1);
        goto out;
    }
    int pr = bridge_publish(c, pub, at, alen, seq, SIZE_WAIT_MS, err, sizeof(err));
    if (pr != 0) {
        if (wsconn_get_state(pub) == WSCONN_CLOSED && wsconn_close_code(pub) == 1009)
            r = bridge_fail(msg, len,
                            "a message of exactly the limit (%zu bytes, from %s) was closed with "
                            "1009 on /ws: the limit is off by one",
                            alen, from);
        else
            r = bridge_fail(msg, len, "a valid message of exactly the limit (%zu bytes, from %s) "
                            "was %s on /ws: %s",
                            alen, from, pr > 0 ? "refused" : "not acked", err);
        goto out;
    }
    bridge_srcseq w = {mysrc, seq};
    const wsmsg *m = wsconn_expect(c, sub, bridge_is_srcseq, &w, SIZE_WAIT_MS, NULL, err,
                                   sizeof(err));
    if (!m) {
        r = bridge_fail(msg, len, "the %zu-byte message never reached the subscriber: %s", alen,
                        err);
        goto out;
    }
    if (flowcheck_same_envelope(at, alen, m->text, m->len, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "the %zu-byte message: %s", alen, err);
        goto out;
    }
    suite_metric("large_message_bytes", (double)alen, "bytes");
    if ((r = expect_1009(c, pub, over, olen, "/ws", limit, msg, len)) != CHECK_PASS)
        goto out;
    /* a relay of the refused message would be queued before the close: one
     * round trip on the subscriber brings it if it exists */
    wsconn_ping(c, sub, 2000, NULL, err, sizeof(err));
    wsclient_run_for(c, 200);
    for (size_t i = 0; i < wsconn_count(sub); i++) {
        bridge_srcseq o = {mysrc, seq + 1};
        if (bridge_is_srcseq(wsconn_msg(sub, i), &o)) {
            r = bridge_fail(msg, len,
                            "the %zu-byte message (one byte over the limit) was closed with 1009 "
                            "but relayed to a subscriber anyway (%s#%lld)",
                            olen, mysrc, (long long)(seq + 1));
            goto out;
        }
    }
out:
    free(at);
    free(over);
    return r;
}

/* /ws/stream: a subscribe of exactly the limit is taken (the connection
 * stays open and answers a ping); one over is closed with 1009. */
static check_result subscriber_limit(wsclient *c, const suite_ctx *ctx, size_t limit,
                                     const char *from, char *msg, size_t len)
{
    char err[512];
    wsconn_opts keep_none = {.keep_messages = -1};
    wsconn *k = bridge_subscriber(c, ctx, NULL, &keep_none, OPEN_TIMEOUT_MS, err, sizeof(err));
    if (!k)
        return bridge_fail(msg, len, "subscriber: %.400s", err);
    char *at = padded_subscribe(limit), *over = padded_subscribe(limit + 1);
    check_result r = CHECK_PASS;
    if (!at || !over) {
        r = bridge_fail(msg, len, "cannot build a %zu-byte subscribe", limit);
    } else if (wsconn_send_text(c, k, at, limit, err, sizeof(err)) < 0 ||
               wsconn_ping(c, k, SIZE_WAIT_MS, NULL, err, sizeof(err)) < 0) {
        if (wsconn_get_state(k) == WSCONN_CLOSED && wsconn_close_code(k) == 1009)
            r = bridge_fail(msg, len,
                            "a subscribe of exactly the limit (%zu bytes, from %s) was closed "
                            "with 1009 on /ws/stream: the limit is off by one",
                            limit, from);
        else
            r = bridge_fail(msg, len,
                            "a subscribe of exactly the limit (%zu bytes) on /ws/stream: %s",
                            limit, err);
    } else {
        r = expect_1009(c, k, over, limit + 1, "/ws/stream", limit, msg, len);
    }
    free(at);
    free(over);
    return r;
}

check_result connectivity_check_large_messages(const suite_ctx *ctx, char *msg, size_t len)
{
    const char *from = "";
    size_t limit = bridge_max_message(ctx, &from);
    /* the relayed copy carries what the dashboard adds (relay_us): room for it */
    check_result r = CHECK_PASS;
    wsclient *c = bridge_publishing_client_max(ctx, limit + 16384, msg, len, &r);
    if (!c)
        return r;
    suite_metric("max_message_bytes", (double)limit, "bytes");
    r = publisher_limit(c, ctx, limit, from, msg, len);
    if (r == CHECK_PASS)
        r = subscriber_limit(c, ctx, limit, from, msg, len);
    if (r == CHECK_PASS)
        snprintf(msg, len,
                 "limit %zu bytes (from %s): exactly it acked and relayed unchanged on /ws and "
                 "taken on /ws/stream; one byte over closed with 1009 on both, never relayed",
                 limit, from);
    wsclient_free(c);
    return r;
}
