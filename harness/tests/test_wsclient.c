/* test_wsclient: CUnit tests of the WebSocket client engine (harness/wsclient.c)
 * and the stream checker (harness/flowcheck.c).
 *
 * flowcheck is tested on synthetic frames (no network). The engine is tested
 * against the harness's own faulty_dashboard with --fault none (started on a
 * free port, killed at the end): refusals with their HTTP status, token in
 * header and query, publish -> subscribe with receive time stamps, ping RTT,
 * fragment reassembly through a small receive buffer, the engine's own
 * message-size limit (error + 1009), the server's 1009, a normal close, 1001
 * when the server shuts down, hundreds of connections in one loop, and
 * reconnect + resume without loss or repeat. */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "flowcheck.h"
#include "httpc.h"
#include "jwt.h"
#include "bridge.h"
#include "wclock.h"
#include "wsclient.h"
#include "testkit.h"

#define SECRET "wsclient-test-secret"

static spawn_proc srv;
static char base[128]; /* ws://127.0.0.1:PORT */
static contract *ctr;
static char bin[512];
static char logdir[64]; /* the servers' logs, removed when all passed */

static void fail_msg(const char *what, const char *err, int line)
{
    char m[1200];
    snprintf(m, sizeof(m), "%.100s: %.1000s", what, err);
    CU_assertImplementation(CU_FALSE, (unsigned)line, m, __FILE__, "", CU_FALSE);
}
#define FAIL_IF(cond, what, err)                                                               \
    do {                                                                                       \
        if (cond)                                                                              \
            fail_msg(what, err, __LINE__);                                                     \
    } while (0)

static int start_server(spawn_proc *p, const char *fault, double rate, char *err, size_t errlen)
{
    char ratebuf[32];
    snprintf(ratebuf, sizeof(ratebuf), "%g", rate);
    char *argv[] = {bin, "--port", "0", "--jwt-secret", SECRET, "--schemas", "schemas",
                    "--generate", ratebuf, "--fault", (char *)fault, NULL};
    char log[256];
    snprintf(log, sizeof(log), "%s/%s.log", logdir, fault);
    return testkit_start_server(p, argv, log, "PORT ", 15000, err, errlen);
}

static int suite_init(void)
{
    testkit_test_bin_path("faulty-dashboard", bin, sizeof(bin));
    char err[512];
    ctr = contract_load("schemas", err, sizeof(err));
    if (!ctr) {
        fprintf(stderr, "contract: %s\n", err);
        return 1;
    }
    if (start_server(&srv, "none", 200, err, sizeof(err)) < 0) {
        fprintf(stderr, "faulty_dashboard: %s\n", err);
        return 1;
    }
    snprintf(base, sizeof(base), "ws://127.0.0.1:%d", srv.port);
    return 0;
}

static int suite_clean(void)
{
    spawn_stop(&srv, SIGTERM, 3000);
    contract_free(ctr);
    return 0;
}

static char *url(const char *path)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s%s", base, path);
    return buf;
}

static int is_type(const wsmsg *m, void *arg)
{
    char want[64];
    snprintf(want, sizeof(want), "\"type\":\"%s\"", (const char *)arg);
    return strstr(m->text, want) != NULL;
}

/* This test's own publish: faulty_dashboard's built-in generator (source
 * bot-1) sends alerts too, so matching the type alone races with it. */
static int is_own_alert(const wsmsg *m, void *arg)
{
    (void)arg;
    return strstr(m->text, "\"type\":\"alert\"") && strstr(m->text, "\"source\":\"wsc-test\"");
}

/* ---- flowcheck on synthetic frames ------------------------------------------ */

static void feed_seq(flowcheck *f, const char *src, long long seq)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "{\"v\":1,\"type\":\"heartbeat\",\"source\":\"%s\",\"seq\":%lld,"
                     "\"ts_us\":1,\"data\":{\"loop_iterations\":1},\"relay_us\":2}",
                     src, seq);
    flowcheck_feed(f, buf, (size_t)n);
}

