/* bot_conn: the bot's WebSocket client to the dashboard (libwebsockets).
 *
 * Connects with "Authorization: Bearer <token>" (a given token, or one
 * minted per attempt from the JWT secret: role publisher, sub = source),
 * sends nothing before `welcome`, then streams the queue from welcome's
 * last_seq + 1 and applies cumulative acks. Dead connections are found by
 * ping/pong timeout (a partition closes nothing); every loss reconnects
 * after an exponential backoff with jitter (lws_retry_bo_t), forever or up
 * to max_retries. Commands from the dashboard (pause, resume, set_rate) act on
 * the trading loop and are answered with command_ack messages through the
 * queue; overflow is reported with a queue_overflow alert once connected.
 *
 * Everything runs on the lws service thread except bot_conn_wake(). */
#ifndef WSB_BOT_CONN_H
#define WSB_BOT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <libwebsockets.h>

#include "bot_loop.h"
#include "bot_queue.h"

#define BOT_CONN_ERR_MAX 256

typedef struct bot_conn_config {
    const char *url;        /* ws://host:port/path or wss:// */
    const char *token;      /* ready bearer token, or NULL */
    const char *jwt_secret; /* mint a token per attempt when token is NULL */
    const char *source;
    double retry_delay_s;   /* first backoff step */
    int max_retries;        /* consecutive failed attempts before giving up; 0: forever */
    double ping_interval_s; /* silence before a ping */
    double pong_timeout_s;  /* further silence before the connection counts as dead */
    /* Test-only (--test-fault, for the fault-tolerance suite's faulty peers; never set
     * in normal use): "reuse_seq" numbers from 1 at the first welcome whatever its
     * last_seq (a restarted bot that reuses sequence numbers); "silent_drop" never
     * sends the queue_overflow alert; "wrong_loss" announces a restart_loss range one
     * short of what the killed process held. bot_main.c handles the others
     * ("block_loop", "stamp_at_send", "bad_fills", "lose_state"). NULL: none. */
    const char *test_fault;
} bot_conn_config;

typedef struct bot_conn_status {
    int connected;      /* welcomed on a live connection */
    int gave_up;        /* max_retries exhausted */
    int64_t reconnects; /* connections established after the first */
    int64_t attempts;
    int64_t alerts; /* queue_overflow alerts queued */
    int64_t commands;
    char last_error[BOT_CONN_ERR_MAX]; /* "" when none */
} bot_conn_status;

typedef struct bot_conn bot_conn;

/* The connection keeps pointers to cfg's strings, q and loop (not owned).
 * NULL with err on a bad URL. */
bot_conn *bot_conn_new(const bot_conn_config *cfg, bot_queue *q, bot_loop *loop, char *err,
                       size_t errlen);
void bot_conn_free(bot_conn *c);

/* The protocol entry to put in the vhost's protocol list (its user field
 * points at c). */
struct lws_protocols bot_conn_protocol(bot_conn *c);

/* Starts connecting (needs the lws context created with the protocol). */
void bot_conn_start(bot_conn *c, struct lws_context *ctx, struct lws_vhost *vhost);

/* Any thread: messages were queued; wakes the service loop to send them. */
void bot_conn_wake(bot_conn *c);

/* Closes the connection for good (no reconnect). */
void bot_conn_shutdown(bot_conn *c);

/* Service thread only. */
void bot_conn_get_status(bot_conn *c, bot_conn_status *out);

/* Any thread: 1 while welcomed on a live connection. */
int bot_conn_connected(bot_conn *c);

#endif
