/* test_rawws: the raw-socket client (harness/rawws.c) against a canned
 * server: a listener in a thread that answers a connection with fixed bytes
 * (in one or several writes) and records what it was sent. Checks frame
 * encoding (lengths, mask, RSV, opcode, a declared length), the HTTP status
 * read, server frames split across writes, close codes, EOF and timeouts. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rawws.h"
#include "testkit.h"

typedef struct canned {
    int lfd, port;
    const uint8_t *parts[4];
    size_t lens[4];
    int nparts;
    int gap_ms;      /* between parts */
    int close_after; /* 1: close after the parts, else wait for the client to close */
    uint8_t got[4096];
    size_t ngot;
    pthread_t th;
} canned;

static void *serve(void *arg)
{
    canned *c = arg;
    int fd = accept(c->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    for (int i = 0; i < c->nparts; i++) {
        if (i && c->gap_ms)
            usleep((useconds_t)c->gap_ms * 1000);
        if (write(fd, c->parts[i], c->lens[i]) != (ssize_t)c->lens[i])
            break;
    }
    if (!c->close_after) {
        ssize_t n;
        while ((n = read(fd, c->got + c->ngot, sizeof c->got - c->ngot)) > 0)
            c->ngot += (size_t)n;
    }
    close(fd);
    return NULL;
}

static void canned_start(canned *c, char *url, size_t ulen)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    c->lfd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(c->lfd >= 0);
    CU_ASSERT_FATAL(bind(c->lfd, (struct sockaddr *)&a, sizeof a) == 0);
    CU_ASSERT_FATAL(listen(c->lfd, 4) == 0);
    getsockname(c->lfd, (struct sockaddr *)&a, &al);
    c->port = ntohs(a.sin_port);
    snprintf(url, ulen, "ws://127.0.0.1:%d/ws", c->port);
    pthread_create(&c->th, NULL, serve, c);
}

static void canned_stop(canned *c)
{
    pthread_join(c->th, NULL);
    close(c->lfd);
}

static void test_encode(void)
{
    uint8_t out[80000];
    rawws_frame f = {.fin = 1, .opcode = RAWWS_OP_TEXT, .payload = "hi", .len = 2};
    CU_ASSERT_EQUAL(rawws_encode(&f, out, sizeof out), 4);
    CU_ASSERT(out[0] == 0x81 && out[1] == 2 && out[2] == 'h' && out[3] == 'i');
    f.masked = 1; /* mask bit, key, masked payload */
    CU_ASSERT_EQUAL(rawws_encode(&f, out, sizeof out), 8);
    CU_ASSERT(out[1] == 0x82);
    CU_ASSERT((out[6] ^ out[2]) == 'h' && (out[7] ^ out[3]) == 'i');
    rawws_frame g = {.fin = 0, .rsv = 5, .opcode = 0xB}; /* RSV1+RSV3, a reserved opcode */
    CU_ASSERT_EQUAL(rawws_encode(&g, out, sizeof out), 2);
    CU_ASSERT_EQUAL(out[0], 0x5B);
    static uint8_t big[70000];
    rawws_frame h = {.fin = 1, .opcode = 2, .payload = big, .len = 300};
    CU_ASSERT_EQUAL(rawws_encode(&h, out, sizeof out), 304);
    CU_ASSERT(out[1] == 126 && out[2] == 1 && out[3] == 44);
    h.len = sizeof big;
    CU_ASSERT_EQUAL(rawws_encode(&h, out, sizeof out), sizeof big + 10);
    CU_ASSERT(out[1] == 127 && out[7] == 0x01 && out[8] == 0x11 && out[9] == 0x70);
    rawws_frame d = {.fin = 1, .opcode = 1, .len_override = 1,
                     .declared_len = 0x8000000000000000ull}; /* 2^63, nothing behind it */
    CU_ASSERT_EQUAL(rawws_encode(&d, out, sizeof out), 10);
    CU_ASSERT(out[1] == 127 && out[2] == 0x80 && out[9] == 0);
    CU_ASSERT_EQUAL(rawws_encode(&h, out, 100), 0); /* does not fit */
}

