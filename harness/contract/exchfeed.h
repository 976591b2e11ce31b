/* exchfeed: strict decoding of an exchange's public market stream, in Binance's
 * `bookTicker` and `trade` formats, and the invariants a sane quote obeys.
 *
 *   bookTicker  {"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000",
 *                "a":"25.36520000","A":"40.66000000"}
 *               (the futures variant adds "e":"bookTicker","E":event ms,"T":transaction ms)
 *   trade       {"e":"trade","E":event ms,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",
 *                "T":trade ms,"m":true,"M":true}
 *               (older streams add "b" and "a", the buyer's and seller's order ids)
 *
 * A combined stream's wrapper {"stream":"bnbusdt@bookTicker","data":{...}} is
 * unwrapped. Strict: every field of the variant must be there with its type
 * (ids and times exact integers, prices and quantities decimal strings), and
 * a field the format does not have is refused by name. The replay in the
 * performance suite and its --live-url mode read streams through this. */
#ifndef WSB_EXCHFEED_H
#define WSB_EXCHFEED_H

#include <stddef.h>
#include <stdint.h>

#define EXCHFEED_SYMBOL_MAX 24

typedef enum exchfeed_kind { EXCHFEED_BOOK_TICKER = 1, EXCHFEED_TRADE = 2 } exchfeed_kind;

typedef struct exchfeed_rec {
    exchfeed_kind kind;
    char symbol[EXCHFEED_SYMBOL_MAX];
    int64_t id;         /* bookTicker "u" (update id), trade "t" (trade id) */
    int64_t event_ms;   /* "E"; 0 when the variant has none (spot bookTicker) */
    int64_t time_ms;    /* "T" (trade or transaction time); 0 when absent */
    double bid, bid_qty, ask, ask_qty; /* bookTicker */
    double price, qty;  /* trade */
    int buyer_maker;    /* trade "m" */
} exchfeed_rec;

/* Decodes one text frame (or one line of a recording). 0 on success; -1 with
 * err naming the problem ("missing field \"A\"", "unknown field \"x\"",
 * "\"b\": not a decimal string"). */
int exchfeed_decode(const char *text, size_t len, exchfeed_rec *out, char *err, size_t errlen);

/* The invariants: positive prices and sizes, bid <= ask. 0 when they hold;
 * -1 with err naming the broken one ("bid 25.4 > ask 25.3"). */
int exchfeed_check(const exchfeed_rec *r, char *err, size_t errlen);

/* "bookTicker" or "trade". */
const char *exchfeed_kind_name(exchfeed_kind k);

#endif
