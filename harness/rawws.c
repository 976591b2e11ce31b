/* rawws: the raw-socket WebSocket client of hostile tests (see rawws.h).
 * One non-blocking TCP socket (an OpenSSL session on it for wss://), reads
 * and writes bounded by poll() deadlines, a growing read buffer from which
 * HTTP heads and server frames are cut. */
#include "rawws.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include "wclock.h"

#define RAWWS_WRITE_MS 5000
#define RAWWS_BUF_MAX (8u * 1024 * 1024) /* a server frame larger than this ends the read */

struct rawws {
    int fd;
    char host[256];
    char hostport[300];
    uint8_t *buf;
    size_t len, off, cap;
    char *tmp;  /* a frame's payload copied out (NUL-terminated) */
    size_t tmpcap;
    uint32_t rnd;
    SSL_CTX *tls_ctx; /* wss:// only */
    SSL *ssl;
};

static char *default_ca; /* rawws_set_ca_file */

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a, b);
}

static uint32_t next_rand(rawws *r)
{
    r->rnd ^= r->rnd << 13;
    r->rnd ^= r->rnd >> 17;
    r->rnd ^= r->rnd << 5;
    return r->rnd;
}

/* ws://host[:port][/path] -> host, port text */
static int split_url(const char *url, char *host, size_t hlen, char *port, size_t plen,
                     int *tls)
{
    const char *p = url;
    const char *dflt = "80";
    *tls = 0;
    if (!strncmp(p, "ws://", 5))
        p += 5;
    else if (!strncmp(p, "http://", 7))
        p += 7;
    else if (!strncmp(p, "wss://", 6) || !strncmp(p, "https://", 8)) {
        p += p[3] == ':' ? 6 : 8;
        dflt = "443";
        *tls = 1;
    } else
        return -1;
    const char *end = p + strcspn(p, "/?");
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *hend = colon ? colon : end;
    if (hend == p || (size_t)(hend - p) >= hlen)
        return -1;
    memcpy(host, p, (size_t)(hend - p));
    host[hend - p] = '\0';
    if (colon) {
        size_t n = (size_t)(end - colon - 1);
        if (!n || n >= plen)
            return -1;
        memcpy(port, colon + 1, n);
        port[n] = '\0';
    } else {
        snprintf(port, plen, "%s", dflt);
    }
    return 0;
}

static int connect_deadline(const struct addrinfo *ai, int timeout_ms)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd pf = {fd, POLLOUT, 0};
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (poll(&pf, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
        soerr) {
        close(fd);
        errno = soerr ? soerr : ETIMEDOUT;
        return -1;
    }
    return fd;
}

void rawws_set_ca_file(const char *path)
{
    free(default_ca);
    default_ca = path && *path ? strdup(path) : NULL;
}

const char *rawws_tls_version(const rawws *r)
{
    return r->ssl ? SSL_get_version(r->ssl) : NULL;
}

/* After an SSL call returned rc <= 0: waits for what it wants within the
 * deadline. 1 try again, 0 timeout, -1 a real failure. */
static int tls_wait(rawws *r, int rc, int64_t deadline)
{
    int e = SSL_get_error(r->ssl, rc);
    short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (!ev)
        return -1;
    int64_t left = deadline - wclock_mono_ms();
    if (left <= 0)
        return 0;
    struct pollfd pf = {r->fd, ev, 0};
    int p = poll(&pf, 1, (int)left);
    return p > 0 || (p < 0 && errno == EINTR) ? 1 : p == 0 ? 0 : -1;
}

/* Why a TLS handshake failed, in words: the certificate check's verdict by
 * name, else OpenSSL's first error, else the peer's hang-up. */
static void tls_why(rawws *r, const char *hostport, char *err, size_t errlen)
{
    long v = SSL_get_verify_result(r->ssl);
    unsigned long e = ERR_get_error();
    char es[256] = "";
    if (e)
        ERR_error_string_n(e, es, sizeof es);
    ERR_clear_error();
    if (v != X509_V_OK)
        snprintf(err, errlen, "TLS handshake with %s failed: certificate verification error: "
                 "%s (the server's certificate is not signed by the CA trusted)", hostport,
                 X509_verify_cert_error_string(v));
    else if (es[0])
        snprintf(err, errlen, "TLS handshake with %s failed: %s", hostport, es);
    else
        snprintf(err, errlen, "TLS handshake with %s failed: the server closed the connection",
                 hostport);
}

