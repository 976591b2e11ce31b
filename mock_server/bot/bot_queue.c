/* bot_queue: bounded queue of unacked bot messages with drop accounting
 * (see bot_queue.h). A ring of entries in sequence order; removals happen
 * only at the head (acks and drop-oldest), so "sent on this connection" is
 * simply the first send_idx entries. */
#include "bot_queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "wclock.h"

#define MAX_RUNS 64

typedef struct entry {
    const char *type;
    int64_t seq; /* 0 until numbered */
    int64_t ts_us;
    char *data;
} entry;

/* A run of dropped sequence numbers not reported yet. sent: some were sent on
 * the current connection, so an ack or the next welcome may still show the
 * dashboard has them. */
typedef struct drop_run {
    int64_t from, to, count;
    int sent;
} drop_run;

struct bot_queue {
    pthread_mutex_t mu;
    entry *ring;
    size_t cap, head, len;
    size_t ring_cap; /* cap + BOT_QUEUE_RESERVE */
    size_t send_idx; /* entries from the head already sent on this connection */
    int policy;
    int stamp_at_send; /* test switch: see bot_queue.h */
    int numbered;
    int64_t next_seq;
    int64_t unnumbered_dropped;
    int64_t floor;              /* numbers a killed predecessor assigned (bot_queue_set_floor) */
    int64_t lost_from, lost_to; /* of them, what the dashboard lacked; reported once */
    int64_t noted;              /* the last number handed to on_number */
    void (*on_number)(void *ud, int64_t last_seq);
    void *on_number_ud;
    drop_run runs[MAX_RUNS];
    int nruns;
    bot_queue_stats st;
};

bot_queue *bot_queue_new(size_t cap, int policy)
{
    if (cap < 1)
        return NULL;
    bot_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->ring = calloc(cap + BOT_QUEUE_RESERVE, sizeof(entry));
    if (!q->ring) {
        free(q);
        return NULL;
    }
    q->cap = cap;
    q->ring_cap = cap + BOT_QUEUE_RESERVE;
    q->policy = policy;
    pthread_mutex_init(&q->mu, NULL);
    return q;
}

void bot_queue_test_stamp_at_send(bot_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->stamp_at_send = 1;
    pthread_mutex_unlock(&q->mu);
}

void bot_queue_free(bot_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->len; i++)
        free(q->ring[(q->head + i) % q->ring_cap].data);
    free(q->ring);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static entry *at(bot_queue *q, size_t i)
{
    return &q->ring[(q->head + i) % q->ring_cap];
}

static void pop_head(bot_queue *q)
{
    entry *e = at(q, 0);
    free(e->data);
    e->data = NULL;
    q->head = (q->head + 1) % q->ring_cap;
    q->len--;
    if (q->send_idx > 0)
        q->send_idx--;
}

/* Tells on_number (under the lock) the highest number assigned so far. */
static void note_numbers(bot_queue *q)
{
    if (q->numbered && q->on_number && q->next_seq - 1 > q->noted) {
        q->noted = q->next_seq - 1;
        q->on_number(q->on_number_ud, q->noted);
    }
}

static void add_drop(bot_queue *q, int64_t seq, int sent)
{
    q->st.dropped++;
    if (q->nruns > 0) {
        drop_run *r = &q->runs[q->nruns - 1];
        if (r->sent == sent && r->to + 1 == seq) {
            r->to = seq;
            r->count++;
            return;
        }
        if (q->nruns == MAX_RUNS) { /* keep the count exact, the bounds loose */
            if (seq > r->to)
                r->to = seq;
            r->count++;
            r->sent = r->sent && sent;
            return;
        }
    }
    q->runs[q->nruns++] = (drop_run){seq, seq, 1, sent};
}

/* Sent-then-dropped messages with seq <= upto reached the dashboard (it
 * acked or announced them): they count as acked, not dropped. */
static void reclassify(bot_queue *q, int64_t upto)
{
    int w = 0;
    for (int i = 0; i < q->nruns; i++) {
        drop_run r = q->runs[i];
        if (r.sent && r.from <= upto) {
            int64_t k = r.to <= upto ? r.count : upto - r.from + 1;
            if (k > r.count)
                k = r.count;
            q->st.dropped -= k;
            q->st.acked += k;
            r.count -= k;
            r.from = upto + 1;
            if (r.count == 0 || r.from > r.to)
                continue;
        }
        q->runs[w++] = r;
    }
    q->nruns = w;
}

