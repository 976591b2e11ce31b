/* env_native: the native environment driver (env_native_new, through envdriver_new).
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
 * stops everything (SIGTERM, then SIGKILL after a bound).
 *
 * The fault proxy: when bin_dir has wsb-faultproxy (and no --toxiproxy-url
 * names another), it is started before the bot on a free port and given two
 * proxies toward the dashboard, bot_to_dashboard (the bot's --url goes
 * through it) and clients_to_dashboard (envdriver_clients_url, for the
 * subscribers a test puts behind it); a restart of the proxy recreates them
 * on the same ports. Toxics and outages then go through env_proxy.c. With
 * --toxiproxy-url the same two proxies are created on that Toxiproxy.
 *
 * TLS (cfg->tls): the dashboard gets --tls-cert/--tls-key, the bot a wss://
 * URL and --ca-file, and every URL handed out is wss:// or https://; the
 * fault proxy carries the TLS bytes as they are (it is a TCP proxy). */
#include "envdriver_int.h"

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
#include "spawn.h"
#include "wclock.h"
#include "wlog.h"

#define NATIVE_PORT_WAIT_MS 10000
#define NATIVE_HEALTH_WAIT_MS 10000
#define NATIVE_EXIT_WAIT_MS 10000
#define NATIVE_DESTROY_STOP_MS 5000

typedef struct native_svc {
    const char *prog;      /* wsb-dashboard | wsb-bot */
    const char *port_line; /* "listening on port " | "status on port " */
    int present;           /* the binary exists */
    spawn_proc proc;       /* proc.pid 0: not running */
    int port;              /* 0 until first chosen */
    char log_path[PATH_MAX];
    double cpu_last; /* seconds of CPU at the last stats sample */
    double wall_last;
    int have_sample;
    char extra[512]; /* envdriver_set_args(): words appended to the command line */
} native_svc;

typedef struct native_impl {
    native_svc svc[ENV_NUM_SERVICES];
    char secret[256];
    char journal[PATH_MAX];
    char bot_state[PATH_MAX]; /* the bot's --state-file: a killed bot's numbers survive */
    char bin_dir[PATH_MAX];
    char schemas[PATH_MAX];
    char source[128];
    int link_port[ENV_NUM_LINKS]; /* the proxies' ports, 0 until created */
    int external_proxy;           /* the API is a Toxiproxy we did not start */
} native_impl;

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

static void set_urls(envdriver *d)
{
    native_impl *im = d->impl;
    if (im->svc[ENV_DASHBOARD].port) {
        snprintf(d->dashboard_url, sizeof(d->dashboard_url), "%s://127.0.0.1:%d",
                 d->cfg.tls ? "wss" : "ws", im->svc[ENV_DASHBOARD].port);
        snprintf(d->dashboard_http, sizeof(d->dashboard_http), "%s://127.0.0.1:%d",
                 d->cfg.tls ? "https" : "http", im->svc[ENV_DASHBOARD].port);
    }
    if (im->svc[ENV_BOT].port)
        snprintf(d->bot_status_url, sizeof(d->bot_status_url), "http://127.0.0.1:%d",
                 im->svc[ENV_BOT].port);
    if (im->svc[ENV_PROXY].port && !im->external_proxy)
        snprintf(d->proxy_api, sizeof(d->proxy_api), "http://127.0.0.1:%d",
                 im->svc[ENV_PROXY].port);
    if (im->link_port[ENV_LINK_CLIENTS])
        snprintf(d->clients_url, sizeof(d->clients_url), "%s://127.0.0.1:%d",
                 d->cfg.tls ? "wss" : "ws", im->link_port[ENV_LINK_CLIENTS]);
}

/* The two proxies toward the dashboard, on the ports they had (any the first time). */
static int populate(envdriver *d, char *err, size_t errlen)
{
    native_impl *im = d->impl;
    char upstream[64];
    snprintf(upstream, sizeof(upstream), "127.0.0.1:%d", im->svc[ENV_DASHBOARD].port);
    if (envproxy_populate(d, "127.0.0.1", upstream, im->link_port, err, errlen) < 0)
        return -1;
    set_urls(d);
    return 0;
}

/* argv for a service (static storage in *store). */
typedef struct argv_store {
    char *argv[40];
    int argc;
    char bufs[16][PATH_MAX];
    int nbufs;
    char extra[512]; /* the extra words, cut in place */
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
        if (d->cfg.tls) {
            arg(a, "--tls-cert");
            arg(a, d->cfg.tls_cert);
            arg(a, "--tls-key");
            arg(a, d->cfg.tls_key);
        }
    } else if (s == ENV_PROXY) {
        arg(a, "--host");
        arg(a, "127.0.0.1");
        arg(a, "--port");
        arg(a, argf(a, "%d", sv->port));
    } else {
        arg(a, "--url");
        arg(a, argf(a, "%s://127.0.0.1:%d/ws", d->cfg.tls ? "wss" : "ws",
                    im->link_port[ENV_LINK_BOT] ? im->link_port[ENV_LINK_BOT]
                                                : im->svc[ENV_DASHBOARD].port));
        if (d->cfg.tls && d->cfg.ca_file) {
            arg(a, "--ca-file");
            arg(a, d->cfg.ca_file);
        }
        arg(a, "--source");
        arg(a, im->source);
        arg(a, "--status-port");
        arg(a, argf(a, "%d", sv->port));
        arg(a, "--state-file");
        arg(a, im->bot_state);
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
        /* a dead link (blackhole, hung dashboard) is seen within ~1.5 s */
        arg(a, "--ping-interval");
        arg(a, "0.5");
        arg(a, "--pong-timeout");
        arg(a, "1");
    }
    snprintf(a->extra, sizeof(a->extra), "%s", sv->extra);
    char *save = NULL;
    for (char *w = strtok_r(a->extra, " ", &save); w; w = strtok_r(NULL, " ", &save))
        arg(a, w);
}

