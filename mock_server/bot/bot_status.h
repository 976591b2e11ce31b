/* bot_status: the bot's HTTP status endpoints, served by an lws protocol on
 * the bot's own vhost (--status-port):
 *   GET /health   {"status":"ok",...}  (200 while the bot runs)
 *   GET /status   the body of schemas/status/bot.json
 *   GET /metrics  Prometheus text (wsbridge_bot_* names, schemas/README.md)
 * The numbers come from a snapshot callback, called on the service thread. */
#ifndef WSB_BOT_STATUS_H
#define WSB_BOT_STATUS_H

#include <stdint.h>
#include <libwebsockets.h>

#include "bot_loop.h"

typedef struct bot_status_snapshot {
    const char *source;
    const char *state; /* starting|running|paused|stopping|degraded */
    int connected;
    double uptime_s;
    double rate;
    int64_t loop_iterations;
    int64_t generated, sent, acked, acked_seq, last_seq, queued, dropped, reconnects;
    int64_t restored_seq, lost_at_source; /* after a kill: bot_state.h, bot_queue_set_floor */
    const char *last_error; /* NULL or "" -> null */
    int64_t late[BOT_LATE_NB]; /* loop steps later than BOT_LATE_BOUNDS_MS (bot_loop.h) */
    int64_t late_max_us;
} bot_status_snapshot;

typedef void (*bot_status_fn)(void *ud, bot_status_snapshot *out);

typedef struct bot_status bot_status;

bot_status *bot_status_new(bot_status_fn fn, void *ud);
void bot_status_free(bot_status *s);

/* The protocol entry serving HTTP; put it first in the vhost's list. */
struct lws_protocols bot_status_protocol(bot_status *s);

/* The bodies, malloc'd (caller frees); NULL on allocation failure. */
char *bot_status_json(const bot_status_snapshot *snap);
char *bot_status_metrics(const bot_status_snapshot *snap);

#endif
