/* dashboard: the mock dashboard server's internal contract, shared by its
 * modules (not a public API):
 *   dashboard_main.c     flags, --help, signals, the service loop
 *   dashboard.c          lws context, the one ws protocol, handshake auth,
 *                        rx reassembly and limits, HTTP endpoints, the sweep
 *   dashboard_pub.c      publishers: validation, dedup, seq jumps, acks
 *   dashboard_wire.c     the client frames' mask bit (lws does not check it),
 *                        on ws:// and wss://; the server's TLS versions
 *   dashboard_history.c  sources, the history ring, the append-only journal
 *   dashboard_sub.c      subscribers: filters, replay, fan-out, slow consumers
 *   dashboard_status.c   /api/websocket/status JSON and /metrics text
 *   dashboard_guard.c    refusals lws does not make (version, Origin, HTTP
 *                        methods and bodies, close codes)
 *
 * Everything runs on lws's single service thread; nothing here is locked.
 *
 * The history ring is also every subscriber's send queue: a subscriber is a
 * read position (cursor) in it, so one encoded stream frame (ws header +
 * payload, unmasked) is shared by every subscriber and copied into one
 * coalesced lws_write(LWS_WRITE_RAW) per writable callback. */
#ifndef WSB_DASHBOARD_H
#define WSB_DASHBOARD_H

#include <libwebsockets.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "contract.h"
#include "jwt.h"

#define DASHBOARD_SYMBOL_MAX 24      /* symbol pattern allows 21 characters */
#define DASHBOARD_NAME_MAX JWT_SUB_MAX
#define DASHBOARD_WRITE_CAP (256 * 1024) /* bytes per coalesced write, at least */
#define DASHBOARD_OUT_MAX 4096       /* private frames queued before closing 1008 */
#define DASHBOARD_MAX_SOURCES 4096   /* sources a subscriber's "from" may add */
#define DASHBOARD_RX_BUFFER 512      /* lws rx buffer per connection */
#define DASHBOARD_WAKE_BATCH 512     /* items pushed before subscribers are woken regardless */
#define DASHBOARD_WAKE_MAX_US 1000   /* longest a wake-up is deferred */
#define DASHBOARD_TX_PACKET (1024 * 1024) /* largest single socket write lws attempts */
#define DASHBOARD_HANDSHAKE_MAX 1024 /* handshakes parsed at once (lws header tables); more wait */
#define DASHBOARD_COMMANDS_QUEUED (DASHBOARD_OUT_MAX / 4) /* frames queued for a publisher
                                        before a command for it is refused ("busy") */
#define DASHBOARD_NO_ITEM UINT64_MAX /* "none" for ring indices */

enum dashboard_slow_policy { DASHBOARD_SLOW_DISCONNECT = 0, DASHBOARD_SLOW_DROP = 1 };
enum dashboard_role { DASHBOARD_ROLE_NONE = 0, DASHBOARD_ROLE_PUBLISHER, DASHBOARD_ROLE_SUBSCRIBER };

typedef struct dashboard_config {
    const char *host;        /* NULL or "0.0.0.0": every interface */
    int port;                /* 0: pick a free one */
    const char *jwt_secret;
    const char *journal;     /* NULL: no journal, acks are immediate */
    size_t history;          /* ring capacity (messages) */
    size_t max_message;      /* bytes; larger frames close 1009 */
    const char *schemas;
    int fsync_ms;
    int slow_policy;
    int max_connections;
    size_t queue_limit;      /* live frames a subscriber may lag behind */
    double rate_limit;       /* messages/s per connection, 0 = unlimited */
    int idle_timeout_s;      /* 0 = never */
    int max_depth;           /* JSON nesting limit */
    int shutdown_ms;         /* bound on the SIGTERM drain */
    int use_libev;           /* epoll through lws's libev plugin, else lws's poll() loop */
    int64_t max_seq_jump;    /* seqs a message may skip (a gap); more: error seq_jump; 0 = any */
    double command_rate;     /* commands/s per subscriber, 0 = unlimited; more: error rate */
    size_t journal_buffer_max; /* bytes buffered for the journal; more: error store */
    int message_timeout_s;   /* a started message must be complete within S s; 0 = never */
    int handshake_timeout_s; /* a handshake must be complete within S s */
    /* Test-only (--test-fault, for the fault suite's faulty peers; never set in
     * normal use): "replay_dup" replays from one message before what a
     * subscriber's "from" asks (it gets a message it had again); "leak_fd"
     * opens a file it never closes each time a connection closes; "tls1"
     * accepts TLS 1.0 and 1.1 (the refusal below 1.2 switched off); "tls_plain"
     * also serves plaintext ws/http on the TLS port; "slow_blocks" waits 5 ms
     * at each message while a subscriber lags by a quarter of the queue limit
     * (a slow subscriber that slows everyone). NULL: none. */
    const char *test_fault;
    const char *tls_cert;    /* PEM certificate (chain): serve TLS; NULL: plain ws/http */
    const char *tls_key;     /* its private key */
    const char *allowed_origins; /* comma-separated Origins a browser may upgrade from; NULL: any */
} dashboard_config;

