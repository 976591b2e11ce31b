/* test_dashboard_durable: the durability and limit tests of test-dashboard:
 * the journal across SIGKILL and restarts (torn tails, unreadable records,
 * foreign files), acks after the fsync batch, exactly once after a restart
 * that lost unacked messages, history shorter than a resume, SIGTERM, slow
 * consumers (1013 or gap notices), size, UTF-8, nesting, rate and connection
 * limits, and the idle timeout. Each test starts its own server. */
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

#define SECRET DASHTK_SECRET
#define WAIT_MS DASHTK_WAIT_MS
#include "test_dashboard_durable.h"

static void test_journal_restart(void)
{
    char jp[300];
    snprintf(jp, sizeof jp, "%s/restart.bin", dashtk_tmpdir);
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, "--fsync-ms", "5", NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-j");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    for (int i = 1; i <= 50; i++)
        dashtk_publish(p, "bot-j", i, "BTC-USD");
    CU_ASSERT(dashtk_wait_ack(p, 50)); /* acked = durable */
    testws_close(p);
    CU_ASSERT_EQUAL(spawn_stop(&s, SIGKILL, 2000), 128 + SIGKILL);
    /* a crash in the middle of a write leaves a torn record: it is cut off */
    FILE *f = fopen(jp, "ab");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite("W\x40\x00\x00\x00\x01\x02\x03\x04{\"v\":1,\"ty", 1, 20, f);
    fclose(f);

    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, "--fsync-ms", "5", NULL) == 0);
    p = dashtk_connect_as(&s, "publisher", "bot-j");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 50);
    dashtk_publish(p, "bot-j", 50, "BTC-USD"); /* still deduplicated */
    CU_ASSERT(dashtk_wait_ack(p, 50));
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "sources", "bot-j", "duplicates"), 1);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "journal", "records", NULL), 50);
    /* the history came back too: a resume replays it */
    testws *sub = dashtk_subscribe(&s, "viewer-j", "{\"type\":\"resume\",\"from\":{\"bot-j\":45}}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    for (int i = 46; i <= 50; i++) {
        cJSON *j = dashtk_recv_json(sub, WAIT_MS);
        CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), i);
        cJSON_Delete(j);
    }
    dashtk_publish(p, "bot-j", 51, "BTC-USD");
    cJSON *j = dashtk_recv_json(sub, WAIT_MS);
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 51);
    cJSON_Delete(j);
    CU_ASSERT(dashtk_wait_ack(p, 51));
    testws_close(sub);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
    /* appends after the cut are readable: a third start holds 51 */
    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, NULL) == 0);
    p = dashtk_connect_as(&s, "publisher", "bot-j");
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 51);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "journal", "records", NULL), 51);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

/* CRC-32 (IEEE), written here from the polynomial: the journal's record check. */
static uint32_t crc32_ieee(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

/* Appends one well-formed journal record ('W', u32 len, u32 crc, payload). */
static void journal_put(FILE *f, const char *payload)
{
    uint32_t len = (uint32_t)strlen(payload), crc = crc32_ieee(payload, len);
    uint8_t h[9] = {'W'};
    for (int i = 0; i < 4; i++) {
        h[1 + i] = (uint8_t)(len >> (8 * i));
        h[5 + i] = (uint8_t)(crc >> (8 * i));
    }
    fwrite(h, 1, sizeof h, f);
    fwrite(payload, 1, len, f);
}

/* A complete record (its checksum holds) that cannot be replayed is not a
 * torn tail: the acked records after it must survive the restart. */
static void test_journal_keeps_records_after_unreadable(void)
{
    char jp[300];
    snprintf(jp, sizeof jp, "%s/unreadable.bin", dashtk_tmpdir);
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, "--fsync-ms", "2", NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-u");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    for (int i = 1; i <= 3; i++)
        dashtk_publish(p, "bot-u", i, "BTC-USD");
    CU_ASSERT(dashtk_wait_ack(p, 3));
    testws_close(p);
    CU_ASSERT_EQUAL(spawn_stop(&s, SIGKILL, 2000), 128 + SIGKILL);
    FILE *f = fopen(jp, "ab");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    journal_put(f, "{\"type\":\"from_a_newer_contract\"}");
    char e[512];
    dashtk_envelope_text(e, sizeof e - 20, "bot-u", 4, "BTC-USD");
    e[strlen(e) - 1] = '\0';
    strcat(e, ",\"relay_us\":1}");
    journal_put(f, e);
    fclose(f);

    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, NULL) == 0);
    p = dashtk_connect_as(&s, "publisher", "bot-u");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 4);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