static int tls_start(rawws *r, const rawws_tls *t, int timeout_ms, char *err, size_t errlen)
{
    const char *ca = t && t->ca_file ? t->ca_file : default_ca;
    ERR_clear_error();
    r->tls_ctx = SSL_CTX_new(TLS_client_method());
    if (!r->tls_ctx) {
        snprintf(err, errlen, "TLS: cannot make a client context");
        return -1;
    }
    SSL_CTX_set_verify(r->tls_ctx, SSL_VERIFY_PEER, NULL);
    if (ca ? SSL_CTX_load_verify_locations(r->tls_ctx, ca, NULL) != 1
           : SSL_CTX_set_default_verify_paths(r->tls_ctx) != 1) {
        snprintf(err, errlen, "TLS: cannot load the CA %s", ca ? ca : "store of the system");
        return -1;
    }
    if (t && t->max_version) {
        /* old versions are refused by OpenSSL's default security level
         * itself: level 0, so that only the server can refuse them */
        SSL_CTX_set_security_level(r->tls_ctx, 0);
        SSL_CTX_set_cipher_list(r->tls_ctx, "DEFAULT@SECLEVEL=0");
        SSL_CTX_set_min_proto_version(r->tls_ctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(r->tls_ctx, t->max_version);
    }
    r->ssl = SSL_new(r->tls_ctx);
    if (!r->ssl || SSL_set_fd(r->ssl, r->fd) != 1) {
        snprintf(err, errlen, "TLS: cannot make a session");
        return -1;
    }
    unsigned char ip[16];
    if (inet_pton(AF_INET, r->host, ip) == 1 || inet_pton(AF_INET6, r->host, ip) == 1) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(r->ssl), r->host);
    } else {
        SSL_set_tlsext_host_name(r->ssl, r->host);
        SSL_set1_host(r->ssl, r->host);
    }
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    for (;;) {
        int rc = SSL_connect(r->ssl);
        if (rc == 1)
            return 0;
        int w = tls_wait(r, rc, deadline);
        if (w == 0) {
            snprintf(err, errlen, "TLS handshake with %s: no answer within %d ms", r->hostport,
                     timeout_ms);
            return -1;
        }
        if (w < 0) {
            tls_why(r, r->hostport, err, errlen);
            return -1;
        }
    }
}

rawws *rawws_connect(const char *ws_url, int timeout_ms, char *err, size_t errlen)
{
    return rawws_connect_tls(ws_url, timeout_ms, NULL, err, errlen);
}

rawws *rawws_connect_tls(const char *ws_url, int timeout_ms, const rawws_tls *tls, char *err,
                         size_t errlen)
{
    char host[256], port[16];
    int use_tls;
    if (!ws_url || split_url(ws_url, host, sizeof host, port, sizeof port, &use_tls) < 0) {
        set_err(err, errlen, "not a ws:// or wss:// URL: %s%s", ws_url ? ws_url : "(null)", "");
        return NULL;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g) {
        set_err(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
        return NULL;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = connect_deadline(ai, timeout_ms);
    freeaddrinfo(res);
    if (fd < 0) {
        set_err(err, errlen, "cannot connect to %s: %s", ws_url, strerror(errno));
        return NULL;
    }
    rawws *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        set_err(err, errlen, "out of memory%s%s", "", "");
        return NULL;
    }
    r->fd = fd;
    snprintf(r->host, sizeof r->host, "%s", host);
    snprintf(r->hostport, sizeof r->hostport, "%s:%s", host, port);
    r->rnd = (uint32_t)wclock_mono_us() ^ (uint32_t)getpid() ^ (uint32_t)fd << 16;
    if (!r->rnd)
        r->rnd = 0x9e3779b9u;
    if (use_tls && tls_start(r, tls, timeout_ms, err, errlen) < 0) {
        rawws_close(r);
        return NULL;
    }
    return r;
}

void rawws_close(rawws *r)
{
    if (!r)
        return;
    SSL_free(r->ssl);
    SSL_CTX_free(r->tls_ctx);
    close(r->fd);
    free(r->buf);
    free(r->tmp);
    free(r);
}

int rawws_fd(const rawws *r)
{
    return r->fd;
}

const char *rawws_hostport(const rawws *r)
{
    return r->hostport;
}

int rawws_send(rawws *r, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    int64_t deadline = wclock_mono_ms() + RAWWS_WRITE_MS;
    while (len && r->ssl) {
        int w = SSL_write(r->ssl, b, len > INT_MAX ? INT_MAX : (int)len);
        if (w > 0) {
            b += w;
            len -= (size_t)w;
        } else if (tls_wait(r, w, deadline) <= 0) {
            return -1;
        }
    }
    while (len) {
        ssize_t w = send(r->fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int64_t left = deadline - wclock_mono_ms();
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && left > 0) {
                struct pollfd pf = {r->fd, POLLOUT, 0};
                poll(&pf, 1, (int)left);
                continue;
            }
            return -1;
        }
        b += w;
        len -= (size_t)w;
    }
    return 0;
}

