/* bot_testkit: helpers shared by the bot's integration tests and its bench
 * (see bot_testkit.h): child processes with stdout on a pipe, a plain-socket
 * HTTP GET, and a small blocking RFC 6455 client for the subscriber side.
 * No lws here, so the bot is judged by code that shares nothing with it. */
#include "bot_testkit.h"
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

#define MAX_CHILDREN 16

static bot_testkit_child *children[MAX_CHILDREN];

const char *bot_testkit_bin_path(const char *prog, char *buf, size_t cap)
{
    const char *b = getenv("BUILD");
    snprintf(buf, cap, "%s/bin/%s", b && *b ? b : "build", prog);
    return buf;
}

static void bot_testkit_kill_all_children(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] && children[i]->pid > 0) {
            kill(children[i]->pid, SIGKILL);
            waitpid(children[i]->pid, NULL, 0);
            children[i]->pid = -1;
        }
}

/* Starts argv with stdout on a pipe and stderr appended to log. */
int bot_testkit_child_start(bot_testkit_child *c, char *const argv[], const char *log)
{
    static int registered;
    if (!registered) {
        atexit(bot_testkit_kill_all_children);
        registered = 1;
    }
    memset(c, 0, sizeof(*c));
    int pfd[2];
    if (pipe(pfd))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        setenv("LOG_LEVEL", "info", 1);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    c->pid = pid;
    c->out = pfd[0];
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (!children[i] || children[i]->pid <= 0) {
            children[i] = c;
            break;
        }
    return 0;
}

/* Reads stdout lines until one contains want (copied to c->line): 1, or 0
 * on timeout/EOF. */
int bot_testkit_child_wait_line(bot_testkit_child *c, const char *want, int timeout_ms)
{
    int64_t end = wclock_mono_ms() + timeout_ms;
    for (;;) {
        char *nl;
        while ((nl = memchr(c->buf, '\n', c->blen))) {
            size_t n = (size_t)(nl - c->buf);
            snprintf(c->line, sizeof(c->line), "%.*s", (int)n, c->buf);
            memmove(c->buf, nl + 1, c->blen - n - 1);
            c->blen -= n + 1;
            if (strstr(c->line, want))
                return 1;
        }
        int64_t left = end - wclock_mono_ms();
        if (left <= 0 || c->blen == sizeof(c->buf))
            return 0;
        struct pollfd p = {c->out, POLLIN, 0};
        if (poll(&p, 1, (int)left) <= 0)
            return 0;
        ssize_t r = read(c->out, c->buf + c->blen, sizeof(c->buf) - c->blen);
        if (r <= 0)
            return 0;
        c->blen += (size_t)r;
    }
}

int bot_testkit_child_port(bot_testkit_child *c, const char *prefix, int timeout_ms)
{
    if (!bot_testkit_child_wait_line(c, prefix, timeout_ms))
        return -1;
    const char *p = strstr(c->line, prefix) + strlen(prefix);
    return atoi(p);
}

/* Waits for the bot_testkit_child to exit: its exit status, -2 on timeout (then killed). */
int bot_testkit_child_wait_exit(bot_testkit_child *c, int timeout_ms)
{
    int64_t end = wclock_mono_ms() + timeout_ms;
    int st;
    while (wclock_mono_ms() < end) {
        pid_t r = waitpid(c->pid, &st, WNOHANG);
        if (r == c->pid) {
            c->pid = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        wclock_sleep_ms(20);
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    c->pid = -1;
    return -2;
}

void bot_testkit_child_kill(bot_testkit_child *c, int sig)
{
    if (c->pid > 0) {
        kill(c->pid, sig);
        if (sig == SIGKILL) {
            waitpid(c->pid, NULL, 0);
            c->pid = -1;
        }
    }
    if (c->pid <= 0 && c->out > 0) {
        close(c->out);
        c->out = -1;
    }
}

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

int bot_testkit_start_dashboard(bot_testkit_child *d, int port, const char *journal,
                                const char *log)
{
    char bin[256], portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    char *argv[12];
    int a = 0;
    argv[a++] = (char *)bot_testkit_bin_path("wsb-dashboard", bin, sizeof(bin));
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
    if (bot_testkit_child_start(d, argv, log))
        return -1;
    return bot_testkit_child_port(d, "listening on port ", 10000);
}

/* Starts the bot with extra flags (NULL-terminated); returns its status port. */
int bot_testkit_start_bot(bot_testkit_child *b, int dash_port, const char *log,
                          const char *const *extra)
{
    char bin[256], url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", dash_port);
    char *argv[48];
    int a = 0;
    argv[a++] = (char *)bot_testkit_bin_path("wsb-bot", bin, sizeof(bin));
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
    if (bot_testkit_child_start(b, argv, log))
        return -1;
    return bot_testkit_child_port(b, "status on port ", 5000);
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