/* --journal naming a file that is not a journal: refuse to start rather than
 * "cut the corrupt tail" (all of it) and destroy the file. */
static void test_journal_foreign_file(void)
{
    char jp[300];
    snprintf(jp, sizeof jp, "%s/notes.txt", dashtk_tmpdir);
    const char *text = "my notes, not a journal\n";
    FILE *f = fopen(jp, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    server s;
    CU_ASSERT(dashtk_server_start(&s, jp, NULL) != 0);
    if (s.pid)
        spawn_stop(&s, SIGKILL, 2000);
    char got[128] = "";
    f = fopen(jp, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    fclose(f);
    CU_ASSERT_STRING_EQUAL(got, text);
}

/* Subscribers saw messages the dashboard then lost (never durable, never
 * acked); after the restart the bot resends them and a subscriber resuming
 * from what it saw gets each message exactly once. */
static void test_restart_exactly_once(void)
{
    char jp[300];
    snprintf(jp, sizeof jp, "%s/lost.bin", dashtk_tmpdir);
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, "--fsync-ms", "60000", NULL) == 0);
    testws *sub = dashtk_subscribe(&s, "viewer-x", "{\"type\":\"subscribe\"}");
    testws *p = dashtk_connect_as(&s, "publisher", "bot-x");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    CU_ASSERT(dashtk_sub_sync(sub));
    for (int i = 1; i <= 10; i++)
        dashtk_publish(p, "bot-x", i, "BTC-USD");
    for (int i = 1; i <= 10; i++) {
        cJSON *j = dashtk_recv_json(sub, WAIT_MS);
        CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), i);
        cJSON_Delete(j);
    }
    CU_ASSERT_PTR_NULL(dashtk_recv_json(p, 200)); /* nothing durable: no ack */
    testws_close(sub);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);

    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, "--fsync-ms", "5", NULL) == 0);
    sub = dashtk_subscribe(&s, "viewer-x", "{\"type\":\"resume\",\"from\":{\"bot-x\":10}}");
    p = dashtk_connect_as(&s, "publisher", "bot-x");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0); /* the dashboard lost them */
    CU_ASSERT(dashtk_sub_sync(sub));
    for (int i = 1; i <= 12; i++) /* the bot resends from last_seq + 1 */
        dashtk_publish(p, "bot-x", i, "BTC-USD");
    CU_ASSERT(dashtk_wait_ack(p, 12));
    for (int i = 11; i <= 12; i++) {
        cJSON *j = dashtk_recv_json(sub, WAIT_MS);
        CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), i);
        cJSON_Delete(j);
    }
    CU_ASSERT_PTR_NULL(dashtk_recv_json(sub, 200));
    testws_close(sub);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_sigterm(void)
{
    server s;
    char jp[300];
    snprintf(jp, sizeof jp, "%s/term.bin", dashtk_tmpdir);
    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, "--fsync-ms", "1000", NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-t");
    testws *sub = dashtk_subscribe(&s, "viewer-t", "{\"type\":\"subscribe\"}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    dashtk_read_welcome(p);
    for (int i = 1; i <= 10; i++)
        dashtk_publish(p, "bot-t", i, "BTC-USD");
    CU_ASSERT(dashtk_status_wait(&s, "sources", "bot-t", "last_seq", 10));
    int64_t t0 = wclock_mono_ms();
    kill(s.pid, SIGTERM);
    /* the publisher may get its ack before the close */
    int code = testws_wait_close(p, WAIT_MS);
    CU_ASSERT_EQUAL(code, 1001);
    CU_ASSERT_EQUAL(testws_wait_close(sub, WAIT_MS), 1001);
    CU_ASSERT_EQUAL(spawn_stop(&s, 0, 5000), 0); /* exited 0 in time */
    CU_ASSERT(wclock_mono_ms() - t0 < 5000);
    testws_close(p);
    testws_close(sub);
    /* the journal was flushed: a restart holds all ten */
    CU_ASSERT_FATAL(dashtk_server_start(&s, jp, NULL) == 0);
    p = dashtk_connect_as(&s, "publisher", "bot-t");
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 10);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

/* Publishes n alert envelopes with long messages as one batch write. */
static void blast(testws *p, const char *src, int from, int n)
{
    char msg[400];
    memset(msg, 'x', sizeof msg - 1);
    msg[sizeof msg - 1] = 0;
    size_t cap = (size_t)n * 700 + 1024, len = 0;
    uint8_t *buf = malloc(cap);
    for (int i = 0; i < n; i++) {
        char e[800];
        int m = snprintf(e, sizeof e,
                         "{\"v\":1,\"type\":\"alert\",\"source\":\"%s\",\"seq\":%d,\"ts_us\":1,"
                         "\"data\":{\"level\":\"info\",\"code\":\"test\",\"message\":\"%s\"}}",
                         src, from + i, msg);
        len += testws_encode_text(buf + len, cap - len, e, (size_t)m);
    }
    testws_send_raw(p, buf, len);
    free(buf);
}

/* A subscriber that will not read until told: the 20000 messages of ~650
 * bytes the slow tests publish (13 MB) are far more than the kernel's socket
 * buffers hold (wmem max 4 MB + the unread receive window), so it falls
 * behind the queue limit. (Shrinking SO_RCVBUF instead cripples TCP itself.) */
static testws *nonreading_subscriber(server *s, const char *name)
{
    testws *c = dashtk_connect_as(s, "subscriber", name);
    if (c)
        testws_send_text(c, "{\"type\":\"subscribe\"}");
    return c;
}

/* How many messages the fast reader (a child) has reported on its pipe, in
 * *got; waits up to timeout_ms for at least want. */
static int fast_progress(int fd, int *got, int want, int timeout_ms)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    while (*got < want && wclock_mono_ms() < deadline) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 50) == 1 && read(fd, got, sizeof *got) != (ssize_t)sizeof *got)
            break; /* the child ended */
    }
    return *got;
}