size_t rawws_request(rawws *r, char *buf, size_t cap, const char *path, const char *token,
                     const char *extra, unsigned omit)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char key[25];
    rawws *m = r;
    uint8_t raw[16];
    for (int i = 0; i < 16; i++)
        raw[i] = (uint8_t)next_rand(m);
    int k = 0;
    for (int i = 0; i < 15; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        key[k++] = b64[v >> 18 & 63];
        key[k++] = b64[v >> 12 & 63];
        key[k++] = b64[v >> 6 & 63];
        key[k++] = b64[v & 63];
    }
    uint32_t v = (uint32_t)raw[15] << 16;
    key[k++] = b64[v >> 18 & 63];
    key[k++] = b64[v >> 12 & 63];
    key[k++] = '=';
    key[k++] = '=';
    key[k] = '\0';
    int n = snprintf(buf, cap, "GET %s HTTP/1.1\r\n%s%s%s%s%s%s%s%s%s%s%s%s", path,
                     omit & RAWWS_OMIT_HOST ? "" : "Host: ",
                     omit & RAWWS_OMIT_HOST ? "" : r->hostport,
                     omit & RAWWS_OMIT_HOST ? "" : "\r\n",
                     omit & RAWWS_OMIT_UPGRADE ? "" : "Upgrade: websocket\r\n",
                     omit & RAWWS_OMIT_CONNECTION ? "" : "Connection: Upgrade\r\n",
                     omit & RAWWS_OMIT_KEY ? "" : "Sec-WebSocket-Key: ",
                     omit & RAWWS_OMIT_KEY ? "" : key, omit & RAWWS_OMIT_KEY ? "" : "\r\n",
                     omit & RAWWS_OMIT_VERSION ? "" : "Sec-WebSocket-Version: 13\r\n",
                     token ? "Authorization: Bearer " : "", token ? token : "",
                     token ? "\r\n" : "");
    if (n < 0 || (size_t)n >= cap)
        return 0;
    size_t off = (size_t)n;
    n = snprintf(buf + off, cap - off, "%s\r\n", extra ? extra : "");
    if (n < 0 || (size_t)n >= cap - off)
        return 0;
    return off + (size_t)n;
}

/* Reads more bytes into the buffer within the deadline (ms, monotonic):
 * 1 read some, 0 timeout, -1 EOF or error. */
