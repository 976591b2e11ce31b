/* fault_ledger: the exact account of one source's stream as one subscriber
 * saw it, for the fault-tolerance suite.
 *
 * A ledger covers the sequences after `from` of one source. Fed every frame
 * the subscriber receives (envelopes and the dashboard's gap frames), it
 * knows per sequence how often it arrived, whether it came after a higher
 * one, and whether a gap frame announced it. Closed at `to` (the last
 * sequence the bot generated), it gives the totals and the differences as
 * ranges: lost (neither received nor announced), duplicated, out of order,
 * and dropped-and-announced. "No loss" is lost == dup == ooo == 0. */
#ifndef WSB_FAULT_LEDGER_H
#define WSB_FAULT_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

typedef struct ledger ledger;

typedef struct ledger_totals {
    int64_t from, to;   /* the window: sequences from+1 .. to */
    int64_t generated;  /* to - from */
    int64_t received;   /* distinct sequences of the window received */
    int64_t lost;       /* neither received nor announced */
    int64_t duplicated; /* arrivals beyond the first */
    int64_t out_of_order;
    int64_t announced;  /* in a gap frame (and not received) */
    int64_t beyond;     /* received with seq > to (outside the window, not judged) */
    int64_t frames;     /* envelopes of this source, all arrivals */
} ledger_totals;

/* A ledger of source's sequences after from. NULL when out of memory. */
ledger *ledger_new(const char *source, int64_t from);
void ledger_free(ledger *l);

/* One received frame (any text; other sources and control frames are counted
 * as ignored). Returns 1 when it was this source's envelope or gap frame. */
int ledger_feed(ledger *l, const char *text, size_t len);

/* The highest sequence up to which everything was received or announced
 * (where a resuming subscriber asks to continue from). */
int64_t ledger_high(const ledger *l);

/* The highest sequence received at all (from when nothing was). */
int64_t ledger_max(const ledger *l);

/* Totals over from+1 .. to; each range list ("101-140,150") into its buffer
 * (NULL: not wanted), cut with "...(+N)" when longer than the buffer. */
void ledger_close(const ledger *l, int64_t to, ledger_totals *t, char *lost, size_t lostlen,
                  char *dup, size_t duplen, char *ooo, size_t ooolen, char *ann, size_t annlen);

/* The bot's loss alerts, queue_overflow and restart_loss (envelopes of the source whose data has
 * from, to, count) against the dashboard's gap frames, over from+1 .. to:
 * *alerts alerts received, *alerted sequences they name, *count the sum of
 * their counts. Returns how many sequences one names and the other does not
 * (0: the alerts and the gaps agree range for range), as ranges in mismatch. */
int64_t ledger_alerts(const ledger *l, int64_t to, int64_t *alerts, int64_t *alerted,
                      int64_t *count, char *mismatch, size_t len);

/* The totals and ranges as a JSON object (caller owns it). */
cJSON *ledger_json(const ledger *l, int64_t to);

/* One line: "generated 500 received 500 lost 0 dup 0 ooo 0 announced 0". */
void ledger_line(const ledger_totals *t, char *buf, size_t len);

#endif