static void test_flowcheck_clean(void)
{
    flowcheck *f = flowcheck_new(ctr, FLOWCHECK_SCHEMA);
    for (int i = 1; i <= 50; i++)
        feed_seq(f, "bot-1", i);
    char p[512];
    CU_ASSERT_EQUAL(flowcheck_problems(f, p, sizeof(p)), 0);
    CU_ASSERT_STRING_EQUAL(p, "no problems");
    CU_ASSERT_EQUAL(flowcheck_unique(f, "bot-1"), 50);
    CU_ASSERT_EQUAL(flowcheck_envelopes(f), 50);
    char mt[256];
    CU_ASSERT_EQUAL(flowcheck_missing_types(f, mt, sizeof(mt)), 9);
    CU_ASSERT_PTR_NULL(strstr(mt, "heartbeat"));
    CU_ASSERT_PTR_NOT_NULL(strstr(mt, "market_data"));
    flowcheck_free(f);
}

static void test_flowcheck_faults(void)
{
    char p[1024];
    /* duplicate */
    flowcheck *f = flowcheck_new(NULL, 0);
    feed_seq(f, "b", 1);
    feed_seq(f, "b", 2);
    feed_seq(f, "b", 2);
    feed_seq(f, "b", 3);
    CU_ASSERT_EQUAL(flowcheck_problems(f, p, sizeof(p)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "1 duplicates (first seq 2)"));
    flowcheck_free(f);
    /* drop */
    f = flowcheck_new(NULL, 0);
    feed_seq(f, "b", 1);
    feed_seq(f, "b", 2);
    feed_seq(f, "b", 4);
    int64_t fm;
    CU_ASSERT_EQUAL(flowcheck_missing(f, "b", &fm), 1);
    CU_ASSERT_EQUAL(fm, 3);
    CU_ASSERT_EQUAL(flowcheck_problems(f, p, sizeof(p)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "missing"));
    flowcheck_free(f);
    /* reorder: not missing, not duplicate, out of order */
    f = flowcheck_new(NULL, 0);
    feed_seq(f, "b", 1);
    feed_seq(f, "b", 3);
    feed_seq(f, "b", 2);
    feed_seq(f, "b", 4);
    CU_ASSERT_EQUAL(flowcheck_missing(f, "b", NULL), 0);
    CU_ASSERT_EQUAL(flowcheck_problems(f, p, sizeof(p)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "out of order (first: seq 2 after 3)"));
    flowcheck_free(f);
    /* expected start: losing the first messages counts */
    f = flowcheck_new(NULL, 0);
    flowcheck_expect_from(f, "b", 10);
    feed_seq(f, "b", 13);
    feed_seq(f, "b", 9); /* older than asked: a repeat */
    CU_ASSERT_EQUAL(flowcheck_missing(f, "b", &fm), 2);
    CU_ASSERT_EQUAL(fm, 11);
    CU_ASSERT_EQUAL(flowcheck_find(f, "b")->duplicates, 1);
    flowcheck_free(f);
    /* a first seq far past the expected start (a corrupted seq) is beyond the
       span, not a window of 10^12 to count missing messages over */
    f = flowcheck_new(NULL, 0);
    flowcheck_expect_from(f, "b", 10);
    feed_seq(f, "b", 1000000000000LL);
    feed_seq(f, "b", 11);
    int64_t t0 = wclock_mono_us();
    CU_ASSERT_EQUAL(flowcheck_problems(f, p, sizeof(p)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "1 seqs jumped beyond"));
    CU_ASSERT_EQUAL(flowcheck_missing(f, "b", NULL), 0);
    CU_ASSERT_EQUAL(flowcheck_find(f, "b")->max_seq, 11);
    CU_ASSERT(wclock_mono_us() - t0 < 1000000);
    flowcheck_free(f);
    /* a seq far below the first one rebases the bitmap */
    f = flowcheck_new(NULL, 0);
    feed_seq(f, "b", 5000);
    feed_seq(f, "b", 3);
    feed_seq(f, "b", 3);
    CU_ASSERT_EQUAL(flowcheck_find(f, "b")->duplicates, 1);
    CU_ASSERT_EQUAL(flowcheck_unique(f, "b"), 2);
    flowcheck_free(f);
    /* corrupt and schema-invalid frames, gap and error frames */
    f = flowcheck_new(ctr, FLOWCHECK_SCHEMA);
    flowcheck_feed(f, "{\"v\":1,\"type\":\"heart", 21);
    const char *bad = "{\"v\":1,\"type\":\"market_data\",\"source\":\"b\",\"seq\":1,\"ts_us\":1,"
                      "\"data\":{\"symbol\":\"BTC-USD\",\"price\":-1,\"bid\":1,\"ask\":1,"
                      "\"volume\":1},\"relay_us\":1}";
    flowcheck_feed(f, bad, strlen(bad));
    const char *gap = "{\"type\":\"gap\",\"source\":\"b\",\"from\":2,\"to\":4}";
    flowcheck_feed(f, gap, strlen(gap));
    const char *er = "{\"type\":\"error\",\"seq\":null,\"code\":\"json\",\"reason\":\"x\"}";
    flowcheck_feed(f, er, strlen(er));
    int k = flowcheck_problems(f, p, sizeof(p));
    CU_ASSERT_EQUAL(k, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "unparsable"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "schema-invalid"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "/data/price"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "gap frames declaring 3 lost"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "error frames"));
    flowcheck_free(f);
}