static void test_slow_disconnect(void)
{
    server s;
    /* the limit sits between the fast reader's lag (paced below: at most
     * 3,000 messages between what was published and what it read) and the
     * non-reading one's (everything past what the kernel buffers for a
     * socket nobody reads: ~5,000 of these messages here) */
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--queue-limit", "6000", "--slow-policy",
                                        "disconnect", NULL) == 0);
    testws *slow = nonreading_subscriber(&s, "slowpoke");
    testws *fast = dashtk_subscribe(&s, "quick", "{\"type\":\"subscribe\"}");
    testws *p = dashtk_connect_as(&s, "publisher", "bot-s");
    CU_ASSERT_PTR_NOT_NULL_FATAL(slow);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fast);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    CU_ASSERT(dashtk_sub_sync(slow)); /* nothing flows yet: reading this answer is all it reads */
    CU_ASSERT(dashtk_sub_sync(fast));
    int total = 20000;
    int prog[2];
    CU_ASSERT_FATAL(pipe(prog) == 0);
    /* the fast one reads in a child so the publish is not held up; it
     * reports every 500 messages so the publisher can pace itself to it */
    pid_t kid = fork();
    if (kid == 0) {
        close(prog[0]);
        int got = 0;
        int64_t deadline = wclock_mono_ms() + 30000;
        while (got < total && wclock_mono_ms() < deadline) {
            char *pl;
            size_t n;
            if (testws_recv_text(fast, 2000, &pl, &n) != 1)
                break;
            if (++got % 500 == 0 && write(prog[1], &got, sizeof got) < 0)
                break;
        }
        if (got < total)
            fprintf(stderr, "\n    the fast subscriber stopped at %d of %d (close %d)\n", got,
                    total, testws_close_code(fast));
        testws_close(fast);
        testws_close(slow);
        testws_close(p);
        _exit(got == total ? 0 : 1);
    }
    close(prog[1]);
    int read_by_fast = 0;
    for (int i = 0; i < total; i += 1000) {
        /* at most two batches beyond what the fast one has read */
        if (fast_progress(prog[0], &read_by_fast, i - 2000, 20000) < i - 2000)
            break;
        blast(p, "bot-s", i + 1, 1000);
    }
    CU_ASSERT(dashtk_wait_ack_ms(p, total, 30000));
    CU_ASSERT(dashtk_status_wait(&s, "slow_consumers", "disconnected", NULL, 1));
    int st = 0;
    int64_t deadline = wclock_mono_ms() + 20000;
    while (waitpid(kid, &st, WNOHANG) != kid && wclock_mono_ms() < deadline)
        wclock_sleep_ms(20);
    if (wclock_mono_ms() >= deadline) {
        kill(kid, SIGKILL);
        waitpid(kid, &st, 0);
    }
    close(prog[0]);
    CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* the fast one got everything */
    /* the slow one finds a close 1013 after what was in flight */
    CU_ASSERT_EQUAL(testws_wait_close(slow, 10000), 1013);
    testws_close(slow);
    testws_close(fast);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_slow_drop(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--queue-limit", "200", "--slow-policy", "drop", NULL) ==
                    0);
    testws *slow = nonreading_subscriber(&s, "slowpoke");
    testws *p = dashtk_connect_as(&s, "publisher", "bot-d");
    CU_ASSERT_PTR_NOT_NULL_FATAL(slow);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    CU_ASSERT(dashtk_sub_sync(slow)); /* nothing flows yet: reading this answer is all it reads */
    int total = 20000;
    for (int i = 0; i < total; i += 1000)
        blast(p, "bot-d", i + 1, 1000);
    CU_ASSERT(dashtk_wait_ack_ms(p, total, 30000));
    long long dropped = dashtk_status_num(&s, "slow_consumers", "dropped_messages", NULL);
    CU_ASSERT(dropped > 0);
    /* now read everything: messages and gap notices cover 1..total exactly once, in order */
    long long next = 1, seen = 0, gapped = 0;
    int64_t deadline = wclock_mono_ms() + 20000;
    while (next <= total && wclock_mono_ms() < deadline) {
        cJSON *j = dashtk_recv_json(slow, 2000);
        if (!j) {
            fprintf(stderr, "drop test: stream ended at %lld (close code %d)\n", next,
                    testws_close_code(slow));
            break;
        }
        if (!strcmp(wjson_str(j, "type", ""), "gap")) {
            if (wjson_int(j, "from", -1) != next)
                fprintf(stderr, "gap %lld..%lld, expected from %lld\n",
                        (long long)wjson_int(j, "from", -1), (long long)wjson_int(j, "to", -1),
                        next);
            CU_ASSERT_EQUAL(wjson_int(j, "from", -1), next);
            CU_ASSERT_STRING_EQUAL(wjson_str(j, "reason", ""), "slow_consumer");
            gapped += wjson_int(j, "to", -1) - wjson_int(j, "from", -1) + 1;
            next = wjson_int(j, "to", -1) + 1;
        } else {
            if (wjson_int(j, "seq", -1) != next)
                fprintf(stderr, "seq %lld, expected %lld\n", (long long)wjson_int(j, "seq", -1),
                        next);
            CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), next);
            next = wjson_int(j, "seq", -1) + 1;
            seen++;
            if (getenv("TEST_TRACE") && seen % 500 == 0)
                fprintf(stderr, "t=%lld seen %lld next %lld\n", (long long)wclock_mono_ms(), seen, next);
        }
        cJSON_Delete(j);
    }
    CU_ASSERT_EQUAL(next, total + 1);
    CU_ASSERT_EQUAL(seen + gapped, total);
    CU_ASSERT_EQUAL(gapped, dropped);
    testws_close(slow);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_limits(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--max-message-bytes", "1024", "--max-depth", "8",
                                 NULL) == 0);
    /* oversize: 1009, also when it comes in small fragments */
    testws *p = dashtk_connect_as(&s, "publisher", "bot-l");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    char big[2000];
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    testws_send_frame(p, TESTWS_OP_TEXT, 1, big, sizeof big);
    CU_ASSERT_EQUAL(testws_wait_close(p, WAIT_MS), 1009);
    testws_close(p);
    p = dashtk_connect_as(&s, "publisher", "bot-l");
    dashtk_read_welcome(p);
    /* 4 x 300 bytes crosses the 1024-byte limit with the last fragment sent:
     * anything sent after the server's close would make its kernel answer
     * with a reset, which can discard the close frame before we read it */
    for (int i = 0; i < 4; i++)
        testws_send_frame(p, i ? TESTWS_OP_CONT : TESTWS_OP_TEXT, 0, big, 300);
    CU_ASSERT_EQUAL(testws_wait_close(p, WAIT_MS), 1009);
    testws_close(p);
    /* invalid UTF-8: 1007 */
    p = dashtk_connect_as(&s, "publisher", "bot-l");
    dashtk_read_welcome(p);
    testws_send_frame(p, TESTWS_OP_TEXT, 1, "{\"a\":\"\xc3\x28\"}", 9);
    CU_ASSERT_EQUAL(testws_wait_close(p, WAIT_MS), 1007);
    testws_close(p);
    /* binary: 1003 */
    p = dashtk_connect_as(&s, "publisher", "bot-l");
    dashtk_read_welcome(p);
    testws_send_frame(p, TESTWS_OP_BINARY, 1, "\x01\x02", 2);
    CU_ASSERT_EQUAL(testws_wait_close(p, WAIT_MS), 1003);
    testws_close(p);
    /* too deep: an error frame, the connection stays */
    p = dashtk_connect_as(&s, "publisher", "bot-l");
    dashtk_read_welcome(p);
    testws_send_text(p, "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]");
    cJSON *j = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", ""), "error");
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "code", ""), "json");
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(dashtk_publish(p, "bot-l", 1, "BTC-USD"), 0);
    CU_ASSERT(dashtk_wait_ack(p, 1));
    testws_close(p);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "too_large", NULL), 2);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "bad_utf8", NULL), 1);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "binary", NULL), 1);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "too_deep", NULL), 1);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_rate_and_max_connections(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--rate-limit", "20", "--max-connections", "2",
                                 NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-r");
    testws *sub = dashtk_subscribe(&s, "viewer-r", "{\"type\":\"subscribe\"}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    dashtk_read_welcome(p);
    char *t = dashtk_token("subscriber", "third");
    CU_ASSERT_EQUAL(dashtk_handshake_status(&s, "/ws/stream", t), 503);
    free(t);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "max_connections", NULL), 1);
    /* 100 messages at once against 20/s: an error "rate", then close 1008 */
    for (int i = 1; i <= 100; i++)
        dashtk_publish(p, "bot-r", i, "BTC-USD");
    int saw_rate = 0, code = -1;
    int64_t deadline = wclock_mono_ms() + WAIT_MS;
    while (wclock_mono_ms() < deadline) {
        int op;
        char *pl;
        size_t n;
        if (testws_recv(p, WAIT_MS, &op, &pl, &n) != 1)
            break;
        if (op == TESTWS_OP_CLOSE) {
            code = testws_close_code(p);
            break;
        }
        if (strstr(pl, "\"code\":\"rate\""))
            saw_rate = 1;
    }
    CU_ASSERT(saw_rate);
    CU_ASSERT_EQUAL(code, 1008);
    CU_ASSERT(dashtk_status_num(&s, "refused", "rate", NULL) >= 1);
    testws_close(p);
    testws_close(sub);
    spawn_stop(&s, SIGKILL, 2000);
}

