/* test_faultproxy_wire: each toxic's effect measured on the wire, a suite of
 * test-faultproxy (see test_faultproxy.c) over fptk's echo upstream. */
#include <CUnit/CUnit.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include "httpc.h"
#include "testkit.h"
#include "procstat.h"
#include "promtext.h"
#include "spawn.h"
#include "wclock.h"
#include "wjson.h"

#include "fptk.h"
#include "test_faultproxy_wire.h"

/* ---- toxics on the wire ---- */

static void test_passthrough(void)
{
    int port = fptk_make_proxy("pass");
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    size_t n = 1 << 20;
    char *out = malloc(n), *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(i * 7 + (i >> 9));
    /* send and receive interleaved (the echo answers while we send) */
    size_t sent = 0, got = 0;
    int64_t end = wclock_mono_us() + 10 * 1000000LL;
    while (got < n && wclock_mono_us() < end) {
        struct pollfd p = {fd, POLLIN | (sent < n ? POLLOUT : 0), 0};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        if ((p.revents & POLLOUT) && sent < n) {
            ssize_t w = send(fd, out + sent, n - sent > 65536 ? 65536 : n - sent,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
        }
        if (p.revents & POLLIN) {
            ssize_t r = recv(fd, in + got, n - got, MSG_DONTWAIT);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
    }
    CU_ASSERT_EQUAL(got, n);
    CU_ASSERT(memcmp(out, in, n) == 0);
    double base = fptk_median_rtt(fd, 5);
    fprintf(stderr, "\n  measure: 1 MiB echoed intact; round trip without toxics %.2f ms\n", base);
    CU_ASSERT(base >= 0 && base < 50);
    free(out);
    free(in);
    close(fd);
    fptk_del("/proxies/pass");
}

static void test_latency(void)
{
    int port = fptk_make_proxy("lat");
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    double base = fptk_median_rtt(fd, 5);
    CU_ASSERT_EQUAL(
        fptk_add_toxic("lat", "{\"type\":\"latency\",\"attributes\":{\"latency\":100}}"), 200);
    double down = fptk_median_rtt(fd, 5);
    CU_ASSERT_EQUAL(fptk_add_toxic("lat", "{\"type\":\"latency\",\"stream\":\"upstream\","
                                          "\"attributes\":{\"latency\":50,\"jitter\":10}}"),
                    200);
    double both = fptk_median_rtt(fd, 5);
    CU_ASSERT_EQUAL(fptk_api("POST", "/reset", NULL), 204);
    double after = fptk_median_rtt(fd, 5);
    fprintf(stderr,
            "\n  measure: rtt base %.2f ms; +100 ms downstream: %.2f ms (added %.2f); "
            "+50±10 upstream too: %.2f ms (added %.2f); removed: %.2f ms\n",
            base, down, down - base, both, both - base, after);
    CU_ASSERT(down - base >= 100 - 30 && down - base < 200); /* not twice the toxic */
    CU_ASSERT(both - base >= 150 - 30 && both - base < 300);
    CU_ASSERT(after - base < 50); /* halfway to the toxic */
    close(fd);
    fptk_del("/proxies/lat");
}

static void test_toxicity_zero(void)
{
    int port = fptk_make_proxy("tox0");
    CU_ASSERT_EQUAL(fptk_add_toxic("tox0", "{\"type\":\"latency\",\"toxicity\":0,"
                                           "\"attributes\":{\"latency\":300}}"),
                    200);
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    double r = fptk_median_rtt(fd, 3);
    fprintf(stderr, "\n  measure: 300 ms latency at toxicity 0: rtt %.2f ms\n", r);
    CU_ASSERT(r >= 0 && r < 150); /* halfway to the 300 ms it would add */
    close(fd);
    fptk_del("/proxies/tox0");
}

static void test_bandwidth(void)
{
    int port = fptk_make_proxy("bw");
    CU_ASSERT_EQUAL(fptk_add_toxic("bw", "{\"type\":\"bandwidth\",\"attributes\":{\"rate\":200}}"),
                    200);
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    size_t n = 300 * 1000;
    char *buf = calloc(1, n), *in = malloc(n);
    int64_t t0 = wclock_mono_us();
    CU_ASSERT(fptk_send_all(fd, buf, n) == 0); /* the upstream direction is not limited */
    size_t got = fptk_recv_n(fd, in, n, 10000);
    double secs = (double)(wclock_mono_us() - t0) / 1e6;
    double rate = (double)got / 1000.0 / secs;
    fprintf(stderr, "\n  measure: bandwidth 200 KB/s: %zu bytes in %.3f s = %.1f KB/s\n", got, secs,
            rate);
    CU_ASSERT_EQUAL(got, n);
    /* a cap is never exceeded (noise only slows); below it, halfway to no transfer */
    CU_ASSERT(rate > 200 * 0.5 && rate < 200 * 1.2);
    free(buf);
    free(in);
    close(fd);
    fptk_del("/proxies/bw");
}

/* Removing a stream's last toxic lets what its schedule still holds back go at
 * once (as Toxiproxy passes a removed toxic's buffer on), not at the old rate. */
static void test_bandwidth_release(void)
{
    int port = fptk_make_proxy("bwr");
    CU_ASSERT_EQUAL(fptk_add_toxic("bwr", "{\"type\":\"bandwidth\",\"attributes\":{\"rate\":10}}"),
                    200);
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    size_t n = 150 * 1000; /* 15 s at 10 KB/s */
    char *buf = calloc(1, n), *in = malloc(n);
    CU_ASSERT(fptk_send_all(fd, buf, n) == 0);
    size_t early = fptk_recv_n(fd, in, n, 500);
    int64_t t0 = wclock_mono_us();
    fptk_del("/proxies/bwr/toxics/bandwidth_downstream");
    size_t rest = fptk_recv_n(fd, in + early, n - early, 5000);
    double secs = (double)(wclock_mono_us() - t0) / 1e6;
    fprintf(stderr, "\n  measure: 10 KB/s removed after %zu bytes: the other %zu in %.3f s\n",
            early, rest, secs);
    CU_ASSERT(early < n / 2);
    CU_ASSERT_EQUAL(early + rest, n);
    CU_ASSERT(secs < 7); /* half of the ~14 s the old rate would take */
    free(buf);
    free(in);
    close(fd);
    fptk_del("/proxies/bwr");
}

static void test_blackhole(void)
{
    int port = fptk_make_proxy("hole");
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(fptk_rtt_ms(fd) >= 0);
    CU_ASSERT_EQUAL(fptk_add_toxic("hole", "{\"type\":\"timeout\",\"stream\":\"upstream\","
                                           "\"attributes\":{\"timeout\":0}}"),
                    200);
    char b[64];
    CU_ASSERT(fptk_send_all(fd, "lost-in-the-hole", 16) == 0);
    ssize_t r = fptk_recv_wait(fd, b, sizeof(b), 700);
    CU_ASSERT_EQUAL(r, -2); /* nothing, and the connection held */
    CU_ASSERT_EQUAL(fptk_del("/proxies/hole/toxics/timeout_upstream"), 204);
    double back = fptk_rtt_ms(fd);
    fprintf(stderr,
            "\n  measure: blackhole: 0 bytes in 700 ms, connection held; "
            "after removal rtt %.2f ms\n",
            back);
    CU_ASSERT(back >= 0 && back < 1000); /* answered: the hole is gone */
    close(fd);
    /* timeout > 0: the connection is closed after it */
    CU_ASSERT_EQUAL(
        fptk_add_toxic("hole", "{\"type\":\"timeout\",\"attributes\":{\"timeout\":300}}"), 200);
    /* the clock starts before the connect: the proxy's timer cannot start
     * earlier, however slowly this process runs (valgrind) */
    int64_t t0 = wclock_mono_us();
    fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    r = fptk_recv_wait(fd, b, sizeof(b), 3000);
    double ms = (double)(wclock_mono_us() - t0) / 1000.0;
    fprintf(stderr, "  measure: timeout 300 ms: closed after %.1f ms (recv %zd)\n", ms, r);
    CU_ASSERT(r == 0 || r == -1);
    CU_ASSERT(ms >= 280 - fptk_slack_ms() && ms < 1650); /* halfway to the 3 s wait */
    close(fd);
    fptk_del("/proxies/hole");
}

static void test_reset_peer(void)
{
    int port = fptk_make_proxy("rst");
    CU_ASSERT_EQUAL(fptk_add_toxic("rst", "{\"type\":\"reset_peer\",\"stream\":\"upstream\","
                                          "\"attributes\":{\"timeout\":200}}"),
                    200);
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    char b[64];
    int64_t t0 = wclock_mono_us();
    CU_ASSERT(fptk_send_all(fd, "trigger", 7) == 0);
    errno = 0;
    ssize_t r = fptk_recv_wait(fd, b, sizeof(b), 3000);
    int e = errno;
    double ms = (double)(wclock_mono_us() - t0) / 1000.0;
    fprintf(stderr, "\n  measure: reset_peer 200 ms: recv %zd errno %s after %.1f ms\n", r,
            strerror(e), ms);
    CU_ASSERT_EQUAL(r, -1);
    CU_ASSERT_EQUAL(e, ECONNRESET);
    CU_ASSERT(ms >= 190 - fptk_slack_ms() && ms < 1600); /* halfway to the 3 s wait */
    close(fd);
    fptk_del("/proxies/rst");
}

static void test_slicer(void)
{
    int port = fptk_make_proxy("slice");
    CU_ASSERT_EQUAL(fptk_add_toxic("slice",
                                   "{\"type\":\"slicer\",\"attributes\":{\"average_size\":100,"
                                   "\"size_variation\":20,\"delay\":5000}}"),
                    200);
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    char out[2000], in[2000];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (char)('a' + i % 26);
    CU_ASSERT(fptk_send_all(fd, out, sizeof(out)) == 0);
    size_t got = 0, reads = 0, biggest = 0;
    int64_t t0 = wclock_mono_us();
    while (got < sizeof(in)) {
        ssize_t r = fptk_recv_wait(fd, in + got, sizeof(in) - got, FPTK_IO_TIMEOUT_MS);
        if (r <= 0)
            break;
        got += (size_t)r;
        reads++;
        if ((size_t)r > biggest)
            biggest = (size_t)r;
    }
    double ms = (double)(wclock_mono_us() - t0) / 1000.0;
    fprintf(stderr,
            "\n  measure: slicer 100±20 B every 5 ms: 2000 bytes in %zu reads "
            "(largest %zu) over %.1f ms\n",
            reads, biggest, ms);
    CU_ASSERT_EQUAL(got, sizeof(in));
    CU_ASSERT(memcmp(in, out, sizeof(in)) == 0);
    CU_ASSERT(reads >= 10);
    CU_ASSERT(ms >= 15 * 5 * 0.8);
    close(fd);
    fptk_del("/proxies/slice");
}

static void test_limit_data(void)
{
    int port = fptk_make_proxy("limit");
    CU_ASSERT_EQUAL(
        fptk_add_toxic("limit", "{\"type\":\"limit_data\",\"attributes\":{\"bytes\":1000}}"), 200);
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    char out[5000], in[5000];
    memset(out, 'L', sizeof(out));
    CU_ASSERT(fptk_send_all(fd, out, sizeof(out)) == 0);
    size_t got = 0;
    ssize_t r;
    while ((r = fptk_recv_wait(fd, in + got, sizeof(in) - got, FPTK_IO_TIMEOUT_MS)) > 0)
        got += (size_t)r;
    fprintf(stderr, "\n  measure: limit_data 1000: received %zu bytes, then %s\n", got,
            r == 0    ? "EOF"
            : r == -1 ? strerror(errno)
                      : "timeout");
    CU_ASSERT_EQUAL(got, 1000);
    CU_ASSERT(r == 0 || r == -1);
    close(fd);
    fptk_del("/proxies/limit");
}

static void test_slow_close(void)
{
    int port = fptk_make_proxy("sc");
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            CU_ASSERT_EQUAL(fptk_add_toxic("sc", "{\"type\":\"slow_close\",\"attributes\":"
                                                 "{\"delay\":300}}"),
                            200);
        }
        int fd = fptk_connect(port);
        CU_ASSERT_FATAL(fd >= 0);
        char b[16];
        CU_ASSERT(fptk_send_all(fd, "bye", 3) == 0);
        CU_ASSERT_EQUAL(fptk_recv_n(fd, b, 3, FPTK_IO_TIMEOUT_MS), 3);
        int64_t t0 = wclock_mono_us();
        shutdown(fd, SHUT_WR); /* the echo server closes on our EOF */
        ssize_t r = fptk_recv_wait(fd, b, sizeof(b), 3000);
        double ms = (double)(wclock_mono_us() - t0) / 1000.0;
        fprintf(stderr, "%s  measure: %s: EOF %.1f ms after ours\n", round ? "" : "\n",
                round ? "slow_close 300 ms" : "no toxic", ms);
        CU_ASSERT_EQUAL(r, 0);
        /* with the toxic: halfway to the 3 s wait; without: halfway to its 300 ms */
        CU_ASSERT(round ? (ms >= 290 - fptk_slack_ms() && ms < 1650) : ms < 150);
        close(fd);
    }
    fptk_del("/proxies/sc");
}

