/* spawn: child processes with a log, a ready line and bounded stops (see spawn.h). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wclock.h"

#define SPAWN_POLL_MS 10         /* between checks while waiting on a child or its log */
#define SPAWN_KILL_WAIT_MS 10000 /* for a child to go after SIGKILL */
#define SPAWN_EXIT_STOP_MS 2000  /* spawn_stop_all at exit */
#define SPAWN_TAIL_BYTES 400     /* of the log, in error messages */
#define SPAWN_MAX_AT_EXIT 64

/* ---- the children to stop at exit (pids, not the callers' structs) ---- */

typedef struct spawn_entry {
    pid_t pid;
    pid_t owner; /* the process that started it */
    int group;
} spawn_entry;

static spawn_entry spawn_at_exit[SPAWN_MAX_AT_EXIT];
static int spawn_at_exit_registered;

static void spawn_stop_all_at_exit(void)
{
    spawn_stop_all(SPAWN_EXIT_STOP_MS);
}

static void spawn_remember(pid_t pid, int group)
{
    if (!spawn_at_exit_registered) {
        atexit(spawn_stop_all_at_exit);
        spawn_at_exit_registered = 1;
    }
    for (int i = 0; i < SPAWN_MAX_AT_EXIT; i++)
        if (spawn_at_exit[i].pid == 0) {
            spawn_at_exit[i] = (spawn_entry){pid, getpid(), group};
            return;
        }
}

static void spawn_forget(pid_t pid)
{
    for (int i = 0; i < SPAWN_MAX_AT_EXIT; i++)
        if (spawn_at_exit[i].pid == pid)
            spawn_at_exit[i].pid = 0;
}

/* ---- reaping ---- */

/* Reaps p's child without blocking: 1 when it has ended. */
static int spawn_reap(spawn_proc *p)
{
    if (p->ended)
        return 1;
    if (p->pid <= 0)
        return 0;
    int st;
    pid_t w;
    do
        w = waitpid(p->pid, &st, WNOHANG);
    while (w < 0 && errno == EINTR);
    if (w == 0)
        return 0;
    /* w < 0: not our child any more (ECHILD, reaped elsewhere): gone, status unknown */
    spawn_forget(p->pid);
    p->status = w == p->pid ? st : -1;
    p->ended = 1;
    p->pid = 0;
    return 1;
}

int spawn_wait(spawn_proc *p, int timeout_ms)
{
    int64_t deadline = wclock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (spawn_reap(p))
            return 1;
        if (p->pid <= 0 || wclock_mono_ms() >= deadline)
            return 0;
        poll(NULL, 0, SPAWN_POLL_MS);
    }
}

int spawn_exit_code(const spawn_proc *p)
{
    if (!p->ended || p->status == -1)
        return -1;
    if (WIFEXITED(p->status))
        return WEXITSTATUS(p->status);
    if (WIFSIGNALED(p->status))
        return 128 + WTERMSIG(p->status);
    return -1;
}

