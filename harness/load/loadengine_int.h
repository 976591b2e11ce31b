/* loadengine_int: what the load engine's files share (private to
 * harness/load/): the connection record, the engine, and the functions the
 * receive side (loadengine_rx.c) and the loop (loadengine.c) call across. */
#ifndef WSB_LOADENGINE_INT_H
#define WSB_LOADENGINE_INT_H

#include <libwebsockets.h>

#include "loadengine.h"
#include "loadframe.h"

#define TICK_US 5000
#define READ_BUF (256 * 1024)
#define WRITE_BUF (256 * 1024)
#define MAX_SOURCES 256
#define MAX_PER_WRITE 2000 /* frames one writer puts into one write() */

enum { ST_IDLE, ST_CONNECTING, ST_OPEN, ST_RETRY, ST_DONE };

typedef struct srcseen {
    int64_t first, last;
    uint64_t count;
} srcseen;

typedef struct lconn {
    struct loadengine *e;
    struct lws *wsi;
    lws_sorted_usec_list_t sul; /* the retry timer */
    loadframe_rx rx;
    srcseen *seen;              /* by source index, grown on demand */
    uint8_t *wq;                /* bytes a full socket did not take */
    uint32_t wq_len, wq_off;
    int idx, fd;
    uint16_t nseen, retries;
    uint8_t state, pub, bulk, in_epoll, ready, welcomed, killing, planned;
    int64_t t0_us, open_us;     /* first open; this attempt's open (monotonic) */
    int64_t send_start_us;      /* real clock: the sending schedule's origin */
    int64_t next_seq;           /* the seq of message number 0 */
    int64_t acked;              /* a publisher's highest acked seq */
    uint64_t sent;
    int64_t hold_until_us;      /* intermittent: when this open period ends (monotonic) */
    int64_t live_from_us;       /* after a resume: older ts_us are replays, not latency */
    uint32_t pinged;            /* pings sent in this open period */
    uint32_t rng;
} lconn;

typedef struct loadengine {
    const loadengine_cfg *cfg;
    loadengine_result *r;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    lws_sorted_usec_list_t tick;
    lconn *c;                  /* cfg->connections subscribers, then publishers */
    int n, nsub, next_open, in_flight, epfd, evlib, stopping, pubs_started, pubs_done;
    int64_t start_us, deadline_us, last_progress_us;
    int64_t rx_mono_us, rx_real_us; /* when the bytes being parsed were read: one clock
                                       read per read(), not per frame */
    struct lws_protocols protocols[3];
    char sub_addr[256], sub_path[1024], pub_addr[256], pub_path[1024];
    int sub_port, pub_port, sub_tls, pub_tls;
    char sources[MAX_SOURCES][64];
    uint8_t source_len[MAX_SOURCES];
    int nsources;
    uint8_t *rbuf, *wbuf, *tbuf; /* reads; frames to write; one message's text (LWS_PRE first) */
    size_t wcap, tcap;
} loadengine;

/* loadengine.c */
uint32_t loadengine_rnd(lconn *c); /* a mask key (xorshift: not a secret) */
void loadengine_count_err(loadengine *e, int kind);
/* Ends an open connection from the engine's side (lws closes it next round). */
void loadengine_conn_kill(lconn *c, int kind);
/* Sends ready frames on a bulk connection (queued when the socket is full). -1 broke. */
int loadengine_bulk_send(lconn *c, const uint8_t *p, size_t n);

/* loadengine_rx.c */
int loadengine_source_index(loadengine *e, const char *s, size_t n);
/* One whole message or control frame, from either reader (a loadframe_cb). */
int loadengine_on_frame(void *user, int op, uint8_t *p, size_t n);
/* A bulk connection is readable: read and parse until the socket is empty. */
void loadengine_bulk_read(lconn *c);

/* loadscen.c: the scenario parts of a connection's life */
/* A subscriber's first frame: the configured subscribe, or after a planned
 * close (intermittent) a resume from the last seq of every source it saw. */
const char *loadscen_sub_text(const lconn *c, char *buf, size_t cap);
/* Sends the pings due on a bulk subscriber's schedule (sub_ping_hz). */
void loadscen_ping_due(lconn *c, int64_t now_mono);
/* Once a tick: whether the publishers sent everything, the profiles' pings,
 * the intermittent lifecycle's planned leaves. */
void loadscen_tick(loadengine *e, int64_t now_mono);

#endif