/* One history entry: an accepted envelope (as a stream frame) or a gap. */
typedef struct dashboard_item {
    uint8_t *frame;          /* ws header + payload, malloc'd, owned by the ring */
    uint32_t frame_len;
    uint32_t src;            /* source index */
    int type;                /* contract type index; -1 for a gap notice */
    int64_t seq;             /* the seq; for a gap its upper bound */
    int64_t gap_from;        /* gaps only */
    uint64_t next_same;      /* ring index of the next item of the same source, or NO_ITEM */
    char symbol[DASHBOARD_SYMBOL_MAX]; /* data.symbol or "" */
} dashboard_item;

struct dashboard_conn;

typedef struct dashboard_source {
    char name[DASHBOARD_NAME_MAX];
    int64_t last_seq;        /* highest seq held */
    int64_t durable_seq;     /* highest seq written and synced */
    uint64_t received, duplicates, gaps, gap_messages, invalid;
    int seen;                /* a publisher used it (or the journal holds it) */
    uint64_t held;           /* its items in the ring */
    uint64_t first_idx, last_idx; /* ring indices of its oldest and newest (when held) */
    int store_refused;       /* its next seq was refused "store": nothing later is taken
                                before it (a jump would make it a gap, a loss) */
    struct dashboard_conn *publisher; /* the connected publisher, for commands */
} dashboard_source;

/* A private frame queued for one connection (control frames). */
typedef struct dashboard_out {
    struct dashboard_out *next;
    size_t len;
    uint8_t data[];          /* ws header + payload */
} dashboard_out;

typedef struct dashboard_subpos {
    int64_t delivered;       /* highest seq of the source sent (or skipped by from) */
    int in_from;             /* the subscribe named this source in "from" */
} dashboard_subpos;

/* Per-session data of the one protocol (HTTP and ws connections). */
typedef struct dashboard_conn {
    struct lws *wsi;
    int role;                /* enum dashboard_role; NONE for plain HTTP */
    int established;
    char name[DASHBOARD_NAME_MAX]; /* the token's sub */
    int src;                 /* publisher: source index */
    struct dashboard_conn *prev, *next; /* in the publishers or subscribers list */

    /* reassembly of fragmented messages */
    char *rx;
    size_t rx_len, rx_cap;
    int rx_binary;

    int64_t last_rx_us;      /* last complete message or pong */
    int64_t partial_since_us; /* a message is being received since; 0 none */
    int ping_due;
    double tokens;           /* rate limit bucket */
    int64_t tokens_us;

    dashboard_out *out_head, *out_tail;
    size_t out_count;
    int64_t acked_sent;      /* publisher: last ack value sent, -1 none */
    int ack_wanted;          /* publisher: re-ack even if unchanged */
    int close_code;          /* non-zero: close with it at the next writable */
    char close_reason[64];
    int writable_pending;

    /* subscriber */
    int subscribed;
    uint64_t cursor;         /* next ring index to look at */
    uint64_t start;          /* ring head when it subscribed: older items replay only */
    dashboard_subpos *pos;   /* per source index */
    size_t npos;
    uint32_t type_mask;      /* 0: all types */
    char (*symbols)[DASHBOARD_SYMBOL_MAX];
    size_t nsymbols;
    uint64_t delivered_count;
    double cmd_tokens;       /* command rate bucket */
    int64_t cmd_tokens_us;
} dashboard_conn;

typedef struct dashboard_stats {
    uint64_t received, delivered;
    uint64_t slow_disconnected, slow_dropped;
    uint64_t refused_auth, refused_forbidden, refused_max_conn, refused_too_large,
        refused_bad_utf8, refused_binary, refused_too_deep, refused_rate, refused_idle,
        refused_invalid;
    uint64_t refused_unmasked, refused_seq_jump, refused_commands, refused_store,
        refused_stalled;
    uint64_t journal_write_errors;
    int journal_failing;     /* the last journal write failed */
} dashboard_stats;