/* A rate limit under 1 message/s still lets one message through per 1/R s
 * (the bucket holds at least one message), then refuses the next at once. */
static void test_fractional_rate_limit(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--rate-limit", "0.5", NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-slowrate");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    dashtk_read_welcome(p);
    CU_ASSERT_EQUAL(dashtk_publish(p, "bot-slowrate", 1, "BTC-USD"), 0);
    CU_ASSERT(dashtk_wait_ack(p, 1));
    CU_ASSERT_EQUAL(dashtk_publish(p, "bot-slowrate", 2, "BTC-USD"), 0);
    cJSON *j = dashtk_recv_json(p, WAIT_MS);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "code", ""), "rate");
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(testws_wait_close(p, WAIT_MS), 1008);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_idle_timeout(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--idle-timeout", "2", NULL) == 0);
    testws *quiet = dashtk_connect_as(&s, "subscriber", "sleeper");
    testws *alive = dashtk_connect_as(&s, "subscriber", "ponger");
    CU_ASSERT_PTR_NOT_NULL_FATAL(quiet);
    CU_ASSERT_PTR_NOT_NULL_FATAL(alive);
    testws_send_text(alive, "{\"type\":\"subscribe\"}");
    /* alive reads (and so answers pings) for 4.5 s; quiet reads nothing */
    int64_t end = wclock_mono_ms() + 4500;
    int alive_closed = 0;
    while (wclock_mono_ms() < end) {
        int op;
        char *pl;
        size_t n;
        int r = testws_recv(alive, 100, &op, &pl, &n);
        if (r < 0 || (r == 1 && op == TESTWS_OP_CLOSE))
            alive_closed = 1;
    }
    CU_ASSERT_FALSE(alive_closed);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "idle", NULL), 1);
    CU_ASSERT_EQUAL(testws_wait_close(quiet, WAIT_MS), 1001);
    testws_close(quiet);
    testws_close(alive);
    spawn_stop(&s, SIGKILL, 2000);
}

CU_TestInfo test_dashboard_durable_tests[] = {
    {"SIGKILL + restart keeps the journal (torn tail cut)", test_journal_restart},
    {"journal: a readable-CRC record that does not replay is skipped, not cut",
     test_journal_keeps_records_after_unreadable},
    {"journal: a file that is not a journal is refused, left intact", test_journal_foreign_file},
    {"restart that lost unacked messages: exactly once", test_restart_exactly_once},
    {"SIGTERM closes 1001, flushes, exits 0", test_sigterm},
    {"slow consumer: disconnect 1013", test_slow_disconnect},
    {"slow consumer: drop with gap notices", test_slow_drop},
    {"limits: 1009, 1007, 1003, nesting", test_limits},
    {"rate limit 1008 and max connections 503", test_rate_and_max_connections},
    {"rate limit below 1/s lets one message through", test_fractional_rate_limit},
    {"idle timeout with pings", test_idle_timeout},
    CU_TEST_INFO_NULL,
};
