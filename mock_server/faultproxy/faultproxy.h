/* faultproxy: the shared types of wsb-faultproxy, a byte-level TCP proxy
 * with a subset of Toxiproxy's HTTP API (see faultproxy_main.c for the whole
 * picture).
 *
 * The program is one thread around one epoll loop. A proxy (fp_proxy) owns a
 * listening socket, a list of toxic definitions (fp_toxic) and the
 * connections it accepted (fp_conn). A connection has two streams (fp_dir):
 * FP_UP carries client -> upstream bytes, FP_DOWN upstream -> client. Bytes
 * read from a stream's source pass through that stream's toxics, which turn
 * them into queued segments with a release time; the loop writes a segment
 * when its time has come and the sink can take it. Every queue is capped
 * (fp_config.buffer_bytes): a full queue stops reading from its source, so a
 * slow sink pushes back on the sender instead of growing memory.
 *
 * Ownership: the registry (faultproxy_net.c) owns proxies, connections and
 * toxics; the API (faultproxy_api.c) changes them only through the functions
 * declared here, all called from the loop's thread. */
#ifndef WSB_FAULTPROXY_H
#define WSB_FAULTPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define FP_VERSION "2.9.0-wsb1"        /* what GET /version answers */
#define FP_NAME_MAX 128                /* longest proxy or toxic name */
#define FP_ADDR_MAX 300                /* longest "host:port" */
#define FP_MAX_PROXIES 64              /* more: 400 with a clear error */
#define FP_MAX_TOXICS 32               /* per proxy; more: 400 */
#define FP_DEFAULT_MAX_CONNS 1024      /* proxied connections, all proxies */
#define FP_DEFAULT_BUFFER (256 * 1024) /* queued bytes per stream of a connection */
#define FP_READ_CHUNK 16384            /* largest single read from a socket */

enum fp_stream { FP_UP = 0, FP_DOWN = 1 };

enum fp_toxic_type {
    FP_T_LATENCY,
    FP_T_BANDWIDTH,
    FP_T_SLOW_CLOSE,
    FP_T_TIMEOUT,
    FP_T_RESET_PEER,
    FP_T_SLICER,
    FP_T_LIMIT_DATA,
    FP_T_COUNT
};

/* A toxic as the API sees it. Attributes not used by a type stay 0. */
typedef struct fp_toxic {
    char name[FP_NAME_MAX + 1];
    enum fp_toxic_type type;
    enum fp_stream stream;
    double toxicity;      /* 0..1: chance per connection that it applies */
    uint64_t gen;         /* unique per creation or update: connections re-roll on change */
    int64_t latency_ms;   /* latency */
    int64_t jitter_ms;    /* latency */
    int64_t rate_kbs;     /* bandwidth, KB/s (1 KB = 1000 bytes); 0 = no limit */
    int64_t delay;        /* slow_close: ms; slicer: microseconds between slices */
    int64_t timeout_ms;   /* timeout, reset_peer */
    int64_t average_size; /* slicer */
    int64_t size_variation; /* slicer */
    int64_t bytes;        /* limit_data */
} fp_toxic;

/* Per connection, per toxic slot: what a toxic remembers about one connection. */
typedef struct fp_tstate {
    uint64_t gen;       /* the toxic generation this state belongs to; 0 = unused */
    int active;         /* the toxicity roll came out "apply" */
    int64_t since_us;   /* when it started to apply */
    int64_t passed;     /* limit_data: bytes let through */
    int64_t bw_next_us; /* bandwidth: when the link is free again */
    int64_t fire_us;    /* timeout / reset_peer: when to close or reset; 0 = not armed */
} fp_tstate;

typedef struct fp_seg {
    struct fp_seg *next;
    int64_t due_us; /* not written before this time */
    size_t len, off;
    unsigned char data[];
} fp_seg;

/* What the loop dispatches on: the first member of everything in epoll. */
enum fp_kind { FP_K_API_LISTEN, FP_K_API_CLIENT, FP_K_LISTEN, FP_K_CLIENT, FP_K_UPSTREAM,
               FP_K_TIMER, FP_K_SIGNAL };
typedef struct fp_handle {
    enum fp_kind kind;
    int fd;
    uint32_t events; /* the interest currently registered */
    void *owner;
    int gone;        /* taken out of epoll (the peer hung up); closed with its owner */
} fp_handle;

typedef struct fp_dir {
    fp_seg *head, *tail;
    size_t queued;        /* bytes (plus segment overhead) in the queue */
    int64_t last_due_us;  /* keeps release times in order */
    int eof;              /* the source said EOF */
    int shut;             /* EOF passed on to the sink (shutdown SHUT_WR) */
    int64_t eof_due_us;   /* slow_close: when the EOF may be passed on */
    int close_after;      /* limit_data reached: close once the queue is written */
    int blocked;          /* the sink said EAGAIN: wait for EPOLLOUT */
} fp_dir;

struct fp_proxy;

typedef struct fp_conn {
    struct fp_proxy *proxy;
    struct fp_conn *prev, *next; /* in the proxy's list */
    fp_handle client, upstream;
    int connected;   /* the upstream connect finished */
    int dead;        /* closed; freed at the end of the loop iteration */
    fp_dir dir[2];   /* FP_UP: client -> upstream; FP_DOWN: upstream -> client */
    fp_tstate tstate[FP_MAX_TOXICS];
    char peer[64];
} fp_conn;