typedef struct dashboard {
    dashboard_config cfg;
    contract *contract;
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    int port;
    int64_t start_us;

    dashboard_source *sources;
    size_t nsources, sources_cap;
    int *source_index;       /* open addressing by name hash: source index + 1, 0 empty */
    size_t source_index_cap; /* a power of two, at least twice nsources */

    /* history ring: absolute indices [tail, head) are held */
    dashboard_item *ring;
    size_t ring_cap;
    uint64_t head;

    /* journal */
    int journal_fd;
    uint8_t *jbuf;
    size_t jbuf_len, jbuf_cap;
    uint64_t journal_bytes, journal_records;
    int fsync_scheduled;
    lws_sorted_usec_list_t sul_fsync;
    lws_sorted_usec_list_t sul_sweep;
    lws_sorted_usec_list_t sul_wake;
    int wake_scheduled;
    uint64_t woken_head;     /* ring head when subscribers were last woken */
    int64_t last_wake_us;

    dashboard_conn *publishers, *subscribers;
    int npublishers, nsubscribers;

    dashboard_stats st;
    int evlib;               /* running on the libev loop */
    int shutting_down;
    int finished;            /* drained (or deadline passed): the loop may end */
    int64_t shutdown_deadline_us;
    lws_sorted_usec_list_t sul_shutdown;
    uint8_t *scratch;        /* LWS_PRE + coalesced write buffer */
    size_t scratch_cap;
} dashboard;

/* ---- dashboard.c ---- */
/* Set (from a signal handler) to ask for the drain; seen within one sweep. */
extern volatile sig_atomic_t dashboard_stop_requested;

/* Creates the context and listens; fills d->port. 0, or -1 with err. */
int dashboard_start(dashboard *d, char *err, size_t errlen);
/* Runs the service loop until the drain after a stop request finished. */
void dashboard_run(dashboard *d);
/* Starts the SIGTERM drain: every connection is closed with 1001; the
 * journal is flushed; d->finished is set when all closed or at the deadline. */
void dashboard_begin_shutdown(dashboard *d);
/* Total established ws connections. */
int dashboard_conn_count(const dashboard *d);
void dashboard_destroy(dashboard *d);
/* Queues a private text frame (copied) for c and asks for writable. */
int dashboard_conn_send(dashboard *d, dashboard_conn *c, const char *json, size_t len);
/* Queues an error frame {"type":"error","seq":seq|null,"code":..,"reason":..}. */
void dashboard_conn_error(dashboard *d, dashboard_conn *c, int64_t seq, const char *code,
                          const char *reason);
/* Marks c to be closed with code at its next writable callback. */
void dashboard_conn_close(dashboard_conn *c, int code, const char *reason);
void dashboard_request_write(dashboard_conn *c);
/* Moves c's queued private frames, oldest first, into buf (cap bytes; the
 * first one always, even when larger): the bytes filled, *more set when
 * frames are left for the next writable. */
size_t dashboard_out_fill(dashboard_conn *c, uint8_t *buf, size_t cap, int *more);
/* Writes a server (unmasked) ws text frame header for len bytes; returns its size (2, 4 or 10). */
size_t dashboard_frame_header(uint8_t *hdr, size_t len, int opcode);
/* A token bucket of rate per second holding a second's worth (at least one):
 * 1 when a token was taken, 0 when empty. */
int dashboard_bucket_take(double *tokens, int64_t *tokens_us, double rate);

/* ---- dashboard_pub.c ---- */
/* A complete text message from publisher c. */
void dashboard_pub_message(dashboard *d, dashboard_conn *c, const char *text, size_t len);
/* Fills a publisher's batch: private frames, then the cumulative ack. */
size_t dashboard_pub_fill(dashboard *d, dashboard_conn *c, uint8_t *buf, size_t cap, int *more);

/* ---- dashboard_wire.c ---- */
/* lws 4.1.6 accepts unmasked client frames (RFC 6455 5.1 says the server
 * must close the connection). It reads every plain socket with recv(), which
 * dashboard_wire.c interposes to follow each connection's frame headers.
 * Starts following fd (a connection just accepted): its request, then frames. */
void dashboard_wire_accepted(int fd);
/* A plain HTTP request on fd was answered: the next bytes are a request
 * again (if bytes beyond it were read already, fd is no longer judged). */
