/* faultproxy_net: wsb-faultproxy's event loop, the proxy registry, the
 * listeners and the proxied connections.
 *
 * One epoll set holds the API listener and its clients, every proxy's
 * listener, both sockets of every connection, a timerfd and a signalfd. Each
 * loop iteration handles the ready events (reads feed the toxics, see
 * faultproxy_toxic.c), then services every live connection: writes the
 * segments whose release time has come, passes EOFs on (half-close), closes
 * or resets connections whose toxics say so, recomputes the epoll interest
 * (no EPOLLIN while a stream's queue is full: backpressure) and the earliest
 * deadline, to which the timerfd is armed. Objects closed while a batch of
 * events may still name them are freed at the end of the iteration.
 *
 * The upstream's name is resolved (getaddrinfo, blocking) at each new
 * connection, so a restarted upstream with a new address (Docker) is found;
 * this is the only blocking call in the loop. */
#include "faultproxy.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "wclock.h"
#include "wlog.h"

#define NET_MAX_EVENTS 256

typedef struct net_deferred {
    void *ptr;
    void (*fn)(void *);
} net_deferred;

static int epfd = -1;
static fp_handle timer_h = {FP_K_TIMER, -1, 0, NULL, 0};
static fp_handle signal_h = {FP_K_SIGNAL, -1, 0, NULL, 0};
static fp_handle api_h = {FP_K_API_LISTEN, -1, 0, NULL, 0};
static fp_config cfg;
static fp_proxy *proxies[FP_MAX_PROXIES];
static size_t nproxies;
static int conns_open;
static uint64_t toxic_gen;
static net_deferred *deferred;
static size_t ndeferred, capdeferred;
static int64_t armed_us = -1;

int fp_net_watch(fp_handle *h, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.ptr = h};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, h->fd, &e) < 0)
        return -1;
    h->events = ev;
    return 0;
}

void fp_net_rewatch(fp_handle *h, uint32_t ev)
{
    if (h->fd < 0 || h->gone || h->events == ev)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = h};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, h->fd, &e) == 0)
        h->events = ev;
}

void fp_net_defer_free(void *ptr, void (*fn)(void *))
{
    if (ndeferred == capdeferred) {
        size_t nc = capdeferred ? capdeferred * 2 : 64;
        net_deferred *nd = realloc(deferred, nc * sizeof(*nd));
        if (!nd) { /* out of memory: leak rather than free under a live event */
            wlog_error("out of memory deferring a free");
            return;
        }
        deferred = nd;
        capdeferred = nc;
    }
    deferred[ndeferred].ptr = ptr;
    deferred[ndeferred].fn = fn;
    ndeferred++;
}

static void run_deferred(void)
{
    for (size_t i = 0; i < ndeferred; i++)
        deferred[i].fn(deferred[i].ptr);
    ndeferred = 0;
}

/* Splits "host:port", "[v6]:port" or ":port" (host empty -> def_host). */
static int split_hostport(const char *s, const char *def_host, char *host, size_t hcap,
                          int *port, char *err, size_t errlen)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            wlog_seterr(err, errlen, "address \"%s\": expected [v6]:port", s);
            return -1;
        }
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            wlog_seterr(err, errlen, "address \"%s\": expected host:port", s);
            return -1;
        }
        hlen = (size_t)(colon - s);
    }
    char *end;
    errno = 0;
    long v = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || errno || v < 0 || v > 65535) {
        wlog_seterr(err, errlen, "address \"%s\": port must be 0..65535", s);
        return -1;
    }
    if (hlen == 0) {
        snprintf(host, hcap, "%s", def_host);
    } else {
        if (hlen >= hcap) {
            wlog_seterr(err, errlen, "address \"%s\": host too long", s);
            return -1;
        }
        memcpy(host, h, hlen);
        host[hlen] = '\0';
    }
    *port = (int)v;
    return 0;
}