static void test_disable_enable(void)
{
    int port = fptk_make_proxy("down");
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(fptk_rtt_ms(fd) >= 0);
    CU_ASSERT_EQUAL(fptk_api("PATCH", "/proxies/down", "{\"enabled\":false}"), 200);
    char b[16];
    ssize_t r = fptk_recv_wait(fd, b, sizeof(b), 2000);
    CU_ASSERT(r == 0 || r == -1); /* cut */
    close(fd);
    errno = 0;
    int fd2 = fptk_connect(port);
    int e = errno;
    CU_ASSERT_EQUAL(fd2, -1);
    CU_ASSERT_EQUAL(e, ECONNREFUSED);
    if (fd2 >= 0)
        close(fd2);
    CU_ASSERT_EQUAL(fptk_api("PATCH", "/proxies/down", "{\"enabled\":true}"), 200);
    const char *l = strrchr(fptk_jstr(fptk_last.json, "listen"), ':');
    CU_ASSERT(l && atoi(l + 1) == port); /* the same port again */
    fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    double back = fptk_rtt_ms(fd);
    fprintf(stderr,
            "\n  measure: enabled:false cut the connection (recv %zd), refused new "
            "ones (%s); re-enabled rtt %.2f ms\n",
            r, strerror(e), back);
    CU_ASSERT(back >= 0);
    close(fd);
    fptk_del("/proxies/down");
}

