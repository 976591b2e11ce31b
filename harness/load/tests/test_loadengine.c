/* test_loadengine: the load engine against load-peer (a server that
 * misbehaves on purpose) and against the real wsb-dashboard.
 *
 * Against the peer, each fault must show in the counter that names it (a
 * skipped seq as missing, a repeated one as duplicate, a 100 KiB message as
 * too big, a reserved bit as a protocol error, a dropped TCP connection as
 * closed, a close frame, a 401 as refused with its status, an unanswered
 * handshake as a timeout), and the well-behaved peer must give every message
 * to every connection with no problem counted, through the bulk reader and
 * through lws's. Against the dashboard, the engine's own publishers and
 * subscribers must balance the delivery ledger. */
#include "loadengine.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "testkit.h"

#define CONNS 5
#define MSGS 40

/* Starts load-peer with a fault; the port, or -1 (a CUnit failure). */
static int start_peer(spawn_proc *p, const char *fault, const char *token)
{
    char bin[512], err[256], log[600];
    testkit_test_bin_path("load-peer", bin, sizeof bin);
    snprintf(log, sizeof log, "%s/load-peer-%s.log", testkit_build_dir(), fault);
    char *argv[] = {bin, "--port", "0", "--fault", (char *)fault, "--messages", "40",
                    token ? "--token" : NULL, (char *)token, NULL};
    int port = testkit_start_server(p, argv, log, "listening on port ", 5000, err, sizeof err);
    if (port < 0)
        fprintf(stderr, "load-peer: %s\n", err);
    CU_ASSERT_FATAL(port > 0);
    return port;
}

