/* test_procstat: CUnit tests of the /proc readers (harness/procstat.c) on
 * this process and on one that does not exist: CPU time grows with work,
 * the RSS is plausible, the parent, group and state are right, and a gone
 * pid reads -1; the network bytes of its own TCP sockets after a known
 * transfer are counted (at least the bytes, less than a page more), those of
 * a child's sockets are not (and are the child's), a closed socket leaves the
 * sum. */
#include "procstat.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testkit.h"

static void test_self(void)
{
    pid_t me = getpid();
    long long t0 = procstat_cpu_ticks(me);
    CU_ASSERT_TRUE(t0 >= 0);
    volatile double x = 0;
    long hz = sysconf(_SC_CLK_TCK);
    for (long i = 0; procstat_cpu_ticks(me) < t0 + 2 && i < 2000000000L; i++)
        x += (double)i * 0.5; /* burn two ticks of CPU */
    CU_ASSERT_TRUE(procstat_cpu_ticks(me) >= t0 + 2);
    double s = procstat_cpu_seconds(me);
    CU_ASSERT_TRUE(s >= (double)(t0 + 2) / (double)hz - 1e-9);
    long long rss = procstat_rss_bytes(me);
    CU_ASSERT_TRUE(rss > 64 * 1024 && rss < 4LL * 1024 * 1024 * 1024);
    CU_ASSERT_EQUAL(procstat_ppid(me), getppid());
    CU_ASSERT_EQUAL(procstat_pgrp(me), getpgrp());
    CU_ASSERT_EQUAL(procstat_state(me), 'R'); /* it is reading its own state */
}

static void test_gone(void)
{
    pid_t none = 0x3ffffff; /* above any pid_max */
    CU_ASSERT_EQUAL(procstat_cpu_ticks(none), -1);
    CU_ASSERT_TRUE(procstat_cpu_seconds(none) < 0);
    CU_ASSERT_EQUAL(procstat_rss_bytes(none), -1);
    CU_ASSERT_EQUAL(procstat_ppid(none), -1);
    CU_ASSERT_EQUAL(procstat_pgrp(none), -1);
    CU_ASSERT_EQUAL(procstat_state(none), 0);
}

/* ---- network bytes ---- */

#define NET_N (1000 * 1000)    /* bytes this process sends itself */
#define NET_M (3 * 1000 * 1000) /* bytes a child sends itself */
#define NET_SLACK 4096          /* what else may pass (nothing does here) */

/* A connected TCP pair on loopback: *a the client, *b the accepted end. */
static int tcp_pair(int *a, int *b)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&sa, &sl))
        return -1;
    *a = socket(AF_INET, SOCK_STREAM, 0);
    if (*a < 0 || connect(*a, (struct sockaddr *)&sa, sizeof(sa)))
        return -1;
    *b = accept(l, NULL, NULL);
    close(l);
    return *b < 0 ? -1 : 0;
}

/* Sends n bytes from a to b, reading them all at b (a second reader thread is
 * not needed: chunks of 64 KiB fit the loopback buffers). 0 when all passed. */
static int transfer(int a, int b, long n)
{
    static char buf[65536];
    memset(buf, 'x', sizeof(buf));
    long sent = 0, got = 0;
    while (got < n) {
        if (sent < n) {
            ssize_t w = write(a, buf, (size_t)(n - sent < (long)sizeof(buf) ? n - sent : (long)sizeof(buf)));
            if (w <= 0)
                return -1;
            sent += w;
        }
        while (got < sent) {
            ssize_t r = read(b, buf, sizeof(buf));
            if (r <= 0)
                return -1;
            got += r;
        }
    }
    return 0;
}

/* Waits (2 s at most) until pid's counts reach want each; the last reading. */
static int net_wait(pid_t pid, long long want, long long *rx, long long *tx)
{
    int rc = -1;
    for (int i = 0; i < 200; i++) {
        rc = procstat_net_bytes(pid, rx, tx);
        if (rc < 0 || (*rx >= want && *tx >= want))
            break;
        usleep(10000);
    }
    return rc;
}

static void test_net_bytes(void)
{
    /* a child with its own transfer of NET_M bytes, kept open while we measure */
    int go[2], ready[2];
    CU_ASSERT_FATAL(pipe(go) == 0 && pipe(ready) == 0);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        int a, b;
        char c = 0;
        close(go[1]);
        if (tcp_pair(&a, &b) == 0 && transfer(a, b, NET_M) == 0)
            c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    char ok = 0;
    CU_ASSERT_FATAL(read(ready[0], &ok, 1) == 1 && ok == 1);

    int a, b;
    long long rx0 = -1, tx0 = -1, rx = -1, tx = -1;
    CU_ASSERT_EQUAL(procstat_net_bytes(getpid(), &rx0, &tx0), 0); /* no TCP socket yet */
    CU_ASSERT_EQUAL(rx0, 0);
    CU_ASSERT_EQUAL(tx0, 0);
    CU_ASSERT_FATAL(tcp_pair(&a, &b) == 0);
    CU_ASSERT_FATAL(transfer(a, b, NET_N) == 0);
    CU_ASSERT_EQUAL(net_wait(getpid(), NET_N, &rx, &tx), 0);
    printf("\n      this process: rx %lld tx %lld after %d bytes", rx, tx, NET_N);
    CU_ASSERT(rx >= NET_N && rx < NET_N + NET_SLACK);
    CU_ASSERT(tx >= NET_N && tx < NET_N + NET_SLACK);
    /* the child's sockets are its own: its bytes are not ours, and are its */
    long long crx = -1, ctx = -1;
    CU_ASSERT_EQUAL(net_wait(child, NET_M, &crx, &ctx), 0);
    printf("\n      the child:    rx %lld tx %lld after %d bytes", crx, ctx, NET_M);
    CU_ASSERT(crx >= NET_M && crx < NET_M + NET_SLACK);
    CU_ASSERT(ctx >= NET_M && ctx < NET_M + NET_SLACK);
    /* a closed socket leaves the sum */
    close(a);
    close(b);
    CU_ASSERT_EQUAL(procstat_net_bytes(getpid(), &rx, &tx), 0);
    CU_ASSERT_EQUAL(rx, 0);
    CU_ASSERT_EQUAL(tx, 0);
    close(go[1]);
    close(ready[0]);
    int st;
    CU_ASSERT_EQUAL(waitpid(child, &st, 0), child);
    long long r = 5, t = 5;
    CU_ASSERT_EQUAL(procstat_net_bytes(0x3ffffff, &r, &t), -1); /* no such process */
    CU_ASSERT(r == 5 && t == 5);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"this process", test_self},
        {"a pid that does not exist", test_gone},
        {"network bytes of its own TCP sockets only", test_net_bytes},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"procstat", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
