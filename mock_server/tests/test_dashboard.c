/* test_dashboard: CUnit tests of the mock dashboard (build/bin/wsb-dashboard).
 *
 * Each test starts the real server on a free port (--port 0, the port read
 * from its "listening on port N" line) with a temporary journal where it
 * matters, and drives it with testws, a WebSocket client written from RFC 6455
 * that shares no code with the server. Every wait has a timeout; every
 * server started is killed at the end, even when an assertion fails. */
#include <CUnit/Basic.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contract.h"
#include "jwt.h"
#include "testws.h"
#include "wjson.h"
#include "wclock.h"
#include "testkit.h"
#include "dashtk.h"
#include "test_dashboard_durable.h"

#define SECRET DASHTK_SECRET
#define WAIT_MS DASHTK_WAIT_MS

/* ---- the shared server ---- */

static server S;
static char journal_path[300];

static int suite_init(void)
{
    snprintf(journal_path, sizeof journal_path, "%s/journal.bin", dashtk_tmpdir);
    return dashtk_server_start(&S, journal_path, "--fsync-ms", "2", NULL);
}

static int suite_clean(void)
{
    spawn_stop(&S, SIGKILL, 2000);
    spawn_stop_all(0);
    return 0;
}

/* ---- tests ---- */

static void test_health_and_help(void)
{
    char *body;
    CU_ASSERT_EQUAL(testws_http_get(S.port, "/health", &body, WAIT_MS), 200);
    free(body);
    CU_ASSERT_EQUAL(testws_http_get(S.port, "/nope", &body, WAIT_MS), 404);
    free(body);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/bin/wsb-dashboard --help | grep -q -- --max-message-bytes",
             testkit_build_dir());
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static void test_auth_refusals(void)
{
    long long before = dashtk_status_num(&S, "refused", "auth", NULL);
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws", NULL), 401);
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws", "not-a-token"), 401);
    char *bad = jwt_sign("another-secret", "bot-a", "publisher", 600);
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws", bad), 401);
    free(bad);
    char *expired = jwt_sign(SECRET, "bot-a", "publisher", -10);
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws", expired), 401);
    free(expired);
    /* alg none: header {"alg":"none","typ":"JWT"}, claims valid, no signature */
    char none[512];
    snprintf(none, sizeof none, "%s.%s.",
             "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0",
             /* {"sub":"bot-a","role":"publisher","exp":99999999999} */
             "eyJzdWIiOiJib3QtYSIsInJvbGUiOiJwdWJsaXNoZXIiLCJleHAiOjk5OTk5OTk5OTk5fQ");
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws", none), 401);
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "refused", "auth", NULL), before + 5);

    long long forb = dashtk_status_num(&S, "refused", "forbidden", NULL);
    char *sub = dashtk_token("subscriber", "viewer");
    char *pub = dashtk_token("publisher", "bot-a");
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws", sub), 403);
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws/stream", pub), 403);
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "refused", "forbidden", NULL), forb + 2);
    /* the good ones, by header and by ?token= */
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/ws/stream", sub), 101);
    char path[1024];
    snprintf(path, sizeof path, "/ws/stream?token=%s", sub);
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, path, NULL), 101);
    CU_ASSERT_EQUAL(dashtk_handshake_status(&S, "/elsewhere", sub), 404);
    free(sub);
    free(pub);
}

static void test_publish_ack_fanout(void)
{
    testws *sub = dashtk_subscribe(&S, "viewer-1", "{\"type\":\"subscribe\"}");
    testws *sub2 = dashtk_subscribe(&S, "viewer-2", "{\"type\":\"subscribe\"}");
    testws *p = dashtk_connect_as(&S, "publisher", "bot-pub");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    CU_ASSERT(dashtk_sub_sync(sub));
    CU_ASSERT(dashtk_sub_sync(sub2));
    for (int i = 1; i <= 5; i++)
        CU_ASSERT_EQUAL(dashtk_publish(p, "bot-pub", i, "BTC-USD"), 0);
    CU_ASSERT(dashtk_wait_ack(p, 5));
    testws *subs[2] = {sub, sub2};
    for (int k = 0; k < 2; k++) {
        for (int i = 1; i <= 5; i++) {
            cJSON *j = dashtk_recv_json(subs[k], WAIT_MS);
            CU_ASSERT_PTR_NOT_NULL(j);
            CU_ASSERT_STRING_EQUAL(wjson_str(j, "source", ""), "bot-pub");
            CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), i);
            CU_ASSERT(wjson_int(j, "relay_us", -1) > 0);
            CU_ASSERT(dashtk_conforms("stream", j));
            cJSON_Delete(j);
        }
    }
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "sources", "bot-pub", "received"), 5);
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "sources", "bot-pub", "last_seq"), 5);
    testws_close(sub);
    testws_close(sub2);
    testws_close(p);
}

