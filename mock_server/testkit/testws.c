/* testws: the blocking RFC 6455 test client (see testws.h); every read and
 * write has a deadline. */
#include "testws.h"
#include "wclock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct testws {
    int fd;
    uint8_t *buf;
    size_t len, off, cap;
    int close_code;
    uint8_t *frag; /* reassembly of a fragmented message */
    size_t frag_len;
    int frag_op;
    uint32_t rnd;
};

/* Every write has a deadline: a peer that stops reading (a full socket
 * buffer) makes a write fail with ETIMEDOUT after this, never hang a test. */
#define WRITE_DEADLINE_MS 10000

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    int64_t deadline = wclock_mono_ms() + WRITE_DEADLINE_MS;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int64_t left = deadline - wclock_mono_ms();
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && left > 0) {
                struct pollfd pf = {fd, POLLOUT, 0};
                poll(&pf, 1, (int)(left < 1000 ? left : 1000));
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                errno = ETIMEDOUT;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

testws *testws_start(int port, const char *path, const char *token, char *err, size_t errlen)
{
    int fd = tcp_connect(port);
    if (fd < 0) {
        snprintf(err, errlen, "connect 127.0.0.1:%d: %s", port, strerror(errno));
        return NULL;
    }
    char req[8192];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     path, port, token ? "Authorization: Bearer " : "", token ? token : "",
                     token ? "\r\n" : "");
    if (n >= (int)sizeof req || write_all(fd, req, (size_t)n)) {
        snprintf(err, errlen, "cannot send the handshake");
        close(fd);
        return NULL;
    }
    testws *t = calloc(1, sizeof(*t));
    t->fd = fd;
    t->cap = 1 << 16;
    t->buf = malloc(t->cap);
    t->rnd = (uint32_t)(uintptr_t)t ^ (uint32_t)wclock_mono_ms();
    return t;
}

/* Reads more bytes into the buffer within the deadline: >0, 0 timeout, -1 EOF. */
static int fill(testws *t, int64_t deadline)
{
    if (t->off && t->off == t->len)
        t->off = t->len = 0;
    if (t->len == t->cap) {
        if (t->off) {
            memmove(t->buf, t->buf + t->off, t->len - t->off);
            t->len -= t->off;
            t->off = 0;
        } else {
            t->cap *= 2;
            t->buf = realloc(t->buf, t->cap);
        }
    }
    for (;;) {
        int64_t left = deadline - wclock_mono_ms();
        if (left < 0)
            left = 0;
        struct pollfd pf = {t->fd, POLLIN, 0};
        int r = poll(&pf, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        ssize_t n = read(t->fd, t->buf + t->len, t->cap - t->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        t->len += (size_t)n;
        return 1;
    }
}

int testws_finish_handshake(testws *t, int timeout_ms, int *http_status, char *err, size_t errlen)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    *http_status = 0;
    for (;;) {
        uint8_t *end = memmem(t->buf, t->len, "\r\n\r\n", 4);
        if (end) {
            int st = 0;
            char line[128];
            char *eol = memchr(t->buf, '\r', t->len);
            snprintf(line, sizeof line, "%.*s", eol ? (int)(eol - (char *)t->buf) : 0,
                     (char *)t->buf);
            sscanf(line, "HTTP/1.%*d %d", &st);
            *http_status = st;
            snprintf(err, errlen, "%s", line);
            t->off = (size_t)(end + 4 - t->buf);
            return st == 101 ? 0 : -1;
        }
        int r = fill(t, deadline);
        if (r <= 0) {
            snprintf(err, errlen, r ? "connection closed during the handshake"
                                    : "handshake timed out");
            return -1;
        }
    }
}

testws *testws_connect(int port, const char *path, const char *token, int timeout_ms, int *http_status,
                 char *err, size_t errlen)
{
    *http_status = 0;
    testws *t = testws_start(port, path, token, err, errlen);
    if (!t)
        return NULL;
    if (testws_finish_handshake(t, timeout_ms, http_status, err, errlen) != 0) {
        testws_close(t);
        return NULL;
    }
    return t;
}

int testws_fd(const testws *t)
{
    return t->fd;
}

static size_t encode(uint8_t *out, int opcode, int fin, const void *payload, size_t len,
                     uint32_t mask)
{
    size_t h = 0;
    out[h++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        out[h++] = (uint8_t)(0x80 | len);
    } else if (len <= 0xffff) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t m[4] = {(uint8_t)mask, (uint8_t)(mask >> 8), (uint8_t)(mask >> 16),
                    (uint8_t)(mask >> 24)};
    memcpy(out + h, m, 4);
    h += 4;
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++)
        out[h + i] = p[i] ^ m[i & 3];
    return h + len;
}

size_t testws_encode_text(uint8_t *out, size_t cap, const char *text, size_t len)
{
    if (len + 14 > cap)
        return 0;
    static uint32_t r = 0x9e3779b9u;
    r = r * 1664525u + 1013904223u;
    return encode(out, TESTWS_OP_TEXT, 1, text, len, r);
}

int testws_send_frame(testws *t, int opcode, int fin, const void *payload, size_t len)
{
    uint8_t stackbuf[1024];
    uint8_t *out = len + 14 <= sizeof stackbuf ? stackbuf : malloc(len + 14);
    if (!out)
        return -1;
    t->rnd = t->rnd * 1664525u + 1013904223u;
    size_t n = encode(out, opcode, fin, payload, len, t->rnd);
    int rc = write_all(t->fd, out, n);
    if (out != stackbuf)
        free(out);
    return rc;
}

int testws_send_text(testws *t, const char *text)
{
    return testws_send_frame(t, TESTWS_OP_TEXT, 1, text, strlen(text));
}

