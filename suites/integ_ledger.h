/* integ_ledger: the integration suite's book of one bot's trading cycle.
 *
 * Fed every frame a subscriber receives, in order, it follows the bot's
 * source: signals to orders, orders through their states, fills to positions
 * and the account, and says where they do not add up.
 *
 * Where it starts counting: the stream starts mid-life, so the ledger knows
 * the state only from a point on. A bot_status with state "starting" (the
 * first event of a bot process) starts a FRESH segment: no position, no
 * order, every order must be seen from its "new". A gap (a "gap" frame or a
 * jump in seq) and the very start start an ANCHORING segment: a symbol is
 * followed from its first position_update on, the account from its first
 * account_update on, and an order numbered below the first "new" of the
 * segment (o-N) is one that began before it and is not judged; anything else
 * must be known. Within a segment the rules are exact: quantities to the
 * unit, money to MONEY_TOL (the bot prints six decimals).
 *
 * What it judges:
 *   orders:    new (after a signal of that side on that symbol) ->
 *              partially_filled* -> filled, or new -> cancelled, or rejected;
 *              each order_update's filled_quantity is the sum of its
 *              trade_executed; no event for an unknown or finished order
 *   positions: quantity = the sum of the symbol's signed fills; avg_price,
 *              realized_pnl, unrealized_pnl (at the last market_data price)
 *   account:   balance moves by realised PnL minus fees, realized_pnl by
 *              realised PnL; unrealized_pnl = the sum over symbols; equity =
 *              balance + unrealized; open_positions */
#ifndef WSB_INTEG_LEDGER_H
#define WSB_INTEG_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define INTEG_MONEY_TOL 1e-4

typedef struct integ_ledger integ_ledger;

typedef struct integ_ledger_stats {
    int64_t messages;       /* envelopes of the source read */
    int64_t last_seq;       /* the highest seq read */
    int64_t fills_checked;  /* fills whose order, position and account were judged */
    int64_t fills_seen;
    int64_t orders_checked; /* orders followed from "new" to their end */
    int64_t positions_checked, accounts_checked;
    int64_t segments;       /* fresh starts and re-anchorings */
    int64_t problems;
} integ_ledger_stats;

/* A ledger of source's stream. NULL when out of memory. */
integ_ledger *integ_ledger_new(const char *source);
void integ_ledger_free(integ_ledger *l);
/* One frame as received (envelopes of other sources and other frames are
 * read for gaps only). Safe to call from a message callback. */
void integ_ledger_feed(integ_ledger *l, const char *text, size_t len);
void integ_ledger_stats_get(const integ_ledger *l, integ_ledger_stats *out);
/* The first problems found, "" when none. */
const char *integ_ledger_problems(const integ_ledger *l);

#endif
