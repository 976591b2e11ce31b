/* env_native: the native environment driver (envdriver_native_new).
 *
 * Starts wsb-dashboard and wsb-bot from bin_dir as child processes on
 * 127.0.0.1, each in its own process group and with PR_SET_PDEATHSIG, so a
 * dying harness takes them along. Their stdout and stderr are appended to
 * <results>/services/<name>.log; the first start uses port 0 and reads the
 * chosen port from the line the service prints there ("listening on port N",
 * "status on port N"); a restart passes the same port again, so URLs never
 * change. The dashboard's journal is <results>/services/dashboard.journal,
 * kept across restarts. Faults are signals to the process group (SIGSTOP and
 * SIGCONT pause); stats come from /proc. The JWT secret reaches both through
 * DASHBOARD_JWT_SECRET and WSB_JWT_SECRET, not argv (ps shows argv). destroy
 * stops everything (SIGTERM, then SIGKILL after a bound). Network partitions
 * need the fault proxy and are not offered here. */
#include "envdriver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procstat.h"
#include "results.h"
#include "wlog.h"

#define NATIVE_PORT_WAIT_MS 10000
#define NATIVE_HEALTH_WAIT_MS 10000
#define NATIVE_EXIT_WAIT_MS 10000
#define NATIVE_DESTROY_STOP_MS 5000

typedef struct native_svc {
    const char *prog;      /* wsb-dashboard | wsb-bot */
    const char *port_line; /* "listening on port " | "status on port " */
    int present;           /* the binary exists */
    pid_t pid;             /* 0: not running */
    int port;              /* 0 until first chosen */
    char log_path[PATH_MAX];
    double cpu_last; /* seconds of CPU at the last stats sample */
    double wall_last;
    int have_sample;
} native_svc;

typedef struct native_impl {
    native_svc svc[ENV_NUM_SERVICES];
    char secret[256];
    char journal[PATH_MAX];
    char bin_dir[PATH_MAX];
    char schemas[PATH_MAX];
    char source[128];
} native_impl;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void append_log(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append_log(const char *path, const char *fmt, ...)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0)
        return;
    char ts[40], buf[1024];
    results_iso_now(ts, sizeof(ts));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    dprintf(fd, "=== %s wsb-harness: %s ===\n", ts, buf);
    close(fd);
}

/* The last few lines of a log after offset, for error messages. */
static void log_tail(const char *path, off_t from, char *out, size_t outlen)
{
    out[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t start = end - 400 > from ? end - 400 : from;
    if (start < 0)
        start = 0;
    ssize_t n = pread(fd, out, outlen - 1, start);
    close(fd);
    if (n < 0)
        n = 0;
    out[n] = 0;
    for (char *p = out; *p; p++)
        if (*p == '\n')
            *p = '|';
}

/* Reaps pid if it has exited: 1 exited (status set), 0 still running. */
static int reap(pid_t pid, int *status)
{
    pid_t w;
    do
        w = waitpid(pid, status, WNOHANG);
    while (w < 0 && errno == EINTR);
    if (w == pid)
        return 1;
    if (w < 0) /* not our child any more (ECHILD): treat as gone */
        return 1;
    return 0;
}

/* Waits up to ms for pid to exit; 1 when it did. */
static int wait_exit(pid_t pid, int ms, int *status)
{
    double deadline = now_s() + ms / 1000.0;
    for (;;) {
        if (reap(pid, status))
            return 1;
        if (now_s() >= deadline)
            return 0;
        poll(NULL, 0, 10);
    }
}

static void describe_exit(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "ended");
}

/* Looks for "<prefix>N" in the log after offset. 1 found, 0 not yet. */
static int find_port_line(const char *path, off_t from, const char *prefix, int *port)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[16384];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strstr(buf, prefix);
    if (!p)
        return 0;
    p += strlen(prefix);
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v <= 0 || v > 65535 || (*end != '\n' && *end != '\r'))
        return 0; /* the line is not complete yet */
    *port = (int)v;
    return 1;
}

static void set_urls(envdriver *d)
{
    native_impl *im = d->impl;
    if (im->svc[ENV_DASHBOARD].port) {
        snprintf(d->dashboard_url, sizeof(d->dashboard_url), "ws://127.0.0.1:%d",
                 im->svc[ENV_DASHBOARD].port);
        snprintf(d->dashboard_http, sizeof(d->dashboard_http), "http://127.0.0.1:%d",
                 im->svc[ENV_DASHBOARD].port);
    }
    if (im->svc[ENV_BOT].port)
        snprintf(d->bot_status_url, sizeof(d->bot_status_url), "http://127.0.0.1:%d",
                 im->svc[ENV_BOT].port);
}