/* VmRSS of the proxy in KiB. */
static long proxy_rss_kb(void)
{
    long long b = procstat_rss_bytes(fptk_proxy_pid());
    return b < 0 ? -1 : (long)(b / 1024);
}

static void test_bounded_memory(void)
{
    int port = fptk_make_proxy("bound");
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    long before = proxy_rss_kb();
    /* send 64 MiB and read nothing: the echo's answers fill the proxy's
     * downstream queue, which stops reading; the echo then blocks, stops
     * reading, and our sends stall: the proxy must not hold it all */
    char *chunk = calloc(1, 65536);
    size_t sent = 0;
    int64_t end = wclock_mono_us() + 8 * 1000000LL;
    while (sent < (64u << 20) && wclock_mono_us() < end) {
        struct pollfd p = {fd, POLLOUT, 0};
        if (poll(&p, 1, 1000) <= 0)
            break; /* stalled for a second: backpressure reached us */
        ssize_t w = send(fd, chunk, 65536, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0)
            sent += (size_t)w;
    }
    long after = proxy_rss_kb();
    fprintf(stderr,
            "\n  measure: backpressure: sends stalled after %.1f MiB; proxy RSS %ld -> "
            "%ld KiB\n",
            (double)sent / 1048576.0, before, after);
    CU_ASSERT(sent < (64u << 20));
    /* RSS says nothing under valgrind or AddressSanitizer (the same build
     * flags as the proxy's): ASan's quarantine keeps freed buffers resident */
#ifndef __SANITIZE_ADDRESS__
    if (!getenv("WSB_VALGRIND") || !*getenv("WSB_VALGRIND")) {
        CU_ASSERT(after - before < 4096);
    }
#endif
    free(chunk);
    close(fd);
    fptk_del("/proxies/bound");
}