static void test_invalid_and_duplicate(void)
{
    testws *sub = dashtk_subscribe(&S, "viewer-3", "{\"type\":\"subscribe\"}");
    testws *p = dashtk_connect_as(&S, "publisher", "bot-inv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    CU_ASSERT(dashtk_sub_sync(sub));
    CU_ASSERT_EQUAL(dashtk_publish(p, "bot-inv", 1, "ETH-USD"), 0);
    CU_ASSERT(dashtk_wait_ack(p, 1));
    /* schema: price must be > 0 */
    testws_send_text(p, "{\"v\":1,\"type\":\"market_data\",\"source\":\"bot-inv\",\"seq\":2,"
                     "\"ts_us\":1,\"data\":{\"symbol\":\"ETH-USD\",\"price\":-1,\"bid\":1,"
                     "\"ask\":1,\"volume\":1}}");
    cJSON *e = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(e, "type", ""), "error");
    CU_ASSERT_STRING_EQUAL(wjson_str(e, "code", ""), "schema");
    CU_ASSERT_EQUAL(wjson_int(e, "seq", -1), 2);
    CU_ASSERT(dashtk_conforms("control/error", e));
    cJSON_Delete(e);
    /* unreadable JSON: seq null */
    testws_send_text(p, "{\"v\":1,");
    e = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(e, "code", ""), "json");
    CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "seq")));
    CU_ASSERT(dashtk_conforms("control/error", e));
    cJSON_Delete(e);
    /* duplicate keys */
    testws_send_text(p, "{\"v\":1,\"v\":1,\"type\":\"heartbeat\",\"source\":\"bot-inv\",\"seq\":2,"
                     "\"ts_us\":1,\"data\":{\"loop_iterations\":1}}");
    e = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(e, "code", ""), "duplicate_key");
    cJSON_Delete(e);
    /* a type the contract does not know */
    testws_send_text(p, "{\"v\":1,\"type\":\"moon_landing\",\"source\":\"bot-inv\",\"seq\":2,"
                     "\"ts_us\":1,\"data\":{}}");
    e = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(e, "code", ""), "unknown_type");
    CU_ASSERT_EQUAL(wjson_int(e, "seq", -1), 2);
    cJSON_Delete(e);
    /* another connection's source */
    char buf[512];
    dashtk_envelope_text(buf, sizeof buf, "someone-else", 2, "ETH-USD");
    testws_send_text(p, buf);
    e = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(e, "code", ""), "source");
    cJSON_Delete(e);
    /* duplicate: re-acked, not forwarded */
    CU_ASSERT_EQUAL(dashtk_publish(p, "bot-inv", 1, "ETH-USD"), 0);
    CU_ASSERT(dashtk_wait_ack(p, 1));
    CU_ASSERT_EQUAL(dashtk_publish(p, "bot-inv", 2, "ETH-USD"), 0);
    CU_ASSERT(dashtk_wait_ack(p, 2));
    /* the subscriber saw 1 then 2, nothing invalid, no duplicate */
    cJSON *j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 1);
    cJSON_Delete(j);
    j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 2);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItemCaseSensitive(j, "code"));
    cJSON_Delete(j);
    CU_ASSERT_PTR_NULL(dashtk_recv_json(sub, 200));
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "sources", "bot-inv", "duplicates"), 1);
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "sources", "bot-inv", "invalid"), 5);
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "sources", "bot-inv", "received"), 2);
    testws_close(sub);
    testws_close(p);
}

static void test_gap_notice(void)
{
    testws *sub = dashtk_subscribe(&S, "viewer-4", "{\"type\":\"subscribe\"}");
    testws *p = dashtk_connect_as(&S, "publisher", "bot-gap");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    CU_ASSERT(dashtk_sub_sync(sub));
    dashtk_publish(p, "bot-gap", 1, "SOL-USD");
    dashtk_publish(p, "bot-gap", 5, "SOL-USD");
    CU_ASSERT(dashtk_wait_ack(p, 5));
    cJSON *j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 1);
    cJSON_Delete(j);
    j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "gap");
    CU_ASSERT_EQUAL(wjson_int(j, "from", -1), 2);
    CU_ASSERT_EQUAL(wjson_int(j, "to", -1), 4);
    CU_ASSERT(dashtk_conforms("control/gap", j));
    cJSON_Delete(j);
    j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 5);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "sources", "bot-gap", "gaps"), 1);
    CU_ASSERT_EQUAL(dashtk_status_num(&S, "sources", "bot-gap", "gap_messages"), 3);
    testws_close(sub);
    testws_close(p);
}