static int native_set_args(envdriver *d, env_service s, const char *args, char *err,
                           size_t errlen)
{
    native_impl *im = d->impl;
    if (strlen(args) >= sizeof(im->svc[s].extra)) {
        snprintf(err, errlen, "set arguments: longer than %zu bytes",
                 sizeof(im->svc[s].extra) - 1);
        return -1;
    }
    snprintf(im->svc[s].extra, sizeof(im->svc[s].extra), "%s", args);
    return 0;
}

static int native_start(envdriver *d, env_service s, char *err, size_t errlen)
{
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    if (!sv->present) {
        snprintf(err, errlen, "%s: not available in the native environment (no %s in %s)",
                 envdriver_service_name(s), sv->prog ? sv->prog : "binary", im->bin_dir);
        return -1;
    }
    /* a previous instance that was signalled may still be on its way out */
    if (sv->proc.pid > 0 && !spawn_wait(&sv->proc, NATIVE_EXIT_WAIT_MS)) {
        snprintf(err, errlen, "%s is already running (pid %d)", sv->prog, (int)sv->proc.pid);
        return -1;
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
    /* the secret through the environment keeps it out of ps */
    char env_dash[300], env_bot[300];
    snprintf(env_dash, sizeof(env_dash), "DASHBOARD_JWT_SECRET=%s", im->secret);
    snprintf(env_bot, sizeof(env_bot), "WSB_JWT_SECRET=%s", im->secret);
    const char *const env[] = {env_dash, env_bot, NULL};
    spawn_opts so = {.log_path = sv->log_path, .stdout_to_log = 1, .own_group = 1, .env = env};
    if (spawn_start(&sv->proc, a.argv, &so, err, errlen) < 0)
        return -1;
    sv->have_sample = 0;

    /* the port line (the bot prints it only when asked to choose) */
    if (s == ENV_DASHBOARD || sv->port == 0) {
        int port = spawn_wait_port(&sv->proc, sv->port_line, NATIVE_PORT_WAIT_MS, err, errlen);
        if (port < 0) {
            if (sv->proc.ended) /* err says how it ended */
                return -1;
            goto fail;
        }
        if (sv->port && port != sv->port) {
            snprintf(err, errlen, "%s listens on port %d, expected %d", sv->prog, port, sv->port);
            goto fail;
        }
        sv->port = port;
    }
    set_urls(d);
    if (envdriver_wait_healthy(d, s, NATIVE_HEALTH_WAIT_MS, err, errlen) < 0) {
        if (spawn_ended(&sv->proc, "at start-up", err, errlen))
            return -1;
        goto fail;
    }
    if (s == ENV_PROXY && populate(d, err, errlen) < 0)
        goto fail;
    append_log(sv->log_path, "%s is up (pid %d, port %d)", sv->prog, (int)sv->proc.pid, sv->port);
    return 0;
fail:
    spawn_stop(&sv->proc, SIGKILL, NATIVE_EXIT_WAIT_MS);
    return -1;
}

static int native_stop(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    if (sv->proc.pid <= 0)
        return 0;
    /* SIGTERM (and SIGCONT: a paused process must run to handle it), SIGKILL after the bound */
    if (spawn_stop(&sv->proc, SIGTERM, timeout_ms > 0 ? timeout_ms : 0) < 0)
        append_log(sv->log_path, "%s did not stop within %d ms of SIGTERM: SIGKILL", sv->prog,
                   timeout_ms);
    char how[96];
    spawn_describe(sv->proc.status, how, sizeof(how));
    append_log(sv->log_path, "%s stopped: %s", sv->prog, how);
    return 0;
}

static int native_kill(envdriver *d, env_service s, int sig, char *err, size_t errlen)
{
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    if (sv->proc.pid <= 0 || spawn_ended(&sv->proc, NULL, NULL, 0)) {
        snprintf(err, errlen, "%s is not running", envdriver_service_name(s));
        return -1;
    }
    append_log(sv->log_path, "sending signal %d (%s) to %s", sig, strsignal(sig), sv->prog);
    if (spawn_signal(&sv->proc, sig) < 0) {
        snprintf(err, errlen, "kill %s: %s", sv->prog, strerror(errno));
        return -1;
    }
    if (sig == SIGKILL && !spawn_wait(&sv->proc, NATIVE_EXIT_WAIT_MS)) {
        snprintf(err, errlen, "%s survived SIGKILL for %d ms", sv->prog, NATIVE_EXIT_WAIT_MS);
        return -1;
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

/* The service's log file, copied to path. */
static int native_save_log(envdriver *d, env_service s, const char *path, char *err,
                           size_t errlen)
{
    native_impl *im = d->impl;
    const char *from = im->svc[s].log_path;
    FILE *in = from[0] ? fopen(from, "r") : NULL;
    if (!in) {
        snprintf(err, errlen, "%s: no log (%s)", envdriver_service_name(s),
                 from[0] ? strerror(errno) : "not started here");
        return -1;
    }
    FILE *out = fopen(path, "w");
    if (!out) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    if (fclose(out) != 0) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

static int native_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen)
{
    native_impl *im = d->impl;
    native_svc *sv = &im->svc[s];
    if (sv->proc.pid <= 0) {
        snprintf(err, errlen, "%s is not running", envdriver_service_name(s));
        return -1;
    }
    double wall = wclock_mono_s();
    double cpu = procstat_cpu_seconds(sv->proc.pid);
    if (cpu < 0) {
        snprintf(err, errlen, "cannot read /proc/%d/stat", (int)sv->proc.pid);
        return -1;
    }
    if (!sv->have_sample || wall - sv->wall_last < 0.1) {
        /* no recent baseline: measure over a 200 ms window */
        poll(NULL, 0, 200);
        double c1 = procstat_cpu_seconds(sv->proc.pid);
        double w1 = wclock_mono_s();
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
    out->mem_bytes = procstat_rss_bytes(sv->proc.pid);
    out->open_fds = procstat_open_fds(sv->proc.pid);
    /* its open TCP sockets' bytes (sock_diag); -1 (unknown) when unreadable */
    if (procstat_net_bytes(sv->proc.pid, &out->net_rx_bytes, &out->net_tx_bytes) < 0)
        out->net_rx_bytes = out->net_tx_bytes = -1;
    if (out->mem_bytes < 0) {
        snprintf(err, errlen, "cannot read /proc/%d/status", (int)sv->proc.pid);
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
        spawn_signal(&im->svc[s].proc, SIGCONT);
    /* the bot first, so it can flush to a dashboard that is still there */
    native_stop(d, ENV_BOT, NATIVE_DESTROY_STOP_MS, err, sizeof(err));
    native_stop(d, ENV_PROXY, NATIVE_DESTROY_STOP_MS, err, sizeof(err));
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
    .save_log = native_save_log,
    .set_args = native_set_args,
    .toxic_add = envproxy_toxic_add,
    .toxic_remove = envproxy_toxic_remove,
    .link_enable = envproxy_link_enable,
    .destroy = native_destroy,
};

envdriver *env_native_new(const env_config *cfg, char *err, size_t errlen)
{
    if (!cfg->results_dir || !cfg->results_dir[0]) {
        snprintf(err, errlen, "native driver: no results directory");
        return NULL;
    }
    if (!cfg->jwt_secret || !cfg->jwt_secret[0]) {
        snprintf(err, errlen, "native driver: a JWT secret is needed to start the dashboard");
        return NULL;
    }
    if (cfg->tls && (!cfg->tls_cert || !cfg->tls_key)) {
        snprintf(err, errlen, "native driver: TLS needs the dashboard's certificate and key");
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
    snprintf(im->bot_state, sizeof(im->bot_state), "%s/bot.state", dir);
    unlink(im->journal); /* a fresh environment: nothing carried over from an old run */
    unlink(im->bot_state);
    static const char *const progs[ENV_NUM_SERVICES] = {"wsb-dashboard", "wsb-bot",
                                                        "wsb-faultproxy"};
    static const char *const lines[ENV_NUM_SERVICES] = {"listening on port ", "status on port ",
                                                        "listening on port "};
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
    for (int l = 0; l < ENV_NUM_LINKS; l++)
        snprintf(d->link_proxy[l], sizeof(d->link_proxy[l]), "%s",
                 cfg->link_proxy[l] && cfg->link_proxy[l][0]
                     ? cfg->link_proxy[l]
                     : (l == ENV_LINK_BOT ? "bot_to_dashboard" : "clients_to_dashboard"));
    if (cfg->toxiproxy_url && cfg->toxiproxy_url[0]) {
        im->external_proxy = 1;
        im->svc[ENV_PROXY].present = 0;
        if (envproxy_attach(d, cfg->toxiproxy_url, NATIVE_HEALTH_WAIT_MS, err, errlen) < 0 ||
            populate(d, err, errlen) < 0)
            goto fail;
    } else if (im->svc[ENV_PROXY].present) {
        if (native_start(d, ENV_PROXY, err, errlen) < 0)
            goto fail;
        d->caps |= ENV_CAP_FAULTS;
    } else {
        wlog_warn("native driver: %s/wsb-faultproxy is missing: no network faults", im->bin_dir);
    }
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