static void test_max_connections(void)
{
    int port = fptk_make_proxy("maxc");
    int fds[65];
    int ok = 0;
    for (int i = 0; i < 64; i++) { /* the suite's proxy runs --max-connections 64 */
        fds[i] = fptk_connect(port);
        if (fds[i] >= 0 && fptk_rtt_ms(fds[i]) >= 0)
            ok++;
    }
    fds[64] = fptk_connect(port);
    char b[16];
    ssize_t r = fds[64] >= 0 ? fptk_recv_wait(fds[64], b, sizeof(b), 3000) : -1;
    fprintf(stderr, "\n  measure: --max-connections 64: %d served, the 65th closed (recv %zd)\n",
            ok, r);
    CU_ASSERT_EQUAL(ok, 64);
    CU_ASSERT(r == 0 || r == -1);
    for (int i = 0; i < 65; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    fptk_del("/proxies/maxc");
}

CU_TestInfo test_faultproxy_wire_tests[] = {
    {"passthrough: 1 MiB intact", test_passthrough},
    {"latency adds its 100 ms (-30), both streams add up", test_latency},
    {"toxicity 0 has no effect", test_toxicity_zero},
    {"bandwidth caps the rate (never 20% over it)", test_bandwidth},
    {"removing the last toxic releases what it held", test_bandwidth_release},
    {"timeout 0 is a blackhole; timeout N closes", test_blackhole},
    {"reset_peer: the client sees ECONNRESET", test_reset_peer},
    {"slicer: bytes arrive in several reads", test_slicer},
    {"limit_data: closed after N bytes", test_limit_data},
    {"slow_close delays the EOF", test_slow_close},
    {"enabled:false cuts and refuses; re-enable works", test_disable_enable},
    {"bounded memory: a full queue stops reading", test_bounded_memory},
    {"--max-connections: one more is closed at once", test_max_connections},
    CU_TEST_INFO_NULL,
};
