/* security: the security suite's catalogue and checks (suites/security*.c).
 *
 * Hostile inputs are data: one case file per attack in the catalogue folder
 * (suites/security_cases/, README.md there describes the format), found
 * through WSB_SECURITY_CASES (default suites/security_cases; the images set
 * it to /usr/local/share/wsbridge/security_cases). A case says what to send
 * (a handshake with chosen headers and token, frames with any bits, raw
 * bytes), to which endpoints, and the outcome it expects ("http 401",
 * "close 1002", "error seq_jump", "open", "closed"). Each case runs on its
 * own raw connection(s) (rawws.h), and after it a liveness probe (a fresh
 * subscriber and publisher: publish, receive within a bound) must pass.
 *
 *   security_catalogue.c  the case files: parse, validate (a malformed file is
 *                         an error naming file and line), templates
 *   security_attack.c     one case against one endpoint: the verdict
 *   security.c            the suite: one check per group, the liveness probe
 *   security_tls.c        the TLS checks (versions, wrong CA, plaintext) */
#ifndef WSB_SECURITY_H
#define WSB_SECURITY_H

#include <stdint.h>

#include "bridge.h"

#define SECURITY_MAX_STEPS 16
#define SECURITY_MAX_HEADERS 8
#define SECURITY_MAX_REPEAT 100000 /* a step sent at most this many times */
#define SECURITY_MAX_CONNS 1000    /* connections a case may hold at once */
#define SECURITY_MAX_WITHIN_MS 30000

typedef enum sec_group {
    SEC_FRAMING, SEC_HANDSHAKE, SEC_TOKENS, SEC_CONTRACT, SEC_FLOODS, SEC_NGROUPS
} sec_group;

typedef enum sec_step_kind {
    SEC_STEP_UPGRADE, /* the upgrade request (token, headers, omissions), then its answer */
    SEC_STEP_FRAME,   /* one frame, built as told */
    SEC_STEP_BYTES,   /* bytes as they are */
    SEC_STEP_PAUSE,   /* waits ms (dribbling) */
} sec_step_kind;

typedef struct sec_step {
    sec_step_kind kind;
    int repeat;        /* times in a row (1) */
    int fin, masked, len_override;
    unsigned rsv, opcode;
    uint64_t declared_len;
    char *payload;     /* payload spec (see README: text:, hex:, fill:, gen:), not expanded */
    int pause_ms;
} sec_step;

typedef enum sec_expect_kind {
    SEC_EXPECT_HTTP,   /* the request answered with HTTP <code> */
    SEC_EXPECT_CLOSE,  /* a close frame with one of codes[] */
    SEC_EXPECT_CLOSED, /* a close frame (any code) or the connection ended */
    SEC_EXPECT_ERROR,  /* an error frame with code <error>, the connection still open */
    SEC_EXPECT_OPEN,   /* still open: a ping is answered */
    SEC_EXPECT_REFUSED, /* no upgrade: an HTTP 4xx/5xx, or the connection ended without 101 */
} sec_expect_kind;

typedef struct sec_case {
    char *file;        /* path, for messages */
    char *name;        /* the file's stem */
    sec_group group;
    char *about;
    int endpoints;     /* bits: 1 /ws, 2 /ws/stream, 4 plain HTTP (the request names its path) */
    char *token;       /* token spec: valid | none | text:... | forge SIGN HEADER CLAIMS | oversize N */
    int token_in_query;
    char *headers[SECURITY_MAX_HEADERS];
    int nheaders;
    unsigned omit;     /* RAWWS_OMIT_* bits */
    sec_step steps[SECURITY_MAX_STEPS];
    int nsteps;
    int conns;         /* connections run at once (1) */
    int hold;          /* 1: the liveness probe runs while the connections are held */
    int times;         /* runs one after another (1): churn */
    sec_expect_kind expect;
    int codes[8];
    int ncodes;
    char error[32];
    int within_ms;     /* bound on the expected outcome (3000) */
} sec_case;

