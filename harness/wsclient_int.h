/* wsclient_int: the client engine's internals, shared by wsclient.c (the
 * lws context, the callback, connecting) and wsconn.c (sending, reading
 * what arrived, the accessors). Private to harness/: nothing else includes
 * it; the API is wsclient.h. */
#ifndef WSB_WSCLIENT_INT_H
#define WSB_WSCLIENT_INT_H

#include <libwebsockets.h>
#include <stdint.h>

#include "wsclient.h"

typedef enum { TX_TEXT, TX_BINARY } tx_kind;

typedef struct txmsg {
    struct txmsg *next;
    tx_kind kind;
    size_t len;
    unsigned char buf[]; /* LWS_PRE bytes of headroom, then the payload */
} txmsg;

struct wsconn {
    wsclient *c;
    struct lws *wsi;
    wsconn *prev, *next; /* the client's list */

    /* options (copied) */
    char *url, *token, *auth_header, *protocol, *name;
    int token_in_query, keep_messages;
    wsconn_msg_cb on_message;
    void *on_message_arg;
    void *user;
    /* parsed URL */
    char host[256];
    int port, tls;
    char *path; /* with the ?token= query when asked */

    wsconn_state state;
    int http_status;
    int close_code;
    char close_reason[128];
    int closed_by_us;
    char error[384];
    char tls_verify[160]; /* why the server's certificate did not verify, "" when it did */
    int64_t start_mono, opened_mono, closed_mono;

    /* receive: reassembly and the stored messages */
    char *asm_buf;
    size_t asm_len, asm_cap;
    int asm_active, asm_binary;
    wsmsg *msgs;
    size_t nmsgs, msgs_cap, cursor;
    uint64_t received_total;
    int oversize;

    /* send */
    txmsg *tx_head, *tx_tail;
    size_t tx_queued;
    int close_pending, close_sent, close_code_tx;
    int close_frame_rx; /* the peer sent a close frame (close_code is its code) */
    char close_reason_tx[120];
    int ping_want, ping_sent, pong_got;
    uint32_t ping_id;
    int64_t ping_mono, pong_mono;
};

struct wsclient {
    struct lws_context *ctx;
    wsclient_opts o;
    wsconn *conns; /* doubly linked list of every live wsconn */
    lws_sorted_usec_list_t wake;
    struct lws_protocols protocols[2];
};

/* 1 when the connection has reached a final state (closed or failed). */
int wsclient__conn_done(const wsconn *k);

#endif
