/* faulty_dashboard_int: what faulty_dashboard.c (the dashboard) and
 * faulty_dashboard_judge.c (the misbehaviours that prove the stricter checks:
 * sizes, close, filters, replay, divergence, collapse) share: the state, the
 * connection and history types, the output queue. Private to harness/testkit. */
#ifndef WSB_FAULTY_DASHBOARD_INT_H
#define WSB_FAULTY_DASHBOARD_INT_H

#include <libwebsockets.h>
#include <signal.h>
#include <stdint.h>

#include "contract.h"

#define MAX_MSG (64 * 1024)
#define HISTORY_MAX 200000

enum fault {
    F_NONE, F_DROP, F_DUP, F_REORDER, F_CORRUPT, F_CORRUPT_VALUE, F_INVALID, F_BAD_TOKEN,
    F_ACCEPT_INVALID, F_NO_1009, F_FILTER_LEAK, F_RESUME_REPEAT, F_STATUS_LIE, F_STALL,
    F_REFUSE_AFTER, F_STARVE, F_NO_DEDUPE, F_PUB_AUTH_OPEN, F_CLOSE_DROP, F_CLOSE_WRONG_CODE,
    F_RELAY_OVERSIZE, F_LIMIT_OFF_BY_ONE, F_OVER_FILTER, F_FOREIGN_LEAK, F_GAP_INSTEAD,
    F_RESUME_SKIP, F_RESUME_IGNORE, F_PAUSE_AWAY, F_DIVERGE, F_INVALID_WELCOME, F_INVALID_ACK,
    F_INVALID_STATUS, F_NO_PONG, F_COLLAPSE, F_IGNORE_PAUSE, F_CMD_DROP,
};

typedef struct hmsg { /* one relayed message in history */
    char *text;        /* stream frame: envelope + relay_us */
    size_t len;
    char source[64];
    char type[32];
    char symbol[32];
    long long seq;
} hmsg;

typedef struct outq {
    struct outq *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE + payload */
} outq;

typedef struct src_state {
    char name[64];
    long long last_seq, received;
    int connected;
} src_state;

enum role { R_NONE, R_PUB, R_SUB };

typedef struct pss {
    struct pss *next;  /* list of subscribers / publishers */
    struct lws *wsi;
    enum role role;
    char sub[64];
    char *rx;
    size_t rxlen;
    int oversize;
    outq *qh, *qt;
    int subscribed;
    long long id;        /* order of arrival (starve: odd ones get nothing) */
    unsigned types_mask; /* 0: all */
    char symbols[16][32];
    int nsymbols;        /* 0: all */
    outq *held;          /* reorder fault: the held frame */
} pss;

struct faulty_state {
    enum fault fault;
    long long fault_at, fault_every;
    int gen_paused;
    const char *secret;
    contract *c;
    hmsg *hist;
    size_t nhist;
    src_state srcs[16];
    int nsrcs;
    pss *conns;
    double gen_rate;
    long long gen_seq;
    long long delivered, received_total;
    long long refused_auth, refused_forbidden, refused_too_large, invalid;
    struct lws_context *ctx;
    lws_sorted_usec_list_t gen_sul, stall_sul;
    int stall_ms;
    long long next_id;
    int64_t start_us;
    volatile sig_atomic_t stop;
    int stopping;
};
extern struct faulty_state fd; /* the one dashboard this program runs (faulty_dashboard.c) */

/* Queues text for p (a copy) and asks for a writeable callback. */
void faulty_q_push(pss *p, const char *text, size_t len);
/* Queues a printf-formatted frame for p (at most 1 KiB). */
void faulty_send_json(pss *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the misbehaviours of faulty_dashboard_judge.c (each a no-op unless
 * its --fault is chosen) ---- */
int faulty_over_filtered(const pss *p, const hmsg *m);
void faulty_foreign_leak(pss *p);
int faulty_diverged(pss *p, const hmsg *m);
int faulty_gap_instead(pss *p, const hmsg *m);
int64_t faulty_replay_from(int64_t n);
size_t faulty_size_limit(void);
int faulty_size_let_in(void);
int faulty_close_too_large(struct lws *wsi);
int faulty_peer_close(struct lws *wsi);
int faulty_collapse(void);

#endif