static void test_flowcheck_compare(void)
{
    flowcheck *a = flowcheck_new(NULL, FLOWCHECK_KEEP_LOG);
    flowcheck *b = flowcheck_new(NULL, FLOWCHECK_KEEP_LOG);
    for (int i = 1; i <= 5; i++) {
        feed_seq(a, "x", i);
        feed_seq(b, "x", i);
    }
    char err[256];
    CU_ASSERT_EQUAL(flowcheck_compare(a, b, err, sizeof(err)), 0);
    feed_seq(a, "x", 6);
    feed_seq(b, "x", 7);
    CU_ASSERT_EQUAL(flowcheck_compare(a, b, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "x#6"));
    flowcheck_free(a);
    flowcheck_free(b);

    const char *pub = "{\"v\":1,\"type\":\"heartbeat\",\"source\":\"s\",\"seq\":1,\"ts_us\":1,"
                      "\"data\":{\"loop_iterations\":5}}";
    const char *same = "{\"data\":{\"loop_iterations\":5},\"v\":1,\"type\":\"heartbeat\","
                       "\"source\":\"s\",\"seq\":1,\"ts_us\":1,\"relay_us\":9}";
    const char *diff = "{\"v\":1,\"type\":\"heartbeat\",\"source\":\"s\",\"seq\":1,\"ts_us\":1,"
                       "\"data\":{\"loop_iterations\":6},\"relay_us\":9}";
    CU_ASSERT_EQUAL(flowcheck_same_envelope(pub, strlen(pub), same, strlen(same), err,
                                            sizeof(err)), 0);
    CU_ASSERT_EQUAL(flowcheck_same_envelope(pub, strlen(pub), diff, strlen(diff), err,
                                            sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/data/loop_iterations"));
}

/* ---- the engine against faulty_dashboard --fault none ---------------------- */

static void test_refused_port(void)
{
    char err[512] = "";
    wsclient *c = wsclient_new(NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    wsconn_opts o = {.url = "ws://127.0.0.1:1/ws"};
    wsconn *k = wsclient_connect(c, &o, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_EQUAL(wsconn_wait_open(c, k, 3000, err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(wsconn_get_state(k), WSCONN_FAILED);
    CU_ASSERT_EQUAL(wsconn_http_status(k), 0);
    CU_ASSERT(strlen(err) > 0);
    wsconn_opts bad = {.url = "http://x/"};
    CU_ASSERT_PTR_NULL(wsclient_connect(c, &bad, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "ws://"));
    wsclient_free(c);
}

static void test_auth_status(void)
{
    char err[512];
    wsclient *c = wsclient_new(NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *sub = jwt_sign(SECRET, "t-sub", "subscriber", 60);
    char *pub = jwt_sign(SECRET, "t-pub", "publisher", 60);
    char *expired = jwt_sign(SECRET, "t-sub", "subscriber", -60);
    char *other = jwt_sign("another-secret", "t-sub", "subscriber", 60);
    struct {
        const char *path, *token;
        int query, want;
    } cases[] = {
        {"/ws/stream", NULL, 0, 401},    {"/ws/stream", "garbage", 0, 401},
        {"/ws/stream", other, 0, 401},   {"/ws/stream", expired, 0, 401},
        {"/ws/stream", pub, 0, 403},     {"/ws", sub, 0, 403},
        {"/ws/stream", sub, 0, 101},     {"/ws/stream", sub, 1, 101},
        {"/ws", pub, 0, 101},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wsconn_opts o = {.url = url(cases[i].path), .token = cases[i].token,
                         .token_in_query = cases[i].query};
        wsconn *k = wsclient_connect(c, &o, err, sizeof(err));
        CU_ASSERT_PTR_NOT_NULL_FATAL(k);
        int r = wsconn_wait_open(c, k, 3000, err, sizeof(err));
        if (wsconn_http_status(k) != cases[i].want) {
            char m[600];
            snprintf(m, sizeof(m), "case %zu: status %d, want %d (%s)", i,
                     wsconn_http_status(k), cases[i].want, err);
            fail_msg("auth", m, __LINE__);
        }
        CU_ASSERT_EQUAL(r, cases[i].want == 101 ? 0 : -1);
        if (cases[i].want != 101)
            CU_ASSERT_PTR_NOT_NULL(strstr(wsconn_error(k), "HTTP"));
        wsconn_free(c, k);
    }
    free(sub);
    free(pub);
    free(expired);
    free(other);
    wsclient_free(c);
}

static void test_publish_subscribe_ping(void)
{
    char err[512];
    wsclient *c = wsclient_new(NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *subt = jwt_sign(SECRET, "t-sub", "subscriber", 60);
    char *pubt = jwt_sign(SECRET, "wsc-test", "publisher", 60);
    wsconn_opts so = {.url = url("/ws/stream"), .token = subt, .name = "sub"};
    wsconn *s = wsclient_open(c, &so, 3000, err, sizeof(err));
    FAIL_IF(!s, "open subscriber", err);
    wsconn_opts po = {.url = url("/ws"), .token = pubt, .name = "pub"};
    wsconn *p = wsclient_open(c, &po, 3000, err, sizeof(err));
    FAIL_IF(!p, "open publisher", err);
    if (!s || !p)
        goto out;
    CU_ASSERT(wsconn_connect_us(s) > 0);
    const char *subf = "{\"type\":\"subscribe\",\"types\":[\"alert\"]}";
    CU_ASSERT_EQUAL(wsconn_send_text(c, s, subf, strlen(subf), err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(wsconn_flush(c, s, 2000, err, sizeof(err)), 0);
    const wsmsg *w = wsconn_expect(c, p, is_type, "welcome", 3000, NULL, err, sizeof(err));
    FAIL_IF(!w, "welcome", err);
    /* the subscribe must be processed before the publish: round trip a ping */
    int64_t rtt = 0;
    CU_ASSERT_EQUAL(wsconn_ping(c, s, 2000, &rtt, err, sizeof(err)), 0);
    CU_ASSERT(rtt > 0 && rtt < 2000000);
    char env[512];
    int64_t before = wclock_real_us();
    int n = snprintf(env, sizeof(env),
                     "{\"v\":1,\"type\":\"alert\",\"source\":\"wsc-test\",\"seq\":1,"
                     "\"ts_us\":%lld,\"data\":{\"level\":\"info\",\"code\":\"t\","
                     "\"message\":\"hello engine\"}}",
                     (long long)before);
    CU_ASSERT_EQUAL(wsconn_send_text(c, p, env, (size_t)n, err, sizeof(err)), 0);
    const wsmsg *a = wsconn_expect(c, p, is_type, "ack", 3000, NULL, err, sizeof(err));
    FAIL_IF(!a, "ack", err);
    const wsmsg *m = wsconn_expect(c, s, is_own_alert, NULL, 3000, NULL, err, sizeof(err));
    FAIL_IF(!m, "relayed alert", err);
    if (m) {
        CU_ASSERT_PTR_NOT_NULL(strstr(m->text, "hello engine"));
        CU_ASSERT(m->rx_real_us >= before && m->rx_real_us <= wclock_real_us());
        CU_ASSERT(m->rx_mono_us > 0);
        CU_ASSERT_EQUAL(flowcheck_same_envelope(env, (size_t)n, m->text, m->len, err,
                                                sizeof(err)), 0);
    }
    wsconn_close(c, s, 1000, "bye");
    CU_ASSERT_EQUAL(wsconn_wait_closed(c, s, 2000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(wsconn_get_state(s), WSCONN_CLOSED);
    CU_ASSERT(wsconn_closed_by_us(s));
    CU_ASSERT_EQUAL(wsconn_close_code(s), 1000); /* the server's answer to our close, seen */
    CU_ASSERT_EQUAL(wsconn_send_text(c, s, "x", 1, err, sizeof(err)), -1);
out:
    free(subt);
    free(pubt);
    wsclient_free(c);
}

/* Publishes an alert padded with JSON whitespace to total bytes. */
static char *padded_alert(const char *source, long long seq, size_t total)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "{\"v\":1,\"type\":\"alert\",\"source\":\"%s\",\"seq\":%lld,\"ts_us\":1,"
                     "\"data\":{\"level\":\"info\",\"code\":\"big\",\"message\":\"m\"}",
                     source, seq);
    char *b = malloc(total + 1);
    memcpy(b, head, (size_t)n);
    memset(b + n, ' ', total - (size_t)n - 1);
    b[total - 1] = '}';
    b[total] = '\0';
    return b;
}

static void test_sizes(void)
{
    char err[512];
    wsclient *c = wsclient_new(NULL, err, sizeof(err)); /* 512-byte rx buffer */
    wsclient_opts small = {.max_message = 100}; /* every relayed alert is larger */
    wsclient *cs = wsclient_new(&small, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cs);
    char *subt = jwt_sign(SECRET, "t-sub", "subscriber", 60);
    char *pubt = jwt_sign(SECRET, "wsc-big", "publisher", 60);
    wsconn_opts so = {.url = url("/ws/stream"), .token = subt};
    wsconn *s = wsclient_open(c, &so, 3000, err, sizeof(err));
    wsconn *ss = wsclient_open(cs, &so, 3000, err, sizeof(err));
    wsconn_opts po = {.url = url("/ws"), .token = pubt};
    wsconn *p = wsclient_open(c, &po, 3000, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ss);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const char *subf = "{\"type\":\"subscribe\",\"types\":[\"alert\"]}";
    wsconn_send_text(c, s, subf, strlen(subf), err, sizeof(err));
    wsconn_send_text(cs, ss, subf, strlen(subf), err, sizeof(err));
    CU_ASSERT_EQUAL(wsconn_ping(c, s, 2000, NULL, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(wsconn_ping(cs, ss, 2000, NULL, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(wsconn_expect(c, p, is_type, "welcome", 3000, NULL, err, sizeof(err)));

    /* just under 64 KiB: reassembled from 512-byte reads */
    size_t big = 64 * 1024 - 64;
    char *msg = padded_alert("wsc-big", 1, big);
    CU_ASSERT_EQUAL(wsconn_send_text(c, p, msg, big, err, sizeof(err)), 0);
    const wsmsg *a = wsconn_expect(c, p, is_type, "ack", 5000, NULL, err, sizeof(err));
    FAIL_IF(!a, "ack of the big message", err);
    bridge_srcseq want = {"wsc-big", 1};
    const wsmsg *m = wsconn_expect(c, s, bridge_is_srcseq, &want, 5000, NULL, err, sizeof(err));
    FAIL_IF(!m, "big relayed", err);
    if (m) {
        CU_ASSERT_EQUAL(flowcheck_same_envelope(msg, big, m->text, m->len, err, sizeof(err)), 0);
    }
    /* the small-limit engine refuses what it got: error text and our 1009
     * (the dashboard re-encodes, so the padding is gone; its alerts are
     * still over 100 bytes) */
    CU_ASSERT_EQUAL(wsconn_wait_closed(cs, ss, 5000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(wsconn_oversize_count(ss), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(wsconn_error(ss), "100-byte limit"));
    CU_ASSERT(wsconn_closed_by_us(ss));
    CU_ASSERT_EQUAL(wsconn_count(ss), 0);
    free(msg);

    /* over the server's limit: it closes with 1009 */
    size_t over = 64 * 1024 + 1024;
    msg = padded_alert("wsc-big", 2, over);
    CU_ASSERT_EQUAL(wsconn_send_text(c, p, msg, over, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(wsconn_wait_closed(c, p, 5000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(wsconn_close_code(p), 1009);
    CU_ASSERT_FALSE(wsconn_closed_by_us(p));
    free(msg);
    free(subt);
    free(pubt);
    wsclient_free(c);
    wsclient_free(cs);
}

static void test_server_shutdown_1001(void)
{
    char err[512];
    spawn_proc p2;
    if (start_server(&p2, "none", 0, err, sizeof(err)) < 0) {
        fail_msg("second server", err, __LINE__);
        return;
    }
    wsclient *c = wsclient_new(NULL, err, sizeof(err));
    char *subt = jwt_sign(SECRET, "t-sub", "subscriber", 60);
    char u[128];
    snprintf(u, sizeof(u), "ws://127.0.0.1:%d/ws/stream", p2.port);
    wsconn_opts so = {.url = u, .token = subt};
    wsconn *s = wsclient_open(c, &so, 3000, err, sizeof(err));
    FAIL_IF(!s, "open", err);
    if (s) {
        /* SIGTERM; stop waits for the exit while our loop is not serviced,
         * the close frame waits in the socket */
        spawn_stop(&p2, SIGTERM, 3000);
        CU_ASSERT_EQUAL(wsconn_wait_closed(c, s, 3000, err, sizeof(err)), 0);
        CU_ASSERT_EQUAL(wsconn_close_code(s), 1001);
        CU_ASSERT_FALSE(wsconn_closed_by_us(s));
    } else {
        spawn_stop(&p2, SIGTERM, 3000);
    }
    free(subt);
    wsclient_free(c);
}

/* wss:// against faulty-dashboard serving a self-signed certificate made by
 * the openssl command: trusted through ca_file it opens; with the system's
 * CA store it is refused; a client made without TLS says so. */
static void test_wss(void)
{
    char err[512], dir[] = "/tmp/wsclient-tls-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char cmd[1024], cert[300], key[300];
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
             key, cert);
    int rc = system(cmd);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    spawn_proc p2;
    char *argv[] = {bin, "--port", "0", "--jwt-secret", SECRET, "--schemas", "schemas",
                    "--cert", cert, "--key", key, NULL};
    char log[256];
    snprintf(log, sizeof(log), "%s/tls.log", logdir);
    if (testkit_start_server(&p2, argv, log, "PORT ", 15000, err, sizeof(err)) < 0) {
        fail_msg("tls server", err, __LINE__);
        goto out;
    }
    char *subt = jwt_sign(SECRET, "t-tls", "subscriber", 60);
    char u[128];
    snprintf(u, sizeof(u), "wss://127.0.0.1:%d/ws/stream", p2.port);
    wsconn_opts so = {.url = u, .token = subt};

    wsclient_opts trusted = {.ca_file = cert};
    wsclient *c = wsclient_new(&trusted, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(c);
    wsconn *k = c ? wsclient_open(c, &so, 5000, err, sizeof(err)) : NULL;
    FAIL_IF(!k, "wss with ca_file", err);
    if (k) {
        CU_ASSERT_EQUAL(wsconn_http_status(k), 101);
        CU_ASSERT_EQUAL(wsconn_ping(c, k, 2000, NULL, err, sizeof(err)), 0);
    }
    wsclient_free(c);

    wsclient_opts system_ca = {.tls = 1};
    c = wsclient_new(&system_ca, err, sizeof(err));
    k = c ? wsclient_connect(c, &so, err, sizeof(err)) : NULL;
    CU_ASSERT_PTR_NOT_NULL(k);
    if (k) {
        CU_ASSERT_EQUAL(wsconn_wait_open(c, k, 5000, err, sizeof(err)), -1);
        CU_ASSERT_EQUAL(wsconn_get_state(k), WSCONN_FAILED);
    }
    wsclient_free(c);

    c = wsclient_new(NULL, err, sizeof(err));
    k = c ? wsclient_connect(c, &so, err, sizeof(err)) : NULL;
    CU_ASSERT(k && wsconn_get_state(k) == WSCONN_FAILED);
    if (k)
        CU_ASSERT_PTR_NOT_NULL(strstr(wsconn_error(k), "tls"));
    wsclient_free(c);
    free(subt);

    /* the status endpoints over https:// trust the same --ca-file */
    char hu[128];
    snprintf(hu, sizeof(hu), "https://127.0.0.1:%d/health", p2.port);
    httpc_response hr;
    CU_ASSERT_EQUAL(httpc_get(hu, 5000, &hr, err, sizeof(err)), -1); /* system CAs */
    httpc_set_ca_file(cert);
    int hrc = httpc_get(hu, 5000, &hr, err, sizeof(err));
    FAIL_IF(hrc != 0, "https with httpc_set_ca_file", err);
    if (hrc == 0) {
        CU_ASSERT_EQUAL(hr.status, 200);
        httpc_response_free(&hr);
    }
    httpc_set_ca_file(NULL);
    spawn_stop(&p2, SIGTERM, 3000);
out:
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

static void test_many_connections(void)
{
    char err[512];
    wsclient *c = wsclient_new(NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *subt = jwt_sign(SECRET, "t-many", "subscriber", 60);
    enum { N = 400 };
    wsconn **v = calloc(N, sizeof(*v));
    wsconn_opts so = {.url = url("/ws/stream"), .token = subt};
    int64_t t0 = wclock_mono_us();
    int open = wsclient_connect_many(c, &so, N, v, 15000);
    int64_t t1 = wclock_mono_us();
    printf("\n    %d/%d connections open in %.1f ms\n", open, N, (t1 - t0) / 1000.0);
    CU_ASSERT_EQUAL(open, N);
    CU_ASSERT_EQUAL(wsclient_live_count(c), N);
    for (int i = 0; i < N; i++)
        if (v[i])
            CU_ASSERT(wsconn_connect_us(v[i]) > 0);
    for (int i = 0; i < N; i++)
        if (v[i])
            wsconn_close(c, v[i], 1000, NULL);
    for (int i = 0; i < N; i++)
        if (v[i])
            wsconn_wait_closed(c, v[i], 5000, NULL, 0);
    CU_ASSERT_EQUAL(wsclient_live_count(c), 0);
    free(v);
    free(subt);
    wsclient_free(c);
}

static void feed_cb(wsconn *k, const wsmsg *m, void *arg)
{
    (void)k;
    flowcheck_feed(arg, m->text, m->len);
}

static void test_reconnect_resume(void)
{
    char err[512];
    wsclient *c = wsclient_new(NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char *subt = jwt_sign(SECRET, "t-resume", "subscriber", 60);
    flowcheck *f = flowcheck_new(ctr, FLOWCHECK_SCHEMA);
    wsconn_opts so = {.url = url("/ws/stream"), .token = subt, .on_message = feed_cb,
                      .on_message_arg = f, .keep_messages = -1};
    wsconn *s = wsclient_open(c, &so, 3000, err, sizeof(err));
    FAIL_IF(!s, "open", err);
    if (!s)
        goto out;
    const char *subf = "{\"type\":\"subscribe\",\"from\":{\"bot-1\":0}}";
    flowcheck_expect_from(f, "bot-1", 0);
    wsconn_send_text(c, s, subf, strlen(subf), err, sizeof(err));
    CU_ASSERT(wsconn_wait_received(c, s, 30, 5000) >= 30);
    wsconn_close(c, s, 1000, "pause");
    CU_ASSERT_EQUAL(wsconn_wait_closed(c, s, 2000, err, sizeof(err)), 0);
    wsclient_run_for(c, 200); /* the generator moves on while we are away */
    const flow_source *fs = flowcheck_find(f, "bot-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
    long long last = fs->max_seq;
    CU_ASSERT_EQUAL(wsconn_reconnect(c, s, 3000, err, sizeof(err)), 0);
    char res[128];
    int rl = flowcheck_resume_frame(f, res, sizeof(res));
    char want[64];
    snprintf(want, sizeof(want), "{\"type\":\"resume\",\"from\":{\"bot-1\":%lld}}", last);
    CU_ASSERT_STRING_EQUAL(res, want);
    wsconn_send_text(c, s, res, (size_t)rl, err, sizeof(err));
    uint64_t had = wsconn_received_total(s);
    CU_ASSERT(wsconn_wait_received(c, s, had + 60, 5000) >= had + 60);
    char p[1024];
    int k = flowcheck_problems(f, p, sizeof(p));
    FAIL_IF(k != 0, "resume", p);
    CU_ASSERT(flowcheck_find(f, "bot-1")->max_seq > last + 30);
out:
    flowcheck_free(f);
    free(subt);
    wsclient_free(c);
}

static CU_TestInfo tests[] = {
    {"flowcheck_clean", test_flowcheck_clean},
    {"flowcheck_faults", test_flowcheck_faults},
    {"flowcheck_compare", test_flowcheck_compare},
    {"refused_port", test_refused_port},
    {"auth_status", test_auth_status},
    {"publish_subscribe_ping", test_publish_subscribe_ping},
    {"sizes", test_sizes},
    {"server_shutdown_1001", test_server_shutdown_1001},
    {"wss", test_wss},
    {"many_connections", test_many_connections},
    {"reconnect_resume", test_reconnect_resume},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"wsclient", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    if (!testkit_mkdtemp(logdir, sizeof(logdir), "test-wsclient")) {
        perror("mkdtemp");
        return 2;
    }
    int rc = testkit_run(suites, NULL);
    spawn_stop_all(2000);
    if (!rc)
        testkit_rmtree(logdir);
    return rc;
}
