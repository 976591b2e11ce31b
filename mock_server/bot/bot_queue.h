/* bot_queue: the bot's bounded queue of unacknowledged messages, with exact
 * accounting (generated == acked + queued + dropped at every moment).
 *
 * Messages enter unnumbered until the first `welcome`; it numbers them from
 * last_seq + 1 (after the numbers of any message already dropped, which
 * become a reported gap), and from then on every push takes the next number.
 * A cumulative `ack` or a later `welcome` removes everything <= its seq. A
 * message dropped after it had been sent on the current connection is not
 * counted lost until the next welcome says the dashboard lacks it (or an ack
 * covers it: then it counts as acked). Dropped runs are reported once through
 * bot_queue_take_overflow (the `queue_overflow` alert).
 *
 * Internally locked: the trading loop pushes from its thread while the
 * network thread numbers, sends and acks.
 *
 * Test switch: bot_queue_test_stamp_at_send (the bot's --test-fault
 * stamp_at_send) makes every envelope carry its send time as ts_us instead of
 * its scheduled time: the fault the performance suite must catch (time queued
 * in the bot would be hidden from the latency). Never set outside that test. */
#ifndef WSB_BOT_QUEUE_H
#define WSB_BOT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

enum bot_queue_policy {
    BOT_DROP_OLDEST = 0, /* evict the oldest unacked message to make room (default) */
    BOT_DROP_NEWEST = 1, /* refuse the new message */
};

typedef struct bot_queue_stats {
    int64_t generated; /* messages pushed */
    int64_t acked;     /* removed because the dashboard holds them */
    int64_t dropped;   /* lost to overflow (generated == acked + queued + dropped) */
    int64_t queued;
    int64_t sent;      /* frames handed to the socket, resends included */
    int64_t acked_seq; /* highest seq known durable at the dashboard */
    int64_t last_seq;  /* highest seq assigned (0 before the first welcome) */
    int64_t reported;  /* dropped messages already reported in an alert */
    int64_t restored_seq;   /* the predecessor's last number (bot_queue_set_floor), 0 if none */
    int64_t lost_at_source; /* of its numbers, how many the dashboard never got */
    int numbered;      /* a welcome has been seen */
} bot_queue_stats;

typedef struct bot_queue bot_queue;

/* cap >= 1. NULL on allocation failure. */
bot_queue *bot_queue_new(size_t cap, int policy);
void bot_queue_free(bot_queue *q);
/* Test-only: stamp ts_us at send time from now on (see above). */
void bot_queue_test_stamp_at_send(bot_queue *q);

#define BOT_QUEUE_RESERVE 64 /* extra room for the bot's own alerts and command_acks */

/* Copies data (a JSON object of len bytes; type is static text such as
 * "market_data"). Returns how many messages were dropped to make room (0 or 1). */
int bot_queue_push(bot_queue *q, const char *type, int64_t ts_us, const char *data, size_t len);

/* The same for the bot's own control messages (alert, command_ack): they
 * may use BOT_QUEUE_RESERVE slots beyond the capacity, so reporting an
 * overflow does not itself evict a trading message. */
int bot_queue_push_control(bot_queue *q, const char *type, int64_t ts_us, const char *data,
                           size_t len);

/* Handles welcome(last_seq): numbers the queue the first time, treats
 * everything <= last_seq as acked, and restarts sending after last_seq (or
 * at the oldest queued message when the dashboard has less than that). */
void bot_queue_welcome(bot_queue *q, int64_t last_seq);

/* Handles a cumulative ack. Returns the number of messages it acked. */
int64_t bot_queue_ack(bot_queue *q, int64_t seq);

/* Encodes the next message not yet sent on this connection as an envelope
 * into buf (cap bytes) and marks it sent. Returns its length, 0 when nothing
 * is left to send (or no welcome yet), -1 when it does not fit (skipped). */
int bot_queue_encode_next(bot_queue *q, const char *source, char *buf, size_t cap,
                          int64_t *seq_out);

/* 1 when there is something to send now. */
int bot_queue_has_unsent(bot_queue *q);

/* Takes the dropped messages not reported yet (settled ones only): 1 and the
 * bounds and count, or 0 when there is nothing to report. */
int bot_queue_take_overflow(bot_queue *q, int64_t *from, int64_t *to, int64_t *count);

/* Restart after a kill: floor is the last number a previous process of this
 * source assigned (from the bot's state file). At the first welcome the
 * queue numbers after max(floor, last_seq), so no number is reused, and
 * last_seq+1..floor (what the killed process held unacked) is lost at the
 * source: counted in lost_at_source and taken once by
 * bot_queue_take_restart_loss. Only before the first welcome. */
void bot_queue_set_floor(bot_queue *q, int64_t floor);
int bot_queue_take_restart_loss(bot_queue *q, int64_t *from, int64_t *to);

/* fn (may be NULL) is called, under the queue's lock and before the message
 * can be sent, with the highest number assigned each time it grows: the
 * bot's state file follows it (bot_state.c). */
void bot_queue_on_number(bot_queue *q, void (*fn)(void *ud, int64_t last_seq), void *ud);

void bot_queue_get_stats(bot_queue *q, bot_queue_stats *out);

#endif