/* A non-blocking listening socket on host:port; *bound gets the real port. */
static int listen_on(const char *host, int port, int *bound, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc) {
        wlog_seterr(err, errlen, "listen address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int saved = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        wlog_seterr(err, errlen, "listen on %s:%d: %s", host, port, strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* ---- connections ---- */

static void seg_free_all(fp_dir *d)
{
    fp_seg *s = d->head;
    while (s) {
        fp_seg *n = s->next;
        free(s);
        s = n;
    }
    d->head = d->tail = NULL;
    d->queued = 0;
}

static void close_handle(fp_handle *h, int reset)
{
    if (h->fd < 0)
        return;
    if (reset) { /* SO_LINGER 0: close() sends RST and drops unsent data */
        struct linger lg = {1, 0};
        setsockopt(h->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(h->fd); /* also leaves the epoll set */
    h->fd = -1;
}

/* Closes both sockets (RST when reset); the memory goes at the iteration's end. */
static void conn_close(fp_conn *c, int reset, const char *why)
{
    if (c->dead)
        return;
    wlog_debug("proxy %s: connection %s closed (%s)", c->proxy->name, c->peer, why);
    c->dead = 1;
    close_handle(&c->client, reset);
    close_handle(&c->upstream, reset);
    seg_free_all(&c->dir[FP_UP]);
    seg_free_all(&c->dir[FP_DOWN]);
    fp_proxy *p = c->proxy;
    if (c->prev)
        c->prev->next = c->next;
    else
        p->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    p->conns_active--;
    conns_open--;
    fp_net_defer_free(c, free);
}

static int upstream_connect(fp_conn *c, char *err, size_t errlen)
{
    char host[FP_ADDR_MAX + 1];
    int port;
    if (split_hostport(c->proxy->upstream, "127.0.0.1", host, sizeof(host), &port, err, errlen))
        return -1;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc) {
        wlog_seterr(err, errlen, "upstream %s: %s", c->proxy->upstream, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        wlog_seterr(err, errlen, "upstream %s: %s", c->proxy->upstream, strerror(saved));
        return -1;
    }
    c->upstream.fd = fd;
    if (fp_net_watch(&c->upstream, EPOLLOUT)) {
        wlog_seterr(err, errlen, "epoll: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void accept_conns(fp_proxy *p)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(p->listener.fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                wlog_warn("proxy %s: accept: %s", p->name, strerror(errno));
            return;
        }
        if (conns_open >= cfg.max_conns) {
            wlog_warn("proxy %s: %d connections open (--max-connections); refusing one",
                      p->name, conns_open);
            close(fd);
            continue;
        }
        fp_conn *c = calloc(1, sizeof(*c));
        if (!c) {
            wlog_error("proxy %s: out of memory for a connection", p->name);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->proxy = p;
        c->client = (fp_handle){FP_K_CLIENT, fd, 0, c, 0};
        c->upstream = (fp_handle){FP_K_UPSTREAM, -1, 0, c, 0};
        char ip[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, port);
        c->next = p->conns;
        if (p->conns)
            p->conns->prev = c;
        p->conns = c;
        p->conns_active++;
        p->conns_total++;
        conns_open++;
        char err[256];
        if (fp_net_watch(&c->client, EPOLLIN) || upstream_connect(c, err, sizeof(err))) {
            wlog_warn("proxy %s: %s; closing the client %s", p->name, err, c->peer);
            conn_close(c, 0, "upstream unreachable");
            continue;
        }
        wlog_debug("proxy %s: connection from %s", p->name, c->peer);
    }
}

/* The stream whose source is h, and the one whose sink is h. */
static enum fp_stream source_of(const fp_conn *c, const fp_handle *h)
{
    return h == &c->client ? FP_UP : FP_DOWN;
}

static fp_handle *sink_of(fp_conn *c, enum fp_stream s)
{
    return s == FP_UP ? &c->upstream : &c->client;
}

static fp_handle *source_h(fp_conn *c, enum fp_stream s)
{
    return s == FP_UP ? &c->client : &c->upstream;
}

static int can_read(const fp_conn *c, enum fp_stream s)
{
    const fp_dir *d = &c->dir[s];
    return !d->eof && d->queued < cfg.buffer_bytes;
}

static void do_read(fp_conn *c, enum fp_stream s, int64_t now)
{
    fp_dir *d = &c->dir[s];
    if (!can_read(c, s))
        return;
    unsigned char buf[FP_READ_CHUNK];
    size_t room = cfg.buffer_bytes - d->queued;
    if (room > sizeof(buf))
        room = sizeof(buf);
    ssize_t n = recv(source_h(c, s)->fd, buf, room, 0);
    if (n > 0) {
        c->proxy->rx_bytes[s] += (uint64_t)n;
        fp_toxic_feed(c, s, buf, (size_t)n, now);
    } else if (n == 0) {
        d->eof = 1;
        d->eof_due_us = now + fp_toxic_close_delay(c, s, now);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        /* a reset from one side is passed on as a reset to the other */
        conn_close(c, errno == ECONNRESET, strerror(errno));
    }
}

/* Writes the due segments of stream s; passes the EOF on when drained. */
static void flush(fp_conn *c, enum fp_stream s, int64_t now)
{
    fp_dir *d = &c->dir[s];
    fp_handle *sink = sink_of(c, s);
    if (c->dead || (s == FP_UP && !c->connected) || sink->fd < 0)
        return;
    while (d->head && d->head->due_us <= now && !d->blocked) {
        fp_seg *g = d->head;
        ssize_t n = send(sink->fd, g->data + g->off, g->len - g->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                d->blocked = 1;
                break;
            }
            if (errno == EINTR)
                continue;
            conn_close(c, errno == ECONNRESET, strerror(errno));
            return;
        }
        c->proxy->tx_bytes[s] += (uint64_t)n;
        g->off += (size_t)n;
        if (g->off == g->len) {
            d->head = g->next;
            if (!d->head)
                d->tail = NULL;
            d->queued -= g->len + sizeof(*g);
            free(g);
        }
    }
    if (d->head)
        return;
    if (d->close_after) {
        conn_close(c, 0, "limit_data reached");
        return;
    }
    if (d->eof && !d->shut && now >= d->eof_due_us) {
        shutdown(sink->fd, SHUT_WR);
        d->shut = 1;
    }
    if (c->dir[FP_UP].shut && c->dir[FP_DOWN].shut)
        conn_close(c, 0, "both sides closed");
}

static void conn_event(fp_handle *h, uint32_t ev, int64_t now)
{
    fp_conn *c = h->owner;
    if (c->dead || h->fd < 0)
        return;
    if (h == &c->upstream && !c->connected) {
        int e = 0;
        socklen_t el = sizeof(e);
        getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e || (ev & EPOLLERR)) {
            wlog_info("proxy %s: upstream %s: %s; closing the client %s", c->proxy->name,
                      c->proxy->upstream, strerror(e ? e : ECONNREFUSED), c->peer);
            conn_close(c, 0, "upstream connect failed");
            return;
        }
        if (!(ev & EPOLLOUT))
            return;
        c->connected = 1;
        ev &= ~(uint32_t)EPOLLOUT;
    }
    enum fp_stream in = source_of(c, h);
    enum fp_stream out = in == FP_UP ? FP_DOWN : FP_UP; /* the stream h is the sink of */
    if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
        do_read(c, in, now);
    if (c->dead)
        return;
    if (ev & EPOLLOUT)
        c->dir[out].blocked = 0;
    if (ev & EPOLLERR) {
        conn_close(c, 1, "socket error");
        return;
    }
    if ((ev & EPOLLHUP) && c->dir[in].eof) {
        /* this side is gone both ways: what is still meant for it is dropped */
        fp_dir *d = &c->dir[out];
        seg_free_all(d);
        d->eof = d->shut = 1;
        d->blocked = 0;
        epoll_ctl(epfd, EPOLL_CTL_DEL, h->fd, NULL);
        h->events = 0;
        h->gone = 1; /* still open: closed with the connection */
    }
}

/* Flushes, applies time-driven toxics, sets the interest; lowers *next_us. */
static void conn_service(fp_conn *c, int64_t now, int64_t *next_us)
{
    int act = fp_toxic_check(c, now, next_us);
    if (act) {
        conn_close(c, act == 2, act == 2 ? "reset_peer" : "timeout");
        return;
    }
    for (int s = 0; s < 2 && !c->dead; s++)
        flush(c, (enum fp_stream)s, now);
    if (c->dead)
        return;
    for (int s = 0; s < 2; s++) {
        fp_dir *d = &c->dir[s];
        if (d->head && !d->blocked && (s == FP_DOWN || c->connected) && d->head->due_us < *next_us)
            *next_us = d->head->due_us;
        if (!d->head && d->eof && !d->shut && d->eof_due_us < *next_us)
            *next_us = d->eof_due_us;
    }
    fp_net_rewatch(&c->client, (can_read(c, FP_UP) ? EPOLLIN : 0) |
                                       (c->dir[FP_DOWN].blocked ? EPOLLOUT : 0));
    if (c->connected)
        fp_net_rewatch(&c->upstream, (can_read(c, FP_DOWN) ? EPOLLIN : 0) |
                                         (c->dir[FP_UP].blocked ? EPOLLOUT : 0));
}

/* ---- proxies ---- */

static int proxy_bind(fp_proxy *p, char *err, size_t errlen)
{
    char host[FP_ADDR_MAX - 16]; /* room left for "[", "]:" and the port */
    int port, bound;
    if (split_hostport(p->listen, "127.0.0.1", host, sizeof(host), &port, err, errlen))
        return -1;
    int fd = listen_on(host, port, &bound, err, errlen);
    if (fd < 0)
        return -1;
    p->listener = (fp_handle){FP_K_LISTEN, fd, 0, p, 0};
    if (fp_net_watch(&p->listener, EPOLLIN)) {
        wlog_seterr(err, errlen, "epoll: %s", strerror(errno));
        close(fd);
        p->listener.fd = -1;
        return -1;
    }
    /* the answer shows the real port, and re-enabling binds the same one */
    if (strchr(host, ':'))
        snprintf(p->listen, sizeof(p->listen), "[%s]:%d", host, bound);
    else
        snprintf(p->listen, sizeof(p->listen), "%s:%d", host, bound);
    wlog_info("proxy %s listening on %s, upstream %s", p->name, p->listen, p->upstream);
    return 0;
}

static void proxy_unbind(fp_proxy *p)
{
    close_handle(&p->listener, 0);
    while (p->conns)
        conn_close(p->conns, 0, "proxy disabled");
}

fp_proxy *fp_proxy_find(const char *name)
{
    for (size_t i = 0; i < nproxies; i++)
        if (!strcmp(proxies[i]->name, name))
            return proxies[i];
    return NULL;
}

size_t fp_proxy_count(void)
{
    return nproxies;
}

fp_proxy *fp_proxy_at(size_t i)
{
    return i < nproxies ? proxies[i] : NULL;
}

fp_proxy *fp_proxy_create(const char *name, const char *listen, const char *upstream,
                          int enabled, int *status, char *err, size_t errlen)
{
    *status = 400;
    if (fp_proxy_find(name)) {
        *status = 409;
        wlog_seterr(err, errlen, "proxy already exists: %s", name);
        return NULL;
    }
    if (nproxies >= FP_MAX_PROXIES) {
        wlog_seterr(err, errlen, "too many proxies: at most %d", FP_MAX_PROXIES);
        return NULL;
    }
    if (strlen(name) > FP_NAME_MAX || strlen(listen) > FP_ADDR_MAX - 8 ||
        strlen(upstream) > FP_ADDR_MAX) {
        wlog_seterr(err, errlen, "name (%d), listen or upstream (%d characters) too long",
                    FP_NAME_MAX, FP_ADDR_MAX - 8);
        return NULL;
    }
    char host[FP_ADDR_MAX + 1];
    int port;
    if (split_hostport(upstream, "127.0.0.1", host, sizeof(host), &port, err, errlen) ||
        split_hostport(listen, "127.0.0.1", host, sizeof(host), &port, err, errlen))
        return NULL;
    fp_proxy *p = calloc(1, sizeof(*p));
    if (!p) {
        *status = 500;
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->listen, sizeof(p->listen), "%s", listen);
    snprintf(p->upstream, sizeof(p->upstream), "%s", upstream);
    p->listener = (fp_handle){FP_K_LISTEN, -1, 0, p, 0};
    p->enabled = enabled;
    if (enabled && proxy_bind(p, err, errlen)) {
        *status = 500;
        free(p);
        return NULL;
    }
    proxies[nproxies++] = p;
    return p;
}

int fp_proxy_update(fp_proxy *p, const char *listen, const char *upstream, int enabled,
                    int *status, char *err, size_t errlen)
{
    char host[FP_ADDR_MAX + 1];
    int port;
    *status = 400;
    if (upstream && (strlen(upstream) > FP_ADDR_MAX ||
                     split_hostport(upstream, "127.0.0.1", host, sizeof(host), &port, err,
                                    errlen))) {
        if (strlen(upstream) > FP_ADDR_MAX)
            wlog_seterr(err, errlen, "upstream too long");
        return -1;
    }
    if (listen && (strlen(listen) > FP_ADDR_MAX - 8 ||
                   split_hostport(listen, "127.0.0.1", host, sizeof(host), &port, err,
                                  errlen))) {
        if (strlen(listen) > FP_ADDR_MAX - 8)
            wlog_seterr(err, errlen, "listen too long");
        return -1;
    }
    int relisten = (listen && strcmp(listen, p->listen)) ||
                   (upstream && strcmp(upstream, p->upstream));
    int want = enabled < 0 ? p->enabled : enabled;
    if (p->enabled && (relisten || !want)) {
        proxy_unbind(p);
        p->enabled = 0;
    }
    if (listen)
        snprintf(p->listen, sizeof(p->listen), "%s", listen);
    if (upstream)
        snprintf(p->upstream, sizeof(p->upstream), "%s", upstream);
    if (want && !p->enabled) {
        if (proxy_bind(p, err, errlen)) {
            *status = 500;
            return -1;
        }
        p->enabled = 1;
    }
    return 0;
}

static void proxy_free(void *ptr)
{
    fp_proxy *p = ptr;
    for (int i = 0; i < FP_MAX_TOXICS; i++)
        free(p->toxics[i]);
    free(p);
}

void fp_proxy_delete(fp_proxy *p)
{
    proxy_unbind(p);
    p->dead = 1;
    for (size_t i = 0; i < nproxies; i++)
        if (proxies[i] == p) {
            memmove(&proxies[i], &proxies[i + 1], (nproxies - i - 1) * sizeof(*proxies));
            nproxies--;
            break;
        }
    wlog_info("proxy %s deleted", p->name);
    fp_net_defer_free(p, proxy_free);
}

fp_toxic *fp_proxy_find_toxic(fp_proxy *p, const char *name)
{
    for (int i = 0; i < p->ntoxics; i++)
        if (!strcmp(p->toxics[p->order[i]]->name, name))
            return p->toxics[p->order[i]];
    return NULL;
}

int fp_proxy_add_toxic(fp_proxy *p, const fp_toxic *t, int *status, char *err, size_t errlen)
{
    if (fp_proxy_find_toxic(p, t->name)) {
        *status = 409;
        wlog_seterr(err, errlen, "toxic already exists: %s", t->name);
        return -1;
    }
    if (p->ntoxics >= FP_MAX_TOXICS) {
        *status = 400;
        wlog_seterr(err, errlen, "too many toxics on proxy %s: at most %d", p->name,
                    FP_MAX_TOXICS);
        return -1;
    }
    int slot = 0;
    while (p->toxics[slot])
        slot++;
    fp_toxic *n = malloc(sizeof(*n));
    if (!n) {
        *status = 500;
        wlog_seterr(err, errlen, "out of memory");
        return -1;
    }
    *n = *t;
    n->gen = ++toxic_gen;
    p->toxics[slot] = n;
    p->order[p->ntoxics++] = slot;
    wlog_info("proxy %s: toxic %s (%s, %s) added", p->name, n->name,
              fp_toxic_type_name(n->type), n->stream == FP_UP ? "upstream" : "downstream");
    return 0;
}

void fp_proxy_update_toxic(fp_proxy *p, fp_toxic *old, const fp_toxic *t)
{
    *old = *t;
    old->gen = ++toxic_gen;
    wlog_info("proxy %s: toxic %s updated", p->name, old->name);
}

/* The last toxic of a stream is gone: what its delays still hold back leaves
 * now, in order (as Toxiproxy passes a removed toxic's buffer on at once). */
static void release_stream(fp_proxy *p, enum fp_stream s)
{
    for (int i = 0; i < p->ntoxics; i++)
        if (p->toxics[p->order[i]]->stream == s)
            return;
    int64_t now = wclock_mono_us();
    for (fp_conn *c = p->conns; c; c = c->next) {
        fp_dir *d = &c->dir[s];
        for (fp_seg *g = d->head; g; g = g->next)
            if (g->due_us > now)
                g->due_us = now;
        if (d->last_due_us > now)
            d->last_due_us = now;
    }
}

void fp_proxy_remove_toxic(fp_proxy *p, fp_toxic *t)
{
    for (int i = 0; i < p->ntoxics; i++) {
        int slot = p->order[i];
        if (p->toxics[slot] != t)
            continue;
        memmove(&p->order[i], &p->order[i + 1], (size_t)(p->ntoxics - i - 1) * sizeof(int));
        p->ntoxics--;
        p->toxics[slot] = NULL;
        for (fp_conn *c = p->conns; c; c = c->next)
            c->tstate[slot].gen = 0;
        release_stream(p, t->stream);
        break;
    }
    wlog_info("proxy %s: toxic %s removed", p->name, t->name);
    free(t);
}

/* ---- the loop ---- */

int fp_net_init(const fp_config *config, char *err, size_t errlen)
{
    cfg = *config;
    if (cfg.max_conns <= 0)
        cfg.max_conns = FP_DEFAULT_MAX_CONNS;
    if (cfg.buffer_bytes < 1024)
        cfg.buffer_bytes = FP_DEFAULT_BUFFER;
    fp_toxic_seed(cfg.seed);
    signal(SIGPIPE, SIG_IGN);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        wlog_seterr(err, errlen, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    timer_h.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal_h.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (timer_h.fd < 0 || signal_h.fd < 0 || fp_net_watch(&timer_h, EPOLLIN) ||
        fp_net_watch(&signal_h, EPOLLIN)) {
        wlog_seterr(err, errlen, "timerfd/signalfd: %s", strerror(errno));
        return -1;
    }
    int bound;
    api_h.fd = listen_on(cfg.host, cfg.port, &bound, err, errlen);
    if (api_h.fd < 0)
        return -1;
    if (fp_net_watch(&api_h, EPOLLIN)) {
        wlog_seterr(err, errlen, "epoll: %s", strerror(errno));
        return -1;
    }
    if (cfg.config && fp_api_populate_file(cfg.config, err, errlen))
        return -1;
    printf("listening on port %d\n", bound);
    fflush(stdout);
    wlog_info("API on http://%s:%d (version %s)", cfg.host, bound, FP_VERSION);
    return 0;
}

static void arm_timer(int64_t next_us, int64_t now)
{
    if (next_us == INT64_MAX) {
        if (armed_us != -1) {
            struct itimerspec off = {0};
            timerfd_settime(timer_h.fd, 0, &off, NULL);
            armed_us = -1;
        }
        return;
    }
    if (next_us <= now)
        next_us = now + 1;
    if (next_us == armed_us)
        return;
    struct itimerspec its = {0};
    its.it_value.tv_sec = next_us / 1000000;
    its.it_value.tv_nsec = (next_us % 1000000) * 1000;
    timerfd_settime(timer_h.fd, TFD_TIMER_ABSTIME, &its, NULL);
    armed_us = next_us;
}

int fp_net_run(void)
{
    struct epoll_event evs[NET_MAX_EVENTS];
    int running = 1;
    while (running) {
        int n = epoll_wait(epfd, evs, NET_MAX_EVENTS, -1);
        if (n < 0 && errno != EINTR) {
            wlog_error("epoll_wait: %s", strerror(errno));
            break;
        }
        int64_t now = wclock_mono_us();
        for (int i = 0; i < n; i++) {
            fp_handle *h = evs[i].data.ptr;
            uint32_t ev = evs[i].events;
            switch (h->kind) {
            case FP_K_API_LISTEN:
                fp_api_accept(h);
                break;
            case FP_K_API_CLIENT:
                fp_api_client_event(h, ev);
                break;
            case FP_K_LISTEN:
                if (h->fd >= 0 && !((fp_proxy *)h->owner)->dead)
                    accept_conns(h->owner);
                break;
            case FP_K_CLIENT:
            case FP_K_UPSTREAM:
                conn_event(h, ev, now);
                break;
            case FP_K_TIMER: {
                uint64_t ticks;
                if (read(h->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                    wlog_warn("timerfd read: %s", strerror(errno));
                armed_us = -1;
                break;
            }
            case FP_K_SIGNAL: {
                struct signalfd_siginfo si;
                if (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                    wlog_info("signal %u: stopping", si.ssi_signo);
                    running = 0;
                }
                break;
            }
            }
        }
        now = wclock_mono_us();
        int64_t next = INT64_MAX;
        for (size_t i = 0; i < nproxies; i++) {
            fp_conn *c = proxies[i]->conns;
            while (c) {
                fp_conn *nx = c->next; /* c may close (it stays readable until run_deferred) */
                conn_service(c, now, &next);
                c = nx;
            }
        }
        arm_timer(next, now);
        run_deferred();
    }
    return 0;
}

void fp_net_free(void)
{
    fp_api_close_all();
    while (nproxies)
        fp_proxy_delete(proxies[nproxies - 1]);
    run_deferred();
    free(deferred);
    deferred = NULL;
    capdeferred = 0;
    close_handle(&api_h, 0);
    close_handle(&timer_h, 0);
    close_handle(&signal_h, 0);
    if (epfd >= 0)
        close(epfd);
    epfd = -1;
}
