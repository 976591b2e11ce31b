/* test_dashboard_hostile: the mock dashboard against hostile clients.
 *
 * Each test is one attack with an asserted outcome, followed by a liveness
 * probe (a fresh publisher and subscriber: publish, receive within a bound),
 * so "the server still serves others" is checked, not assumed:
 *   - unmasked client frames on both endpoints: close 1002 (RFC 6455 5.1);
 *   - "from" maps of 1,024 sources (4,096 names in all, the table's bound)
 *     against a full 100,000-item history: a round trip on another
 *     connection stays fast while they are applied;
 *   - a seq jump to 2^53: refused ("seq_jump"), later messages still count;
 *   - a command flood at one bot: refused ("rate"), the bot stays connected;
 *   - slowloris: 300 half-sent handshakes, a fresh client served within 2 s,
 *     the half-sent ones cut at the handshake timeout;
 *   - journal writes that keep failing: the buffer stops at its bound and
 *     messages are refused ("store"), never acked;
 *   - a message dripped a byte at a time: closed 1008 at --message-timeout;
 *   - --allowed-origins: a foreign Origin gets 403 (cross-site WebSocket
 *     hijacking), a listed one or none (not a browser) upgrades;
 *   - a token in the query string: accepted, and neither it nor a refused
 *     one is written to the log (at debug level).
 * Servers are wsb-dashboard processes (dashtk.h), clients are testws, which
 * can send any bytes. Figures are printed; bounds are generous. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dashtk.h"
#include "testkit.h"
#include "testws.h"
#include "wclock.h"
#include "wjson.h"

#define WAIT_MS DASHTK_WAIT_MS
#define PROBE_MS 2000 /* the liveness probe's bound: publish -> receive */

/* ---- liveness ---- */

/* A fresh subscriber and publisher (names unique per call): the published
 * message must reach the subscriber within PROBE_MS. Returns the ms taken,
 * or -1 (said on stderr). */
static long long probe(server *s)
{
    static int n;
    char pubname[32], subname[32];
    snprintf(pubname, sizeof pubname, "probe-%d", ++n);
    snprintf(subname, sizeof subname, "probe-sub-%d", n);
    int64_t t0 = wclock_mono_ms();
    long long took = -1;
    testws *sub = dashtk_subscribe(s, subname, "{\"type\":\"subscribe\"}");
    testws *pub = dashtk_connect_as(s, "publisher", pubname);
    long long last = pub ? dashtk_read_welcome(pub) : -1;
    if (!sub || !pub || last < 0 || !dashtk_sub_sync(sub) ||
        dashtk_publish(pub, pubname, last + 1, "BTC-USD")) {
        fprintf(stderr, "probe: could not set up (sub %p pub %p welcome %lld)\n", (void *)sub,
                (void *)pub, last);
        goto out;
    }
    while (wclock_mono_ms() - t0 < PROBE_MS) {
        cJSON *j = dashtk_recv_json(sub, (int)(PROBE_MS - (wclock_mono_ms() - t0)) + 1);
        if (!j)
            break;
        int hit =
            !strcmp(wjson_str(j, "source", ""), pubname) && wjson_int(j, "seq", -1) == last + 1;
        cJSON_Delete(j);
        if (hit) {
            took = wclock_mono_ms() - t0;
            break;
        }
    }
    if (took < 0)
        fprintf(stderr, "probe: message not received within %d ms\n", PROBE_MS);
out:
    testws_close(sub);
    testws_close(pub);
    return took;
}

#define ASSERT_ALIVE(s)                                                                            \
    do {                                                                                           \
        long long ms_ = probe(s);                                                                  \
        printf("\n    liveness probe after the attack: %lld ms\n", ms_);                           \
        CU_ASSERT(ms_ >= 0 && ms_ < PROBE_MS);                                                     \
    } while (0)

/* ---- helpers ---- */

