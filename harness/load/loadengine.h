/* loadengine: thousands of WebSocket connections in one event loop, for the
 * load suite and wsb-load.
 *
 * libwebsockets opens each connection and does the handshake (on its libev
 * loop when libwebsockets-evlib-ev is installed, else its poll() loop).
 * After the handshake a connection that speaks first (it sends a subscribe or
 * its own messages) leaves lws's reader: the engine turns lws's receive off
 * for it, watches its socket in an epoll set that sits in the same loop, and
 * reads many frames per read() (loadframe.h). The engine's writers mask
 * their own frames and write all that is due in one call. wss:// and
 * --no-bulk connections stay on lws's reader and writer (slower, the same
 * checks). A server that speaks first (the dashboard's welcome to a
 * publisher) is read by lws.
 *
 * Every run is bounded: connections open at most max_in_flight at a time,
 * each handshake within connect_timeout_s, and the run stops by itself at
 * its deadline (or earlier once every connection met its target). Lost
 * connections reconnect with backoff and jitter (lws_retry_bo_t) when
 * reconnect is set. Not thread-safe: one engine per process or thread. */
#ifndef WSB_LOADENGINE_H
#define WSB_LOADENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

/* Errors, counted by kind. */
enum {
    LOADERR_CONNECT,   /* TCP connect or handshake failed (no HTTP answer) */
    LOADERR_REFUSED,   /* the server answered the handshake with an HTTP error */
    LOADERR_TIMEOUT,   /* a handshake took longer than connect_timeout_s */
    LOADERR_CLOSED,    /* an open connection ended without a close frame */
    LOADERR_CLOSE_FRAME, /* the server closed with a close frame */
    LOADERR_PROTOCOL,  /* a frame broke RFC 6455 */
    LOADERR_TOO_BIG,   /* a message over max_message */
    LOADERR_SERVER,    /* an "error" frame from the server */
    LOADERR_COUNT
};
extern const char *const loadengine_error_names[LOADERR_COUNT];

struct loadengine_result;

typedef struct loadengine_cfg {
    const char *url;           /* ws://host:port/path the connections open (wss:// too) */
    const char *token;         /* their bearer token (NULL: none) */
    const char *subscribe;     /* the first frame each sends (NULL: none) */
    int connections;
    long target_messages;      /* a connection that receives this many met its target (0: none) */
    double duration_s;         /* the run's bound after the last connection was opened */
    double connect_timeout_s;  /* per handshake (default 10) */
    int max_in_flight;         /* handshakes at once (default 200) */
    double send_rate;          /* messages/s each connection sends itself (0: none) */
    long send_count;           /* how many each sends (0: until the end) */
    size_t send_size;          /* pads what it sends to this many bytes */
    const char *pub_url;       /* the engine's publishers: ws://host:port/ws */
    int publishers;
    const char *const *pub_tokens; /* one per publisher, minted for its source:
                                      publisher i (from 0) is "load-<pub_first + i + 1>" */
    int pub_first;
    const char *pub_symbol;    /* the data.symbol of what they publish (NULL: BTC-USD) */
    double pub_rate;           /* messages/s each */
    long pub_messages;         /* each publishes this many (0: until the end) */
    int contract;              /* the wsbridge contract: publishers wait for the welcome,
                                  only stream envelopes count as messages */
    int reconnect;             /* reconnect lost connections (backoff + jitter) */
    int no_bulk;               /* lws reads and writes every connection */
    int stop_when_done;        /* stop once every connection met its target and the
                                  publishers sent everything (else run the duration) */
    size_t max_message;        /* default 65536 */
    /* scenario schedules (loadscen.h sets them; zero: steady, all at once) */
    double burst_s, idle_s;    /* senders send at their rate for burst_s, then pause idle_s */
    int ramp_initial, ramp_steps; /* subscribers: ramp_initial at once, the rest in steps */
    double ramp_step_s;        /* one ramp step every ramp_step_s */
    int pubs_first;            /* publishers start at once, not after the subscribers */
    double hold_s, gap_s;      /* intermittent: a subscriber closes after hold_s (+-20 %)
                                  open and reopens after gap_s, resuming from the last seq
                                  of each source it saw; only while publishers still send */
    const double *sub_ping_hz; /* per subscriber: WebSocket pings a second (NULL: none) */
    const char *ca_file;
    /* once a second: the figures so far (NULL: none) */
    void (*progress)(void *user, const struct loadengine_result *r, double t_s);
    void *user;
} loadengine_cfg;

/* One connection's figures (times in microseconds from its first open; -1 none). */
typedef struct loadconn_stat {
    int ok;                /* a handshake succeeded */
    int http_status;       /* the last refusal's HTTP status (0: none) */
    int reconnects;
    int64_t connect_us;    /* the first handshake's duration */
    int64_t first_us, last_us;
    uint64_t messages;
    uint64_t sent;
    int target_met;
} loadconn_stat;

typedef struct loadengine_result {
    int connections;
    loadconn_stat *conns;   /* connections entries, owned */
    int open_now, open_peak, bulk_conns;
    uint64_t frames_rx, messages_rx, bytes_rx, sent, pub_sent, pub_acked;
    uint64_t reads_rx;      /* read() calls that returned bytes (bulk) or lws receive calls */
    uint64_t seq_missing, seq_dup, gaps_told;
    uint64_t errors[LOADERR_COUNT];
    uint64_t ledger_short;  /* deliveries missing from a subscriber's ledger (contract) */
    uint64_t cycles;        /* intermittent: planned closes */
    uint64_t pings, pongs;  /* pings the subscribers sent, pongs they received */
    histogram *latency;     /* receive time - ts_us (ns), owned */
    histogram *latency_1s;  /* the same since the last progress call (ns), owned */
    histogram *relay;       /* relay_us - ts_us (ns), owned */
    double elapsed_s, cpu_s;
    long long rss_peak;     /* bytes, -1 unknown */
    long nofile;            /* the soft fd limit the run had */
    int evlib;              /* 1 libev loop, 0 lws's poll() */
    int timed_out;          /* the deadline ended it, not the targets */
} loadengine_result;

/* Runs one load as configured: 0 when it ran (the figures say how it went),
 * -1 with err when it could not start. r is filled; free with
 * loadengine_result_free. */
int loadengine_run(const loadengine_cfg *cfg, loadengine_result *r, char *err, size_t errlen);
void loadengine_result_free(loadengine_result *r);

/* Raises the soft RLIMIT_NOFILE towards want. Returns the new soft limit;
 * when the hard limit caps it below want, says so in msg (else msg is ""). */
long loadengine_raise_nofile(long want, char *msg, size_t msglen);

/* Connections that succeeded / the total, in 0..1 (1 when none). */
double loadengine_success_rate(const loadengine_result *r);
uint64_t loadengine_errors_total(const loadengine_result *r);

#endif
