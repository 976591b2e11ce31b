/* message_flow_int: what message_flow.c and message_flow_stream.c share
 * (the bot's source, the window size, a client whose bot is present on the
 * wire, the window's start, a subscriber from a sequence). Private to the
 * message-flow suite; message_flow.h is its interface. */
#ifndef WSB_SUITE_MESSAGE_FLOW_INT_H
#define WSB_SUITE_MESSAGE_FLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bridge.h"
#include "flowcheck.h"

#define OPEN_TIMEOUT_MS 5000 /* a subscriber or publisher is open within this */

/* The bot's source name ("bot-1" unless configured). Static. */
const char *mf_bot_of(const suite_ctx *ctx);
/* How many messages a window follows (the profile's flow_messages). */
int mf_flow_n(const suite_ctx *ctx);
/* A client engine for a check that needs the bot's stream: the bot counts as
 * present when its stream is (no status endpoint needed). The client, or
 * NULL with *r and msg set. */
wsclient *mf_bot_client(const suite_ctx *ctx, char *msg, size_t len, check_result *r);
/* Where a window starts: the dashboard's last_seq for the bot, else the seq
 * before the first bot message a fresh subscriber sees. 0, or -1 with err. */
int mf_start_point(const suite_ctx *ctx, wsclient *c, int64_t *k0, char *err, size_t errlen);
/* A subscriber with the given filters (JSON members, or NULL) resuming the
 * bot's source from seq `from`, feeding f (when not NULL) from its callback;
 * keep: the messages are also kept on the connection. NULL with err. */
wsconn *mf_subscriber_from(wsclient *c, const suite_ctx *ctx, const char *filters, int64_t from,
                           flowcheck *f, int keep, char *err, size_t errlen);

/* A wait condition for wsclient_run_until: n unique sequences of src seen
 * by f, or (max_seq > 0) the source's highest seq reaching max_seq. */
typedef struct mf_unique_arg {
    flowcheck *f;
    const char *src;
    uint64_t n;
    int64_t max_seq;
} mf_unique_arg;
int mf_unique_cond(void *arg);

#endif