/* One unmasked (server-style) text frame, as a client must never send it. */
static int send_unmasked(testws *t, int opcode, const char *payload)
{
    uint8_t buf[256];
    size_t n = strlen(payload);
    if (n > 125)
        return -1;
    buf[0] = (uint8_t)(0x80 | opcode);
    buf[1] = (uint8_t)n;
    memcpy(buf + 2, payload, n);
    return testws_send_raw(t, buf, n + 2);
}

/* Reads until an error frame with that code (1, *seq set when seq is not
 * NULL: a double, as 2^53 is beyond wjson's exact integers), a close or
 * timeout (0). Other frames are skipped. */
static int wait_error(testws *t, const char *code, double *seq, int timeout_ms)
{
    int64_t end = wclock_mono_ms() + timeout_ms;
    while (wclock_mono_ms() < end) {
        cJSON *j = dashtk_recv_json(t, (int)(end - wclock_mono_ms()) + 1);
        if (!j)
            return 0;
        int hit = !strcmp(wjson_str(j, "type", ""), "error") &&
                  !strcmp(wjson_str(j, "code", ""), code) && dashtk_conforms("control/error", j);
        const cJSON *sq = cJSON_GetObjectItemCaseSensitive(j, "seq");
        if (hit && seq)
            *seq = cJSON_IsNumber(sq) ? sq->valuedouble : -1;
        cJSON_Delete(j);
        if (hit)
            return 1;
    }
    return 0;
}

/* Next stream envelope of source src (skipping other frames): its seq, or -1. */
static long long next_seq_of(testws *t, const char *src, int timeout_ms)
{
    int64_t end = wclock_mono_ms() + timeout_ms;
    while (wclock_mono_ms() < end) {
        cJSON *j = dashtk_recv_json(t, (int)(end - wclock_mono_ms()) + 1);
        if (!j)
            return -1;
        long long seq = !strcmp(wjson_str(j, "source", ""), src) &&
                                cJSON_GetObjectItemCaseSensitive(j, "relay_us")
                            ? wjson_int(j, "seq", -1)
                            : -2;
        cJSON_Delete(j);
        if (seq != -2)
            return seq;
    }
    return -1;
}

/* ---- 1. unmasked frames ---- */

static void test_unmasked(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, NULL) == 0);

    /* publisher: a valid envelope, unmasked: refused, never stored */
    testws *p = dashtk_connect_as(&s, "publisher", "bot-u");
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    char env[512];
    dashtk_envelope_text(env, sizeof env, "bot-u", 1, "BTC-USD");
    uint8_t big[600];
    size_t n = strlen(env);
    big[0] = 0x81;
    big[1] = 126;
    big[2] = (uint8_t)(n >> 8);
    big[3] = (uint8_t)n;
    memcpy(big + 4, env, n);
    CU_ASSERT_EQUAL(testws_send_raw(p, big, n + 4), 0);
    int code = testws_wait_close(p, WAIT_MS);
    printf("\n    publisher, unmasked text frame: close %d\n", code);
    CU_ASSERT_EQUAL(code, 1002);
    testws_close(p);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "sources", "bot-u", "last_seq"), 0);

    /* subscriber: after a valid subscribe, an unmasked command */
    testws *c = dashtk_subscribe(&s, "sub-u", "{\"type\":\"subscribe\"}");
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(dashtk_sub_sync(c));
    CU_ASSERT_EQUAL(send_unmasked(c, TESTWS_OP_TEXT,
                                  "{\"type\":\"command\",\"target\":\"nobody\","
                                  "\"command_id\":\"u1\",\"name\":\"pause\"}"),
                    0);
    code = testws_wait_close(c, WAIT_MS);
    printf("    subscriber, unmasked text frame: close %d\n", code);
    CU_ASSERT_EQUAL(code, 1002);
    testws_close(c);

    /* subscriber: an unmasked ping (a control frame reaches no RECEIVE) */
    c = dashtk_subscribe(&s, "sub-u2", "{\"type\":\"subscribe\"}");
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(dashtk_sub_sync(c));
    CU_ASSERT_EQUAL(send_unmasked(c, TESTWS_OP_PING, "hi"), 0);
    code = testws_wait_close(c, WAIT_MS);
    printf("    subscriber, unmasked ping: close %d\n", code);
    CU_ASSERT_EQUAL(code, 1002);
    testws_close(c);

    /* masked frames from the same kind of clients are still fine */
    CU_ASSERT(dashtk_status_wait(&s, "refused", "unmasked", NULL, 3));
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGKILL, 2000);
}

