/* load-peer: a small WebSocket server that misbehaves on purpose, for the
 * load engine's tests (test-only; never shipped).
 *
 * One forked child per connection, blocking I/O, loopback only. It answers
 * the handshake (401 without "Authorization: Bearer <--token>" when a token is
 * set), waits for the client's first text frame, then sends --messages
 * stream envelopes from source "peer" (seq 1..N, ts_us and relay_us now, a
 * "seq" inside "data" that must not be taken for the top-level one), every
 * fifth one in two fragments with a ping between them, all in writes of odd
 * sizes so frames split across reads. It answers pings with pongs and keeps
 * the connection until the client leaves or 30 s pass.
 *
 * --fault NAME: skip (seq 3 never sent), dup (seq 3 twice), reorder (4 before
 * 3), oversize (message 2 is 100 KiB), badframe (message 2 has a reserved bit
 * set), abrupt (the TCP connection ends after half the messages, no close
 * frame), close (a close frame 1001 after half), refuse (HTTP 401), hang (the
 * handshake is never answered). Prints "listening on port N" when ready. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadframe.h"
#include "wclock.h"

static const char *fault = "none", *token;
static long messages = 20;

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes in pieces of odd sizes so the client sees frames split across reads. */
static int write_split(int fd, const uint8_t *p, size_t n)
{
    static const size_t sizes[] = {7, 1, 300, 13, 64, 2, 900, 5};
    size_t k = 0;
    while (n) {
        size_t m = sizes[k++ % 8];
        if (m > n)
            m = n;
        if (write_all(fd, p, m))
            return -1;
        p += m;
        n -= m;
        if (k % 3 == 0)
            usleep(200);
    }
    return 0;
}

static int handshake(int fd)
{
    char req[8192];
    size_t n = 0;
    while (n < sizeof req - 1) {
        ssize_t r = read(fd, req + n, sizeof req - 1 - n);
        if (r <= 0)
            return -1;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    if (!strcmp(fault, "hang")) {
        sleep(30);
        return -1;
    }
    char *key = strcasestr(req, "Sec-WebSocket-Key:");
    char want[600];
    snprintf(want, sizeof want, "Bearer %s", token ? token : "");
    if (!key || !strcmp(fault, "refuse") || (token && !strstr(req, want))) {
        const char *no = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n";
        write_all(fd, (const uint8_t *)no, strlen(no));
        return -1;
    }
    key += 18;
    while (*key == ' ')
        key++;
    char k[128];
    size_t kl = strcspn(key, "\r\n");
    if (kl > 64)
        return -1;
    snprintf(k, sizeof k, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)kl, key);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)k, strlen(k), sha);
    char acc[64];
    EVP_EncodeBlock((unsigned char *)acc, sha, SHA_DIGEST_LENGTH);
    char resp[512];
    int rl = snprintf(resp, sizeof resp,
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                      acc);
    return write_all(fd, (const uint8_t *)resp, (size_t)rl);
}

typedef struct peer {
    int fd, got_first;
} peer;

static int on_client(void *user, int op, uint8_t *p, size_t n)
{
    peer *c = user;
    if (op == LOADFRAME_OP_PING) {
        uint8_t f[200];
        size_t w = loadframe_encode(f, sizeof f, LOADFRAME_OP_PONG, p, n, 0, 0);
        return write_all(c->fd, f, w) ? 1 : 0;
    }
    if (op == LOADFRAME_OP_CLOSE)
        return 1;
    if (op == LOADFRAME_OP_TEXT)
        c->got_first = 1;
    return 0;
}

static size_t envelope(char *buf, size_t cap, long seq, size_t pad)
{
    int64_t now = wclock_real_us();
    int n = snprintf(buf, cap,
                     "{\"v\":1,\"type\":\"market_data\",\"source\":\"peer\",\"seq\":%ld,"
                     "\"ts_us\":%lld,\"data\":{\"seq\":999,\"pad\":\"",
                     seq, (long long)now);
    while ((size_t)n < pad && (size_t)n < cap - 64)
        buf[n++] = 'x';
    n += snprintf(buf + n, cap - (size_t)n, "\"},\"relay_us\":%lld}", (long long)now);
    return (size_t)n;
}