static const char head101[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";

static void test_status_and_frames_split(void)
{
    /* the head, an error text frame and a close 1008 with a reason, cut at odd places */
    static const uint8_t rest[] = "\x81\x05hello\x88\x05\x03\xf0" "bye";
    static uint8_t p1[8], p2[64];
    size_t hl = sizeof head101 - 1;
    memcpy(p1, head101 + hl - 4, 4); /* the head's blank line + the first frame's 2 bytes */
    memcpy(p1 + 4, rest, 2);
    memcpy(p2, rest + 2, sizeof rest - 3);
    canned c = {.nparts = 3, .gap_ms = 20, .close_after = 1};
    c.parts[0] = (const uint8_t *)head101;
    c.lens[0] = hl - 4;
    c.parts[1] = p1;
    c.lens[1] = 6;
    c.parts[2] = p2;
    c.lens[2] = sizeof rest - 3;
    char url[64], err[200], line[100];
    canned_start(&c, url, sizeof url);
    rawws *r = rawws_connect(url, 2000, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(rawws_read_status(r, 2000, line, sizeof line), 101);
    CU_ASSERT_STRING_EQUAL(line, "HTTP/1.1 101 Switching Protocols");
    int op = 0, code = 0;
    char *p = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(rawws_read(r, 2000, &op, &p, &n), RAWWS_FRAME);
    CU_ASSERT(op == RAWWS_OP_TEXT && n == 5 && !strcmp(p, "hello"));
    CU_ASSERT_EQUAL(rawws_wait_close(r, 2000, &code, NULL), RAWWS_FRAME);
    CU_ASSERT_EQUAL(code, 1008);
    CU_ASSERT_EQUAL(rawws_read(r, 2000, &op, &p, &n), RAWWS_EOF);
    rawws_close(r);
    canned_stop(&c);
}

/* An error frame and a close frame in one write, read as wait-for-error
 * then a ping: the close's code is the close frame's, not stale bytes. */
static void test_frames_together(void)
{
    static const uint8_t all[] = "\x81\x03" "err" "\x88\x04\x03\xf0" "xy";
    canned c = {.nparts = 2, .close_after = 0};
    c.parts[0] = (const uint8_t *)head101;
    c.lens[0] = sizeof head101 - 1;
    c.parts[1] = all;
    c.lens[1] = sizeof all - 1;
    char url[64], err[200];
    canned_start(&c, url, sizeof url);
    rawws *r = rawws_connect(url, 2000, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(rawws_read_status(r, 2000, NULL, 0), 101);
    int op = 0, code = 0;
    char *p = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(rawws_read(r, 2000, &op, &p, &n), RAWWS_FRAME);
    CU_ASSERT(n == 3 && !strcmp(p, "err"));
    CU_ASSERT_EQUAL(rawws_ping(r, "sec-probe", 1000, &code), -1);
    CU_ASSERT_EQUAL(code, 1008);
    rawws_close(r);
    canned_stop(&c);
    /* the ping went out masked, with its payload */
    CU_ASSERT_EQUAL(c.ngot, 2 + 4 + 9);
    CU_ASSERT(c.got[0] == 0x89 && c.got[1] == (0x80 | 9));
}

static void test_refused_and_timeout(void)
{
    static const char h401[] = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n";
    canned c = {.nparts = 1, .close_after = 1};
    c.parts[0] = (const uint8_t *)h401;
    c.lens[0] = sizeof h401 - 1;
    char url[64], err[200];
    canned_start(&c, url, sizeof url);
    rawws *r = rawws_connect(url, 2000, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    char req[512];
    size_t qn = rawws_request(r, req, sizeof req, "/ws", "t.o.k", "Origin: x\r\n",
                              RAWWS_OMIT_VERSION);
    CU_ASSERT(qn > 0 && strstr(req, "Authorization: Bearer t.o.k\r\n") &&
              strstr(req, "Origin: x\r\n\r\n") && !strstr(req, "Version"));
    CU_ASSERT_EQUAL(rawws_read_status(r, 2000, NULL, 0), 401);
    rawws_close(r);
    canned_stop(&c);

    canned s = {.nparts = 0, .close_after = 0}; /* says nothing */
    canned_start(&s, url, sizeof url);
    r = rawws_connect(url, 2000, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(rawws_read_status(r, 100, NULL, 0), -1);
    int code = 0;
    CU_ASSERT_EQUAL(rawws_wait_close(r, 100, &code, NULL), RAWWS_TIMEOUT);
    rawws_close(r);
    canned_stop(&s);
    CU_ASSERT_PTR_NULL(rawws_connect("http:/nope", 100, err, sizeof err));
}

static CU_TestInfo tests[] = {
    {"encode", test_encode},
    {"status_and_frames_split", test_status_and_frames_split},
    {"frames_together", test_frames_together},
    {"refused_and_timeout", test_refused_and_timeout},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"rawws", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