/* ---- 2. "from" maps against a full history ---- */

#define FROM_HISTORY 100000
#define FROM_SOURCES 1024
#define FROM_FRAMES 24

typedef struct attack {
    testws *t;
    int frames;
    int sent;   /* frames written */
    int synced; /* the server answered after the last of them */
    int64_t done_ms;
} attack;

static void *from_attacker(void *arg)
{
    attack *a = arg;
    size_t cap = FROM_SOURCES * 24 + 128;
    char *f = malloc(cap);
    if (!f)
        return NULL;
    for (int k = 0; k < a->frames; k++) {
        size_t n = (size_t)snprintf(f, cap, "{\"type\":\"subscribe\",\"from\":{");
        for (int i = 0; i < FROM_SOURCES; i++)
            n += (size_t)snprintf(f + n, cap - n, "%s\"h-%04d\":%d", i ? "," : "",
                                  (k % 4) * FROM_SOURCES + i, k); /* 4,096 names in all */
        n += (size_t)snprintf(f + n, cap - n, "}}");
        if (testws_send_frame(a->t, TESTWS_OP_TEXT, 1, f, n))
            break;
        a->sent++;
    }
    free(f);
    a->synced = dashtk_sub_sync(a->t);
    a->done_ms = wclock_mono_ms();
    return NULL;
}

/* Fills the history with n messages of src in batches of frames per write. */
static int fill_history(testws *p, const char *src, int n)
{
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = malloc(cap);
    char env[512];
    int rc = 0;
    for (int seq = 1; seq <= n && !rc; seq++) {
        dashtk_envelope_text(env, sizeof env, src, seq, "ETH-USD");
        size_t m = testws_encode_text(buf + len, cap - len, env, strlen(env));
        if (!m) {
            rc = testws_send_raw(p, buf, len);
            len = 0;
            m = testws_encode_text(buf, cap, env, strlen(env));
        }
        len += m;
    }
    if (!rc && len)
        rc = testws_send_raw(p, buf, len);
    free(buf);
    return rc ? -1 : (dashtk_wait_ack_ms(p, n, 30000) ? 0 : -1);
}

static void test_from_map(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--history", "100000", NULL) == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-f");
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    int64_t t0 = wclock_mono_ms();
    CU_ASSERT_FATAL(fill_history(p, "bot-f", FROM_HISTORY) == 0);
    printf("\n    history filled with %d messages in %lld ms\n", FROM_HISTORY,
           (long long)(wclock_mono_ms() - t0));

    testws *watch = dashtk_subscribe(&s, "watcher", "{\"type\":\"subscribe\",\"types\":[]}");
    testws *evil = dashtk_subscribe(&s, "evil", "{\"type\":\"subscribe\",\"types\":[]}");
    CU_ASSERT_FATAL(watch && evil && dashtk_sub_sync(watch) && dashtk_sub_sync(evil));

    /* round trips on another connection while the maps are applied */
    attack a = {.t = evil, .frames = FROM_FRAMES};
    pthread_t th;
    int64_t start = wclock_mono_ms();
    CU_ASSERT_FATAL(pthread_create(&th, NULL, from_attacker, &a) == 0);
    long long worst = 0, rtts = 0;
    int fails = 0;
    while (!a.done_ms && wclock_mono_ms() - start < 60000) {
        int64_t r0 = wclock_mono_ms();
        if (!dashtk_sub_sync(watch)) {
            fails++;
            break;
        }
        long long rtt = wclock_mono_ms() - r0;
        if (rtt > worst)
            worst = rtt;
        rtts++;
    }
    pthread_join(th, NULL);
    printf("    %d subscribe frames of %d \"from\" sources over %d held messages: applied in "
           "%lld ms; %lld round trips meanwhile, the slowest %lld ms\n",
           a.sent, FROM_SOURCES, FROM_HISTORY, (long long)(a.done_ms - start), rtts, worst);
    CU_ASSERT_EQUAL(a.sent, FROM_FRAMES);
    CU_ASSERT(a.synced);
    CU_ASSERT_EQUAL(fails, 0);
    CU_ASSERT(worst < 150);              /* the loop never stalls long */
    CU_ASSERT(a.done_ms - start < 1500); /* nor does the attack cost much in all */
    testws_close(watch);
    testws_close(evil);
    testws_close(p);
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGKILL, 2000);
}