static void test_filters(void)
{
    testws *sub_t = dashtk_subscribe(&S, "viewer-5", "{\"type\":\"subscribe\",\"types\":[\"heartbeat\"]}");
    testws *sub_s = dashtk_subscribe(&S, "viewer-6", "{\"type\":\"subscribe\",\"symbols\":[\"AAPL\"]}");
    testws *p = dashtk_connect_as(&S, "publisher", "bot-flt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub_t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub_s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    CU_ASSERT(dashtk_sub_sync(sub_t));
    CU_ASSERT(dashtk_sub_sync(sub_s));
    dashtk_publish(p, "bot-flt", 1, "MSFT");
    dashtk_publish(p, "bot-flt", 2, "AAPL");
    testws_send_text(p, "{\"v\":1,\"type\":\"heartbeat\",\"source\":\"bot-flt\",\"seq\":3,"
                     "\"ts_us\":1,\"data\":{\"loop_iterations\":7}}");
    CU_ASSERT(dashtk_wait_ack(p, 3));
    cJSON *j = dashtk_recv_json(sub_t, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 3);
    cJSON_Delete(j);
    CU_ASSERT_PTR_NULL(dashtk_recv_json(sub_t, 200));
    /* symbols: AAPL, and the heartbeat that has no symbol */
    j = dashtk_recv_json(sub_s, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 2);
    cJSON_Delete(j);
    j = dashtk_recv_json(sub_s, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 3);
    cJSON_Delete(j);
    CU_ASSERT_PTR_NULL(dashtk_recv_json(sub_s, 200));
    testws_close(sub_t);
    testws_close(sub_s);
    testws_close(p);
}

static void test_first_frame_rule(void)
{
    testws *c = dashtk_connect_as(&S, "subscriber", "viewer-7");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    testws_send_text(c, "{\"type\":\"command\",\"target\":\"x\",\"command_id\":\"c1\",\"name\":\"pause\"}");
    cJSON *j = dashtk_recv_json(c, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "error");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "code", ""), "protocol");
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(testws_wait_close(c, WAIT_MS), 1008);
    testws_close(c);
}

static void test_resume_from_history(void)
{
    testws *p = dashtk_connect_as(&S, "publisher", "bot-res");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    for (int i = 1; i <= 20; i++)
        dashtk_publish(p, "bot-res", i, "BTC-USD");
    CU_ASSERT(dashtk_wait_ack(p, 20));
    /* a subscriber that saw up to 12 resumes; live 21..25 follow */
    testws *sub = dashtk_subscribe(&S, "viewer-8", "{\"type\":\"resume\",\"from\":{\"bot-res\":12}}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    for (int i = 21; i <= 25; i++)
        dashtk_publish(p, "bot-res", i, "BTC-USD");
    long long expect = 13;
    int64_t deadline = wclock_mono_ms() + WAIT_MS;
    while (expect <= 25 && wclock_mono_ms() < deadline) {
        cJSON *j = dashtk_recv_json(sub, WAIT_MS);
        if (!j)
            break;
        CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "market_data");
        CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), expect);
        expect++;
        cJSON_Delete(j);
    }
    CU_ASSERT_EQUAL(expect, 26);
    CU_ASSERT_PTR_NULL(dashtk_recv_json(sub, 200));
    testws_close(sub);
    testws_close(p);
}

static void test_resubscribe_replaces_filter(void)
{
    testws *sub = dashtk_subscribe(&S, "viewer-10", "{\"type\":\"subscribe\",\"types\":[\"heartbeat\"]}");
    testws *p = dashtk_connect_as(&S, "publisher", "bot-re");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    CU_ASSERT(dashtk_sub_sync(sub));
    dashtk_publish(p, "bot-re", 1, "BTC-USD"); /* filtered out */
    CU_ASSERT(dashtk_wait_ack(p, 1));
    testws_send_text(sub, "{\"type\":\"subscribe\",\"types\":[\"market_data\"]}");
    CU_ASSERT(dashtk_sub_sync(sub));
    dashtk_publish(p, "bot-re", 2, "BTC-USD");
    CU_ASSERT(dashtk_wait_ack(p, 2));
    cJSON *j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 2);
    cJSON_Delete(j);
    CU_ASSERT_PTR_NULL(dashtk_recv_json(sub, 200));
    testws_close(sub);
    testws_close(p);
}

