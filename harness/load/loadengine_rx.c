/* loadengine_rx: the load engine's receive side: frames from the bulk
 * reader or lws's, counted, order-checked per source, timed (ts_us and
 * relay_us into the histograms), control frames (welcome, ack, gap, error)
 * read (see loadengine.h). */
#include "loadengine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "wclock.h"

int loadengine_source_index(loadengine *e, const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return -1;
    for (int i = 0; i < e->nsources; i++)
        if (e->source_len[i] == n && !memcmp(e->sources[i], s, n))
            return i;
    if (e->nsources == MAX_SOURCES)
        return -1;
    memcpy(e->sources[e->nsources], s, n);
    e->source_len[e->nsources] = (uint8_t)n;
    return e->nsources++;
}

/* A subscriber's order and loss check of one stream message. */
static void seq_check(lconn *c, const loadframe_fields *f)
{
    loadengine *e = c->e;
    int si = loadengine_source_index(e, f->source, f->source_len);
    if (si < 0)
        return;
    if (si >= c->nseen) {
        srcseen *s = realloc(c->seen, (size_t)(si + 1) * sizeof(*s));
        if (!s)
            return;
        memset(s + c->nseen, 0, (size_t)(si + 1 - c->nseen) * sizeof(*s));
        c->seen = s;
        c->nseen = (uint16_t)(si + 1);
    }
    srcseen *s = &c->seen[si];
    if (s->count && f->seq <= s->last) {
        e->r->seq_dup++;
        return;
    }
    if (s->count && f->seq > s->last + 1)
        e->r->seq_missing += (uint64_t)(f->seq - s->last - 1);
    if (!s->count)
        s->first = f->seq;
    s->last = f->seq;
    s->count++;
}

/* A control frame that needs more than the scanned fields (rare). */
static void control(lconn *c, const char *type, size_t tl, const char *p, size_t n)
{
    loadengine *e = c->e;
    if (tl == 5 && !memcmp(type, "error", 5)) {
        loadengine_count_err(e, LOADERR_SERVER);
        return;
    }
    int welcome = tl == 7 && !memcmp(type, "welcome", 7);
    int ack = tl == 3 && !memcmp(type, "ack", 3);
    int gap = tl == 3 && !memcmp(type, "gap", 3);
    if (!welcome && !ack && !gap)
        return;
    cJSON *j = cJSON_ParseWithLength(p, n);
    if (!j)
        return;
    if (welcome && c->pub && !c->welcomed) {
        const cJSON *ls = cJSON_GetObjectItemCaseSensitive(j, "last_seq");
        c->next_seq = (cJSON_IsNumber(ls) ? (int64_t)ls->valuedouble : 0) + 1 - (int64_t)c->sent;
        c->welcomed = 1;
        if (!c->sent)
            c->send_start_us = wclock_real_us();
    } else if (ack && c->pub) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "seq");
        if (cJSON_IsNumber(s))
            c->acked = (int64_t)s->valuedouble; /* cumulative */
    } else if (gap) {
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(j, "from");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(j, "to");
        if (cJSON_IsNumber(fr) && cJSON_IsNumber(to) && to->valuedouble >= fr->valuedouble)
            e->r->gaps_told += (uint64_t)(to->valuedouble - fr->valuedouble + 1);
    }
    cJSON_Delete(j);
}

/* One whole message or control frame, from either reader. */
int loadengine_on_frame(void *user, int op, uint8_t *p, size_t n)
{
    lconn *c = user;
    loadengine *e = c->e;
    loadengine_result *r = e->r;
    r->frames_rx++;
    if (op == LOADFRAME_OP_PING) {
        uint8_t f[LOADFRAME_MAX_HEADER + 125];
        size_t w = loadframe_encode(f, sizeof f, LOADFRAME_OP_PONG, p, n, 1, loadengine_rnd(c));
        if (c->bulk)
            loadengine_bulk_send(c, f, w);
        return 0;
    }
    if (op == LOADFRAME_OP_PONG) {
        if (n == 1 && p[0] == 'p')
            c->e->r->pongs++; /* the answer to a profile's ping (not the subscribe's) */
        c->ready = 1; /* the subscribe before our ping is in effect */
        return 0;
    }
    if (op == LOADFRAME_OP_CLOSE) {
        loadengine_conn_kill(c, LOADERR_CLOSE_FRAME);
        return 1;
    }
    loadframe_fields f;
    int ok = loadframe_fields_parse((const char *)p, n, &f) == 0;
    int stream = ok && (f.have & (LOADFRAME_F_SOURCE | LOADFRAME_F_SEQ | LOADFRAME_F_TS)) ==
                           (LOADFRAME_F_SOURCE | LOADFRAME_F_SEQ | LOADFRAME_F_TS);
    if (ok && !stream && (f.have & LOADFRAME_F_TYPE))
        control(c, f.type, f.type_len, (const char *)p, n);
    if (c->pub || (e->cfg->contract && !stream))
        return 0;
    int64_t now = e->rx_mono_us;
    loadconn_stat *st = &r->conns[c->idx];
    if (!st->messages)
        st->first_us = now - c->t0_us;
    st->last_us = now - c->t0_us;
    st->messages++;
    r->messages_rx++;
    if (e->cfg->target_messages > 0 && !st->target_met &&
        st->messages >= (uint64_t)e->cfg->target_messages)
        st->target_met = 1;
    if (stream && f.ts_us >= c->live_from_us) { /* not a replay after a resume */
        int64_t ns = (e->rx_real_us - f.ts_us) * 1000;
        histogram_record(r->latency, ns);
        histogram_record(r->latency_1s, ns);
        if (f.have & LOADFRAME_F_RELAY)
            histogram_record(r->relay, (f.relay_us - f.ts_us) * 1000);
    }
    if (stream)
        seq_check(c, &f);
    return 0;
}

/* A bulk connection is readable: read and parse until the socket is empty. */
void loadengine_bulk_read(lconn *c)
{
    loadengine *e = c->e;
    for (int rounds = 0; rounds < 8 && !c->killing; rounds++) {
        ssize_t n = read(c->fd, e->rbuf, READ_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            loadengine_conn_kill(c, LOADERR_CLOSED);
            return;
        }
        e->r->bytes_rx += (uint64_t)n;
        e->r->reads_rx++;
        e->rx_mono_us = wclock_mono_us();
        e->rx_real_us = wclock_real_us();
        long k = loadframe_feed(&c->rx, e->rbuf, (size_t)n, e->cfg->max_message, loadengine_on_frame, c);
        if (k == LOADFRAME_ERR_PROTO)
            loadengine_conn_kill(c, LOADERR_PROTOCOL);
        else if (k == LOADFRAME_ERR_TOO_BIG)
            loadengine_conn_kill(c, LOADERR_TOO_BIG);
        if (k < 0 || c->rx.closed)
            return;
        if (n < READ_BUF)
            return;
    }
}