/* ---- 3. seq jump to 2^53 ---- */

static void test_seq_jump(void)
{
    server s;
    char journal[300];
    snprintf(journal, sizeof journal, "%s/seqjump.bin", dashtk_tmpdir);
    CU_ASSERT_FATAL(dashtk_server_start(&s, journal, "--fsync-ms", "2", NULL) == 0);
    testws *sub = dashtk_subscribe(&s, "sub-j", "{\"type\":\"subscribe\"}");
    CU_ASSERT_FATAL(sub && dashtk_sub_sync(sub));
    testws *p = dashtk_connect_as(&s, "publisher", "bot-j");
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    CU_ASSERT(dashtk_publish(p, "bot-j", 1, "BTC-USD") == 0 && dashtk_wait_ack(p, 1));

    const long long huge = 9007199254740992LL; /* 2^53, the schema's maximum */
    CU_ASSERT_EQUAL(dashtk_publish(p, "bot-j", huge, "BTC-USD"), 0);
    double eseq = 0;
    CU_ASSERT(wait_error(p, "seq_jump", &eseq, WAIT_MS));
    if (eseq != (double)huge)
        printf("\n    error seq %.17g, expected %lld\n", eseq, huge);
    CU_ASSERT(eseq == (double)huge);
    /* the next real message is not a duplicate: acked and delivered */
    CU_ASSERT(dashtk_publish(p, "bot-j", 2, "BTC-USD") == 0 && dashtk_wait_ack(p, 2));
    CU_ASSERT_EQUAL(next_seq_of(sub, "bot-j", WAIT_MS), 1);
    CU_ASSERT_EQUAL(next_seq_of(sub, "bot-j", WAIT_MS), 2);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "sources", "bot-j", "last_seq"), 2);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "seq_jump", NULL), 1);
    /* a jump within the bound is still final: a gap, acked past */
    CU_ASSERT(dashtk_publish(p, "bot-j", 10, "BTC-USD") == 0 && dashtk_wait_ack(p, 10));
    testws_close(p);
    testws_close(sub);
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGKILL, 2000);

    /* the journal holds nothing of the jump */
    CU_ASSERT_FATAL(dashtk_server_start(&s, journal, "--fsync-ms", "2", NULL) == 0);
    p = dashtk_connect_as(&s, "publisher", "bot-j");
    CU_ASSERT_FATAL(p != NULL);
    long long w = dashtk_read_welcome(p);
    printf("\n    after a restart: welcome last_seq %lld\n", w);
    CU_ASSERT_EQUAL(w, 10);
    testws_close(p);
    spawn_stop(&s, SIGKILL, 2000);
}

/* ---- 4. command flood ---- */

#define FLOOD_COMMANDS 20000

typedef struct flood {
    testws *t;
    int sent;
} flood;

static void *flooder(void *arg)
{
    flood *f = arg;
    char pad[801], cmd[1100];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    size_t cap = 1 << 20, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (int i = 0; i < FLOOD_COMMANDS; i++) {
        int n = snprintf(cmd, sizeof cmd,
                         "{\"type\":\"command\",\"target\":\"bot-c\",\"command_id\":\"f-%d\","
                         "\"name\":\"pause\",\"params\":{\"pad\":\"%s\"}}",
                         i, pad);
        size_t m = testws_encode_text(buf + len, cap - len, cmd, (size_t)n);
        if (!m) {
            if (testws_send_raw(f->t, buf, len))
                break; /* the dashboard may cut a flooder that reads nothing */
            len = 0;
            m = testws_encode_text(buf, cap, cmd, (size_t)n);
        }
        len += m;
        f->sent = i + 1;
    }
    if (len)
        testws_send_raw(f->t, buf, len);
    free(buf);
    return NULL;
}