static void test_history_too_short(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--history", "10", NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-h");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    for (int i = 1; i <= 30; i++)
        dashtk_publish(p, "bot-h", i, "BTC-USD");
    CU_ASSERT(dashtk_wait_ack(p, 30));
    testws *sub = dashtk_subscribe(&s, "viewer-h", "{\"type\":\"resume\",\"from\":{\"bot-h\":5}}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    cJSON *j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "gap");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "reason", ""), "history");
    CU_ASSERT_EQUAL(wjson_int(j, "from", -1), 6);
    CU_ASSERT_EQUAL(wjson_int(j, "to", -1), 20);
    CU_ASSERT(dashtk_conforms("control/gap", j));
    cJSON_Delete(j);
    for (int i = 21; i <= 30; i++) {
        j = dashtk_recv_json(sub, WAIT_MS);
        CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), i);
        cJSON_Delete(j);
    }
    testws_close(sub);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

/* A resume against a full history while the publisher goes on: every push
 * evicts the oldest item, which the replaying subscriber's cursor starts at.
 * That is history running out under the replay (a "history" gap at most), not
 * a slow consumer: no 1013, and the replay then live arrive in order. */
static void test_resume_full_history_live(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--history", "50", "--slow-policy", "disconnect",
                                 NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-z");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    long long last = 0;
    for (; last < 60; last++)
        dashtk_publish(p, "bot-z", last + 1, "BTC-USD");
    CU_ASSERT(dashtk_wait_ack(p, last));
    for (int round = 0; round < 10; round++) {
        char name[32], frame[128];
        snprintf(name, sizeof name, "viewer-z%d", round);
        /* odd rounds ask from the oldest item held: the evicted one is wanted */
        long long from = round % 2 ? last - 50 : last - 20;
        snprintf(frame, sizeof frame, "{\"type\":\"resume\",\"from\":{\"bot-z\":%lld}}", from);
        testws *sub = dashtk_subscribe(&s, name, frame);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
        for (int i = 0; i < 5; i++) /* live, at once: races the replay's first write */
            dashtk_publish(p, "bot-z", ++last, "BTC-USD");
        CU_ASSERT(dashtk_wait_ack(p, last));
        long long next = from + 1;
        while (next <= last) {
            cJSON *j = dashtk_recv_json(sub, WAIT_MS);
            if (!j) {
                fprintf(stderr, "round %d: stream ended at %lld (close %d)\n", round, next,
                        testws_close_code(sub));
                break;
            }
            if (!strcmp(wjson_str(j, "type", ""), "gap")) {
                CU_ASSERT_EQUAL(wjson_int(j, "from", -1), next);
                CU_ASSERT_STRING_EQUAL(wjson_str(j, "reason", ""), "history");
                next = wjson_int(j, "to", -1) + 1;
            } else {
                CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), next);
                next = wjson_int(j, "seq", -1) + 1;
            }
            cJSON_Delete(j);
        }
        CU_ASSERT_EQUAL(next, last + 1);
        testws_close(sub);
    }
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "slow_consumers", "disconnected", NULL), 0);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_ack_after_fsync(void)
{
    char jp[300];
    snprintf(jp, sizeof jp, "%s/slowsync.bin", dashtk_tmpdir);
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, "--fsync-ms", "1500", NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-f");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    int64_t t0 = wclock_mono_ms();
    dashtk_publish(p, "bot-f", 1, "BTC-USD");
    CU_ASSERT_PTR_NULL(dashtk_recv_json(p, 700)); /* not durable yet: no ack */
    CU_ASSERT(dashtk_wait_ack(p, 1));
    CU_ASSERT(wclock_mono_ms() - t0 >= 1000);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_command_relay(void)
{
    testws *sub = dashtk_subscribe(&S, "viewer-9", "{\"type\":\"subscribe\"}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    testws_send_text(sub, "{\"type\":\"command\",\"target\":\"bot-absent\",\"command_id\":\"c-1\","
                       "\"name\":\"pause\",\"params\":{}}");
    cJSON *j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "error");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "code", ""), "no_target");
    cJSON_Delete(j);
    testws *p = dashtk_connect_as(&S, "publisher", "bot-cmd");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    testws_send_text(sub, "{\"type\":\"command\",\"target\":\"bot-cmd\",\"command_id\":\"c-2\","
                       "\"name\":\"set_rate\",\"params\":{\"rate\":5}}");
    j = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "command");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "command_id", ""), "c-2");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "name", ""), "set_rate");
    CU_ASSERT_EQUAL(wjson_int(j, "params.rate", -1), 5);
    CU_ASSERT(dashtk_conforms("control/command_relay", j));
    cJSON_Delete(j);
    /* the bot's answer comes back through the stream */
    testws_send_text(p, "{\"v\":1,\"type\":\"command_ack\",\"source\":\"bot-cmd\",\"seq\":1,"
                     "\"ts_us\":1,\"data\":{\"command_id\":\"c-2\",\"status\":\"done\"}}");
    j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "command_ack");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "data.command_id", ""), "c-2");
    cJSON_Delete(j);
    testws_close(sub);
    testws_close(p);
}