static int push(bot_queue *q, const char *type, int64_t ts_us, const char *data, size_t len,
                size_t limit)
{
    char *copy = malloc(len + 1);
    int dropped = 0;
    pthread_mutex_lock(&q->mu);
    q->st.generated++;
    if (q->len >= limit || !copy) {
        dropped = 1;
        if (q->policy == BOT_DROP_NEWEST || !copy) {
            if (q->numbered)
                add_drop(q, q->next_seq++, 0);
            else {
                q->unnumbered_dropped++;
                q->st.dropped++;
            }
            note_numbers(q);
            pthread_mutex_unlock(&q->mu);
            free(copy);
            return dropped;
        }
        entry *h = at(q, 0);
        if (q->numbered)
            add_drop(q, h->seq, q->send_idx > 0);
        else {
            q->unnumbered_dropped++;
            q->st.dropped++;
        }
        pop_head(q);
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    entry *e = at(q, q->len);
    e->type = type;
    e->ts_us = ts_us;
    e->data = copy;
    e->seq = q->numbered ? q->next_seq++ : 0;
    q->len++;
    note_numbers(q);
    pthread_mutex_unlock(&q->mu);
    return dropped;
}

int bot_queue_push(bot_queue *q, const char *type, int64_t ts_us, const char *data, size_t len)
{
    return push(q, type, ts_us, data, len, q->cap);
}

int bot_queue_push_control(bot_queue *q, const char *type, int64_t ts_us, const char *data,
                           size_t len)
{
    return push(q, type, ts_us, data, len, q->ring_cap);
}

static void remove_upto(bot_queue *q, int64_t seq)
{
    while (q->len > 0 && at(q, 0)->seq <= seq) {
        pop_head(q);
        q->st.acked++;
    }
}

void bot_queue_welcome(bot_queue *q, int64_t last_seq)
{
    pthread_mutex_lock(&q->mu);
    if (!q->numbered) {
        int64_t s = last_seq + 1;
        if (q->floor > last_seq) {
            /* what the killed predecessor numbered and the dashboard never got */
            q->lost_from = last_seq + 1;
            q->lost_to = q->floor;
            q->st.lost_at_source = q->floor - last_seq;
            s = q->floor + 1;
        }
        if (q->unnumbered_dropped > 0) {
            q->runs[q->nruns++] =
                (drop_run){s, s + q->unnumbered_dropped - 1, q->unnumbered_dropped, 0};
            s += q->unnumbered_dropped;
            q->unnumbered_dropped = 0;
        }
        for (size_t i = 0; i < q->len; i++)
            at(q, i)->seq = s++;
        q->next_seq = s;
        q->numbered = 1;
        note_numbers(q);
    } else if (last_seq >= q->next_seq) {
        /* The dashboard holds numbers this process never produced (another
         * process with our source): continue after them rather than have
         * our messages deduplicated away. */
        reclassify(q, q->next_seq - 1);
        int64_t s = last_seq + 1;
        for (size_t i = 0; i < q->len; i++)
            at(q, i)->seq = s++;
        q->next_seq = s;
        note_numbers(q);
    } else {
        reclassify(q, last_seq);
        remove_upto(q, last_seq);
    }
    /* whatever was sent and dropped but is not held is now known lost */
    for (int i = 0; i < q->nruns; i++)
        q->runs[i].sent = 0;
    if (last_seq > q->st.acked_seq)
        q->st.acked_seq = last_seq;
    q->send_idx = 0;
    pthread_mutex_unlock(&q->mu);
}

int64_t bot_queue_ack(bot_queue *q, int64_t seq)
{
    pthread_mutex_lock(&q->mu);
    int64_t before = q->st.acked;
    if (q->numbered) {
        reclassify(q, seq);
        remove_upto(q, seq);
        if (seq > q->st.acked_seq)
            q->st.acked_seq = seq;
    }
    int64_t n = q->st.acked - before;
    pthread_mutex_unlock(&q->mu);
    return n;
}

int bot_queue_encode_next(bot_queue *q, const char *source, char *buf, size_t cap, int64_t *seq_out)
{
    pthread_mutex_lock(&q->mu);
    if (!q->numbered || q->send_idx >= q->len) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    entry *e = at(q, q->send_idx);
    int64_t ts = q->stamp_at_send ? wclock_real_us() : e->ts_us; /* the test fault */
    int n = envelope_encode_buf(buf, cap, e->type, source, e->seq, ts, e->data);
    if (seq_out)
        *seq_out = e->seq;
    q->send_idx++;
    if (n > 0)
        q->st.sent++;
    pthread_mutex_unlock(&q->mu);
    return n > 0 ? n : -1;
}

int bot_queue_has_unsent(bot_queue *q)
{
    pthread_mutex_lock(&q->mu);
    int r = q->numbered && q->send_idx < q->len;
    pthread_mutex_unlock(&q->mu);
    return r;
}

int bot_queue_take_overflow(bot_queue *q, int64_t *from, int64_t *to, int64_t *count)
{
    pthread_mutex_lock(&q->mu);
    int64_t f = 0, t = 0, c = 0;
    int w = 0;
    for (int i = 0; i < q->nruns; i++) {
        drop_run r = q->runs[i];
        if (r.sent) {
            q->runs[w++] = r;
            continue;
        }
        if (c == 0 || r.from < f)
            f = r.from;
        if (r.to > t)
            t = r.to;
        c += r.count;
    }
    q->nruns = w;
    q->st.reported += c;
    pthread_mutex_unlock(&q->mu);
    if (c == 0)
        return 0;
    *from = f;
    *to = t;
    *count = c;
    return 1;
}

void bot_queue_set_floor(bot_queue *q, int64_t floor)
{
    pthread_mutex_lock(&q->mu);
    if (!q->numbered && floor > 0) {
        q->floor = floor;
        q->st.restored_seq = floor;
    }
    pthread_mutex_unlock(&q->mu);
}

void bot_queue_on_number(bot_queue *q, void (*fn)(void *ud, int64_t last_seq), void *ud)
{
    pthread_mutex_lock(&q->mu);
    q->on_number = fn;
    q->on_number_ud = ud;
    pthread_mutex_unlock(&q->mu);
}

int bot_queue_take_restart_loss(bot_queue *q, int64_t *from, int64_t *to)
{
    pthread_mutex_lock(&q->mu);
    int have = q->lost_to > 0;
    if (have) {
        *from = q->lost_from;
        *to = q->lost_to;
        q->lost_from = q->lost_to = 0;
    }
    pthread_mutex_unlock(&q->mu);
    return have;
}

void bot_queue_get_stats(bot_queue *q, bot_queue_stats *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->st;
    out->queued = (int64_t)q->len;
    out->numbered = q->numbered;
    out->last_seq = q->numbered ? q->next_seq - 1 : 0;
    pthread_mutex_unlock(&q->mu);
}
