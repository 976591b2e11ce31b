/* bench_echo: the latency floor of the harness itself, against a C echo on
 * loopback, so that the performance suite's figures can be read against what
 * its own client costs.
 *
 * Three sequential 64-byte round trips, one connection each, side by side:
 *   tcp_floor   plain TCP (TCP_NODELAY) to a forked child that echoes:
 *               the floor under everything (this machine: ~58 us p50)
 *   ws_echo     the harness's WebSocket client (wsclient: wsconn_send_text,
 *               then wsconn_next) to feed-peer --echo, an lws echo server
 *   ws_ping     the same connection's ping/pong (wsconn_ping, which measures
 *               in whole microseconds; the others in nanoseconds)
 * Each is bounded by BENCH_ROUNDS round trips and BENCH_SECONDS of wall time,
 * after BENCH_WARMUP unmeasured ones. Prints p50, p99, max and round trips/s
 * for each, the ratio of each p50 to the floor, and "RESULT name=value" lines
 * for repeat scripts. Figures only: nothing is asserted on speed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "histogram.h"
#include "spawn.h"
#include "testkit.h"
#include "wclock.h"
#include "wsclient.h"

#define BENCH_ROUNDS 20000
#define BENCH_WARMUP 200
#define BENCH_SECONDS 3.0
#define BENCH_MSG 64

typedef struct figures {
    const char *name;
    histogram *h;
    double seconds;
} figures;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void report(const figures *f, double floor_p50_us)
{
    uint64_t n = histogram_count(f->h);
    double p50 = (double)histogram_percentile(f->h, 50) / 1000.0;
    printf("%-10s n=%-6llu p50 %7.1f us  p99 %7.1f us  max %8.1f us  %8.0f round trips/s",
           f->name, (unsigned long long)n, p50, (double)histogram_percentile(f->h, 99) / 1000.0,
           (double)histogram_max(f->h) / 1000.0, f->seconds > 0 ? (double)n / f->seconds : 0);
    if (floor_p50_us > 0)
        printf("  (%.2fx the TCP floor)", p50 / floor_p50_us);
    printf("\n");
    printf("RESULT %s_p50_us=%.1f\nRESULT %s_p99_us=%.1f\n", f->name, p50, f->name,
           (double)histogram_percentile(f->h, 99) / 1000.0);
}

static int io_full(int fd, char *b, size_t n, int wr)
{
    for (size_t g = 0; g < n;) {
        ssize_t r = wr ? write(fd, b + g, n - g) : read(fd, b + g, n - g);
        if (r <= 0)
            return -1;
        g += (size_t)r;
    }
    return 0;
}

/* Plain TCP ping-pong with a forked echo child. 0, or -1. */
static int tcp_floor(figures *f)
{
    int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
        getsockname(ls, (struct sockaddr *)&a, &al))
        return -1;
    pid_t child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        alarm(60); /* an echo child never outlives the bench */
        int c = accept(ls, NULL, NULL);
        char b[BENCH_MSG];
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        while (c >= 0 && io_full(c, b, sizeof(b), 0) == 0 && io_full(c, b, sizeof(b), 1) == 0)
            ;
        _exit(0);
    }
    close(ls);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int rc = -1;
    char b[BENCH_MSG];
    memset(b, 'x', sizeof(b));
    if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        rc = 0;
        int64_t end = 0, t0 = 0;
        for (int i = 0; i < BENCH_WARMUP + BENCH_ROUNDS && rc == 0; i++) {
            if (i == BENCH_WARMUP) {
                t0 = wclock_mono_us();
                end = t0 + (int64_t)(BENCH_SECONDS * 1e6);
            }
            int64_t t = now_ns();
            rc = io_full(s, b, sizeof(b), 1) || io_full(s, b, sizeof(b), 0) ? -1 : 0;
            int64_t now = now_ns();
            if (i >= BENCH_WARMUP) {
                histogram_record(f->h, now - t);
                if (now / 1000 > end)
                    break;
            }
        }
        f->seconds = (double)(wclock_mono_us() - t0) / 1e6;
    }
    if (s >= 0)
        close(s);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    return rc;
}

/* The harness client's round trips to feed-peer --echo: text, then pings. */
static int ws_echo(figures *text, figures *ping)
{
    char bin[512], log[600], err[512], url[128];
    spawn_proc p;
    snprintf(log, sizeof(log), "%s/bench-echo-peer.log", testkit_build_dir());
    char *argv[] = {testkit_test_bin_path("feed-peer", bin, sizeof(bin)), "--echo", NULL};
    int port = testkit_start_server(&p, argv, log, "listening on port ", 5000, err, sizeof(err));
    if (port < 0) {
        fprintf(stderr, "bench-echo: feed-peer: %s\n", err);
        return -1;
    }
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/echo", port);
    wsclient_opts co = {0};
    wsclient *c = wsclient_new(&co, err, sizeof(err));
    wsconn_opts o = {.url = url, .name = "echo"};
    wsconn *k = c ? wsclient_open(c, &o, 5000, err, sizeof(err)) : NULL;
    int rc = k ? 0 : -1;
    char msg[BENCH_MSG];
    memset(msg, 'x', sizeof(msg));
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        figures *f = pass ? ping : text;
        int64_t t0 = 0, end = 0;
        for (int i = 0; i < BENCH_WARMUP + BENCH_ROUNDS && rc == 0; i++) {
            if (i == BENCH_WARMUP) {
                t0 = wclock_mono_us();
                end = t0 + (int64_t)(BENCH_SECONDS * 1e6);
            }
            int64_t t = now_ns(), rtt = 0;
            if (pass) {
                rc = wsconn_ping(c, k, 2000, &rtt, err, sizeof(err));
                rtt *= 1000; /* wsconn_ping measures in us */
            } else {
                const wsmsg *m = NULL;
                if (wsconn_send_text(c, k, msg, sizeof(msg), err, sizeof(err)) == 0)
                    m = wsconn_next(c, k, 2000, err, sizeof(err));
                rc = m && m->len == sizeof(msg) ? 0 : -1;
                rtt = now_ns() - t;
                if (i % 1000 == 999)
                    wsconn_clear_messages(k); /* the echoes are not kept */
            }
            if (rc == 0 && i >= BENCH_WARMUP) {
                histogram_record(f->h, rtt);
                if (wclock_mono_us() > end)
                    break;
            }
        }
        f->seconds = (double)(wclock_mono_us() - t0) / 1e6;
    }
    if (rc)
        fprintf(stderr, "bench-echo: %s\n", err);
    if (c)
        wsclient_free(c);
    spawn_stop(&p, SIGTERM, 2000);
    return rc;
}

int main(void)
{
    figures tcp = {"tcp_floor", histogram_new(), 0}, text = {"ws_echo", histogram_new(), 0},
            ping = {"ws_ping", histogram_new(), 0};
    if (!tcp.h || !text.h || !ping.h)
        return 1;
    printf("64-byte sequential round trips on loopback, one connection each, up to %d or "
           "%.0f s (figures on shared cores are noisy; compare in one sitting)\n",
           BENCH_ROUNDS, BENCH_SECONDS);
    int rc = tcp_floor(&tcp) || ws_echo(&text, &ping);
    double floor_p50 = (double)histogram_percentile(tcp.h, 50) / 1000.0;
    report(&tcp, 0);
    report(&text, floor_p50);
    report(&ping, floor_p50);
    histogram_free(tcp.h);
    histogram_free(text.h);
    histogram_free(ping.h);
    return rc ? 1 : 0;
}
