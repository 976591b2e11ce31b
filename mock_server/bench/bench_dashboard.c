/* bench_dashboard: speed and memory of wsb-dashboard on loopback (make bench).
 *
 * Starts the real server (build/bin/wsb-dashboard, BUILD honoured) and
 * measures, each phase bounded in count and time:
 *   1. delivered messages/s summed over 100 subscribers, 1 publisher at full
 *      speed (the publisher keeps at most a window of messages in flight);
 *   2. publish-to-receive latency p50/p99/max at a fixed 1,000 messages/s
 *      (ts_us is the scheduled send time: no coordinated omission);
 *   3. handshakes/s (pipelined, 200 in flight, connect + upgrade + close);
 *   4. idle subscribers held (up to BENCH_IDLE, default 19,000) and the
 *      server's RSS per idle subscriber, from /proc/PID/status.
 * It prints figures; it never fails on speed. Exit 1 only when it cannot run.
 *
 * Figures measured so far, and where the latency goes: README.md beside this
 * file.
 * Env: BUILD, BENCH_SECONDS (phase 1, default 4), BENCH_IDLE (default 19000),
 * BENCH_HANDSHAKES (default 5000), BENCH_ONLY (fanout|handshakes|idle: fanout
 * runs phases 1 and 2), BENCH_SPIN (1: the reader polls during phase 2),
 * BENCH_LOOP (the server's --event-loop), BENCH_SERVER_LOG (keep its stderr). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jwt.h"
#include "procstat.h"
#include "spawn.h"
#include "testkit.h"
#include "testws.h"
#include "wclock.h"

#define SECRET "bench-secret"
#define NSUBS 100
#define RBUF (256 * 1024)
#define WINDOW 4000         /* publisher messages in flight (full speed) */
#define MAX_LAT (2000000)   /* latency samples kept */

/* ---- the server process ---- */

static spawn_proc server;

static int start_server(const char *const extra[])
{
    char prog[256];
    testkit_bin_path("wsb-dashboard", prog, sizeof prog);
    const char *argv[32] = {prog, "--port", "0", "--host", "127.0.0.1", "--jwt-secret", SECRET};
    int n = 7;
    for (int i = 0; extra && extra[i] && n < 28; i++)
        argv[n++] = extra[i];
    if (getenv("BENCH_LOOP")) { /* libev | poll */
        argv[n++] = "--event-loop";
        argv[n++] = getenv("BENCH_LOOP");
    }
    argv[n] = NULL;
    /* its stderr is dropped unless BENCH_SERVER_LOG; LOG_LEVEL defaults to warn */
    const char *const env[] = {getenv("LOG_LEVEL") ? NULL : "LOG_LEVEL=warn", NULL};
    spawn_opts o = {.log_path = getenv("BENCH_SERVER_LOG") ? "/dev/stderr" : NULL, .env = env};
    char err[600];
    int port = -1;
    if (spawn_start(&server, (char *const *)argv, &o, err, sizeof err) == 0)
        port = spawn_wait_port(&server, "listening on port ", 10000, err, sizeof err);
    if (port < 0) {
        fprintf(stderr, "bench: %s did not start: %s\n", prog, err);
        spawn_stop(&server, SIGKILL, 5000);
    }
    return port;
}

static void stop_server(void)
{
    spawn_stop(&server, SIGKILL, 5000);
}

static long status_subscribers(int port)
{
    char *body = NULL;
    long n = -1;
    if (testws_http_get(port, "/api/websocket/status", &body, 5000) == 200 && body) {
        char *p = strstr(body, "\"subscribers\":{\"count\":");
        if (p)
            n = strtol(p + 23, NULL, 10);
    }
    free(body);
    return n;
}

/* ---- subscribers read in bulk on one epoll thread ---- */

typedef struct reader_conn {
    int fd;
    uint8_t *buf;
    size_t len;
} reader_conn;

static reader_conn rconn[NSUBS + 1];
static atomic_llong delivered;
static atomic_int stop_reader;
static atomic_int measure_latency;
static uint32_t *lat;      /* microseconds */
static uint32_t *lat_sent; /* the same, from the moment the publisher sent */
static atomic_long nlat;
/* per latency-phase message (index seq - lat_seq0 - 1): scheduled send time,
 * actual send time, first and last arrival over the subscribers */
#define LAT_MSGS 5000
static long long lat_seq0;
static int64_t msg_sched[LAT_MSGS], msg_sent[LAT_MSGS], msg_first[LAT_MSGS], msg_last[LAT_MSGS];