static int fill(rawws *r, int64_t deadline)
{
    if (r->off && r->off == r->len)
        r->off = r->len = 0;
    if (r->cap - r->len < 4096) {
        if (r->off) {
            memmove(r->buf, r->buf + r->off, r->len - r->off);
            r->len -= r->off;
            r->off = 0;
        }
        if (r->cap - r->len < 4096) {
            size_t nc = r->cap ? r->cap * 2 : 16384;
            if (nc > RAWWS_BUF_MAX)
                return -1;
            uint8_t *nb = realloc(r->buf, nc + 1);
            if (!nb)
                return -1;
            r->buf = nb;
            r->cap = nc;
        }
    }
    for (;;) {
        int64_t left = deadline - wclock_mono_ms();
        if (left < 0)
            left = 0; /* one look without waiting */
        struct pollfd pf = {r->fd, POLLIN, 0};
        int p = r->ssl && SSL_pending(r->ssl) > 0 ? 1 : poll(&pf, 1, (int)left);
        if (p < 0 && errno == EINTR)
            continue;
        if (p <= 0)
            return p < 0 ? -1 : 0;
        if (r->ssl) {
            int n = SSL_read(r->ssl, r->buf + r->len, (int)(r->cap - r->len));
            if (n > 0) {
                r->len += (size_t)n;
                return 1;
            }
            int e = SSL_get_error(r->ssl, n);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (left == 0)
                    return 0;
                continue; /* a record not complete yet */
            }
            ERR_clear_error();
            return -1; /* closed (close_notify or not) or broken */
        }
        ssize_t n = recv(r->fd, r->buf + r->len, r->cap - r->len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return -1;
        r->len += (size_t)n;
        return 1;
    }
}

int rawws_read_status(rawws *r, int timeout_ms, char *line, size_t linelen)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    if (line && linelen)
        line[0] = '\0';
    for (;;) {
        if (r->len > r->off) {
            r->buf[r->len] = '\0';
            char *head = (char *)r->buf + r->off;
            char *end = strstr(head, "\r\n\r\n");
            if (end) {
                int status = 0;
                char *eol = strstr(head, "\r\n");
                if (line && linelen)
                    snprintf(line, linelen, "%.*s", (int)(eol - head), head);
                if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
                    status = 0;
                r->off += (size_t)(end + 4 - head);
                return status;
            }
        }
        int f = fill(r, deadline);
        if (f == 0)
            return -1;
        if (f < 0) {
            if (line && linelen && r->len > r->off) {
                r->buf[r->len] = '\0';
                snprintf(line, linelen, "%.*s", (int)strcspn((char *)r->buf + r->off, "\r\n"),
                         (char *)r->buf + r->off);
            }
            int status = 0;
            if (r->len > r->off &&
                sscanf((char *)r->buf + r->off, "HTTP/1.%*d %d", &status) == 1)
                return status; /* a head cut short by the close still names its status */
            return 0;
        }
    }
}

int rawws_poll(rawws *r)
{
    for (;;) {
        int f = fill(r, wclock_mono_ms());
        if (f <= 0)
            return f < 0 ? RAWWS_EOF : 0;
    }
}

size_t rawws_encode(const rawws_frame *f, uint8_t *out, size_t cap)
{
    uint64_t declared = f->len_override ? f->declared_len : f->len;
    size_t hl = 2 + (declared > 0xFFFF ? 8 : declared > 125 ? 2 : 0) + (f->masked ? 4 : 0);
    if (cap < hl || cap - hl < f->len)
        return 0;
    out[0] = (uint8_t)((f->fin ? 0x80 : 0) | (f->rsv & 7) << 4 | (f->opcode & 15));
    uint8_t m = f->masked ? 0x80 : 0;
    size_t o = 2;
    if (declared > 0xFFFF) {
        out[1] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[o++] = (uint8_t)(declared >> (8 * i));
    } else if (declared > 125) {
        out[1] = m | 126;
        out[o++] = (uint8_t)(declared >> 8);
        out[o++] = (uint8_t)declared;
    } else {
        out[1] = (uint8_t)(m | declared);
    }
    uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (f->masked) {
        memcpy(out + o, key, 4);
        o += 4;
    }
    const uint8_t *p = f->payload;
    for (size_t i = 0; i < f->len; i++)
        out[o + i] = f->masked ? (uint8_t)(p[i] ^ key[i & 3]) : p[i];
    return o + f->len;
}

int rawws_send_frame(rawws *r, const rawws_frame *f)
{
    size_t cap = f->len + 14;
    uint8_t *b = malloc(cap);
    if (!b)
        return -1;
    size_t n = rawws_encode(f, b, cap);
    int rc = n ? rawws_send(r, b, n) : -1;
    free(b);
    return rc;
}

