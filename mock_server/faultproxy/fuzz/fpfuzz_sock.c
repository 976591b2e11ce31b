/* fpfuzz_sock: the fake socket layer of wsb-faultproxy's fuzz build (see
 * fpfuzz_sock.h): one API connection at a time, fed from a buffer in pieces,
 * its output captured a piece at a time; listeners that bind nothing;
 * numeric-only name lookups. Single-threaded, like the proxy's loop. */
#define FPFUZZ_SOCK_IMPL
#include "fpfuzz_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define FPFUZZ_SOCK_PIECE 700 /* bytes per recv after the head */

static int next_fd = FPFUZZ_SOCK_FD_BASE;
static const unsigned char *in;
static size_t inlen, inoff, headlen;
static int pending_fd = -1; /* offered, not yet accepted */
static int client_fd = -1;  /* the connection the input belongs to */
static void *last_watched;
static char *out;
static size_t outlen, outcap;

static int is_fake(int fd)
{
    return fd >= FPFUZZ_SOCK_FD_BASE;
}

void fpfuzz_sock_incoming(const unsigned char *data, size_t len)
{
    in = data;
    inlen = len;
    inoff = 0;
    headlen = len;
    for (size_t i = 0; i + 4 <= len; i++)
        if (!memcmp(data + i, "\r\n\r\n", 4)) {
            headlen = i + 4;
            break;
        }
    pending_fd = next_fd++;
    last_watched = NULL;
    client_fd = -1;
    outlen = 0;
}

void *fpfuzz_sock_last_watched(void)
{
    return last_watched;
}

const char *fpfuzz_sock_output(size_t *len)
{
    *len = outlen;
    return out;
}

int fpfuzz_sock_socket(int domain, int type, int protocol)
{
    (void)domain;
    (void)type;
    (void)protocol;
    return next_fd++;
}

int fpfuzz_sock_bind(int fd, const void *addr, socklen_t len)
{
    (void)addr;
    (void)len;
    return is_fake(fd) ? 0 : (errno = EBADF, -1);
}

int fpfuzz_sock_listen(int fd, int backlog)
{
    (void)backlog;
    return is_fake(fd) ? 0 : (errno = EBADF, -1);
}

int fpfuzz_sock_connect_to(int fd, const void *addr, socklen_t len)
{
    (void)fd;
    (void)addr;
    (void)len;
    errno = ECONNREFUSED;
    return -1;
}

int fpfuzz_sock_accept4(int fd, void *addr, socklen_t *len, int flags)
{
    (void)fd;
    (void)addr;
    (void)len;
    (void)flags;
    if (pending_fd < 0) {
        errno = EAGAIN;
        return -1;
    }
    client_fd = pending_fd;
    pending_fd = -1;
    return client_fd;
}

/* A listener's address: 127.0.0.1:40000 whatever was asked. */
int fpfuzz_sock_getsockname(int fd, void *addr, socklen_t *len)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(40000);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!is_fake(fd) || *len < sizeof(sin)) {
        errno = EBADF;
        return -1;
    }
    memcpy(addr, &sin, sizeof(sin));
    *len = sizeof(sin);
    return 0;
}

int fpfuzz_sock_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    (void)fd;
    (void)level;
    (void)name;
    if (*len >= sizeof(int))
        memset(val, 0, sizeof(int));
    return 0;
}

int fpfuzz_sock_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    (void)fd;
    (void)level;
    (void)name;
    (void)val;
    (void)len;
    return 0;
}

ssize_t fpfuzz_sock_recv(int fd, void *buf, size_t n, int flags)
{
    (void)flags;
    if (fd != client_fd) {
        errno = EBADF;
        return -1;
    }
    size_t left = inlen - inoff;
    size_t piece = inoff < headlen ? headlen - inoff : FPFUZZ_SOCK_PIECE;
    if (piece > left)
        piece = left;
    if (piece > n)
        piece = n;
    memcpy(buf, in + inoff, piece);
    inoff += piece;
    return (ssize_t)piece; /* 0 at the end: the client closed */
}

/* Every other call says EAGAIN and the others take at most FPFUZZ_SOCK_PIECE
 * bytes, so the API's partial writes and its wait for EPOLLOUT run too. */
ssize_t fpfuzz_sock_send(int fd, const void *buf, size_t n, int flags)
{
    static int busy;
    (void)flags;
    if (fd != client_fd) {
        errno = EBADF;
        return -1;
    }
    if ((busy = !busy)) {
        errno = EAGAIN;
        return -1;
    }
    if (n > FPFUZZ_SOCK_PIECE)
        n = FPFUZZ_SOCK_PIECE;
    if (outlen + n > outcap) {
        size_t nc = (outlen + n) * 2;
        char *no = realloc(out, nc);
        if (!no)
            abort();
        out = no;
        outcap = nc;
    }
    memcpy(out + outlen, buf, n);
    outlen += n;
    return (ssize_t)n;
}

int fpfuzz_sock_shutdown(int fd, int how)
{
    (void)how;
    return is_fake(fd) ? 0 : (errno = EBADF, -1);
}

int fpfuzz_sock_close(int fd)
{
    if (!is_fake(fd))
        return close(fd);
    if (fd == client_fd)
        client_fd = -1;
    return 0;
}

int fpfuzz_sock_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    (void)epfd;
    (void)fd;
    if (op == EPOLL_CTL_ADD && ev)
        last_watched = ev->data.ptr;
    return 0;
}

int fpfuzz_sock_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                            struct addrinfo **res)
{
    struct addrinfo h;
    memset(&h, 0, sizeof(h));
    if (hints)
        h = *hints;
    h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
    return getaddrinfo(node, service, &h, res);
}