static void test_fragments(void)
{
    testws *p = dashtk_connect_as(&S, "publisher", "bot-frag");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    char buf[512];
    dashtk_envelope_text(buf, sizeof buf, "bot-frag", 1, "BTC-USD");
    size_t n = strlen(buf);
    testws_send_frame(p, TESTWS_OP_TEXT, 0, buf, 10);
    testws_send_frame(p, TESTWS_OP_PING, 1, "x", 1); /* a control frame in between */
    testws_send_frame(p, TESTWS_OP_CONT, 0, buf + 10, 100);
    testws_send_frame(p, TESTWS_OP_CONT, 1, buf + 110, n - 110);
    CU_ASSERT(dashtk_wait_ack(p, 1));
    testws_close(p);
}

static void test_status_and_metrics(void)
{
    cJSON *j = dashtk_get_status(&S);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "service", ""), "wsb-dashboard");
    CU_ASSERT(dashtk_conforms("status/dashboard", j));
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "sources"),
                                                        "bot-pub");
    CU_ASSERT_EQUAL(wjson_int(src, "received", -1), 5);
    CU_ASSERT_EQUAL(wjson_int(j, "journal.records", -1) > 0, 1);
    long long delivered = wjson_int(j, "messages.delivered", -1);
    long long auth = wjson_int(j, "refused.auth", -1);
    cJSON_Delete(j);
    char *body;
    CU_ASSERT_EQUAL(testws_http_get(S.port, "/metrics", &body, WAIT_MS), 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(body, "# TYPE wsbridge_messages_received_total counter"));
    CU_ASSERT_PTR_NOT_NULL(strstr(body, "wsbridge_messages_received_total{source=\"bot-pub\"} 5\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(body, "wsbridge_messages_duplicate_total{source=\"bot-inv\"} 1\n"));
    char line[128];
    snprintf(line, sizeof line, "wsbridge_messages_delivered_total %lld\n", delivered);
    CU_ASSERT_PTR_NOT_NULL(strstr(body, line));
    snprintf(line, sizeof line, "wsbridge_refused_total{reason=\"auth\"} %lld\n", auth);
    CU_ASSERT_PTR_NOT_NULL(strstr(body, line));
    free(body);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    static CU_TestInfo tests[] = {
        {"health, 404, --help", test_health_and_help},
        {"auth refusals 401/403 and query token", test_auth_refusals},
        {"publish: ack and fan-out with relay_us", test_publish_ack_fanout},
        {"invalid -> error frames; duplicate re-acked, not forwarded", test_invalid_and_duplicate},
        {"seq jump -> gap notice", test_gap_notice},
        {"type and symbol filters", test_filters},
        {"first subscriber frame must be subscribe/resume", test_first_frame_rule},
        {"resume from history without gap or duplicate", test_resume_from_history},
        {"a later subscribe replaces the filter", test_resubscribe_replaces_filter},
        {"command relay and no_target", test_command_relay},
        {"fragmented message reassembled", test_fragments},
        {"status and metrics agree", test_status_and_metrics},
        {"ack only after the fsync batch", test_ack_after_fsync},
        {"history too short: gap notice, then the rest", test_history_too_short},
        {"resume against a full history with live publishing: no 1013",
         test_resume_full_history_live},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"dashboard", suite_init, suite_clean, NULL, NULL, tests},
        {"dashboard_durability_limits", NULL, NULL, NULL, NULL, test_dashboard_durable_tests},
        CU_SUITE_INFO_NULL,
    };
    /* TEST_ONLY: a substring of the names to run */
    /* the contract and one temporary folder for both suites */
    if (dashtk_init("test_dashboard"))
        return 2;
    int rc = testkit_run(suites, getenv("TEST_ONLY"));
    dashtk_done();
    spawn_stop_all(0);
    if (!rc)
        testkit_rmtree(dashtk_tmpdir);
    return rc;
}