int rawws_read(rawws *r, int timeout_ms, int *opcode, char **payload, size_t *len)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    for (;;) {
        size_t avail = r->len - r->off;
        const uint8_t *b = r->buf + r->off;
        if (avail >= 2) {
            uint64_t plen = b[1] & 0x7f;
            size_t hl = 2 + ((b[1] & 0x80) ? 4 : 0);
            if (plen == 126) {
                hl += 2;
                plen = avail >= 4 ? (uint64_t)b[2] << 8 | b[3] : 0;
            } else if (plen == 127) {
                hl += 8;
                if (avail >= 10) {
                    plen = 0;
                    for (int i = 0; i < 8; i++)
                        plen = plen << 8 | b[2 + i];
                }
            }
            if (plen > RAWWS_BUF_MAX)
                return RAWWS_EOF; /* not a frame we can hold: treat as the end */
            if (avail >= hl && avail - hl >= plen) {
                uint8_t *p = r->buf + r->off + hl;
                if (b[1] & 0x80) { /* a masked server frame: unmask it anyway */
                    const uint8_t *k = p - 4;
                    for (uint64_t i = 0; i < plen; i++)
                        p[i] ^= k[i & 3];
                }
                *opcode = b[0] & 0x0f;
                /* NUL-terminated in place when it is the last frame read,
                 * else copied out so the next frame's first byte survives */
                r->off += hl + (size_t)plen;
                if (r->off == r->len) {
                    p[plen] = '\0'; /* buf has cap + 1 bytes */
                } else {
                    if (r->tmpcap < plen + 1) {
                        char *no = realloc(r->tmp, (size_t)plen + 1);
                        if (!no)
                            return RAWWS_EOF;
                        r->tmp = no;
                        r->tmpcap = (size_t)plen + 1;
                    }
                    memcpy(r->tmp, p, (size_t)plen);
                    r->tmp[plen] = '\0';
                    p = (uint8_t *)r->tmp;
                }
                *payload = (char *)p;
                *len = (size_t)plen;
                return RAWWS_FRAME;
            }
        }
        int f = fill(r, deadline);
        if (f == 0)
            return RAWWS_TIMEOUT;
        if (f < 0)
            return RAWWS_EOF;
    }
}

int rawws_wait_close(rawws *r, int timeout_ms, int *code, int *skipped)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    if (skipped)
        *skipped = 0;
    for (;;) {
        int64_t left = deadline - wclock_mono_ms();
        int op = 0;
        char *p = NULL;
        size_t n = 0;
        int rc = rawws_read(r, left > 0 ? (int)left : 0, &op, &p, &n);
        if (rc != RAWWS_FRAME) {
            if (rc == RAWWS_EOF && code)
                *code = 1006;
            return rc;
        }
        if (op == RAWWS_OP_CLOSE) {
            if (code)
                *code = n >= 2 ? ((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 1005;
            return RAWWS_FRAME;
        }
        if (skipped)
            (*skipped)++;
    }
}

int rawws_ping(rawws *r, const char *payload, int timeout_ms, int *code)
{
    size_t pl = strlen(payload);
    rawws_frame f = {.fin = 1, .opcode = RAWWS_OP_PING, .masked = 1, .payload = payload, .len = pl};
    if (rawws_send_frame(r, &f) < 0) {
        if (code)
            *code = 1006;
        return -1;
    }
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - wclock_mono_ms();
        int op = 0;
        char *p = NULL;
        size_t n = 0;
        int rc = rawws_read(r, left > 0 ? (int)left : 0, &op, &p, &n);
        if (rc == RAWWS_TIMEOUT)
            return 0;
        if (rc == RAWWS_EOF) {
            if (code)
                *code = 1006;
            return -1;
        }
        if (op == RAWWS_OP_CLOSE) {
            if (code)
                *code = n >= 2 ? ((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 1005;
            return -1;
        }
        if (op == RAWWS_OP_PONG && n == pl && !memcmp(p, payload, pl))
            return 1;
    }
}