/* argv for a service (static storage in *store). */
typedef struct argv_store {
    char *argv[40];
    int argc;
    char bufs[16][PATH_MAX];
    int nbufs;
} argv_store;

static void arg(argv_store *a, const char *s)
{
    if (a->argc < 38)
        a->argv[a->argc++] = (char *)s;
    a->argv[a->argc] = NULL;
}

static const char *argf(argv_store *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *argf(argv_store *a, const char *fmt, ...)
{
    if (a->nbufs >= 16)
        return "";
    char *b = a->bufs[a->nbufs++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, PATH_MAX, fmt, ap);
    va_end(ap);
    return b;
}

static void build_argv(envdriver *d, env_service s, argv_store *a)
{
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    memset(a, 0, sizeof(*a));
    arg(a, argf(a, "%s/%s", im->bin_dir, sv->prog));
    if (s == ENV_DASHBOARD) {
        arg(a, "--host");
        arg(a, "127.0.0.1");
        arg(a, "--port");
        arg(a, argf(a, "%d", sv->port));
        arg(a, "--journal");
        arg(a, im->journal);
        arg(a, "--schemas");
        arg(a, im->schemas);
        if (d->cfg.history_size > 0) {
            arg(a, "--history");
            arg(a, argf(a, "%d", d->cfg.history_size));
        }
    } else {
        arg(a, "--url");
        arg(a, argf(a, "ws://127.0.0.1:%d/ws", im->svc[ENV_DASHBOARD].port));
        arg(a, "--source");
        arg(a, im->source);
        arg(a, "--status-port");
        arg(a, argf(a, "%d", sv->port));
        if (d->cfg.bot_rate > 0) {
            arg(a, "--rate");
            arg(a, argf(a, "%g", d->cfg.bot_rate));
        }
        if (d->cfg.bot_queue_size > 0) {
            arg(a, "--queue-size");
            arg(a, argf(a, "%d", d->cfg.bot_queue_size));
        }
        /* quick reconnects and frequent heartbeats unless the user chose */
        if (!getenv("SYSTEM__WEBSOCKET_RETRY_DELAY")) {
            arg(a, "--retry-delay");
            arg(a, "0.2");
        }
        if (!getenv("TEST_MODE")) {
            arg(a, "--test-mode");
            arg(a, "true");
        }
    }
}

static int native_start(envdriver *d, env_service s, char *err, size_t errlen)
{
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    if (s == ENV_PROXY || !sv->present) {
        snprintf(err, errlen, "%s: not available in the native environment (no %s in %s)",
                 envdriver_service_name(s), sv->prog ? sv->prog : "binary", im->bin_dir);
        return -1;
    }
    int status;
    if (sv->pid > 0) {
        /* a previous instance that was signalled may still be on its way out */
        if (!wait_exit(sv->pid, NATIVE_EXIT_WAIT_MS, &status)) {
            snprintf(err, errlen, "%s is already running (pid %d)", sv->prog, (int)sv->pid);
            return -1;
        }
        sv->pid = 0;
    }
    if (s == ENV_BOT && im->svc[ENV_DASHBOARD].port == 0) {
        snprintf(err, errlen, "the bot needs the dashboard's port: start the dashboard first");
        return -1;
    }
    argv_store a;
    build_argv(d, s, &a);
    char cmd[1024];
    size_t co = 0;
    for (int i = 0; i < a.argc && co < sizeof(cmd); i++)
        co += (size_t)snprintf(cmd + co, sizeof(cmd) - co, "%s%s", i ? " " : "", a.argv[i]);
    append_log(sv->log_path, "starting %s", cmd);
    int logfd = open(sv->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (logfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", sv->log_path, strerror(errno));
        return -1;
    }
    off_t from = lseek(logfd, 0, SEEK_END);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        dup2(logfd, STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < 32; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        /* the secret through the environment keeps it out of ps */
        setenv("DASHBOARD_JWT_SECRET", im->secret, 1);
        setenv("WSB_JWT_SECRET", im->secret, 1);
        execv(a.argv[0], a.argv);
        dprintf(STDERR_FILENO, "wsb-harness: cannot execute %s: %s\n", a.argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(logfd);
    sv->pid = pid;
    sv->have_sample = 0;

    /* the port line (the bot prints it only when asked to choose) */
    int need_line = s == ENV_DASHBOARD || sv->port == 0;
    double deadline = now_s() + NATIVE_PORT_WAIT_MS / 1000.0;
    while (need_line) {
        int port;
        if (find_port_line(sv->log_path, from, sv->port_line, &port)) {
            if (sv->port && port != sv->port) {
                snprintf(err, errlen, "%s listens on port %d, expected %d", sv->prog, port,
                         sv->port);
                goto fail;
            }
            sv->port = port;
            break;
        }
        if (reap(pid, &status)) {
            char how[96], tail[420];
            describe_exit(status, how, sizeof(how));
            log_tail(sv->log_path, from, tail, sizeof(tail));
            sv->pid = 0;
            snprintf(err, errlen, "%s %s at start-up (log: %s)", sv->prog, how, tail);
            return -1;
        }
        if (now_s() >= deadline) {
            snprintf(err, errlen, "%s printed no \"%sN\" line within %d ms (see %s)", sv->prog,
                     sv->port_line, NATIVE_PORT_WAIT_MS, sv->log_path);
            goto fail;
        }
        poll(NULL, 0, 10);
    }
    set_urls(d);
    if (envdriver_wait_healthy(d, s, NATIVE_HEALTH_WAIT_MS, err, errlen) < 0) {
        if (reap(pid, &status)) {
            char how[96], tail[420];
            describe_exit(status, how, sizeof(how));
            log_tail(sv->log_path, from, tail, sizeof(tail));
            sv->pid = 0;
            snprintf(err, errlen, "%s %s at start-up (log: %s)", sv->prog, how, tail);
            return -1;
        }
        goto fail;
    }
    append_log(sv->log_path, "%s is up (pid %d, port %d)", sv->prog, (int)pid, sv->port);
    return 0;
fail:
    kill(-pid, SIGKILL);
    wait_exit(pid, NATIVE_EXIT_WAIT_MS, &status);
    sv->pid = 0;
    return -1;
}

static int native_stop(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    if (sv->pid <= 0)
        return 0;
    int status = 0;
    pid_t pid = sv->pid;
    kill(-pid, SIGTERM);
    kill(-pid, SIGCONT); /* a paused process must run to handle SIGTERM */
    if (!wait_exit(pid, timeout_ms > 0 ? timeout_ms : 0, &status)) {
        append_log(sv->log_path, "%s did not stop within %d ms of SIGTERM: SIGKILL", sv->prog,
                   timeout_ms);
        kill(-pid, SIGKILL);
        wait_exit(pid, NATIVE_EXIT_WAIT_MS, &status);
    }
    kill(-pid, SIGKILL); /* anything left in its group */
    char how[96];
    describe_exit(status, how, sizeof(how));
    append_log(sv->log_path, "%s stopped: %s", sv->prog, how);
    sv->pid = 0;
    return 0;
}

static int native_kill(envdriver *d, env_service s, int sig, char *err, size_t errlen)
{
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    int status;
    if (sv->pid <= 0 || reap(sv->pid, &status)) {
        sv->pid = 0;
        snprintf(err, errlen, "%s is not running", envdriver_service_name(s));
        return -1;
    }
    append_log(sv->log_path, "sending signal %d (%s) to %s", sig, strsignal(sig), sv->prog);
    if (kill(-sv->pid, sig) < 0) {
        snprintf(err, errlen, "kill %s: %s", sv->prog, strerror(errno));
        return -1;
    }
    if (sig == SIGKILL) {
        if (!wait_exit(sv->pid, NATIVE_EXIT_WAIT_MS, &status)) {
            snprintf(err, errlen, "%s survived SIGKILL for %d ms", sv->prog, NATIVE_EXIT_WAIT_MS);
            return -1;
        }
        sv->pid = 0;
    }
    return 0;
}

static int native_pause(envdriver *d, env_service s, char *err, size_t errlen)
{
    return native_kill(d, s, SIGSTOP, err, errlen);
}

static int native_unpause(envdriver *d, env_service s, char *err, size_t errlen)
{
    return native_kill(d, s, SIGCONT, err, errlen);
}

static int native_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen)
{
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    if (sv->pid <= 0) {
        snprintf(err, errlen, "%s is not running", envdriver_service_name(s));
        return -1;
    }
    double wall = now_s();
    double cpu = procstat_cpu_seconds(sv->pid);
    if (cpu < 0) {
        snprintf(err, errlen, "cannot read /proc/%d/stat", (int)sv->pid);
        return -1;
    }
    if (!sv->have_sample || wall - sv->wall_last < 0.1) {
        /* no recent baseline: measure over a 200 ms window */
        poll(NULL, 0, 200);
        double c1 = procstat_cpu_seconds(sv->pid);
        double w1 = now_s();
        if (c1 < 0) {
            snprintf(err, errlen, "%s ended while being measured", sv->prog);
            return -1;
        }
        sv->cpu_last = cpu;
        sv->wall_last = wall;
        cpu = c1;
        wall = w1;
    }
    out->cpu_percent = 100.0 * (cpu - sv->cpu_last) / (wall - sv->wall_last);
    sv->cpu_last = cpu;
    sv->wall_last = wall;
    sv->have_sample = 1;
    out->mem_bytes = procstat_rss_bytes(sv->pid);
    if (out->mem_bytes < 0) {
        snprintf(err, errlen, "cannot read /proc/%d/status", (int)sv->pid);
        return -1;
    }
    return 0;
}

static void native_destroy(envdriver *d)
{
    native_impl *im = d->impl;
    if (!im)
        return;
    char err[256];
    /* nothing stays paused (a paused dashboard would hold up the bot's flush) */
    for (int s = 0; s < ENV_NUM_SERVICES; s++)
        if (im->svc[s].pid > 0)
            kill(-im->svc[s].pid, SIGCONT);
    /* the bot first, so it can flush to a dashboard that is still there */
    native_stop(d, ENV_BOT, NATIVE_DESTROY_STOP_MS, err, sizeof(err));
    native_stop(d, ENV_DASHBOARD, NATIVE_DESTROY_STOP_MS, err, sizeof(err));
    free(im);
    d->impl = NULL;
}

static const envdriver_ops native_ops = {
    .name = "native",
    .start = native_start,
    .stop = native_stop,
    .kill = native_kill,
    .pause = native_pause,
    .unpause = native_unpause,
    .stats = native_stats,
    .destroy = native_destroy,
};

envdriver *envdriver_native_new(const env_config *cfg, char *err, size_t errlen)
{
    if (!cfg->results_dir || !cfg->results_dir[0]) {
        snprintf(err, errlen, "native driver: no results directory");
        return NULL;
    }
    if (!cfg->jwt_secret || !cfg->jwt_secret[0]) {
        snprintf(err, errlen, "native driver: a JWT secret is needed to start the dashboard");
        return NULL;
    }
    envdriver *d = calloc(1, sizeof(*d));
    native_impl *im = calloc(1, sizeof(*im));
    if (!d || !im) {
        free(d);
        free(im);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->ops = &native_ops;
    d->cfg = *cfg;
    d->impl = im;
    snprintf(im->bin_dir, sizeof(im->bin_dir), "%s",
             cfg->bin_dir && cfg->bin_dir[0] ? cfg->bin_dir : "build/bin");
    snprintf(im->schemas, sizeof(im->schemas), "%s",
             cfg->schemas_dir && cfg->schemas_dir[0] ? cfg->schemas_dir : "schemas");
    snprintf(im->secret, sizeof(im->secret), "%s", cfg->jwt_secret);
    snprintf(im->source, sizeof(im->source), "%s",
             cfg->bot_source && cfg->bot_source[0] ? cfg->bot_source : "bot-1");
    char dir[PATH_MAX - 64];
    if (snprintf(dir, sizeof(dir), "%s/services", cfg->results_dir) >= (int)sizeof(dir)) {
        snprintf(err, errlen, "native driver: results path too long");
        goto fail;
    }
    if (results_mkdirs(dir, err, errlen) < 0)
        goto fail;
    snprintf(im->journal, sizeof(im->journal), "%s/dashboard.journal", dir);
    unlink(im->journal); /* a fresh environment: nothing carried over from an old run */
    static const char *const progs[ENV_NUM_SERVICES] = {"wsb-dashboard", "wsb-bot", NULL};
    static const char *const lines[ENV_NUM_SERVICES] = {"listening on port ", "status on port ",
                                                        NULL};
    for (int s = 0; s < ENV_NUM_SERVICES; s++) {
        native_svc *sv = &im->svc[s];
        sv->prog = progs[s];
        sv->port_line = lines[s];
        snprintf(sv->log_path, sizeof(sv->log_path), "%s/%s.log", dir,
                 envdriver_service_name((env_service)s));
        if (truncate(sv->log_path, 0) < 0 && errno != ENOENT)
            wlog_warn("cannot truncate %s: %s", sv->log_path, strerror(errno));
        if (sv->prog) {
            char path[PATH_MAX + 32];
            snprintf(path, sizeof(path), "%s/%s", im->bin_dir, sv->prog);
            sv->present = access(path, X_OK) == 0;
        }
    }
    if (!im->svc[ENV_DASHBOARD].present) {
        snprintf(err, errlen, "native driver: %s/wsb-dashboard is missing (run make)", im->bin_dir);
        goto fail;
    }
    d->caps = ENV_CAP_PROCESS | ENV_CAP_STATS;
    if (native_start(d, ENV_DASHBOARD, err, errlen) < 0)
        goto fail;
    if (im->svc[ENV_BOT].present) {
        if (native_start(d, ENV_BOT, err, errlen) < 0)
            goto fail;
        d->caps |= ENV_CAP_BOT;
    } else {
        wlog_warn("native driver: %s/wsb-bot is missing: running without a bot", im->bin_dir);
    }
    return d;
fail:
    native_destroy(d);
    free(d);
    return NULL;
}
