/* fptk: what wsb-faultproxy's tests share (see fptk.h). */
#include "fptk.h"

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

#define MAX_ECHO_THREADS 512

static spawn_proc proxy;
static int echo_port;
static int echo_listen_fd = -1;
static pthread_t echo_thread;
static pthread_t conn_threads[MAX_ECHO_THREADS];
static int nconn_threads;
static pthread_mutex_t echo_mu = PTHREAD_MUTEX_INITIALIZER;
static char upstream[64];

int fptk_proxy_pid(void)
{
    return (int)proxy.pid;
}

const char *fptk_upstream(void)
{
    return upstream;
}

/* Time in these tests: a toxic cannot act before its time, so a lower bound
 * is exact (loosened only under valgrind, which delays this program's threads
 * by tens of milliseconds). An upper bound only has to tell the toxic's
 * behaviour from the alternative (no toxic, the old rate, this test's own
 * fallback wait), so it sits about halfway to that alternative: a loaded
 * machine slows everything, but does not make a 300 ms close look like the
 * 3 s wait. */
double fptk_slack_ms(void)
{
    const char *v = getenv("WSB_VALGRIND");
    return v && *v ? 60.0 : 0.0;
}

/* ---- the upstream: an echo server, a thread per connection ---- */

static void *echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
            if (w <= 0)
                goto done;
            off += w;
        }
    }
done:
    close(fd); /* an EOF from the client closes the whole echo connection */
    return NULL;
}

static void *echo_main(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(echo_listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL; /* the listener was shut down */
        pthread_mutex_lock(&echo_mu);
        if (nconn_threads < MAX_ECHO_THREADS &&
            pthread_create(&conn_threads[nconn_threads], NULL, echo_conn, (void *)(intptr_t)fd) ==
                0)
            nconn_threads++;
        else
            close(fd);
        pthread_mutex_unlock(&echo_mu);
    }
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 64) ||
        getsockname(fd, (struct sockaddr *)&a, &al))
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- sockets with deadlines ---- */

int fptk_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {FPTK_IO_TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* One recv within timeout_ms: >0 bytes, 0 EOF, -1 error (errno), -2 timeout. */
ssize_t fptk_recv_wait(int fd, void *buf, size_t cap, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r == 0)
        return -2;
    if (r < 0)
        return -1;
    return recv(fd, buf, cap, MSG_DONTWAIT);
}

/* Receives exactly n bytes before the deadline; the count received. */
size_t fptk_recv_n(int fd, char *buf, size_t n, int timeout_ms)
{
    int64_t end = wclock_mono_us() + (int64_t)timeout_ms * 1000;
    size_t got = 0;
    while (got < n) {
        int left = (int)((end - wclock_mono_us()) / 1000);
        if (left <= 0)
            break;
        ssize_t r = fptk_recv_wait(fd, buf + got, n - got, left);
        if (r <= 0 && r != -2)
            break;
        if (r > 0)
            got += (size_t)r;
    }
    return got;
}

int fptk_send_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Round trip of a small message through fd, in ms; -1 on failure. */
double fptk_rtt_ms(int fd)
{
    char msg[16] = "ping-0123456789", back[16];
    int64_t t0 = wclock_mono_us();
    if (fptk_send_all(fd, msg, sizeof(msg)) ||
        fptk_recv_n(fd, back, sizeof(back), FPTK_IO_TIMEOUT_MS) != 16 || memcmp(msg, back, 16))
        return -1;
    return (double)(wclock_mono_us() - t0) / 1000.0;
}

double fptk_median_rtt(int fd, int n)
{
    double v[16];
    for (int i = 0; i < n; i++)
        v[i] = fptk_rtt_ms(fd);
    for (int i = 0; i < n; i++) /* tiny sort */
        for (int j = i + 1; j < n; j++)
            if (v[j] < v[i]) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    return v[n / 2];
}

/* ---- the API over raw HTTP ---- */

fptk_reply fptk_last; /* the last answer (one test thread) */

int fptk_api(const char *method, const char *path, const char *body)
{
    cJSON_Delete(fptk_last.json);
    memset(&fptk_last, 0, sizeof(fptk_last));
    int fd = fptk_connect(proxy.port);
    if (fd < 0)
        return -1;
    char req[8192];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     method, path, blen, body ? body : "");
    static char resp[70000];
    size_t got = 0;
    if (fptk_send_all(fd, req, (size_t)n) == 0) {
        int64_t end = wclock_mono_us() + FPTK_IO_TIMEOUT_MS * 1000LL;
        while (got < sizeof(resp) - 1 && wclock_mono_us() < end) {
            ssize_t r = fptk_recv_wait(fd, resp + got, sizeof(resp) - 1 - got,
                                       (int)((end - wclock_mono_us()) / 1000) + 1);
            if (r <= 0 && r != -2)
                break;
            if (r > 0)
                got += (size_t)r;
        }
    }
    close(fd);
    resp[got] = '\0';
    if (sscanf(resp, "HTTP/1.1 %d", &fptk_last.status) != 1)
        return -1;
    char *b = strstr(resp, "\r\n\r\n");
    if (b) {
        snprintf(fptk_last.body, sizeof(fptk_last.body), "%s", b + 4);
        char err[128];
        if (fptk_last.body[0])
            fptk_last.json =
                wjson_parse(fptk_last.body, strlen(fptk_last.body), 32, err, sizeof(err));
    }
    return fptk_last.status;
}