static void test_command_flood(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, NULL) == 0);
    testws *bot = dashtk_connect_as(&s, "publisher", "bot-c");
    CU_ASSERT_FATAL(bot != NULL);
    CU_ASSERT_EQUAL(dashtk_read_welcome(bot), 0);
    testws *sub = dashtk_subscribe(&s, "flooder", "{\"type\":\"subscribe\",\"types\":[]}");
    CU_ASSERT_FATAL(sub && dashtk_sub_sync(sub));

    /* the bot does not read while the flood runs */
    flood f = {.t = sub};
    pthread_t th;
    CU_ASSERT_FATAL(pthread_create(&th, NULL, flooder, &f) == 0);
    int rate_errors = 0, frames = 0;
    int64_t end = wclock_mono_ms() + 20000;
    for (;;) {
        cJSON *j = dashtk_recv_json(sub, 500);
        if (!j) {
            if (f.sent == FLOOD_COMMANDS || wclock_mono_ms() > end)
                break;
            continue;
        }
        frames++;
        if (!strcmp(wjson_str(j, "code", ""), "rate") && dashtk_conforms("control/error", j))
            rate_errors++;
        cJSON_Delete(j);
    }
    pthread_join(th, NULL);

    /* now the bot reads what reached it: commands, never a close */
    int relayed = 0, closed = 0;
    for (;;) {
        int op;
        char *pl;
        size_t pn;
        int r = testws_recv(bot, 1000, &op, &pl, &pn);
        if (r <= 0 || op == TESTWS_OP_CLOSE) {
            closed = r < 0 || op == TESTWS_OP_CLOSE;
            break;
        }
        if (strstr(pl, "\"type\":\"command\""))
            relayed++;
    }
    printf("\n    %d commands sent by one subscriber: %d relayed to the bot, %d refused with "
           "\"rate\" (of %d frames read back); bot %s\n",
           f.sent, relayed, rate_errors, frames, closed ? "CLOSED" : "still connected");
    CU_ASSERT(rate_errors > 0);
    CU_ASSERT(relayed > 0 && relayed < f.sent / 4); /* a burst and the rate, not the flood */
    CU_ASSERT_FALSE(closed);
    CU_ASSERT(dashtk_publish(bot, "bot-c", 1, "BTC-USD") == 0 && dashtk_wait_ack(bot, 1));
    CU_ASSERT(dashtk_status_num(&s, "refused", "commands", NULL) > 0);
    testws_close(sub);
    testws_close(bot);
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGKILL, 2000);
}

/* ---- 5. slowloris ---- */

#define LORIS 300

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* 1 when the server closed fd (EOF or reset) within timeout_ms. */
static int closed_within(int fd, int timeout_ms)
{
    int64_t end = wclock_mono_ms() + timeout_ms;
    while (wclock_mono_ms() < end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, (int)(end - wclock_mono_ms()) + 1) > 0) {
            char b[256];
            ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
            if (n <= 0)
                return 1;
        }
    }
    return 0;
}

/* ---- Origin allowlist ---- */

/* The status of a request sent by hand: GET path, with an upgrade to
 * WebSocket (and a valid subscriber token in Authorization when bearer) or
 * not, and the Origin header origin (NULL: none); 0 when no status came. */
