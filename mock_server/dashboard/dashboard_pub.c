/* dashboard_pub: publishers of the mock dashboard.
 *
 * Each complete message of a publisher is parsed once, checked against the
 * contract, deduplicated by seq and pushed to the history (dashboard_history.c);
 * the cumulative ack follows once it is durable. A seq that skips numbers is
 * final (a gap notice, counted, acked past), but only up to --max-seq-jump
 * numbers: a larger jump is refused with error "seq_jump" and changes
 * nothing, so one bad frame cannot turn every later message into a
 * "duplicate". A message the history cannot take (no memory, or the journal
 * buffer full while its writes fail) is refused with error "store": never
 * counted, never acked, so the publisher still holds it; later seqs of that
 * source are refused the same way until it comes again (they would make it
 * a gap). */
#include "dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "envelope.h"
#include "wclock.h"
#include "wjson.h"
#include "wlog.h"

/* Wakes every subscriber (and publishers owed an ack) for what was pushed. */
static void wake_all(dashboard *d)
{
    d->woken_head = d->head;
    d->last_wake_us = wclock_real_us();
    dashboard_sub_after_push(d);
    for (dashboard_conn *p = d->publishers; p; p = p->next)
        if (p->src >= 0 && (p->ack_wanted || d->sources[p->src].durable_seq > p->acked_sent))
            dashboard_request_write(p);
}

static void wake_cb(lws_sorted_usec_list_t *sul)
{
    dashboard *d = lws_container_of(sul, dashboard, sul_wake);
    d->wake_scheduled = 0;
    if (d->head != d->woken_head)
        wake_all(d);
}

/* Called after each publisher message. lws reads at most the rx buffer
 * (512 bytes) per poll round; waking 100 subscribers each round would cost
 * one write per message per subscriber. So while the publisher's socket
 * still holds unread bytes, wake-ups wait (at most WAKE_BATCH items or
 * WAKE_MAX_US), and every subscriber then gets the whole batch in one write. */
static void publisher_settle(dashboard *d, dashboard_conn *c)
{
    int unread = 0;
    if (ioctl(lws_get_socket_fd(c->wsi), FIONREAD, &unread) != 0)
        unread = 0;
    if (unread == 0 || d->head - d->woken_head >= DASHBOARD_WAKE_BATCH ||
        wclock_real_us() - d->last_wake_us >= DASHBOARD_WAKE_MAX_US) {
        wake_all(d);
        return;
    }
    if (!d->wake_scheduled) {
        d->wake_scheduled = 1;
        lws_sul_schedule(d->ctx, 0, &d->sul_wake, wake_cb, DASHBOARD_WAKE_MAX_US);
    }
}

/* The history could not take message seq (why: -1 no memory, or
 * DASHBOARD_PUSH_JOURNAL_FULL; 0: an earlier one of the source was refused):
 * error "store", nothing counted. */
static void refuse_store(dashboard *d, dashboard_conn *c, int64_t seq, int why)
{
    dashboard_source *s = &d->sources[c->src];
    char reason[160];
    if (why == DASHBOARD_PUSH_JOURNAL_FULL)
        snprintf(reason, sizeof reason, "journal writes are failing and its buffer is full");
    else if (why == 0)
        snprintf(reason, sizeof reason, "seq %lld was refused and must come first",
                 (long long)(s->last_seq + 1));
    else
        snprintf(reason, sizeof reason, "out of memory");
    snprintf(reason + strlen(reason), sizeof reason - strlen(reason),
             ": not stored, not acked; send it again later");
    d->st.refused_store++;
    s->store_refused = 1;
    dashboard_conn_error(d, c, seq, "store", reason);
}

static int64_t peek_seq(const cJSON *root)
{
    int64_t seq = 0;
    if (!wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "seq"), &seq) || seq < 1)
        return 0;
    return seq;
}

