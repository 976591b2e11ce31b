/* bot_testkit: helpers shared by the bot's integration tests and its bench
 * (see bot_testkit.h): the mocks started through spawn, a plain-socket
 * HTTP GET, and a small blocking RFC 6455 client for the subscriber side.
 * No lws here, so the bot is judged by code that shares nothing with it. */
#include "bot_testkit.h"
#include "testkit.h"
#include "testws.h"
#include "wclock.h"
#include "wjson.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int bot_testkit_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
        getsockname(fd, (struct sockaddr *)&a, &l)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

int bot_testkit_tcp_connect(int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* GET http://127.0.0.1:port/path and parse the JSON body of a 200 (NULL otherwise). */
cJSON *bot_testkit_http_json(int port, const char *path)
{
    char *body = NULL;
    cJSON *j = NULL;
    if (testws_http_get(port, path, &body, 3000) == 200 && body)
        j = cJSON_Parse(body);
    free(body);
    return j;
}

/* Polls the bot's /status until field >= min; returns the last value. */
int64_t bot_testkit_wait_status(int port, const char *field, int64_t min, int timeout_ms)
{
    int64_t end = wclock_mono_ms() + timeout_ms, v = -1;
    while (wclock_mono_ms() < end) {
        cJSON *j = bot_testkit_http_json(port, "/status");
        if (j) {
            v = wjson_int(j, field, -1);
            cJSON_Delete(j);
            if (v >= min)
                return v;
        }
        wclock_sleep_ms(50);
    }
    return v;
}

/* ---- the subscriber side: testws, the tests' RFC 6455 client ---- */

bot_testkit_ws *bot_testkit_ws_open(int port, const char *path, const char *token)
{
    int status = 0;
    char err[256];
    return testws_connect(port, path, token, 3000, &status, err, sizeof(err));
}

int bot_testkit_ws_send(bot_testkit_ws *w, int opcode, const char *p, size_t n)
{
    return testws_send_frame(w, opcode, 1, p, n);
}

void bot_testkit_ws_close(bot_testkit_ws *w)
{
    testws_close(w);
}

/* Next text message within timeout_ms (NUL-terminated, valid until the next
 * call): 1, 0 on timeout, -1 on close/error. testws answers pings; other
 * non-text frames are skipped. */
int bot_testkit_ws_recv(bot_testkit_ws *w, int timeout_ms, char **out)
{
    int64_t end = wclock_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = end - wclock_mono_ms();
        int op = 0;
        size_t len = 0;
        int r = testws_recv(w, left > 0 ? (int)left : 0, &op, out, &len);
        if (r <= 0)
            return r;
        if (op == TESTWS_OP_TEXT)
            return 1;
        if (op == TESTWS_OP_CLOSE)
            return -1;
    }
}

/* ---- starting the pieces ---- */

/* Starts argv with stdout on a pipe, stderr appended to log and LOG_LEVEL=info,
 * and waits for "<prefix>N": N, or -1 with the reason on stderr. */
static int bot_testkit_start(spawn_proc *c, char *const argv[], const char *log,
                             const char *prefix, int timeout_ms)
{
    static const char *const env[] = {"LOG_LEVEL=info", NULL};
    spawn_opts o = {.log_path = log, .stop_at_exit = 1, .env = env};
    char err[600];
    if (spawn_start(c, argv, &o, err, sizeof(err)) < 0 ||
        spawn_wait_port(c, prefix, timeout_ms, err, sizeof(err)) < 0) {
        fprintf(stderr, "bot_testkit: %s\n", err);
        return -1;
    }
    return c->port;
}

int bot_testkit_start_dashboard(spawn_proc *d, int port, const char *journal, const char *log)
{
    char bin[256], portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    char *argv[12];
    int a = 0;
    argv[a++] = testkit_bin_path("wsb-dashboard", bin, sizeof(bin));
    argv[a++] = "--port";
    argv[a++] = portbuf;
    argv[a++] = "--jwt-secret";
    argv[a++] = BOT_TESTKIT_SECRET;
    argv[a++] = "--host";
    argv[a++] = "127.0.0.1";
    if (journal) {
        argv[a++] = "--journal";
        argv[a++] = (char *)journal;
    }
    argv[a] = NULL;
    return bot_testkit_start(d, argv, log, "listening on port ", 10000);
}

/* Starts the bot with extra flags (NULL-terminated); returns its status port. */
int bot_testkit_start_bot(spawn_proc *b, int dash_port, const char *log,
                          const char *const *extra)
{
    char bin[256], url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", dash_port);
    char *argv[48];
    int a = 0;
    argv[a++] = testkit_bin_path("wsb-bot", bin, sizeof(bin));
    const char *base[] = {"--url",
                          url,
                          "--jwt-secret",
                          BOT_TESTKIT_SECRET,
                          "--status-port",
                          "0",
                          "--retry-delay",
                          "0.1",
                          "--ping-interval",
                          "0.5",
                          "--pong-timeout",
                          "1",
                          "--symbols",
                          "BTC-USD,ETH-USD",
                          NULL};
    for (int i = 0; base[i]; i++)
        argv[a++] = (char *)base[i];
    for (int i = 0; extra && extra[i] && a < 46; i++)
        argv[a++] = (char *)extra[i];
    argv[a] = NULL;
    return bot_testkit_start(b, argv, log, "status on port ", 5000);
}

void bot_testkit_log_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "/tmp/test-bot-%d-%s.log", (int)getpid(), name);
}

/* Parses "key=value" from the bot's summary line. */
long long bot_testkit_summary_field(const char *line, const char *key)
{
    char k[48];
    snprintf(k, sizeof(k), " %s=", key);
    const char *p = strstr(line, k);
    return p ? atoll(p + strlen(k)) : -1;
}
