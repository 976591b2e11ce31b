/* wsclient: the harness's WebSocket client engine (libwebsockets).
 *
 * One wsclient is one lws context and one event loop holding any number of
 * connections (thousands: receive buffers are small, there are no
 * per-connection timers). Everything is driven from the calling (test)
 * thread: the blocking primitives below run lws_service() with short timeouts
 * until their condition holds or their deadline passes. The lws callbacks
 * only record (frames, close codes, HTTP status, times); the test thread
 * looks at what was recorded and asserts. Nothing here is thread-safe: use a
 * wsclient from one thread only.
 *
 * Per connection the engine keeps: the HTTP status of the handshake (101, or
 * 401/403/503... when refused), the connect time, every received message
 * (reassembled from fragments, capped at max_message bytes: a larger one is
 * an error and the engine closes with 1009), each stamped on receipt with
 * CLOCK_REALTIME and CLOCK_MONOTONIC microseconds, and the close code and
 * reason the peer sent (1006 when the connection ended without a close frame).
 *
 * Ownership: the wsclient owns every wsconn it hands out and every wsmsg a
 * wsconn holds; they stay valid until wsconn_free() / wsclient_free() (a
 * message also until wsconn_clear_messages()). Strings returned by getters are
 * owned by the connection. */
#ifndef WSB_WSCLIENT_H
#define WSB_WSCLIENT_H

#include <stddef.h>
#include <stdint.h>

#define WSCLIENT_DEFAULT_RX_BUFFER 512          /* bytes lws reads per callback per connection */
#define WSCLIENT_DEFAULT_MAX_MESSAGE (64 * 1024) /* the contract's default limit */
#define WSCLIENT_CLOSE_ABNORMAL 1006            /* close_code when no close frame came */
#define WSCLIENT_CLOSE_WAIT_S 5                 /* how long our close waits for the peer's */
#define WSCLIENT_CLOSE_NONE 0                   /* still open / never opened */

typedef struct wsclient wsclient;
typedef struct wsconn wsconn;

typedef struct wsclient_opts {
    int tls;              /* set when wss:// will be used (loads the CA store once per
                             context; implied by ca_file or insecure) */
    const char *ca_file;  /* wss://: CA bundle to trust; NULL: the system's */
    int insecure;         /* wss://: accept any certificate (tests only) */
    size_t rx_buffer;     /* 0: WSCLIENT_DEFAULT_RX_BUFFER */
    size_t max_message;   /* 0: WSCLIENT_DEFAULT_MAX_MESSAGE; larger incoming -> error + 1009 */
    size_t max_queued;    /* messages kept per connection; 0: unlimited (until memory) */
} wsclient_opts;

/* One received message. text is NUL-terminated (the NUL is not in len). */
typedef struct wsmsg {
    char *text;
    size_t len;
    int binary;
    int64_t rx_real_us; /* CLOCK_REALTIME when its last fragment arrived */
    int64_t rx_mono_us; /* CLOCK_MONOTONIC, same instant */
    uint64_t index;     /* position in this connection's receive order, from 0 */
} wsmsg;

/* Called for every complete message from inside the service loop (record
 * only: no asserts, no blocking, no wsclient calls but the getters). */
typedef void (*wsconn_msg_cb)(wsconn *k, const wsmsg *m, void *arg);

typedef struct wsconn_opts {
    const char *url;        /* ws://host:port/path or wss://... */
    const char *token;      /* bearer token; NULL: none */
    int token_in_query;     /* send it as ?token=... instead of Authorization: Bearer */
    const char *auth_header; /* raw Authorization value (e.g. "Basic x"); overrides token */
    const char *protocol;   /* Sec-WebSocket-Protocol; NULL: none */
    const char *name;       /* label used in error texts; NULL: the URL */
    int keep_messages;      /* 0 keeps every message (default); -1 keeps none (on_message only) */
    wsconn_msg_cb on_message;
    void *on_message_arg;
} wsconn_opts;

typedef enum wsconn_state {
    WSCONN_CONNECTING = 0,
    WSCONN_OPEN,
    WSCONN_CLOSING, /* we asked to close, waiting for lws */
    WSCONN_CLOSED,  /* was open, now closed */
    WSCONN_FAILED,  /* never opened: refused, unreachable, bad handshake */
} wsconn_state;

/* Predicate for wsconn_expect(): non-zero when m is the one wanted. */
typedef int (*wsmsg_pred)(const wsmsg *m, void *arg);

/* --- the client (one context, one loop) ---------------------------------- */

wsclient *wsclient_new(const wsclient_opts *o, char *err, size_t errlen);
/* Closes every connection and frees everything (connections, messages). */
void wsclient_free(wsclient *c);

/* One pass of the event loop, waiting at most timeout_ms for activity. */
void wsclient_service(wsclient *c, int timeout_ms);
/* Services the loop until cond(arg) is non-zero (checked between passes) or
 * timeout_ms passes. 0 when the condition held, -1 on timeout. */
int wsclient_run_until(wsclient *c, int (*cond)(void *arg), void *arg, int timeout_ms);
/* Services the loop for ms milliseconds (pacing, never as a wait for a condition). */
void wsclient_run_for(wsclient *c, int ms);

/* --- connections ----------------------------------------------------------- */

/* Starts a connection (does not wait). NULL with err when the URL is bad or
 * lws refused at once. The options' strings are copied. */