void dashboard_pub_message(dashboard *d, dashboard_conn *c, const char *text, size_t len)
{
    char err[200];
    dashboard_source *s = &d->sources[c->src];

    cJSON *root = wjson_parse(text, len, d->cfg.max_depth, err, sizeof err);
    if (!root) {
        s->invalid++;
        if (strstr(err, "nesting"))
            d->st.refused_too_deep++;
        else
            d->st.refused_invalid++;
        dashboard_conn_error(d, c, 0, strstr(err, "duplicate key") ? "duplicate_key" : "json", err);
        return;
    }
    if (contract_check_envelope(d->contract, root, err, sizeof err) != 0) {
        s->invalid++;
        d->st.refused_invalid++;
        dashboard_conn_error(d, c, peek_seq(root),
                             strstr(err, "unknown message type") ? "unknown_type" : "schema", err);
        cJSON_Delete(root);
        return;
    }
    envelope e;
    if (envelope_decode(root, &e, err, sizeof err) != 0) {
        s->invalid++;
        d->st.refused_invalid++;
        dashboard_conn_error(d, c, peek_seq(root), "schema", err);
        cJSON_Delete(root);
        return;
    }
    if (strcmp(e.source, c->name) != 0) {
        s->invalid++;
        d->st.refused_invalid++;
        snprintf(err, sizeof err, "/source: \"%.64s\" is not this connection's source \"%s\"",
                 e.source, c->name);
        dashboard_conn_error(d, c, e.seq, "source", err);
        cJSON_Delete(root);
        return;
    }
    if (e.seq <= s->last_seq) {
        s->duplicates++;
        c->ack_wanted = 1;
        cJSON_Delete(root);
        publisher_settle(d, c);
        return;
    }
    if (s->store_refused && e.seq > s->last_seq + 1) {
        /* the refused one comes first (the publisher still holds it) */
        refuse_store(d, c, e.seq, 0);
        cJSON_Delete(root);
        return;
    }
    if (d->cfg.max_seq_jump > 0 && e.seq - s->last_seq - 1 > d->cfg.max_seq_jump) {
        /* refused, not final: the next message is judged against the same
         * last_seq, so a stray number cannot make later ones duplicates */
        s->invalid++;
        d->st.refused_seq_jump++;
        snprintf(err, sizeof err,
                 "/seq: %lld skips %lld numbers after %lld, more than the %lld allowed "
                 "(--max-seq-jump)",
                 (long long)e.seq, (long long)(e.seq - s->last_seq - 1), (long long)s->last_seq,
                 (long long)d->cfg.max_seq_jump);
        dashboard_conn_error(d, c, e.seq, "seq_jump", err);
        cJSON_Delete(root);
        return;
    }
    if (e.seq > s->last_seq + 1) {
        char gap[200];
        int64_t from = s->last_seq + 1, to = e.seq - 1;
        int n = snprintf(gap, sizeof gap,
                         "{\"type\":\"gap\",\"source\":\"%s\",\"from\":%lld,\"to\":%lld,"
                         "\"reason\":\"seq_jump\"}",
                         s->name, (long long)from, (long long)to);
        int rc = dashboard_history_push(d, c->src, -1, to, from, NULL, gap, (size_t)n);
        if (rc != 0) {
            refuse_store(d, c, e.seq, rc);
            cJSON_Delete(root);
            return;
        }
        s->gaps++;
        s->gap_messages += (uint64_t)(to - from + 1);
        wlog_info("source %s: seq jump, gap %lld..%lld", s->name, (long long)from, (long long)to);
        s->last_seq = to;
    }

    /* the stream frame: the envelope as published, relay_us appended */
    const cJSON *sym = cJSON_GetObjectItemCaseSensitive(e.data, "symbol");
    char symbol[DASHBOARD_SYMBOL_MAX] = "";
    if (cJSON_IsString(sym))
        snprintf(symbol, sizeof symbol, "%s", sym->valuestring);
    size_t end = len;
    while (end > 0 && text[end - 1] != '}')
        end--;
    char *payload = malloc(end + 40);
    if (!payload || end == 0) {
        free(payload);
        refuse_store(d, c, e.seq, -1);
        cJSON_Delete(root);
        return;
    }
    memcpy(payload, text, end - 1);
    int tail = snprintf(payload + end - 1, 40, ",\"relay_us\":%lld}", (long long)wclock_real_us());
    /* counted only once held: a message the history refuses is not acked */
    int rc = dashboard_history_push(d, c->src, contract_type_index(e.type), e.seq, 0, symbol,
                                    payload, end - 1 + (size_t)tail);
    free(payload);
    cJSON_Delete(root);
    if (rc != 0) {
        refuse_store(d, c, e.seq, rc);
        return;
    }
    s->last_seq = e.seq;
    s->store_refused = 0;
    s->received++;
    d->st.received++;
    if (d->journal_fd < 0)
        s->durable_seq = s->last_seq; /* acked at the next wake-up */
    publisher_settle(d, c);
}

size_t dashboard_pub_fill(dashboard *d, dashboard_conn *c, uint8_t *buf, size_t cap, int *more)
{
    size_t n = dashboard_out_fill(c, buf, cap, more);
    if (*more)
        return n;
    if (c->src >= 0) {
        int64_t dur = d->sources[c->src].durable_seq;
        if (dur > c->acked_sent || c->ack_wanted) {
            char ack[64];
            int m = snprintf(ack, sizeof ack, "{\"type\":\"ack\",\"seq\":%lld}", (long long)dur);
            n += dashboard_frame_header(buf + n, (size_t)m, 1);
            memcpy(buf + n, ack, (size_t)m);
            n += (size_t)m;
            c->acked_sent = dur;
            c->ack_wanted = 0;
        }
    }
    return n;
}