typedef struct fp_proxy {
    char name[FP_NAME_MAX + 1];
    char listen[FP_ADDR_MAX + 1];   /* as asked, then the real "host:port" once bound */
    char upstream[FP_ADDR_MAX + 1];
    int enabled;
    int dead;
    fp_handle listener;             /* fd -1 while disabled */
    fp_toxic *toxics[FP_MAX_TOXICS]; /* slots; NULL = free */
    int order[FP_MAX_TOXICS];       /* slot numbers in creation order */
    int ntoxics;
    fp_conn *conns;
    uint64_t conns_total, conns_active;
    uint64_t rx_bytes[2], tx_bytes[2]; /* per stream: read from the source, written to the sink */
} fp_proxy;

typedef struct fp_config {
    const char *host;      /* API address */
    int port;              /* API port; 0 = pick one */
    const char *config;    /* a populate file read at start, or NULL */
    int max_conns;
    size_t buffer_bytes;
    unsigned seed;
} fp_config;

/* ---- the loop and the registry (faultproxy_net.c) ---- */

/* Sets up epoll, the timer, signals and the API listener; prints
 * "listening on port N" on stdout. 0, or -1 with err. */
int fp_net_init(const fp_config *cfg, char *err, size_t errlen);
/* Runs until SIGTERM/SIGINT. Returns 0. */
int fp_net_run(void);
/* Closes everything. */
void fp_net_free(void);
/* Adds fd to the loop with interest ev. 0 or -1. */
int fp_net_watch(fp_handle *h, uint32_t ev);
/* Changes the interest (no-op when equal). */
void fp_net_rewatch(fp_handle *h, uint32_t ev);
/* Queues ptr for free(fn) at the end of this loop iteration (events of the
 * same batch may still name it). */
void fp_net_defer_free(void *ptr, void (*fn)(void *));

fp_proxy *fp_proxy_find(const char *name);
size_t fp_proxy_count(void);
fp_proxy *fp_proxy_at(size_t i);
/* Creates and (when enabled) binds. NULL with err and *status (400, 409, 500). */
fp_proxy *fp_proxy_create(const char *name, const char *listen, const char *upstream,
                          int enabled, int *status, char *err, size_t errlen);
/* Applies listen/upstream/enabled (NULL / -1 = unchanged). 0, or -1 with err and *status. */
int fp_proxy_update(fp_proxy *p, const char *listen, const char *upstream, int enabled,
                    int *status, char *err, size_t errlen);
void fp_proxy_delete(fp_proxy *p);
/* Adds a toxic (copied) after validation by the caller. 0, or -1 with err and *status. */
int fp_proxy_add_toxic(fp_proxy *p, const fp_toxic *t, int *status, char *err, size_t errlen);
fp_toxic *fp_proxy_find_toxic(fp_proxy *p, const char *name);
/* Replaces the attributes and toxicity of the toxic named like t. */
void fp_proxy_update_toxic(fp_proxy *p, fp_toxic *old, const fp_toxic *t);
void fp_proxy_remove_toxic(fp_proxy *p, fp_toxic *t);

/* ---- toxics (faultproxy_toxic.c) ---- */

const char *fp_toxic_type_name(enum fp_toxic_type t);
/* Reads a toxic body (create: base NULL; update: base is the current toxic
 * and only toxicity/attributes change). 0, or -1 with err (a 400). */
int fp_toxic_from_json(const cJSON *body, const fp_toxic *base, fp_toxic *out, char *err,
                       size_t errlen);
cJSON *fp_toxic_to_json(const fp_toxic *t);

/* Runs len bytes read from stream s of c through its toxics and queues what
 * comes out (possibly nothing: a timeout or reset_peer drops it). */
void fp_toxic_feed(fp_conn *c, enum fp_stream s, const unsigned char *data, size_t len,
                   int64_t now);
/* The toxic state of slot for c, (re)initialised when the toxic changed. */
fp_tstate *fp_toxic_state(fp_conn *c, int slot, int64_t now);
/* Time-driven toxics (timeout, reset_peer): 1 = close, 2 = reset, 0 = keep.
 * *next_us lowers to the next time this must be asked again. */
int fp_toxic_check(fp_conn *c, int64_t now, int64_t *next_us);
/* slow_close: the extra wait (µs) before an EOF in stream s is passed on. */
int64_t fp_toxic_close_delay(fp_conn *c, enum fp_stream s, int64_t now);
/* Frees the scratch space of fp_toxic_feed (at exit). */
void fp_toxic_free_scratch(void);
/* Seeds the random numbers behind toxicity, jitter and slice sizes. */
void fp_toxic_seed(unsigned seed);

/* ---- the HTTP API (faultproxy_api.c) ---- */

/* Accepts API clients from the listener. */
void fp_api_accept(fp_handle *listener);
/* Serves events of an API client. */
void fp_api_client_event(fp_handle *h, uint32_t ev);
/* Closes every API client (shutdown). */
void fp_api_close_all(void);
/* Reads a populate file (JSON array of proxies). 0, or -1 with err. */
int fp_api_populate_file(const char *path, char *err, size_t errlen);

#endif
