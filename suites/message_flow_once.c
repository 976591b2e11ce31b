/* message_flow_once: the message-flow suite's exactly-once check, apart from
 * message_flow.c by job (that file holds the checks of the bot's stream).
 *
 * A bot that reconnects resends what it has no ack for: the same source and
 * sequence, again. The dashboard must ack the repeat (so the bot can drop
 * it) and relay it to no subscriber a second time. The check publishes a
 * message as its test source, reconnects as a bot does, resends it, then
 * publishes the next one, and counts at a subscriber: each exactly once. */
#include "message_flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "flowcheck.h"

#define OPEN_TIMEOUT_MS 5000
#define ACK_TIMEOUT_MS 5000

/* How many frames of source/seq the subscriber holds. */
static int copies(const wsconn *k, const char *source, int64_t seq)
{
    int n = 0;
    for (size_t i = 0; i < wsconn_count(k); i++) {
        const wsmsg *m = wsconn_msg(k, i);
        envelope_peek p;
        if (envelope_peek_fields(m->text, m->len, &p) == 0 && !strcmp(p.source, source) &&
            p.seq == seq)
            n++;
    }
    return n;
}

check_result message_flow_check_exactly_once(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = bridge_publishing_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512], src[64], mysrc[64];
    snprintf(mysrc, sizeof(mysrc), "once-test-%d", (int)getpid());
    char *first = NULL, *next = NULL;
    size_t flen = 0, nlen = 0;
    wsconn *sub = NULL, *pub = NULL;
    int64_t last = 0;
    if ((r = bridge_test_pair(c, ctx, NULL, mysrc, sizeof(mysrc), &sub, &pub, &last,
                              OPEN_TIMEOUT_MS, msg, len)) != CHECK_PASS)
        goto out;
    int64_t seq = last + 1;
    first = bridge_envelope(3, mysrc, seq, 0, &flen); /* a trade_executed */
    next = bridge_envelope(3, mysrc, seq + 1, 0, &nlen);
    int pr = bridge_publish(c, pub, first, flen, seq, ACK_TIMEOUT_MS, err, sizeof(err));
    if (pr != 0) {
        r = bridge_fail(msg, len, "%s#%lld %s: %.400s", mysrc, (long long)seq,
                         pr > 0 ? "refused" : "not acked", err);
        goto out;
    }
    /* reconnect as a bot does and resend what it sent before */
    wsconn_free(c, pub);
    int64_t held = 0;
    pub = bridge_publisher(c, ctx, mysrc, src, sizeof(src), &held, OPEN_TIMEOUT_MS, err,
                           sizeof(err));
    if (!pub) {
        r = bridge_fail(msg, len, "reconnecting the publisher: %.400s", err);
        goto out;
    }
    if (held < seq) {
        r = bridge_fail(msg, len,
                         "after reconnecting, the welcome says last_seq %lld for %s, but %lld "
                         "was acked",
                         (long long)held, mysrc, (long long)seq);
        goto out;
    }
    pr = bridge_publish(c, pub, first, flen, seq, ACK_TIMEOUT_MS, err, sizeof(err));
    if (pr != 0) {
        r = bridge_fail(msg, len, "the resent %s#%lld was %s: %.400s (a repeat must be acked "
                                  "so the bot can drop it)",
                         mysrc, (long long)seq, pr > 0 ? "refused" : "not acked", err);
        goto out;
    }
    pr = bridge_publish(c, pub, next, nlen, seq + 1, ACK_TIMEOUT_MS, err, sizeof(err));
    if (pr != 0) {
        r = bridge_fail(msg, len, "%s#%lld after the repeat %s: %.400s", mysrc,
                         (long long)seq + 1, pr > 0 ? "refused" : "not acked", err);
        goto out;
    }
    /* the next one arrived: anything relayed before it is there too */
    bridge_srcseq w = {mysrc, seq + 1};
    wsconn_set_cursor(sub, 0);
    if (!wsconn_expect(c, sub, bridge_is_srcseq, &w, ACK_TIMEOUT_MS, NULL, err, sizeof(err))) {
        r = bridge_fail(msg, len, "%s#%lld never reached the subscriber: %.400s", mysrc,
                         (long long)seq + 1, err);
        goto out;
    }
    wsconn_ping(c, sub, 2000, NULL, err, sizeof(err));
    int n1 = copies(sub, mysrc, seq), n2 = copies(sub, mysrc, seq + 1);
    if (n1 != 1 || n2 != 1)
        r = bridge_fail(msg, len,
                         "a message resent with the same source and seq must reach a "
                         "subscriber once: %s#%lld arrived %d times%s, %s#%lld %d times",
                         mysrc, (long long)seq, n1,
                         n1 > 1 ? " (the repeat was relayed: no deduplication)" : "", mysrc,
                         (long long)seq + 1, n2);
    else
        snprintf(msg, len, "%s#%lld resent after a reconnect: acked, relayed once", mysrc,
                 (long long)seq);
out:
    free(first);
    free(next);
    wsclient_free(c);
    return r;
}