void spawn_describe(int status, char *buf, size_t len)
{
    if (status != -1 && WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (status != -1 && WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "ended");
}

/* The last few hundred bytes of this start's log, lines joined with '|'. */
static void spawn_log_tail(const spawn_proc *p, char *out, size_t outlen)
{
    out[0] = 0;
    int fd = open(p->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t start = end - SPAWN_TAIL_BYTES > p->log_from ? end - SPAWN_TAIL_BYTES : p->log_from;
    if (start < 0)
        start = 0;
    ssize_t n = pread(fd, out, outlen - 1, start);
    close(fd);
    if (n < 0)
        n = 0;
    out[n] = 0;
    for (char *c = out; *c; c++)
        if (*c == '\n')
            *c = '|';
}

int spawn_ended(spawn_proc *p, const char *when, char *why, size_t whylen)
{
    if (!spawn_reap(p))
        return 0;
    if (why && whylen) {
        char how[96], tail[SPAWN_TAIL_BYTES + 8];
        spawn_describe(p->status, how, sizeof(how));
        spawn_log_tail(p, tail, sizeof(tail));
        snprintf(why, whylen, "%s %s%s%s%s%s%s", p->name, how, when ? " " : "", when ? when : "",
                 tail[0] ? " (log: " : "", tail, tail[0] ? ")" : "");
    }
    return 1;
}

/* ---- starting ---- */

/* environ with the "NAME=value" entries of env replacing or adding to it
 * (the array is malloc'd, the strings are borrowed); NULL on allocation failure. */
static char **spawn_environment(const char *const *env)
{
    size_t n = 0, k = 0;
    while (environ && environ[n])
        n++;
    while (env && env[k])
        k++;
    char **out = malloc((n + k + 1) * sizeof(*out));
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int replaced = 0;
        for (size_t j = 0; j < k && !replaced; j++) {
            const char *eq = strchr(env[j], '=');
            size_t nl = eq ? (size_t)(eq - env[j]) : strlen(env[j]);
            replaced = strncmp(environ[i], env[j], nl) == 0 && environ[i][nl] == '=';
        }
        if (!replaced)
            out[o++] = environ[i];
    }
    for (size_t j = 0; j < k; j++)
        out[o++] = (char *)env[j];
    out[o] = NULL;
    return out;
}

int spawn_start(spawn_proc *p, char *const argv[], const spawn_opts *o, char *err, size_t errlen)
{
    static const spawn_opts defaults = {0};
    if (!o)
        o = &defaults;
    memset(p, 0, sizeof(*p));
    p->out_fd = -1;
    p->own_group = o->own_group;
    const char *base = strrchr(argv[0], '/');
    snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : argv[0]);
    snprintf(p->log_path, sizeof(p->log_path), "%s", o->log_path ? o->log_path : "/dev/null");

    int logfd = open(p->log_path,
                     O_WRONLY | O_CREAT | O_CLOEXEC | (o->log_truncate ? O_TRUNC : O_APPEND), 0666);
    if (logfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", p->log_path, strerror(errno));
        return -1;
    }
    if (!o->log_truncate) {
        off_t end = lseek(logfd, 0, SEEK_END);
        p->log_from = end > 0 ? end : 0;
    }
    p->log_pos = p->log_from;
    int pfd[2] = {-1, -1};
    if (!o->stdout_to_log && pipe2(pfd, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(logfd);
        return -1;
    }
    char **envp = spawn_environment(o->env);
    if (!envp) {
        snprintf(err, errlen, "out of memory");
        close(logfd);
        if (pfd[0] >= 0) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        free(envp);
        close(logfd);
        if (pfd[0] >= 0) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return -1;
    }
    if (pid == 0) {
        if (o->own_group)
            setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* the parent died before prctl */
            _exit(127);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        dup2(o->stdout_to_log ? logfd : pfd[1], STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                sigaction(sig, &dfl, NULL);
        execve(argv[0], argv, envp);
        dprintf(STDERR_FILENO, "%s: cannot execute %s: %s\n", program_invocation_short_name,
                argv[0], strerror(errno));
        _exit(127);
    }
    if (o->own_group)
        setpgid(pid, pid); /* also here: no signal can miss the group */
    free(envp);
    close(logfd);
    if (pfd[1] >= 0)
        close(pfd[1]);
    p->out_fd = pfd[0];
    p->pid = pid;
    if (o->stop_at_exit)
        spawn_remember(pid, o->own_group);
    return 0;
}

/* ---- reading lines ---- */

/* Splits the next line off p->buf into p->line: 1, or 0 when no whole line
 * is buffered (a full buffer counts as one line). */
static int spawn_next_line(spawn_proc *p)
{
    char *nl = memchr(p->buf, '\n', p->blen);
    size_t n;
    if (nl)
        n = (size_t)(nl - p->buf);
    else if (p->blen == sizeof(p->buf))
        n = p->blen;
    else
        return 0;
    size_t keep = n < sizeof(p->line) ? n : sizeof(p->line) - 1; /* longer lines are cut */
    memcpy(p->line, p->buf, keep);
    p->line[keep] = 0;
    size_t used = nl ? n + 1 : n;
    memmove(p->buf, p->buf + used, p->blen - used);
    p->blen -= used;
    return 1;
}

/* Appends what the child wrote since the last call (pipe or log) to p->buf,
 * waiting up to wait_ms for it on a pipe: >0 bytes read, 0 nothing yet, -1
 * at the end of the output. */
static int spawn_read_more(spawn_proc *p, int wait_ms)
{
    size_t room = sizeof(p->buf) - p->blen;
    if (p->out_fd >= 0) {
        struct pollfd pf = {p->out_fd, POLLIN, 0};
        int r = poll(&pf, 1, wait_ms);
        if (r < 0 && errno == EINTR)
            return 0;
        if (r <= 0)
            return r < 0 ? -1 : 0;
        ssize_t got = read(p->out_fd, p->buf + p->blen, room);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            return 0;
        if (got <= 0)
            return -1;
        p->blen += (size_t)got;
        return (int)got;
    }
    /* the log: reaped first, so a child that has ended has written its last lines */
    int ended = spawn_reap(p);
    int fd = open(p->log_path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? pread(fd, p->buf + p->blen, room, p->log_pos) : -1;
    if (fd >= 0)
        close(fd);
    if (got > 0) {
        p->blen += (size_t)got;
        p->log_pos += got;
        return (int)got;
    }
    if (ended || p->pid <= 0)
        return -1; /* nobody writes any more */
    poll(NULL, 0, wait_ms < SPAWN_POLL_MS ? wait_ms : SPAWN_POLL_MS);
    return 0;
}

/* 1 found, 0 timeout, -1 the output or the child ended first. */
static int spawn_find_line(spawn_proc *p, const char *want, int timeout_ms)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    for (;;) {
        while (spawn_next_line(p))
            if (strstr(p->line, want))
                return 1;
        int64_t left = deadline - wclock_mono_ms();
        if (left <= 0)
            return 0;
        int r = spawn_read_more(p, (int)left);
        if (r < 0) {
            while (spawn_next_line(p))
                if (strstr(p->line, want))
                    return 1;
            return -1;
        }
    }
}

int spawn_wait_line(spawn_proc *p, const char *want, int timeout_ms)
{
    return spawn_find_line(p, want, timeout_ms) == 1;
}

int spawn_wait_port(spawn_proc *p, const char *prefix, int timeout_ms, char *err, size_t errlen)
{
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - wclock_mono_ms();
        int r = spawn_find_line(p, prefix, left > 0 ? (int)left : 0);
        if (r == 1) {
            const char *s = strstr(p->line, prefix) + strlen(prefix);
            char *end;
            long v = strtol(s, &end, 10);
            if (end != s && v > 0 && v <= 65535 && (*end == 0 || *end == '\r'))
                return p->port = (int)v;
            continue; /* not a port after all: the next line */
        }
        if (r < 0) {
            /* the output ended: the child is on its way out */
            left = deadline - wclock_mono_ms();
            spawn_wait(p, left > 0 ? (int)left : 0);
        }
        if (spawn_ended(p, "at start-up", err, errlen))
            return -1;
        if (r < 0)
            snprintf(err, errlen, "%s closed its output without a \"%sN\" line (see %s)", p->name,
                     prefix, p->log_path);
        else
            snprintf(err, errlen, "%s printed no \"%sN\" line within %d ms (see %s)", p->name,
                     prefix, timeout_ms, p->log_path);
        return -1;
    }
}

/* ---- signals and stopping ---- */

int spawn_signal(spawn_proc *p, int sig)
{
    if (p->pid <= 0 || p->ended) {
        errno = ESRCH;
        return -1;
    }
    return kill(p->own_group ? -p->pid : p->pid, sig);
}

int spawn_stop(spawn_proc *p, int sig, int timeout_ms)
{
    int in_time = 0;
    pid_t pid = p->pid;
    if (pid > 0 && !p->ended) {
        if (sig > 0) {
            spawn_signal(p, sig);
            if (sig != SIGKILL && sig != SIGCONT)
                spawn_signal(p, SIGCONT); /* a paused child must run to act on sig */
        }
        in_time = spawn_wait(p, timeout_ms);
        if (!in_time) {
            spawn_signal(p, SIGKILL);
            spawn_wait(p, SPAWN_KILL_WAIT_MS);
        }
        if (p->own_group)
            kill(-pid, SIGKILL); /* anything left in its group */
    } else {
        in_time = p->ended;
    }
    if (p->out_fd >= 0) {
        close(p->out_fd);
        p->out_fd = -1;
    }
    return in_time ? spawn_exit_code(p) : -1;
}

void spawn_stop_all(int timeout_ms)
{
    pid_t me = getpid();
    int left = 0;
    for (int i = 0; i < SPAWN_MAX_AT_EXIT; i++) {
        spawn_entry *e = &spawn_at_exit[i];
        if (e->pid <= 0 || e->owner != me)
            continue;
        kill(e->group ? -e->pid : e->pid, SIGTERM);
        kill(e->group ? -e->pid : e->pid, SIGCONT);
        left++;
    }
    int64_t deadline = wclock_mono_ms() + timeout_ms;
    while (left > 0) {
        int kill_now = wclock_mono_ms() >= deadline;
        left = 0;
        for (int i = 0; i < SPAWN_MAX_AT_EXIT; i++) {
            spawn_entry *e = &spawn_at_exit[i];
            if (e->pid <= 0 || e->owner != me)
                continue;
            pid_t w = waitpid(e->pid, NULL, WNOHANG);
            if (w == 0 && kill_now) {
                kill(e->group ? -e->pid : e->pid, SIGKILL);
                w = waitpid(e->pid, NULL, 0); /* SIGKILL cannot be refused */
            }
            if (w != 0) /* reaped, or not ours any more */
                e->pid = 0;
            else
                left++;
        }
        if (left)
            poll(NULL, 0, SPAWN_POLL_MS);
    }
}
