/* dashboard_wire: the mask bit of every frame a client sends.
 *
 * RFC 6455 5.1: a server must close the connection when a client frame is
 * not masked. libwebsockets 4.1.6 reads the bit and does not check it, and
 * tells the application nothing about it. It reads every plain-TCP socket
 * with recv(), so this file defines recv() (the executable's definition is
 * the one lws's calls resolve to) and follows the byte stream of each
 * accepted connection: the request up to its blank line, then frame headers,
 * skipping payloads. A frame header without the mask bit marks the
 * connection; dashboard.c closes it with 1002 at its next RECEIVE (or in the
 * sweep, for a control frame). A frame header declaring more than the
 * largest message marks it too (closed 1009 in the sweep): lws would
 * otherwise wait for the payload until the message timeout.
 *
 * Only connections announced by dashboard_wire_accepted() are judged, and a
 * connection whose byte positions became uncertain (bytes read past an HTTP
 * request that was answered as HTTP) is no longer judged rather than judged
 * wrongly. Over TLS, lws reads with SSL_read() (OpenSSL reads the socket
 * itself, unseen by recv()): this file defines SSL_read() too, calls
 * OpenSSL's (dlsym RTLD_NEXT) and follows the decrypted bytes the same way,
 * so the checks hold on wss:// as on ws://. dashboard_wire_tls_ctx() sets the
 * server's TLS versions (1.2 and later). Everything runs on lws's service
 * thread. */
#include "dashboard.h"

#include <dlfcn.h>
#include <openssl/ssl.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

enum { WIRE_OFF = 0, WIRE_REQUEST, WIRE_FRAMES };

typedef struct wire_fd {
    uint8_t phase;
    uint8_t crlf;        /* request: bytes of "\r\n\r\n" matched */
    uint8_t hlen, hneed; /* frames: header bytes held, needed */
    uint8_t hdr[14];
    uint8_t unmasked;
    uint8_t oversize;      /* a frame header declared more than wire_max bytes */
    uint64_t payload_left; /* frames: payload bytes still to skip */
    uint64_t frame_bytes;  /* bytes seen since the request ended */
} wire_fd;

static wire_fd *wire;
static size_t nwire;
static unsigned flagged;
static uint64_t wire_max; /* the largest message; 0: not judged */

void dashboard_wire_set_max(uint64_t max)
{
    wire_max = max;
}

int dashboard_wire_oversize(int fd)
{
    return fd >= 0 && (size_t)fd < nwire && wire[fd].oversize;
}

static wire_fd *wire_get(int fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= nwire) {
        size_t n = nwire ? nwire : 256;
        while (n <= (size_t)fd)
            n *= 2;
        wire_fd *w = realloc(wire, n * sizeof(*w));
        if (!w)
            return NULL;
        memset(w + nwire, 0, (n - nwire) * sizeof(*w));
        wire = w;
        nwire = n;
    }
    return &wire[fd];
}

void dashboard_wire_accepted(int fd)
{
    wire_fd *w = wire_get(fd);
    if (w) {
        memset(w, 0, sizeof(*w));
        w->phase = WIRE_REQUEST;
    }
}

void dashboard_wire_http_done(int fd)
{
    wire_fd *w = fd >= 0 && (size_t)fd < nwire ? &wire[fd] : NULL;
    if (!w || w->phase == WIRE_OFF)
        return;
    uint8_t unmasked = w->unmasked;
    int clean = w->phase == WIRE_FRAMES && w->frame_bytes == 0;
    memset(w, 0, sizeof(*w));
    w->unmasked = unmasked;
    w->phase = clean ? WIRE_REQUEST : WIRE_OFF;
}

int dashboard_wire_unmasked(int fd)
{
    return fd >= 0 && (size_t)fd < nwire && wire[fd].unmasked;
}

unsigned dashboard_wire_take_flagged(void)
{
    unsigned n = flagged;
    flagged = 0;
    return n;
}

void dashboard_wire_free(void)
{
    free(wire);
    wire = NULL;
    nwire = 0;
}

static void wire_feed(wire_fd *w, const uint8_t *p, size_t n)
{
    static const uint8_t end[4] = {'\r', '\n', '\r', '\n'};
    size_t i = 0;
    while (i < n && w->phase == WIRE_REQUEST) {
        w->crlf = p[i] == end[w->crlf] ? (uint8_t)(w->crlf + 1) : (p[i] == '\r' ? 1 : 0);
        i++;
        if (w->crlf == 4)
            w->phase = WIRE_FRAMES;
    }
    if (w->phase != WIRE_FRAMES)
        return;
    w->frame_bytes += n - i;
    while (i < n && !w->unmasked) {
        if (w->payload_left) {
            size_t k = n - i < w->payload_left ? n - i : (size_t)w->payload_left;
            w->payload_left -= k;
            i += k;
            continue;
        }
        w->hdr[w->hlen++] = p[i++];
        if (w->hlen == 2) {
            if (!(w->hdr[1] & 0x80)) {
                w->unmasked = 1;
                flagged++;
                return;
            }
            uint8_t l7 = w->hdr[1] & 0x7f;
            w->hneed = (uint8_t)(2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + 4);
        }
        if (w->hlen >= 2 && w->hlen == w->hneed) {
            uint8_t l7 = w->hdr[1] & 0x7f;
            uint64_t len = l7;
            if (l7 == 126)
                len = (uint64_t)w->hdr[2] << 8 | w->hdr[3];
            else if (l7 == 127)
                for (int k = 0; k < 8; k++)
                    len = len << 8 | w->hdr[2 + k];
            w->payload_left = l7 < 126 ? l7 : len;
            w->hlen = w->hneed = 0;
            if (wire_max && len > wire_max && !w->oversize) {
                w->oversize = 1; /* known now, before its payload (which may never come) */
                flagged++;
            }
        }
    }
}

/* lws's reads of plain sockets (lws_ssl_capable_read_no_ssl) come here. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    ssize_t n = recvfrom(fd, buf, len, flags, NULL, NULL);
    if (n > 0 && !(flags & MSG_PEEK) && fd >= 0 && (size_t)fd < nwire && wire[fd].phase != WIRE_OFF)
        wire_feed(&wire[fd], buf, (size_t)n);
    return n;
}

/* lws's reads of TLS connections (lws_ssl_capable_read) come here. */
int SSL_read(SSL *ssl, void *buf, int num)
{
    static int (*real)(SSL *, void *, int);
    if (!real) {
        real = (int (*)(SSL *, void *, int))dlsym(RTLD_NEXT, "SSL_read");
        if (!real)
            return -1; /* no libssl behind us: the connection fails, nothing is misjudged */
    }
    int n = real(ssl, buf, num);
    int fd = n > 0 ? SSL_get_fd(ssl) : -1;
    if (fd >= 0 && (size_t)fd < nwire && wire[fd].phase != WIRE_OFF)
        wire_feed(&wire[fd], buf, (size_t)n);
    return n;
}

int dashboard_wire_tls_ctx(void *ssl_ctx, int allow_old)
{
    SSL_CTX *ctx = ssl_ctx;
    if (!ctx)
        return -1;
    if (allow_old) {
        /* the test-only fault: TLS 1.0 and 1.1 accepted (OpenSSL 3 needs
         * security level 0 to sign their handshakes) */
        SSL_CTX_set_security_level(ctx, 0);
        SSL_CTX_set_cipher_list(ctx, "DEFAULT@SECLEVEL=0");
        return SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) == 1 ? 0 : -1;
    }
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 ? 0 : -1;
}