static int raw_request(server *s, const char *path, int upgrade, int bearer, const char *origin)
{
    char *tok = dashtk_token("subscriber", "origin-test");
    int fd = tcp_connect(s->port);
    int status = 0;
    char req[2048], o[300] = "", a[1200] = "";
    if (origin)
        snprintf(o, sizeof o, "Origin: %s\r\n", origin);
    if (bearer)
        snprintf(a, sizeof a, "Authorization: Bearer %s\r\n", tok);
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s\r\n", path,
                     upgrade ? "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                             : "",
                     a, o);
    if (fd >= 0 && n > 0 && n < (int)sizeof req && write(fd, req, (size_t)n) == n) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        char b[512];
        ssize_t r = poll(&pf, 1, WAIT_MS) > 0 ? read(fd, b, sizeof b - 1) : -1;
        if (r > 0) {
            b[r] = '\0';
            if (sscanf(b, "HTTP/1.1 %d", &status) != 1)
                status = 0;
        }
    }
    if (fd >= 0)
        close(fd);
    free(tok);
    return status;
}

static int upgrade_with_origin(server *s, const char *origin)
{
    return raw_request(s, "/ws/stream", 1, 1, origin);
}

static void test_origin_allowlist(void)
{
    server s;
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, "--allowed-origins",
                                        "https://app.example, https://ops.example", NULL) == 0);
    CU_ASSERT_EQUAL(upgrade_with_origin(&s, "https://evil.example"), 403);
    CU_ASSERT_EQUAL(upgrade_with_origin(&s, "https://app.example.evil.example"), 403);
    CU_ASSERT_EQUAL(upgrade_with_origin(&s, "https://ops.example"), 101);
    CU_ASSERT_EQUAL(upgrade_with_origin(&s, NULL), 101); /* not a browser */
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGKILL, 2000);
    /* without the option, any Origin upgrades */
    CU_ASSERT_FATAL(dashtk_server_start(&s, NULL, NULL) == 0);
    CU_ASSERT_EQUAL(upgrade_with_origin(&s, "https://evil.example"), 101);
    spawn_stop(&s, SIGKILL, 2000);
}

/* A token in the query string (what browsers must use) is accepted and
 * never written to the log, even at debug level. */
static void test_query_token_not_logged(void)
{
    server s;
    setenv("LOG_LEVEL", "debug", 1);
    int rc = dashtk_server_start(&s, NULL, NULL);
    unsetenv("LOG_LEVEL");
    CU_ASSERT_FATAL(rc == 0);
    char *tok = dashtk_token("subscriber", "query-token-sub");
    char *bad = strdup(tok);
    bad[strlen(bad) - 2] ^= 1; /* a bad signature: the refusal is logged */
    char path[1500];
    snprintf(path, sizeof path, "/ws/stream?token=%s", tok);
    CU_ASSERT_EQUAL(raw_request(&s, path, 1, 0, NULL), 101);
    snprintf(path, sizeof path, "/ws/stream?token=%s", bad);
    CU_ASSERT_EQUAL(raw_request(&s, path, 1, 0, NULL), 401);
    snprintf(path, sizeof path, "/health?token=%s", tok);
    CU_ASSERT_EQUAL(raw_request(&s, path, 0, 0, NULL), 200);
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGTERM, 3000);
    FILE *f = fopen(dashtk_server_log, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* the right log, at debug level: the connection is there, by its sub */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "query-token-sub"));
    const char *sig = strrchr(tok, '.') + 1, *badsig = strrchr(bad, '.') + 1;
    if (strstr(text, sig) || strstr(text, badsig))
        CU_FAIL("a query-string token (its signature) was written to the dashboard's log");
    free(tok);
    free(bad);
}