/* All the messages of one connection, in one buffer written in odd pieces. */
static int send_stream(int fd)
{
    size_t cap = (size_t)messages * 700 + 200000;
    uint8_t *out = malloc(cap);
    char *text = malloc(120000);
    if (!out || !text)
        return -1;
    size_t off = 0;
    long half = messages / 2;
    for (long i = 1; i <= messages; i++) {
        long seq = i;
        if (!strcmp(fault, "skip") && i == 3)
            continue;
        if (!strcmp(fault, "reorder") && (i == 3 || i == 4))
            seq = i == 3 ? 4 : 3;
        size_t tl = envelope(text, 120000, seq, !strcmp(fault, "oversize") && i == 2 ? 102400 : 0);
        if (i % 5 == 0) {
            size_t h = tl / 2, at = off;
            off += loadframe_encode(out + off, cap - off, LOADFRAME_OP_TEXT, text, h, 0, 0);
            out[at] &= 0x7f; /* no FIN: the first fragment */
            off += loadframe_encode(out + off, cap - off, LOADFRAME_OP_PING, "mid", 3, 0, 0);
            off += loadframe_encode(out + off, cap - off, LOADFRAME_OP_CONT, text + h, tl - h, 0,
                                    0);
        } else {
            size_t at = off;
            off += loadframe_encode(out + off, cap - off, LOADFRAME_OP_TEXT, text, tl, 0, 0);
            if (!strcmp(fault, "badframe") && i == 2)
                out[at] |= 0x40;
        }
        if (!strcmp(fault, "dup") && i == 3)
            off += loadframe_encode(out + off, cap - off, LOADFRAME_OP_TEXT, text, tl, 0, 0);
        if (i == half && (!strcmp(fault, "abrupt") || !strcmp(fault, "close")))
            break;
    }
    if (!strcmp(fault, "close")) {
        static const uint8_t bye[] = {0x03, 0xe9};
        off += loadframe_encode(out + off, cap - off, LOADFRAME_OP_CLOSE, bye, 2, 0, 0);
    }
    int rc = write_split(fd, out, off);
    free(out);
    free(text);
    return rc;
}

static void serve(int fd)
{
    if (handshake(fd))
        return;
    peer c = {fd, 0};
    loadframe_rx rx = {0};
    uint8_t buf[65536];
    int64_t end = wclock_mono_ms() + 30000;
    int sent = 0;
    while (wclock_mono_ms() < end) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        if (loadframe_feed(&rx, buf, (size_t)n, 1 << 20, on_client, &c))
            if (rx.closed)
                break;
        if (c.got_first && !sent) {
            sent = 1;
            if (send_stream(fd))
                break;
            if (!strcmp(fault, "abrupt")) {
                /* the TCP connection ends (FIN, no close frame); what the
                 * client still sends is read so no reset eats the stream */
                shutdown(fd, SHUT_WR);
                while (wclock_mono_ms() < end && read(fd, buf, sizeof buf) > 0)
                    ;
                break;
            }
        }
    }
    loadframe_rx_free(&rx);
}

int main(int argc, char **argv)
{
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--fault"))
            fault = argv[i + 1];
        else if (!strcmp(argv[i], "--token"))
            token = argv[i + 1];
        else if (!strcmp(argv[i], "--messages"))
            messages = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
    }
    if (messages < 4 || messages > 100000) {
        fprintf(stderr, "load-peer: --messages must be in 4..100000\n");
        return 2;
    }
    signal(SIGCHLD, SIG_IGN); /* children reap themselves */
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 512) ||
        getsockname(ls, (struct sockaddr *)&a, &al)) {
        perror("load-peer: listen");
        return 2;
    }
    printf("listening on port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    alarm(300); /* a test peer never outlives its bound */
    int64_t end = wclock_mono_ms() + 300000;
    while (wclock_mono_ms() < end) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        pid_t p = fork();
        if (p == 0) {
            close(ls);
            alarm(35);
            serve(fd);
            _exit(0);
        }
        close(fd);
    }
    return 0;
}