const char *fptk_jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

double fptk_jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The error answer has Toxiproxy's shape, the expected status and text. */
void fptk_expect_error(int status, const char *contains)
{
    CU_ASSERT_EQUAL(fptk_last.status, status);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fptk_last.json);
    CU_ASSERT_EQUAL((int)fptk_jnum(fptk_last.json, "status"), status);
    if (!strstr(fptk_jstr(fptk_last.json, "error"), contains))
        fprintf(stderr, "\n  expected \"%s\" in %s\n", contains, fptk_last.body);
    CU_ASSERT_PTR_NOT_NULL(strstr(fptk_jstr(fptk_last.json, "error"), contains));
}

/* Creates proxy name -> the echo server; returns its listening port. */
int fptk_make_proxy(const char *name)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"%s\"}",
             name, upstream);
    if (fptk_api("POST", "/proxies", body) != 201 || !fptk_last.json)
        return -1;
    const char *l = strrchr(fptk_jstr(fptk_last.json, "listen"), ':');
    return l ? atoi(l + 1) : -1;
}

int fptk_add_toxic(const char *proxy_name, const char *json)
{
    char path[256];
    snprintf(path, sizeof(path), "/proxies/%s/toxics", proxy_name);
    return fptk_api("POST", path, json);
}

int fptk_del(const char *path)
{
    return fptk_api("DELETE", path, NULL);
}

/* ---- suite setup ---- */

static void echo_stop(void)
{
    shutdown(echo_listen_fd, SHUT_RDWR);
    pthread_join(echo_thread, NULL);
    close(echo_listen_fd);
    echo_listen_fd = -1;
    for (int i = 0; i < nconn_threads; i++)
        pthread_join(conn_threads[i], NULL);
    nconn_threads = 0;
}

/* valgrind's path, found on PATH (spawn_start execs a path, not a name). */
static const char *valgrind_path(char *buf, size_t cap)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
    for (char *d = strtok(dirs, ":"); d; d = strtok(NULL, ":")) {
        snprintf(buf, cap, "%s/valgrind", d);
        if (access(buf, X_OK) == 0)
            return buf;
    }
    return "/usr/bin/valgrind";
}

/* Each suite's proxy logs to a file of its own in the build folder, so that
 * the second suite's start does not empty the first one's log, and test
 * programs of two checkouts never write one file. */
static char proxy_log[600];
static int proxy_runs;

int fptk_init(void)
{
    echo_listen_fd = listen_loopback(&echo_port);
    if (echo_listen_fd < 0 || pthread_create(&echo_thread, NULL, echo_main, NULL))
        return 1;
    snprintf(upstream, sizeof(upstream), "127.0.0.1:%d", echo_port);
    char bin[512];
    testkit_bin_path("wsb-faultproxy", bin, sizeof(bin));
    const char *vg = getenv("WSB_VALGRIND");
    char *argv_plain[] = {bin,  "--port",      "0",     "--seed", "7", "--max-connections",
                          "64", "--log-level", "debug", NULL};
    char vgbin[512];
    char *argv_vg[] = {(char *)valgrind_path(vgbin, sizeof(vgbin)),
                       "-q",
                       "--error-exitcode=99",
                       "--leak-check=full",
                       "--errors-for-leak-kinds=definite",
                       bin,
                       "--port",
                       "0",
                       "--seed",
                       "7",
                       "--max-connections",
                       "64",
                       "--log-level",
                       "debug",
                       NULL};
    char err[256];
    snprintf(proxy_log, sizeof(proxy_log), "%s/test-faultproxy-%d.log", testkit_build_dir(),
             ++proxy_runs);
    if (testkit_start_server(&proxy, vg && *vg ? argv_vg : argv_plain, proxy_log,
                             "listening on port ", vg && *vg ? 30000 : 5000, err,
                             sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        echo_stop();
        return 1;
    }
    return 0;
}

int fptk_clean(void)
{
    cJSON_Delete(fptk_last.json);
    fptk_last.json = NULL;
    pid_t pid = proxy.pid;
    spawn_signal(&proxy, SIGTERM);
    if (!spawn_wait(&proxy, 10000)) {
        /* where it hangs: its state and kernel wait channel, before the kill */
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "grep -h State /proc/%d/status; cat /proc/%d/wchan; echo",
                 (int)pid, (int)pid);
        fprintf(stderr, "wsb-faultproxy (pid %d) still running 10 s after SIGTERM:\n", (int)pid);
        if (system(cmd) != 0)
            fprintf(stderr, "(no /proc entry)\n");
    }
    int st = spawn_stop(&proxy, SIGTERM, 1000); /* SIGTERM: a clean stop is exit 0 */
    if (st != 0) {
        fprintf(stderr, "wsb-faultproxy %s after SIGTERM; the end of its log %s:\n",
                st < 0 ? "did not exit within 11 s" : "exited non-zero", proxy_log);
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "tail -n 15 '%s' >&2", proxy_log);
        if (system(cmd) != 0)
            fprintf(stderr, "(could not read it)\n");
    }
    echo_stop();
    return st != 0;
}