void dashboard_wire_http_done(int fd);
/* 1 when fd's peer sent an unmasked frame since it was accepted. */
int dashboard_wire_unmasked(int fd);
/* Frames declaring more than max bytes mark their connection (0: none are). */
void dashboard_wire_set_max(uint64_t max);
/* 1 when fd's peer sent a frame header declaring more than that. */
int dashboard_wire_oversize(int fd);
/* Connections that sent an unmasked or oversize frame since the last call (and reset the count). */
unsigned dashboard_wire_take_flagged(void);
/* Frees the table (at exit). */
void dashboard_wire_free(void);
/* The server's SSL_CTX (an SSL_CTX *): TLS 1.2 and later only, or with
 * allow_old (the test-only fault "tls1") TLS 1.0 and later. 0 or -1. */
int dashboard_wire_tls_ctx(void *ssl_ctx, int allow_old);

/* ---- dashboard_history.c ---- */
int dashboard_history_init(dashboard *d, char *err, size_t errlen);
void dashboard_history_free(dashboard *d);
/* Index of the source named name, created when absent; -1 on allocation failure. */
int dashboard_source_get(dashboard *d, const char *name);
int dashboard_source_find(const dashboard *d, const char *name);
uint64_t dashboard_ring_tail(const dashboard *d);
dashboard_item *dashboard_ring_at(dashboard *d, uint64_t idx);
/* Appends a stream payload (JSON text, not framed) as the newest item:
 * frames it, lets subscribers react before the oldest item is overwritten
 * and journals it. Waking the subscribers is the caller's (dashboard_pub.c
 * batches wake-ups while the publisher's socket has more to read).
 * 0, or with nothing changed -1 (no memory) or DASHBOARD_PUSH_JOURNAL_FULL
 * (the journal buffer is at --journal-buffer-max: its writes keep failing). */
#define DASHBOARD_PUSH_JOURNAL_FULL (-2)
int dashboard_history_push(dashboard *d, int src, int type, int64_t seq, int64_t gap_from,
                           const char *symbol, const char *payload, size_t len);
/* Replays the journal into the ring and sources (at start). */
int dashboard_journal_open(dashboard *d, char *err, size_t errlen);
/* Writes buffered records, fsyncs, marks sources durable and wakes their publishers. */
void dashboard_journal_flush(dashboard *d, int sync);
/* Ring index of the oldest item of source src, or DASHBOARD_NO_ITEM: O(1). */
uint64_t dashboard_source_first(const dashboard *d, int src);

/* ---- dashboard_sub.c ---- */
/* A complete text message from a subscriber. */
void dashboard_sub_message(dashboard *d, dashboard_conn *c, const char *text, size_t len);
/* Before each push, while the oldest item can still be read: applies the
 * slow-consumer policy to subscribers past the queue limit or about to lose
 * that item. */
void dashboard_sub_before_push(dashboard *d);
/* Asks for a writable callback on every subscribed subscriber (the batched
 * wake-up after pushes; see publisher_settle in dashboard.c). */
void dashboard_sub_after_push(dashboard *d);
/* Fills buf for subscriber c: its private frames (dashboard_out_fill), then
 * the stream items due; returns bytes, sets *more. */
size_t dashboard_sub_fill(dashboard *d, dashboard_conn *c, uint8_t *buf, size_t cap, int *more);
void dashboard_sub_free(dashboard_conn *c);
size_t dashboard_sub_depth(const dashboard *d, const dashboard_conn *c);

/* ---- dashboard_page.c ---- */
/* The live view served at GET / and /index.html: static bytes embedded in
 * the binary (*len set; never freed). */
int dashboard_page_match(const char *uri);
const char *dashboard_page(size_t *len);
/* ---- dashboard_guard.c ---- */
/* Judges an upgrade before the token: 0 to go on, else the HTTP status to
 * refuse with (400 no version, 426 not 13, 403 a foreign Origin) and *reason. */
unsigned dashboard_guard_upgrade(const dashboard *d, struct lws *wsi, const char **reason);
/* Judges a plain HTTP request: 0 to serve it, else 405 (not GET) or 400 (a body). */
unsigned dashboard_guard_http(struct lws *wsi, const char **reason);
/* A peer's close payload (lws echoes it): a code of 5000 or more becomes 1002
 * in place; -1 for a 1-byte payload (drop the connection), else 0. */
int dashboard_guard_close(void *payload, size_t len);

/* ---- dashboard_status.c ---- */
/* malloc'd bodies; the caller frees. */
char *dashboard_status_json(dashboard *d, size_t *len);
char *dashboard_metrics_text(dashboard *d, size_t *len);

#endif