static void parse_frames(reader_conn *c, int count)
{
    size_t off = 0;
    while (c->len - off >= 2) {
        uint8_t *p = c->buf + off;
        uint64_t pl = p[1] & 0x7f;
        size_t h = 2;
        if (pl == 126) {
            if (c->len - off < 4)
                break;
            pl = (uint64_t)p[2] << 8 | p[3];
            h = 4;
        } else if (pl == 127) {
            if (c->len - off < 10)
                break;
            pl = 0;
            for (int i = 0; i < 8; i++)
                pl = pl << 8 | p[2 + i];
            h = 10;
        }
        if (c->len - off < h + pl)
            break;
        if (count && (p[0] & 0x0f) == TESTWS_OP_TEXT) {
            atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
            if (atomic_load_explicit(&measure_latency, memory_order_relaxed)) {
                uint8_t *ts = memmem(p + h, pl, "\"ts_us\":", 8);
                if (ts) {
                    int64_t t = strtoll((char *)ts + 8, NULL, 10);
                    long i = atomic_fetch_add(&nlat, 1);
                    int64_t rt = wclock_real_us(), d = rt - t;
                    if (i < MAX_LAT)
                        lat[i] = d < 0 ? 0 : (uint32_t)d;
                    uint8_t *sq = memmem(p + h, pl, "\"seq\":", 6);
                    long long k = sq ? strtoll((char *)sq + 6, NULL, 10) - lat_seq0 - 1 : -1;
                    if (k >= 0 && k < LAT_MSGS) { /* one reader thread: no race */
                        int64_t sent = __atomic_load_n(&msg_sent[k], __ATOMIC_ACQUIRE);
                        if (sent && i < MAX_LAT)
                            lat_sent[i] = rt < sent ? 0 : (uint32_t)(rt - sent);
                        if (!msg_first[k] || rt < msg_first[k])
                            msg_first[k] = rt;
                        if (rt > msg_last[k])
                            msg_last[k] = rt;
                    }
                }
            }
        }
        off += h + pl;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

static int spin_reader;

static void *reader(void *arg)
{
    int ep = *(int *)arg;
    struct epoll_event ev[64];
    while (!atomic_load(&stop_reader)) {
        /* while measuring latency, poll without sleeping: each of the 100
         * sends of a message would otherwise wake this thread, a loopback
         * cost (wake-up and preemption) charged to the server's send */
        int spin = spin_reader && atomic_load_explicit(&measure_latency, memory_order_relaxed);
        int n = epoll_wait(ep, ev, 64, spin ? 0 : 100);
        for (int i = 0; i < n; i++) {
            reader_conn *c = ev[i].data.ptr;
            for (;;) {
                ssize_t r = read(c->fd, c->buf + c->len, RBUF - c->len);
                if (r <= 0)
                    break;
                c->len += (size_t)r;
                parse_frames(c, c != &rconn[NSUBS]); /* the last one is the publisher */
                if ((size_t)r < RBUF / 2)
                    break;
            }
        }
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Prints p50/p99 of to[i] - from[i] over the n messages where both are set. */
static void print_spread(const char *what, const int64_t *from, const int64_t *to, int n)
{
    static int64_t v[LAT_MSGS];
    int k = 0;
    for (int i = 0; i < n && i < LAT_MSGS; i++)
        if (from[i] && to[i])
            v[k++] = to[i] - from[i];
    if (!k)
        return;
    qsort(v, (size_t)k, sizeof v[0], cmp_i64);
    printf("  %s: p50 %lld us, p99 %lld us\n", what, (long long)v[k / 2],
           (long long)v[(size_t)(k * 0.99)]);
}

static size_t encode_env(uint8_t *out, size_t cap, long long seq, int64_t ts)
{
    char e[400];
    int n = snprintf(e, sizeof e,
                     "{\"v\":1,\"type\":\"market_data\",\"source\":\"bench-bot\",\"seq\":%lld,"
                     "\"ts_us\":%lld,\"data\":{\"symbol\":\"BTC-USD\",\"price\":64123.5,"
                     "\"bid\":64123,\"ask\":64124,\"volume\":12.5}}",
                     seq, (long long)ts);
    return testws_encode_text(out, cap, e, (size_t)n);
}

/* Phases 1 and 2. */
static int bench_fanout(void)
{
    const char *extra[] = {"--history", "200000", "--queue-limit", "100000", "--slow-policy",
                           "drop", NULL};
    int port = start_server(extra);
    if (port < 0)
        return -1;
    char *st = jwt_sign(SECRET, "bench-viewer", "subscriber", 3600);
    char *pt = jwt_sign(SECRET, "bench-bot", "publisher", 3600);
    testws *subs[NSUBS];
    int ep = epoll_create1(0);
    char err[256];
    int code;
    for (int i = 0; i < NSUBS; i++) {
        subs[i] = testws_connect(port, "/ws/stream", st, 5000, &code, err, sizeof err);
        if (!subs[i]) {
            fprintf(stderr, "bench: subscriber %d: %s\n", i, err);
            return -1;
        }
        testws_send_text(subs[i], "{\"type\":\"subscribe\"}");
    }
    testws *pub = testws_connect(port, "/ws", pt, 5000, &code, err, sizeof err);
    if (!pub) {
        fprintf(stderr, "bench: publisher: %s\n", err);
        return -1;
    }
    for (int i = 0; i <= NSUBS; i++) {
        rconn[i].fd = i < NSUBS ? testws_fd(subs[i]) : testws_fd(pub);
        rconn[i].buf = malloc(RBUF);
        rconn[i].len = 0;
        fcntl(rconn[i].fd, F_SETFL, fcntl(rconn[i].fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &rconn[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, rconn[i].fd, &ev);
    }
    lat = malloc(sizeof(uint32_t) * MAX_LAT);
    lat_sent = calloc(MAX_LAT, sizeof(uint32_t));
    spin_reader = getenv("BENCH_SPIN") && atoi(getenv("BENCH_SPIN"));
    pthread_t th;
    pthread_create(&th, NULL, reader, &ep);
    usleep(100000); /* subscriptions applied (status polled below would cost the same) */

    /* 1: full speed */
    double secs = getenv("BENCH_SECONDS") ? atof(getenv("BENCH_SECONDS")) : 4.0;
    if (secs <= 0 || secs > 60)
        secs = 4.0;
    long long seq = 0;
    uint8_t *batch = malloc(64 * 1024);
    int64_t t0 = wclock_mono_us(), tend = t0 + (int64_t)(secs * 1e6);
    long long d0 = atomic_load(&delivered);
    double c0 = procstat_cpu_seconds(server.pid);
    while (wclock_mono_us() < tend) {
        long long inflight = seq - (atomic_load(&delivered) - d0) / NSUBS;
        if (inflight > WINDOW) {
            usleep(200);
            continue;
        }
        size_t len = 0;
        for (int k = 0; k < 100; k++)
            len += encode_env(batch + len, 64 * 1024 - len, ++seq, wclock_real_us());
        if (testws_send_raw(pub, batch, len))
            break;
    }
    /* let the in-flight window land (bounded) */
    int64_t drain_end = wclock_mono_us() + 3000000;
    while (atomic_load(&delivered) - d0 < seq * NSUBS && wclock_mono_us() < drain_end)
        usleep(1000);
    int64_t t1 = wclock_mono_us();
    long long got = atomic_load(&delivered) - d0;
    printf("fan-out at full speed: 1 publisher, %d subscribers, %lld published, %lld delivered "
           "in %.2f s: %.0f delivered msgs/s (%.0f published/s, server CPU %.0f%%)\n",
           NSUBS, seq, got, (t1 - t0) / 1e6, got / ((t1 - t0) / 1e6), seq / ((t1 - t0) / 1e6),
           100.0 * (procstat_cpu_seconds(server.pid) - c0) / ((t1 - t0) / 1e6));

    /* 2: fixed 1,000 msg/s for 5 s */
    atomic_store(&nlat, 0);
    atomic_store(&measure_latency, 1);
    long long d1 = atomic_load(&delivered);
    double c1 = procstat_cpu_seconds(server.pid);
    /* the default 50 us timer slack would be counted as latency (ts_us is
     * the scheduled time) */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    lat_seq0 = seq;
    memset(msg_first, 0, sizeof msg_first);
    memset(msg_last, 0, sizeof msg_last);
    memset(msg_sent, 0, sizeof msg_sent);
    int64_t start = wclock_real_us();
    int nmsg = LAT_MSGS;
    for (int i = 0; i < nmsg; i++) {
        int64_t sched = start + (int64_t)i * 1000;
        if (sched > wclock_real_us()) { /* absolute: no drift from loop overhead */
            struct timespec at = {(time_t)(sched / 1000000), (long)(sched % 1000000) * 1000};
            while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, NULL) == EINTR)
                ;
        }
        uint8_t one[512];
        size_t len = encode_env(one, sizeof one, ++seq, sched);
        msg_sched[i] = sched;
        __atomic_store_n(&msg_sent[i], wclock_real_us(), __ATOMIC_RELEASE);
        if (testws_send_raw(pub, one, len))
            break;
    }
    drain_end = wclock_mono_us() + 3000000;
    while (atomic_load(&delivered) - d1 < (long long)nmsg * NSUBS && wclock_mono_us() < drain_end)
        usleep(1000);
    atomic_store(&measure_latency, 0);
    double busy = procstat_cpu_seconds(server.pid) - c1;
    long n = atomic_load(&nlat);
    if (n > MAX_LAT)
        n = MAX_LAT;
    qsort(lat, (size_t)n, sizeof(uint32_t), cmp_u32);
    if (n > 0)
        printf("latency at 1,000 msg/s published (%d subscribers, %ld deliveries): p50 %u us, "
               "p99 %u us, p99.9 %u us, max %u us (server CPU %.0f us per published message)\n",
               NSUBS, n, lat[n / 2], lat[(size_t)(n * 0.99)], lat[(size_t)(n * 0.999)],
               lat[n - 1], busy * 1e6 / nmsg);
    if (n > 0) {
        /* the same without the publisher's own timer lateness */
        qsort(lat_sent, (size_t)n, sizeof(uint32_t), cmp_u32);
        printf("  from the publisher's actual send: p50 %u us, p99 %u us, p99.9 %u us\n",
               lat_sent[n / 2], lat_sent[(size_t)(n * 0.99)], lat_sent[(size_t)(n * 0.999)]);
    }
    /* where it goes: the publisher's timer, the first subscriber (publisher
     * -> server -> one send -> read), and the spread over the 100 sends */
    print_spread("publisher late on its schedule", msg_sched, msg_sent, nmsg);
    print_spread("sent -> first subscriber received", msg_sent, msg_first, nmsg);
    print_spread("first -> last subscriber received", msg_first, msg_last, nmsg);
    print_spread("scheduled -> last subscriber received", msg_sched, msg_last, nmsg);

    atomic_store(&stop_reader, 1);
    pthread_join(th, NULL);
    for (int i = 0; i < NSUBS; i++)
        testws_close(subs[i]);
    testws_close(pub);
    for (int i = 0; i <= NSUBS; i++)
        free(rconn[i].buf);
    close(ep);
    free(lat);
    free(lat_sent);
    free(batch);
    free(st);
    free(pt);
    stop_server();
    return 0;
}

/* ---- raw pipelined handshakes (phases 3 and 4) ---- */

/* Closes with a reset: no TIME_WAIT left behind to slow later connects. */
static void close_rst(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static int nb_connect(int port, const char *src_ip)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, src_ip, &a.sin_addr);
    /* pick the port at connect time: bind()-time port search is slow with
     * thousands of sockets */
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Opens count connections, at most inflight at a time, each upgraded (and
 * subscribed when keep). Closes them unless keep. Returns the number upgraded;
 * fds (when keep) receives them. */
static int handshakes(int port, const char *src_ip, const char *token, int count, int inflight,
                      int keep, int *fds, double max_s)
{
    char req[1024];
    int rl = snprintf(req, sizeof req,
                      "GET /ws/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
                      token);
    uint8_t sub[64];
    size_t sl = testws_encode_text(sub, sizeof sub, "{\"type\":\"subscribe\"}", 20);
    int ep = epoll_create1(0);
    int started = 0, done = 0, ok = 0, active = 0;
    int64_t deadline = wclock_mono_us() + (int64_t)(max_s * 1e6);
    typedef struct hs {
        int fd, sent;
    } hs;
    hs *slots = calloc((size_t)inflight, sizeof(hs));
    struct epoll_event *evs = calloc((size_t)inflight, sizeof(*evs));
    while (done < count && wclock_mono_us() < deadline) {
        while (active < inflight && started < count) {
            int fd = nb_connect(port, src_ip);
            started++;
            if (fd < 0) {
                if (getenv("BENCH_TRACE"))
                    fprintf(stderr, "connect: %s\n", strerror(errno));
                done++;
                continue;
            }
            int s = 0;
            while (slots[s].fd)
                s++;
            slots[s].fd = fd;
            slots[s].sent = 0;
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)s};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            active++;
        }
        int n = epoll_wait(ep, evs, inflight, 100);
        for (int i = 0; i < n; i++) {
            hs *h = &slots[evs[i].data.u32];
            if (!h->sent && (evs[i].events & EPOLLOUT)) {
                if (write(h->fd, req, (size_t)rl) == rl) {
                    h->sent = 1;
                    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[i].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_MOD, h->fd, &ev);
                }
                continue;
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            char buf[512];
            ssize_t r = read(h->fd, buf, sizeof buf - 1);
            int good = r > 12 && !memcmp(buf + 9, "101", 3);
            if (!good && getenv("BENCH_TRACE"))
                fprintf(stderr, "handshake failed: read %zd %s %.12s\n", r,
                        r < 0 ? strerror(errno) : "", r > 0 ? buf : "");
            epoll_ctl(ep, EPOLL_CTL_DEL, h->fd, NULL);
            if (good)
                ok++;
            if (good && keep) {
                if (write(h->fd, sub, sl) != (ssize_t)sl) {
                    /* counted as held anyway: the socket is open */
                }
                fds[ok - 1] = h->fd;
            } else {
                close_rst(h->fd);
            }
            h->fd = 0;
            active--;
            done++;
        }
    }
    for (int s = 0; s < inflight; s++)
        if (slots[s].fd)
            close_rst(slots[s].fd);
    free(slots);
    free(evs);
    close(ep);
    return ok;
}

static void bench_handshakes(void)
{
    int count = getenv("BENCH_HANDSHAKES") ? atoi(getenv("BENCH_HANDSHAKES")) : 5000;
    if (count <= 0 || count > 20000)
        count = 5000;
    const char *extra[] = {NULL};
    int port = start_server(extra);
    if (port < 0)
        return;
    char *tok = jwt_sign(SECRET, "bench-viewer", "subscriber", 3600);
    int64_t t0 = wclock_mono_us();
    int ok = handshakes(port, "127.0.0.3", tok, count, 200, 0, NULL, 20.0);
    double s = (wclock_mono_us() - t0) / 1e6;
    printf("handshakes: %d of %d upgraded (token checked each time) in %.2f s: %.0f handshakes/s\n",
           ok, count, s, ok / s);
    free(tok);
    stop_server();
}

static void bench_idle(void)
{
    int want = getenv("BENCH_IDLE") ? atoi(getenv("BENCH_IDLE")) : 19000;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (want <= 0 || (rlim_t)want + 64 > rl.rlim_cur)
        want = (int)rl.rlim_cur - 64;
    const char *extra[] = {"--max-connections", "20000", "--idle-timeout", "0", NULL};
    int port = start_server(extra);
    if (port < 0)
        return;
    usleep(200000);
    long base = (long)(procstat_rss_bytes(server.pid) / 1024);
    char *tok = jwt_sign(SECRET, "idle-viewer", "subscriber", 3600);
    int *fds = calloc((size_t)want, sizeof(int));
    int64_t t0 = wclock_mono_us();
    int held = handshakes(port, "127.0.0.4", tok, want, 500, 1, fds, 60.0);
    double s = (wclock_mono_us() - t0) / 1e6;
    /* wait until the server counts them (bounded) */
    int64_t deadline = wclock_mono_us() + 10000000;
    long counted = 0;
    while (wclock_mono_us() < deadline && (counted = status_subscribers(port)) < held)
        usleep(100000);
    usleep(300000);
    long after = (long)(procstat_rss_bytes(server.pid) / 1024);
    printf("idle subscribers: %d of %d held (server counts %ld) after %.2f s; server RSS %ld KB -> "
           "%ld KB: %.0f bytes per idle subscriber\n",
           held, want, counted, s, base, after,
           held > 0 ? (after - base) * 1024.0 / held : 0.0);
    for (int i = 0; i < held; i++)
        close_rst(fds[i]);
    free(fds);
    free(tok);
    stop_server();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(stop_server);
    printf("bench_dashboard: wsb-dashboard on 127.0.0.1, clients in this process (2 cores "
           "shared)\n");
    fflush(stdout);
    const char *only = getenv("BENCH_ONLY"); /* fanout | handshakes | idle */
    if ((!only || !strcmp(only, "fanout")) && bench_fanout() != 0) {
        stop_server();
        return 1;
    }
    fflush(stdout);
    if (!only || !strcmp(only, "handshakes"))
        bench_handshakes();
    fflush(stdout);
    if (!only || !strcmp(only, "idle"))
        bench_idle();
    return 0;
}
