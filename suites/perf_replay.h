/* perf_replay: the performance suite's exchange-format replay and its live
 * mode.
 *
 * Replay: a recorded market stream in Binance's bookTicker and trade formats
 * (suites/replay/binance_sample.jsonl, made by wsb-exchgen; WSB_REPLAY_SAMPLE
 * names another) is decoded strictly line by line (exchfeed.h: an unknown or
 * missing field stops the replay, naming the line), then published through
 * the bridge by a test publisher on the recording's own clock: each record at
 * its event time re-based to the replay's start (and sped up by
 * WSB_PERF_REPLAY_SPEED), as market_data (bookTicker: symbol, bid, ask,
 * mid price, the two sizes' sum as volume) and trade_executed (trade: id,
 * side from "m", price, quantity). Each subscriber then checks what arrived:
 * the contract schema (unknown or missing fields refused), the record's
 * values, the invariants (bid <= ask, positive prices and sizes), the order
 * (every record once, in the recording's order) and freshness (receipt
 * against the record's re-based event time, within WSB_PERF_REPLAY_FRESH_MS).
 *
 * Live: with --live-url (WSB_LIVE_URL) the same strict decoding and
 * invariants are applied to a real exchange stream for a bounded window
 * (WSB_LIVE_WINDOW_S), plus per-symbol order of update and trade ids and
 * freshness against the local clock where records carry an event time.
 * Without a URL the check is skipped "no --live-url (offline)"; with one, a
 * stream that cannot be reached or carries nothing is a failure. */
#ifndef WSB_PERF_REPLAY_H
#define WSB_PERF_REPLAY_H

#include <stddef.h>

#include "bridge.h"

#define PERF_REPLAY_SUBSCRIBERS 3
#define PERF_REPLAY_FRESH_MS 1000 /* a record older than this on arrival is stale */
#define PERF_LIVE_FRESH_MS 5000   /* the same against an exchange's clock */
#define PERF_LIVE_MAX_RECORDS 50000

/* The sample the replay reads: WSB_REPLAY_SAMPLE, else suites/replay/binance_sample.jsonl. */
const char *perf_replay_sample(void);

/* Replays the file at path through the bridge at speed x the recording's
 * pace and judges what the subscribers received. */
check_result perf_replay_run(const suite_ctx *ctx, const char *path, double speed, char *msg,
                             size_t len);

/* Reads the exchange stream at url for window_s seconds (at most
 * PERF_LIVE_MAX_RECORDS records) and judges every record. */
check_result perf_live_run(const suite_ctx *ctx, const char *url, double window_s, char *msg,
                           size_t len);

#endif