static void test_slowloris(void)
{
    server s;
    /* through the environment, so that an older server starts too */
    setenv("DASHBOARD_HANDSHAKE_TIMEOUT", "3", 1);
    int rc = dashtk_server_start(&s, NULL, NULL);
    unsetenv("DASHBOARD_HANDSHAKE_TIMEOUT");
    CU_ASSERT_FATAL(rc == 0);
    static int fds[LORIS];
    int opened = 0;
    for (int i = 0; i < LORIS; i++) {
        fds[i] = tcp_connect(s.port);
        static const char part[] = "GET /ws/stream HTTP/1.1\r\nHo";
        if (fds[i] >= 0 && write(fds[i], part, sizeof part - 1) == (ssize_t)(sizeof part - 1))
            opened++;
    }
    CU_ASSERT_EQUAL(opened, LORIS);

    /* a well-behaved client: connected, subscribed, served */
    int64_t t0 = wclock_mono_ms();
    long long ms = probe(&s);
    printf("\n    %d half-sent handshakes held: a fresh client served in %lld ms\n", opened, ms);
    CU_ASSERT(ms >= 0 && ms < 2000);

    /* the half-sent handshakes are cut at the handshake timeout (3 s) */
    int cut = 0;
    for (int i = 0; i < LORIS; i++)
        if (fds[i] >= 0 && closed_within(fds[i], (int)(3000 + 3000 - (wclock_mono_ms() - t0))))
            cut++;
    printf("    %d of %d cut by the server within %lld ms of the client\n", cut, opened,
           (long long)(wclock_mono_ms() - t0));
    CU_ASSERT_EQUAL(cut, opened);
    for (int i = 0; i < LORIS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGKILL, 2000);
}

/* ---- 6. journal writes that keep failing; a message dripped ---- */

static void test_journal_failing(void)
{
    server s;
    /* /dev/full: every write fails (ENOSPC); the buffer's bound is set low.
     * (200,000 bytes: at least two largest messages.) Given through the environment so that an
     * older server, which lacks the flag, still starts (and shows its old behaviour). */
    setenv("DASHBOARD_JOURNAL_BUFFER_MAX", "200000", 1);
    int rc = dashtk_server_start(&s, "/dev/full", "--fsync-ms", "2", NULL);
    unsetenv("DASHBOARD_JOURNAL_BUFFER_MAX");
    CU_ASSERT_FATAL(rc == 0);
    testws *p = dashtk_connect_as(&s, "publisher", "bot-s");
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_EQUAL(dashtk_read_welcome(p), 0);
    int sent = 0, stored_refused = 0, acks = 0;
    long long first_refused = 0;
    for (int seq = 1; seq <= 2000; seq++) {
        if (dashtk_publish(p, "bot-s", seq, "BTC-USD"))
            break;
        sent++;
    }
    /* every frame back: errors "store", never an ack (nothing is durable) */
    for (;;) {
        cJSON *j = dashtk_recv_json(p, 1000);
        if (!j)
            break;
        if (!strcmp(wjson_str(j, "type", ""), "ack") && wjson_int(j, "seq", 0) > 0)
            acks++;
        if (!strcmp(wjson_str(j, "code", ""), "store") && dashtk_conforms("control/error", j)) {
            if (!stored_refused++)
                first_refused = wjson_int(j, "seq", -1);
        }
        cJSON_Delete(j);
    }
    cJSON *st = dashtk_get_status(&s);
    int64_t buffered = -1, bmax = -1, werr = -1, held = -1;
    wjson_get_int64(wjson_getv(st, "journal", "buffered_bytes", NULL), &buffered);
    wjson_get_int64(wjson_getv(st, "journal", "buffer_max", NULL), &bmax);
    wjson_get_int64(wjson_getv(st, "journal", "write_errors", NULL), &werr);
    wjson_get_int64(wjson_getv(st, "sources", "bot-s", "last_seq", NULL), &held);
    int failing = cJSON_IsTrue(wjson_getv(st, "journal", "failing", NULL));
    cJSON_Delete(st);
    printf("\n    journal on /dev/full: %d sent, %lld held, first refused seq %lld, %d refused "
           "with \"store\", %d acks; buffered %lld of %lld bytes, %lld write errors\n",
           sent, (long long)held, first_refused, stored_refused, acks, (long long)buffered,
           (long long)bmax, (long long)werr);
    CU_ASSERT(stored_refused > 0);
    CU_ASSERT_EQUAL(first_refused, held + 1); /* refused from the first one not held */
    CU_ASSERT_EQUAL(stored_refused, sent - held);
    CU_ASSERT_EQUAL(acks, 0);
    CU_ASSERT(buffered > 100000 && buffered <= 200000 && bmax == 200000);
    CU_ASSERT(werr > 0 && failing);
    testws_close(p);
    /* others are still answered: a status document, an error for a new publisher */
    testws *q = dashtk_connect_as(&s, "publisher", "bot-s2");
    CU_ASSERT_FATAL(q != NULL);
    CU_ASSERT_EQUAL(dashtk_read_welcome(q), 0);
    int64_t t0 = wclock_mono_ms();
    CU_ASSERT(dashtk_publish(q, "bot-s2", 1, "BTC-USD") == 0 &&
              wait_error(q, "store", NULL, PROBE_MS));
    printf("    a fresh publisher told \"store\" in %lld ms\n", (long long)(wclock_mono_ms() - t0));
    testws_close(q);
    spawn_stop(&s, SIGKILL, 2000);
}

