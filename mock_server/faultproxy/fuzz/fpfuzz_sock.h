/* fpfuzz_sock: the socket layer that wsb-faultproxy's fuzz build runs on
 * instead of the kernel's (a preprocessing seam: no product code changes).
 *
 * `make fuzz` compiles faultproxy_api.c and faultproxy_net.c with
 * `-include` of this header. It includes the system headers first, so their
 * declarations keep the real names, then turns each socket call of those two
 * files into a call of the fake below: no port is ever bound, no name is
 * ever resolved (only numeric addresses), and an API client is a byte
 * buffer that the fuzz target hands over (fpfuzz_sock_incoming). Every other
 * line of the product code runs as shipped.
 *
 * The fake descriptors are numbers from FPFUZZ_SOCK_FD_BASE up; closing
 * anything else is passed on to the real close(). */
#ifndef WSB_FPFUZZ_SOCK_H
#define WSB_FPFUZZ_SOCK_H

#include <netdb.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#define FPFUZZ_SOCK_FD_BASE (1 << 20)

/* ---- what the fuzz target drives ---- */

/* Queues one API connection: the next accept4 returns it, its recv reads
 * data[0..len) (the head up to the blank line first, then the rest in
 * pieces, so "Expect: 100-continue" is seen before the body), then EOF; its
 * send takes a piece at a time and says EAGAIN every other call. The bytes
 * are borrowed until the next call. */
void fpfuzz_sock_incoming(const unsigned char *data, size_t len);
/* The handle most recently added to the (fake) epoll set: the API client's. */
void *fpfuzz_sock_last_watched(void);
/* Everything the server sent on the current connection so far (not NUL-terminated). */
const char *fpfuzz_sock_output(size_t *len);

/* ---- the fakes ---- */

int fpfuzz_sock_socket(int domain, int type, int protocol);
int fpfuzz_sock_bind(int fd, const void *addr, socklen_t len);
int fpfuzz_sock_listen(int fd, int backlog);
int fpfuzz_sock_connect_to(int fd, const void *addr, socklen_t len);
int fpfuzz_sock_accept4(int fd, void *addr, socklen_t *len, int flags);
int fpfuzz_sock_getsockname(int fd, void *addr, socklen_t *len);
int fpfuzz_sock_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int fpfuzz_sock_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
ssize_t fpfuzz_sock_recv(int fd, void *buf, size_t n, int flags);
ssize_t fpfuzz_sock_send(int fd, const void *buf, size_t n, int flags);
int fpfuzz_sock_shutdown(int fd, int how);
int fpfuzz_sock_close(int fd);
int fpfuzz_sock_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int fpfuzz_sock_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                            struct addrinfo **res);

#ifndef FPFUZZ_SOCK_IMPL
#define socket(d, t, p) fpfuzz_sock_socket(d, t, p)
#define bind(f, a, l) fpfuzz_sock_bind(f, a, l)
#define listen(f, b) fpfuzz_sock_listen(f, b)
#define connect(f, a, l) fpfuzz_sock_connect_to(f, a, l)
#define accept4(f, a, l, fl) fpfuzz_sock_accept4(f, a, l, fl)
#define getsockname(f, a, l) fpfuzz_sock_getsockname(f, a, l)
#define getsockopt(f, lv, n, v, l) fpfuzz_sock_getsockopt(f, lv, n, v, l)
#define setsockopt(f, lv, n, v, l) fpfuzz_sock_setsockopt(f, lv, n, v, l)
#define recv(f, b, n, fl) fpfuzz_sock_recv(f, b, n, fl)
#define send(f, b, n, fl) fpfuzz_sock_send(f, b, n, fl)
#define shutdown(f, h) fpfuzz_sock_shutdown(f, h)
#define close(f) fpfuzz_sock_close(f)
#define epoll_ctl(e, o, f, ev) fpfuzz_sock_epoll_ctl(e, o, f, ev)
#define getaddrinfo(n, s, h, r) fpfuzz_sock_getaddrinfo(n, s, h, r)
#endif

#endif