int testws_send_raw(testws *t, const void *buf, size_t len)
{
    return write_all(t->fd, buf, len);
}

int testws_recv(testws *t, int timeout_ms, int *opcode, char **payload, size_t *len)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    for (;;) {
        size_t avail = t->len - t->off;
        uint8_t *p = t->buf + t->off;
        if (avail >= 2) {
            int op = p[0] & 0x0f, fin = p[0] & 0x80, masked = p[1] & 0x80;
            uint64_t pl = p[1] & 0x7f;
            size_t h = 2;
            if (pl == 126) {
                if (avail < 4)
                    goto more;
                pl = (uint64_t)p[2] << 8 | p[3];
                h = 4;
            } else if (pl == 127) {
                if (avail < 10)
                    goto more;
                pl = 0;
                for (int i = 0; i < 8; i++)
                    pl = pl << 8 | p[2 + i];
                h = 10;
            }
            if (masked)
                h += 4; /* servers must not mask; tolerated here, unmasked below */
            if (avail < h + pl) {
                if (h + pl > t->cap) {
                    if (t->off) {
                        memmove(t->buf, p, avail);
                        t->len = avail;
                        t->off = 0;
                    }
                    while (t->cap < h + pl)
                        t->cap *= 2;
                    t->buf = realloc(t->buf, t->cap);
                }
                goto more;
            }
            uint8_t *data = p + h;
            if (masked)
                for (uint64_t i = 0; i < pl; i++)
                    data[i] ^= p[h - 4 + (i & 3)];
            t->off += h + pl;
            if (op == TESTWS_OP_PING) {
                testws_send_frame(t, TESTWS_OP_PONG, 1, data, pl);
                continue;
            }
            if (op == TESTWS_OP_PONG)
                continue; /* answers to our pings carry nothing for the caller */
            if (op == TESTWS_OP_CLOSE) {
                t->close_code = pl >= 2 ? data[0] << 8 | data[1] : 1005;
                *opcode = op;
                *payload = (char *)data;
                *len = pl;
                return 1;
            }
            if (op == TESTWS_OP_CONT || !fin) {
                if (op != TESTWS_OP_CONT)
                    t->frag_op = op;
                t->frag = realloc(t->frag, t->frag_len + pl + 1);
                memcpy(t->frag + t->frag_len, data, pl);
                t->frag_len += pl;
                if (!fin)
                    continue;
                t->frag[t->frag_len] = 0;
                *opcode = t->frag_op;
                *payload = (char *)t->frag;
                *len = t->frag_len;
                t->frag_len = 0;
                return 1;
            }
            /* NUL-terminate in place: save the byte after the payload */
            if (t->off < t->len) {
                /* the next frame's first byte would be clobbered: copy out */
                t->frag = realloc(t->frag, pl + 1);
                memcpy(t->frag, data, pl);
                t->frag[pl] = 0;
                *payload = (char *)t->frag;
            } else {
                if (t->len == t->cap) {
                    t->cap *= 2;
                    size_t doff = (size_t)(data - t->buf);
                    t->buf = realloc(t->buf, t->cap);
                    data = t->buf + doff;
                }
                data[pl] = 0;
                *payload = (char *)data;
            }
            *opcode = op;
            *len = pl;
            return 1;
        }
    more:;
        int r = fill(t, deadline);
        if (r <= 0)
            return r;
    }
}

int testws_close_code(const testws *t)
{
    return t->close_code;
}

int testws_wait_close(testws *t, int timeout_ms)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    for (;;) {
        int op;
        char *p;
        size_t n;
        int64_t left = deadline - wclock_mono_ms();
        if (left <= 0)
            return -1;
        int r = testws_recv(t, (int)left, &op, &p, &n);
        if (r < 0)
            return 1006;
        if (r == 0)
            return -1;
        if (op == TESTWS_OP_CLOSE)
            return t->close_code;
    }
}

int testws_recv_text(testws *t, int timeout_ms, char **payload, size_t *len)
{
    int op;
    int r = testws_recv(t, timeout_ms, &op, payload, len);
    if (r <= 0)
        return r;
    return op == TESTWS_OP_TEXT ? 1 : -1;
}

void testws_close(testws *t)
{
    if (!t)
        return;
    close(t->fd);
    free(t->buf);
    free(t->frag);
    free(t);
}

int testws_http_get(int port, const char *path, char **body, int timeout_ms)
{
    *body = NULL;
    int fd = tcp_connect(port);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (write_all(fd, req, (size_t)n)) {
        close(fd);
        return -1;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    long clen = -1;
    char *hend = NULL;
    for (;;) {
        if (!hend && (hend = memmem(buf, len, "\r\n\r\n", 4))) {
            char *cl = strcasestr(buf, "content-length:");
            if (cl && cl < hend)
                clen = strtol(cl + 15, NULL, 10);
        }
        if (hend && clen >= 0 && (size_t)(hend + 4 - buf) + (size_t)clen <= len)
            break;
        int64_t left = deadline - wclock_mono_ms();
        struct pollfd pf = {fd, POLLIN, 0};
        if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
            break;
        if (len + 1 >= cap) {
            size_t off = hend ? (size_t)(hend - buf) : 0;
            cap *= 2;
            buf = realloc(buf, cap);
            if (hend)
                hend = buf + off;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = 0;
    }
    close(fd);
    buf[len] = 0;
    int st = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &st) != 1 || !hend) {
        free(buf);
        return -1;
    }
    size_t boff = (size_t)(hend + 4 - buf);
    memmove(buf, buf + boff, len - boff + 1);
    *body = buf;
    return st;
}