/* Runs the engine: CONNS connections that subscribe, MSGS target, 3 s bound. */
static void run(const char *fault, int no_bulk, int reconnect, loadengine_result *r)
{
    spawn_proc p;
    int port = start_peer(&p, fault, "tok-1");
    char url[128], err[256];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/stream", port);
    loadengine_cfg c = {.url = url, .token = "tok-1", .subscribe = "{\"type\":\"subscribe\"}",
                        .connections = CONNS, .target_messages = MSGS, .duration_s = 3,
                        .connect_timeout_s = 1, .contract = 1, .no_bulk = no_bulk,
                        .reconnect = reconnect, .stop_when_done = 1};
    int rc = loadengine_run(&c, r, err, sizeof err);
    if (rc)
        fprintf(stderr, "loadengine_run: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    spawn_stop(&p, SIGTERM, 2000);
}

static void test_clean_bulk(void)
{
    loadengine_result r;
    run("none", 0, 0, &r);
    CU_ASSERT_EQUAL(r.bulk_conns, CONNS);
    CU_ASSERT_EQUAL(loadengine_success_rate(&r), 1.0);
    CU_ASSERT_EQUAL(r.messages_rx, CONNS * MSGS);
    CU_ASSERT_EQUAL(r.seq_missing, 0);
    CU_ASSERT_EQUAL(r.seq_dup, 0);
    CU_ASSERT_EQUAL(loadengine_errors_total(&r), 0);
    CU_ASSERT_EQUAL(histogram_count(r.latency), CONNS * MSGS);
    CU_ASSERT_EQUAL(histogram_count(r.relay), CONNS * MSGS);
    CU_ASSERT_FALSE(r.timed_out); /* it stopped when every target was met */
    for (int i = 0; i < CONNS; i++) {
        CU_ASSERT_TRUE(r.conns[i].target_met);
        CU_ASSERT_TRUE(r.conns[i].connect_us > 0);
        CU_ASSERT_TRUE(r.conns[i].first_us > 0 && r.conns[i].last_us >= r.conns[i].first_us);
    }
    loadengine_result_free(&r);
}

static void test_clean_lws_reader(void)
{
    loadengine_result r;
    run("none", 1, 0, &r);
    CU_ASSERT_EQUAL(r.bulk_conns, 0);
    CU_ASSERT_EQUAL(r.messages_rx, CONNS * MSGS);
    CU_ASSERT_EQUAL(r.seq_missing + r.seq_dup + loadengine_errors_total(&r), 0);
    loadengine_result_free(&r);
}

static void test_skip_dup_reorder(void)
{
    loadengine_result r;
    run("skip", 0, 0, &r);
    CU_ASSERT_EQUAL(r.seq_missing, CONNS);
    CU_ASSERT_EQUAL(r.seq_dup, 0);
    CU_ASSERT_TRUE(r.timed_out); /* a target of 40 cannot be met with 39 */
    loadengine_result_free(&r);
    run("dup", 0, 0, &r);
    CU_ASSERT_EQUAL(r.seq_dup, CONNS);
    CU_ASSERT_EQUAL(r.seq_missing, 0);
    loadengine_result_free(&r);
    run("reorder", 0, 0, &r);
    CU_ASSERT_EQUAL(r.seq_dup, CONNS);
    CU_ASSERT_EQUAL(r.seq_missing, CONNS);
    loadengine_result_free(&r);
}

static void test_broken_frames(void)
{
    loadengine_result r;
    run("oversize", 0, 0, &r);
    CU_ASSERT_EQUAL(r.errors[LOADERR_TOO_BIG], CONNS);
    CU_ASSERT_EQUAL(r.messages_rx, CONNS); /* message 1 only */
    loadengine_result_free(&r);
    run("badframe", 0, 0, &r);
    CU_ASSERT_EQUAL(r.errors[LOADERR_PROTOCOL], CONNS);
    loadengine_result_free(&r);
}

static void test_closes(void)
{
    loadengine_result r;
    run("abrupt", 0, 0, &r);
    CU_ASSERT_EQUAL(r.errors[LOADERR_CLOSED], CONNS);
    CU_ASSERT_EQUAL(r.messages_rx, CONNS * MSGS / 2);
    loadengine_result_free(&r);
    run("close", 0, 0, &r);
    CU_ASSERT_EQUAL(r.errors[LOADERR_CLOSE_FRAME], CONNS);
    CU_ASSERT_EQUAL(r.errors[LOADERR_CLOSED], 0);
    loadengine_result_free(&r);
    /* with reconnect, each comes back (backoff) and what the new session
     * receives is counted again: more than one session's half of the stream
     * (two sessions reach the target, so the run may also end before its
     * bound: that depends on the backoff's jitter, not on the engine) */
    run("abrupt", 0, 1, &r);
    int back = 0, counted = 0;
    for (int i = 0; i < CONNS; i++) {
        back += r.conns[i].reconnects > 0;
        counted += r.conns[i].messages > MSGS / 2 + 1;
    }
    CU_ASSERT_EQUAL(back, CONNS);
    CU_ASSERT_EQUAL(counted, CONNS);
    loadengine_result_free(&r);
}

static void test_refused_and_hung(void)
{
    loadengine_result r;
    run("refuse", 0, 0, &r);
    CU_ASSERT_EQUAL(r.errors[LOADERR_REFUSED], CONNS);
    CU_ASSERT_EQUAL(loadengine_success_rate(&r), 0.0);
    CU_ASSERT_EQUAL(r.conns[0].http_status, 401);
    loadengine_result_free(&r);
    run("hang", 0, 0, &r);
    CU_ASSERT_EQUAL(r.errors[LOADERR_TIMEOUT], CONNS);
    CU_ASSERT_TRUE(r.elapsed_s < 4.5); /* bounded by the handshake timeout */
    loadengine_result_free(&r);
}

/* The engine's publishers and subscribers through the real dashboard. */
static void test_dashboard_ledger(void)
{
    char bin[512], err[256], log[600];
    testkit_bin_path("wsb-dashboard", bin, sizeof bin);
    snprintf(log, sizeof log, "%s/loadengine-dashboard.log", testkit_build_dir());
    char *argv[] = {bin, "--host", "127.0.0.1", "--port", "0", "--jwt-secret", "s3cret", NULL};
    spawn_proc p;
    int port = testkit_start_server(&p, argv, log, "listening on port ", 10000, err, sizeof err);
    CU_ASSERT_FATAL(port > 0);
    char url[128], purl[128];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/stream", port);
    snprintf(purl, sizeof purl, "ws://127.0.0.1:%d/ws", port);
    char *sub = jwt_sign("s3cret", "load-test", "subscriber", 600);
    char *pt[2] = {jwt_sign("s3cret", "load-1", "publisher", 600),
                   jwt_sign("s3cret", "load-2", "publisher", 600)};
    loadengine_cfg c = {.url = url, .token = sub, .subscribe = "{\"type\":\"subscribe\"}",
                        .connections = 50, .duration_s = 10, .contract = 1,
                        .pub_url = purl, .publishers = 2, .pub_tokens = (const char *const *)pt,
                        .pub_rate = 1000, .pub_messages = 300, .stop_when_done = 1};
    loadengine_result r;
    CU_ASSERT_EQUAL_FATAL(loadengine_run(&c, &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.pub_sent, 600);
    CU_ASSERT_EQUAL(r.pub_acked, 600);
    CU_ASSERT_EQUAL(r.messages_rx, 50 * 600);
    CU_ASSERT_EQUAL(r.ledger_short, 0);
    CU_ASSERT_EQUAL(r.seq_missing + r.seq_dup + loadengine_errors_total(&r), 0);
    CU_ASSERT_FALSE(r.timed_out);
    loadengine_result_free(&r);
    free(sub);
    free(pt[0]);
    free(pt[1]);
    spawn_stop(&p, SIGTERM, 3000);
}

static void test_nofile(void)
{
    char msg[256];
    long got = loadengine_raise_nofile(1L << 40, msg, sizeof msg);
    CU_ASSERT_TRUE(got > 0);
    CU_ASSERT_TRUE(strstr(msg, "file limit") != NULL); /* nobody has 2^40 files */
    got = loadengine_raise_nofile(100, msg, sizeof msg);
    CU_ASSERT_TRUE(got >= 100);
    CU_ASSERT_STRING_EQUAL(msg, "");
}

static CU_TestInfo tests[] = {
    {"every message through the bulk reader", test_clean_bulk},
    {"every message through lws's reader", test_clean_lws_reader},
    {"skipped, repeated and reordered seqs counted", test_skip_dup_reorder},
    {"oversize and broken frames counted", test_broken_frames},
    {"abrupt and clean closes counted; reconnect", test_closes},
    {"refused and hung handshakes counted", test_refused_and_hung},
    {"the delivery ledger through wsb-dashboard", test_dashboard_ledger},
    {"the file limit raised or reported", test_nofile},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"loadengine", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