wsconn *wsclient_connect(wsclient *c, const wsconn_opts *o, char *err, size_t errlen);
/* Starts a connection and waits until it is open: the connection, or NULL
 * with err ("HTTP 401 at handshake", "connection refused", "timeout after 2000 ms").
 * On failure the connection is freed; use wsclient_connect + wsconn_wait_open
 * to keep it and inspect it. */
wsconn *wsclient_open(wsclient *c, const wsconn_opts *o, int timeout_ms, char *err, size_t errlen);
/* Starts n connections with the same options and services until each is open
 * or failed or timeout_ms passes. out[i] receives each connection (NULL when
 * it could not even start). Returns how many are open. */
int wsclient_connect_many(wsclient *c, const wsconn_opts *o, int n, wsconn **out, int timeout_ms);
/* Connections not closed or failed yet. */
int wsclient_live_count(const wsclient *c);

/* 0 when open; -1 with err (HTTP status, lws's reason, or timeout). */
int wsconn_wait_open(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen);
/* Opens again with the same options (after a close or failure). Received
 * messages are kept; close code, status and times are reset. 0 when open. */
int wsconn_reconnect(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen);
/* Frees the connection (closing it first if needed, without waiting). */
void wsconn_free(wsclient *c, wsconn *k);

/* Queues a text (or binary) message; written from the loop. 0 or -1 with err
 * (not open, out of memory). */
int wsconn_send_text(wsclient *c, wsconn *k, const char *text, size_t len, char *err,
                     size_t errlen);
int wsconn_send_binary(wsclient *c, wsconn *k, const void *data, size_t len, char *err,
                       size_t errlen);
/* Services until everything queued on k is written; 0, or -1 with err. */
int wsconn_flush(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen);

/* Sends a ping and waits for its pong: 0 with *rtt_us, or -1 with err. */
int wsconn_ping(wsclient *c, wsconn *k, int timeout_ms, int64_t *rtt_us, char *err,
                size_t errlen);

/* Starts a close with code and reason (our close frame); does not wait. The
 * peer has WSCLIENT_CLOSE_WAIT_S to answer with its own close frame (its code
 * is then wsconn_close_code()); after that, or when it just drops the TCP
 * connection, the connection ends with 1006. */
void wsconn_close(wsclient *c, wsconn *k, int code, const char *reason);
/* Services until the connection is closed (or failed). 0, or -1 on timeout. */
int wsconn_wait_closed(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen);

/* A pointer of the caller's, per connection (not owned; NULL by default). */
void wsconn_set_user(wsconn *k, void *user);
void *wsconn_get_user(const wsconn *k);

/* --- what was received ------------------------------------------------------ */

/* Waits for the next message after the read cursor and advances past it.
 * NULL on timeout or when the connection closed with nothing left (err says which). */
const wsmsg *wsconn_next(wsclient *c, wsconn *k, int timeout_ms, char *err, size_t errlen);
/* Advances the cursor until a message matching pred (skipped ones stay stored,
 * *skipped counts them when non-NULL); waits up to timeout_ms for more. NULL
 * on timeout or close (err says which and how many were skipped). */
const wsmsg *wsconn_expect(wsclient *c, wsconn *k, wsmsg_pred pred, void *arg, int timeout_ms,
                           int *skipped, char *err, size_t errlen);
/* Waits until at least n messages are stored after the cursor (or the
 * connection closes, or timeout); returns how many are stored after it. The
 * cursor does not move: read them with wsconn_msg(k, wsconn_cursor(k) + i). */
size_t wsconn_collect(wsclient *c, wsconn *k, size_t n, int timeout_ms);
/* Services until received_total(k) >= n or timeout; returns received_total. */
uint64_t wsconn_wait_received(wsclient *c, wsconn *k, uint64_t n, int timeout_ms);

size_t wsconn_count(const wsconn *k);  /* stored messages */
const wsmsg *wsconn_msg(const wsconn *k, size_t i);
size_t wsconn_cursor(const wsconn *k);
void wsconn_set_cursor(wsconn *k, size_t i);
uint64_t wsconn_received_total(const wsconn *k); /* including ones not kept */
void wsconn_clear_messages(wsconn *k);            /* frees stored messages, cursor 0 */

/* --- state ------------------------------------------------------------------ */

wsconn_state wsconn_get_state(const wsconn *k);
const char *wsconn_state_name(wsconn_state s);
int wsconn_http_status(const wsconn *k);   /* 101 when upgraded, 401..., 0 when none came */
/* The code in the peer's close frame (also when it answers our close: the
 * engine writes its own close frame so the answer is seen), 1006 when the
 * connection ended without one, 0 while open. */
int wsconn_close_code(const wsconn *k);
const char *wsconn_close_reason(const wsconn *k); /* the peer's reason text, "" when none */
int wsconn_closed_by_us(const wsconn *k);  /* we initiated the close */
const char *wsconn_error(const wsconn *k); /* last error (handshake, oversize...), "" when none */
int64_t wsconn_connect_us(const wsconn *k); /* connect start to open, -1 when not opened */
int64_t wsconn_opened_mono_us(const wsconn *k);
int64_t wsconn_closed_mono_us(const wsconn *k);
const char *wsconn_name(const wsconn *k);
int wsconn_oversize_count(const wsconn *k); /* incoming messages refused for size */

#endif