static void test_drip(void)
{
    server s;
    setenv("DASHBOARD_MESSAGE_TIMEOUT", "1", 1);
    int rc = dashtk_server_start(&s, NULL, "--idle-timeout", "4", NULL);
    unsetenv("DASHBOARD_MESSAGE_TIMEOUT");
    CU_ASSERT_FATAL(rc == 0);
    testws *c = dashtk_subscribe(&s, "dripper", "{\"type\":\"subscribe\"}");
    CU_ASSERT_FATAL(c && dashtk_sub_sync(c));
    /* a masked text frame announcing 60,000 bytes, then a byte per 100 ms */
    uint8_t hdr[8] = {0x81, 0x80 | 126, 60000 >> 8, 60000 & 0xff, 1, 2, 3, 4};
    CU_ASSERT_EQUAL(testws_send_raw(c, hdr, sizeof hdr), 0);
    int64_t t0 = wclock_mono_ms();
    int code = -1, dripped = 0;
    while (wclock_mono_ms() - t0 < 8000) {
        if (testws_send_raw(c, "x", 1)) {
            code = testws_close_code(c);
            break;
        }
        dripped++;
        int op;
        char *pl;
        size_t pn;
        int r = testws_recv(c, 100, &op, &pl, &pn);
        if (r < 0 || (r == 1 && op == TESTWS_OP_CLOSE)) {
            code = r < 0 ? 1006 : testws_close_code(c);
            break;
        }
    }
    long long took = wclock_mono_ms() - t0;
    printf("\n    a message dripped a byte per 100 ms (%d bytes): close %d after %lld ms\n",
           dripped, code, took);
    CU_ASSERT_EQUAL(code, 1008);
    CU_ASSERT(took < 3000);
    CU_ASSERT_EQUAL(dashtk_status_num(&s, "refused", "stalled", NULL), 1);
    testws_close(c);
    ASSERT_ALIVE(&s);
    spawn_stop(&s, SIGKILL, 2000);
}

/* ---- main ---- */

static int suite_init(void)
{
    return dashtk_init("test_dashboard_hostile");
}

static int suite_clean(void)
{
    dashtk_done();
    spawn_stop_all(0);
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    static CU_TestInfo tests[] = {
        {"unmasked client frames: close 1002 on both endpoints", test_unmasked},
        {"from maps of 1,024 sources over a full history: the loop stays responsive",
         test_from_map},
        {"seq jump to 2^53: refused, later messages count, journal clean", test_seq_jump},
        {"command flood at one bot: refused with rate, the bot stays", test_command_flood},
        {"slowloris: 300 half-sent handshakes, a fresh client served within 2 s", test_slowloris},
        {"journal writes failing: bounded buffer, store errors, no acks", test_journal_failing},
        {"a message dripped a byte at a time: closed 1008", test_drip},
        {"--allowed-origins: a foreign Origin gets 403, a listed one or none upgrades",
         test_origin_allowlist},
        {"a token in the query string: accepted, never in the log", test_query_token_not_logged},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"dashboard_hostile", suite_init, suite_clean, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    int rc = testkit_run(suites, getenv("TEST_ONLY"));
    spawn_stop_all(0);
    if (!rc)
        testkit_rmtree(dashtk_tmpdir);
    return rc;
}