typedef struct sec_catalogue {
    sec_case *cases;
    size_t n;
} sec_catalogue;

const char *security_group_name(sec_group g);
const char *security_expect_text(const sec_case *c, char *buf, size_t len);

/* The catalogue folder: $WSB_SECURITY_CASES or suites/security_cases. */
const char *security_cases_dir(void);
/* Loads every *.case file of dir (sorted by name). 0, or -1 with err naming
 * the file, the line and what is wrong (a malformed case is never skipped). */
int security_catalogue_load(const char *dir, sec_catalogue *out, char *err, size_t errlen);
/* Parses one case file. 0 or -1 with err ("file:line: ..."). */
int security_case_parse(const char *path, sec_case *c, char *err, size_t errlen);
void security_catalogue_free(sec_catalogue *cat);

/* What a case's templates are filled with for one run. */
typedef struct sec_vars {
    const char *sub, *role, *other_role, *path, *bot;
    int64_t seq;       /* the publisher's next seq (welcome's last_seq + 1), 1 otherwise */
    int64_t now;       /* seconds since the epoch */
} sec_vars;

/* Expands a payload spec into malloc'd bytes (*len). NULL with err. */
uint8_t *security_payload(const char *spec, const sec_vars *v, size_t *len, char *err,
                          size_t errlen);
/* The token a case sends: malloc'd, *none set for no token; NULL with err,
 * *skip set when it needs the JWT secret and the context has none. */
char *security_token(const suite_ctx *ctx, const sec_case *c, const sec_vars *v, int *none,
                     int *skip, char *err, size_t errlen);

/* Runs c against one endpoint (1, 2 or 4, as in endpoints) of the system
 * under test: CHECK_PASS when the outcome was the expected one, CHECK_FAIL
 * with what happened instead, CHECK_SKIP (needs the secret). When hold_fn
 * is not NULL and the case holds its connections, it is called while they
 * are open (the liveness probe) and its verdict joins the case's. */
typedef check_result (*sec_hold_fn)(void *arg, char *msg, size_t len);
check_result security_attack(const suite_ctx *ctx, const sec_case *c, int endpoint, int run_index,
                             sec_hold_fn hold_fn, void *hold_arg, char *msg, size_t len);

/* The checks: the catalogue loads; each group's cases, each followed by the
 * liveness probe. */
check_result security_check_catalogue(const suite_ctx *ctx, char *msg, size_t len);
check_result security_check_framing(const suite_ctx *ctx, char *msg, size_t len);
check_result security_check_handshake(const suite_ctx *ctx, char *msg, size_t len);
check_result security_check_tokens(const suite_ctx *ctx, char *msg, size_t len);
check_result security_check_contract(const suite_ctx *ctx, char *msg, size_t len);
check_result security_check_floods(const suite_ctx *ctx, char *msg, size_t len);
/* Runs only the cases whose name is in names (comma-separated) of any
 * group: for tests that prove one case against a faulty peer. */
check_result security_run_named(const suite_ctx *ctx, const char *names, char *msg, size_t len);

/* The TLS checks (skipped when the dashboard URL is not wss://): TLS 1.0-1.1
 * refused and 1.2 served; a client trusting only ctx->wrong_ca_file refuses
 * the server (a certificate verification error); plaintext to the TLS port
 * ends without an answer. Each followed by the liveness probe. */
check_result security_check_tls_versions(const suite_ctx *ctx, char *msg, size_t len);
check_result security_check_tls_wrong_ca(const suite_ctx *ctx, char *msg, size_t len);
check_result security_check_tls_plaintext(const suite_ctx *ctx, char *msg, size_t len);
/* The liveness probe once: a fresh subscriber and test publisher, one message
 * published and received within 2 s (a ping round trip without a publisher
 * token). */
check_result security_probe(const suite_ctx *ctx, char *msg, size_t len);

/* Forgets the loaded catalogue (the next check loads it again). */
void security_reset(void);

extern const suite_def suite_security;

#endif
