/* testproc: start and stop server programs for tests (see testproc.h). */
#include "testproc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 32
static testproc *procs[MAX_PROCS];
static int registered;
static char **logs;
static size_t nlogs;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The port named in a line, or 0. */
static int port_in_line(const char *line)
{
    for (const char *s = line; *s; s++) {
        if (strncasecmp(s, "port", 4))
            continue;
        const char *q = s + 4;
        while (*q && !isdigit((unsigned char)*q) && q - s < 12)
            q++;
        int v = atoi(q);
        if (v > 0 && v < 65536)
            return v;
    }
    return 0;
}

int testproc_start(testproc *p, char *const argv[], const char *log_path, int timeout_ms,
                   char *err, size_t errlen)
{
    int pfd[2];
    memset(p, 0, sizeof(*p));
    p->out_fd = -1;
    snprintf(p->log_path, sizeof(p->log_path), "%s", log_path ? log_path : "/dev/null");
    if (pipe(pfd) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    int logfd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) {
        snprintf(err, errlen, "open %s: %s", p->log_path, strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (log_path && strcmp(log_path, "/dev/null")) {
        char **nl = realloc(logs, (nlogs + 1) * sizeof(*nl));
        if (nl) {
            logs = nl;
            logs[nlogs] = strdup(log_path);
            if (logs[nlogs])
                nlogs++;
        }
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(pfd[1], 1);
        dup2(logfd, 2);
        close(pfd[0]);
        close(pfd[1]);
        execv(argv[0], argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    close(logfd);
    p->pid = pid;
    p->out_fd = pfd[0];
    if (!registered) {
        atexit(testproc_stop_all);
        registered = 1;
    }
    for (int i = 0; i < MAX_PROCS; i++)
        if (!procs[i]) {
            procs[i] = p;
            break;
        }

    char line[512];
    size_t ll = 0;
    long long deadline = mono_ms() + timeout_ms;
    while (!p->port) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            break;
        struct pollfd pf = {p->out_fd, POLLIN, 0};
        if (poll(&pf, 1, (int)left) <= 0)
            continue;
        char c;
        ssize_t r = read(p->out_fd, &c, 1);
        if (r <= 0)
            break;
        if (c == '\n' || ll == sizeof(line) - 1) {
            line[ll] = '\0';
            p->port = port_in_line(line);
            ll = 0;
        } else {
            line[ll++] = c;
        }
    }
    if (!p->port) {
        snprintf(err, errlen, "%s did not print its port within %d ms (log %s)", argv[0],
                 timeout_ms, p->log_path);
        testproc_stop(p, 1000);
        return -1;
    }
    return 0;
}

int testproc_alive(testproc *p)
{
    if (p->pid <= 0)
        return 0;
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid) {
        p->pid = 0;
        return 0;
    }
    return 1;
}

int testproc_stop(testproc *p, int timeout_ms)
{
    int status = -1;
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        long long deadline = mono_ms() + timeout_ms;
        for (;;) {
            int st;
            pid_t r = waitpid(p->pid, &st, WNOHANG);
            if (r == p->pid) {
                status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                break;
            }
            if (mono_ms() >= deadline) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, &st, 0);
                status = 128 + SIGKILL;
                break;
            }
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL); /* polling waitpid; bounded by the deadline */
        }
        p->pid = 0;
    }
    if (p->out_fd >= 0) {
        close(p->out_fd);
        p->out_fd = -1;
    }
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] == p)
            procs[i] = NULL;
    return status;
}

void testproc_stop_all(void)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i])
            testproc_stop(procs[i], 2000);
}

void testproc_remove_logs(void)
{
    for (size_t i = 0; i < nlogs; i++) {
        unlink(logs[i]);
        free(logs[i]);
    }
    free(logs);
    logs = NULL;
    nlogs = 0;
}
