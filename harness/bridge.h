/* bridge: reaching the system under test from a suite, on top of wsclient.
 *
 * What the connectivity and message-flow suites (and later ones) repeat:
 * the endpoint URLs from the environment driver, tokens (minted from the JWT
 * secret or the ready ones given), a publisher that waits for its welcome, a
 * subscriber whose subscribe is known to be in effect, the status endpoints,
 * and the check result convention the suites share with the harness's
 * faulty-peer tests (a check returns PASS, FAIL or SKIP with a message).
 *
 * Nothing here asserts but bridge_run_check, the one place where a check's
 * result becomes a CUnit failure, a skip or a pass. Returned
 * strings and trees belong to the caller unless said otherwise. */
#ifndef WSB_BRIDGE_H
#define WSB_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "suite.h"
#include "wsclient.h"

typedef enum check_result {
    CHECK_PASS = 0,
    CHECK_FAIL = 1,
    CHECK_SKIP = 2,
    CHECK_BREACH = 3, /* failed only because a threshold (threshold.h) was breached */
} check_result;

/* A check: writes its message into msg (len bytes) and returns the result. */
typedef check_result (*bridge_check_fn)(const suite_ctx *ctx, char *msg, size_t len);

/* printf into msg, then CHECK_FAIL / CHECK_SKIP: `return bridge_fail(msg, len, ...)`. */
check_result bridge_fail(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
check_result bridge_skip(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
check_result bridge_breach(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "PASS", "FAIL", "SKIP" or "BREACH". */
const char *bridge_result_name(check_result r);

/* The body of a suite's CUnit test: runs fn with suite_get(), logs
 * "PASS|FAIL|BREACH name: message", marks a SKIP with suite_skip, and turns a
 * FAIL into a CUnit failure reported at file:line (the caller's). A BREACH is
 * already a failure of the test, recorded with the threshold's verdict. */
void bridge_run_check(bridge_check_fn fn, const char *name, const char *file, int line);

/* Defines the CUnit test function test_<name> that runs <prefix>_check_<name>
 * through bridge_run_check: BRIDGE_TEST(connectivity, handshake). */
#define BRIDGE_TEST(prefix, name)                                                                 \
    static void test_##name(void)                                                                  \
    {                                                                                              \
        bridge_run_check(prefix##_check_##name, #name, __FILE__, __LINE__);                       \
    }

#define BRIDGE_PUBLISHER_PATH "/ws"
#define BRIDGE_SUBSCRIBER_PATH "/ws/stream"

/* "ws://host:port" + path into buf. */
void bridge_url(const suite_ctx *ctx, const char *path, char *buf, size_t len);

/* A token for role ("publisher" | "subscriber") and sub, valid ttl_s seconds:
 * minted from ctx->jwt_secret, else the ready token of that role (sub is then
 * whatever that token says). NULL when neither exists. Caller frees. */
char *bridge_token(const suite_ctx *ctx, const char *role, const char *sub, long ttl_s);

/* A client engine with the context's CA file. */
wsclient *bridge_client(const suite_ctx *ctx, char *err, size_t errlen);
/* The same whose connections accept incoming messages up to max_message
 * bytes (0: the engine's default, 64 KiB). */
wsclient *bridge_client_max(const suite_ctx *ctx, size_t max_message, char *err, size_t errlen);

/* The largest message the dashboard accepts: ctx->max_message (--max-message),
 * else its status document's limits.max_message_bytes, else the contract's
 * default (64 KiB). *from names which ("--max-message", "the status
 * document", "the contract's default"). */
size_t bridge_max_message(const suite_ctx *ctx, const char **from);

/* The start of a check that publishes as a test source, distinct from the
 * bot's: its own (minted from the JWT secret) or the ready publisher token's;
 * SKIP with neither, FAIL when the client engine cannot be made. The client
 * (caller frees), or NULL with *r set and the reason in msg. */
wsclient *bridge_publishing_client(const suite_ctx *ctx, char *msg, size_t len, check_result *r);
/* The same with bridge_client_max's incoming limit. */
wsclient *bridge_publishing_client_max(const suite_ctx *ctx, size_t max_message, char *msg,
                                       size_t len, check_result *r);

/* After bridge_publisher: the source the check publishes as, into mysrc.
 * With a minted token the welcome must name the check's own source (FAIL
 * otherwise); with a ready token it is the token's, taken from the welcome,
 * unless that is the bot's own source (SKIP: publishing as the bot would
 * collide with its sequence). CHECK_PASS to go on, else the verdict, msg set. */
check_result bridge_test_source(const suite_ctx *ctx, const char *welcome_source, char *mysrc,
                                size_t srclen, char *msg, size_t len);

/* The subscriber-and-test-publisher pair a publishing check starts with: a
 * subscriber (subscribe_json as bridge_subscriber) whose subscription is in
 * effect, then a publisher as mysrc (bridge_publisher), whose source is then
 * settled by bridge_test_source (mysrc may change to a ready token's source).
 * CHECK_PASS with *sub, *pub and *last_seq (the welcome's); else the verdict,
 * msg naming the end that failed, and what opened is left to the client. */
check_result bridge_test_pair(wsclient *c, const suite_ctx *ctx, const char *subscribe_json,
                              char *mysrc, size_t srclen, wsconn **sub, wsconn **pub,
                              int64_t *last_seq, int timeout_ms, char *msg, size_t len);

/* Opens the publisher endpoint as sub (NULL: the ready token's own) and waits
 * for the welcome (judged against control/welcome): its source and last_seq
 * are returned. NULL with err. */
wsconn *bridge_publisher(wsclient *c, const suite_ctx *ctx, const char *sub, char *source,
                          size_t srclen, int64_t *last_seq, int timeout_ms, char *err,
                          size_t errlen);

/* Opens the subscriber endpoint, sends subscribe_json (NULL: {"type":"subscribe"})
 * and round-trips a ping so the subscription is in effect when it returns. */
wsconn *bridge_subscriber(wsclient *c, const suite_ctx *ctx, const char *subscribe_json,
                           const wsconn_opts *extra, int timeout_ms, char *err, size_t errlen);

/* Sends text and waits for the matching ack (seq >= the given seq) or error
 * frame on a publisher connection. 0 acked; 1 refused (err holds the error
 * frame); -1 neither (closed or timeout; err says which) or the answer
 * violates its schema (control/ack, control/error; err names it). */
int bridge_publish(wsclient *c, wsconn *pub, const char *text, size_t len, int64_t seq,
                    int timeout_ms, char *err, size_t errlen);

/* GET <dashboard http>/api/websocket/status and <bot status>/status as JSON.
 * NULL with err when absent or not JSON (*absent set when there is no such
 * endpoint: no URL, or HTTP 404/405/501; a configured URL that does not
 * answer is a failure, not absent). */
cJSON *bridge_dashboard_status(const suite_ctx *ctx, int *absent, char *err, size_t errlen);
cJSON *bridge_bot_status(const suite_ctx *ctx, int *absent, char *err, size_t errlen);

/* A valid envelope of type index ti (contract_types order) from source with
 * seq, padded with JSON whitespace to pad_to bytes when pad_to is larger.
 * Returns malloc'd text and its length. */
char *bridge_envelope(int ti, const char *source, int64_t seq, size_t pad_to, size_t *len);

/* Percentile (0..100) of n values, sorting them in place. */
double bridge_percentile(double *v, size_t n, double pct);

/* Predicates for wsconn_expect: frame "type" equals arg; frame from source+seq. */
int bridge_is_type(const wsmsg *m, void *type_name);
typedef struct bridge_srcseq {
    const char *source;
    int64_t seq;
} bridge_srcseq;
int bridge_is_srcseq(const wsmsg *m, void *srcseq);

#endif
