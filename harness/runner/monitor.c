/* monitor: rounds of wsb-harness against a running system, their results
 * on a Prometheus endpoint, and the last --keep round directories (see
 * monitor.h). One thread: the lws loop serves /metrics and wakes every
 * MONITOR_TICK_US to start, watch and finish rounds. */
#include "monitor.h"

#include <errno.h>
#include <float.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "monitor_metrics.h"
#include "results.h"
#include "spawn.h"
#include "wparse.h"

#define MONITOR_TICK_US 100000        /* the loop looks at the round this often */
#define MONITOR_STOP_GRACE_MS 10000   /* a stopped round's SIGTERM before SIGKILL */
#define MONITOR_DEFAULT_PORT 9470
#define MONITOR_MAX_ARGS 256

typedef struct monitor_opts {
    double every_s, round_timeout_s;
    long long keep, count, port;
    const char *address, *base;
    char *fwd[MONITOR_MAX_ARGS]; /* the round's options */
    int nfwd;
} monitor_opts;

typedef struct monitor {
    monitor_opts o;
    monitor_state st;
    char self[PATH_MAX];
    spawn_proc child;
    int running, timed_out;
    double round_start, round_deadline, next_start; /* monotonic seconds */
    char round_dir[PATH_MAX];
    char **dirs; /* the round directories this monitor made and still keeps, oldest first */
    size_t ndirs;
    struct lws_context *ctx;
    lws_sorted_usec_list_t sul;
} monitor;

static volatile sig_atomic_t stop_signal;
static struct lws_context *signal_ctx;

static void on_signal(int sig)
{
    stop_signal = sig;
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsb-harness monitor --dashboard-url ws://H:P [monitor options] [run options]\n"
            "Runs the selected suites again and again against a running system and serves\n"
            "the latest verdicts and figures on a Prometheus /metrics endpoint.\n\n"
            "  --every DURATION        time between the starts of two rounds: 90, 30s, 5m,\n"
            "                          1h (5m); a longer round is followed at once\n"
            "  --keep N                keep the last N round directories (10); older ones\n"
            "                          this monitor made are deleted, nothing else\n"
            "  --count N               stop after N rounds (0: run until SIGTERM; 0)\n"
            "  --results-base DIR      where the round directories go (results/monitor)\n"
            "  --round-timeout S       a round running longer is stopped and failed (3600)\n"
            "  --metrics-port P        /metrics and /health on this port (%d; 0: a free\n"
            "                          one, printed as \"metrics on port N\")\n"
            "  --metrics-address A     the address to listen on (127.0.0.1; 0.0.0.0 in a\n"
            "                          container)\n"
            "Run options: those of `wsb-harness --help` (external mode: --dashboard-url,\n"
            "--bot-status-url, --suite, --test, --profile, --jwt-secret, tokens,\n"
            "--threshold ...), given to every round; --results is the monitor's.\n"
            "SIGTERM or SIGINT stop the monitor (a running round is stopped); exit 0.\n",
            MONITOR_DEFAULT_PORT);
}

/* "90", "30s", "5m", "1h" in seconds (> 0). */
static int parse_duration(const char *v, double *out, char *err, size_t errlen)
{
    char num[64];
    size_t n = strlen(v);
    double mult = 1;
    if (n && (v[n - 1] == 's' || v[n - 1] == 'm' || v[n - 1] == 'h')) {
        mult = v[n - 1] == 'h' ? 3600 : v[n - 1] == 'm' ? 60 : 1;
        n--;
    }
    if (n == 0 || n >= sizeof(num)) {
        snprintf(err, errlen, "\"%s\": expected a duration such as 30s, 5m or 1h", v);
        return -1;
    }
    memcpy(num, v, n);
    num[n] = 0;
    char why[200];
    if (wparse_double(num, DBL_MIN, 1e9, out, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "\"%s\": %s (a duration such as 30s, 5m or 1h)", v, why);
        return -1;
    }
    *out *= mult;
    return 0;
}

/* The monitor's own options out of argv; the rest is kept for the rounds and
 * checked as `wsb-harness` would. -1 when the monitor goes on, else the exit
 * status. */
static int parse(int argc, char **argv, monitor_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->every_s = 300;
    o->round_timeout_s = 3600;
    o->keep = 10;
    o->port = MONITOR_DEFAULT_PORT;
    o->address = "127.0.0.1";
    o->base = "results/monitor";
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        static const char *own[] = {"--every",        "--keep",         "--count",
                                    "--results-base", "--round-timeout", "--metrics-port",
                                    "--metrics-address"};
        int which = -1;
        const char *val = NULL;
        for (int k = 0; k < (int)(sizeof(own) / sizeof(own[0])) && which < 0; k++) {
            size_t n = strlen(own[k]);
            if (!strcmp(a, own[k]))
                which = k;
            else if (!strncmp(a, own[k], n) && a[n] == '=')
                which = k, val = a + n + 1;
        }
        if (which < 0) {
            if (o->nfwd == MONITOR_MAX_ARGS - 4) {
                fprintf(stderr, "wsb-harness monitor: too many options\n");
                return 2;
            }
            o->fwd[o->nfwd++] = argv[i];
            continue;
        }
        if (!val) {
            if (i + 1 == argc) {
                fprintf(stderr, "wsb-harness monitor: %s needs a value\n", own[which]);
                return 2;
            }
            val = argv[++i];
        }
        int rc = 0;
        switch (which) {
        case 0:
            rc = parse_duration(val, &o->every_s, err, sizeof(err));
            break;
        case 1:
            rc = wparse_long(val, 1, 1000000, &o->keep, err, sizeof(err));
            break;
        case 2:
            rc = wparse_long(val, 0, LLONG_MAX, &o->count, err, sizeof(err));
            break;
        case 3:
            o->base = val;
            break;
        case 4:
            rc = wparse_double(val, DBL_MIN, 1e9, &o->round_timeout_s, err, sizeof(err));
            break;
        case 5:
            rc = wparse_long(val, 0, 65535, &o->port, err, sizeof(err));
            break;
        case 6:
            o->address = val;
            break;
        }
        if (rc < 0) {
            fprintf(stderr, "wsb-harness monitor: %s: %s\n", own[which], err);
            return 2;
        }
    }
    /* the rounds' options, checked now rather than failing every round */
    char *check[MONITOR_MAX_ARGS + 1];
    check[0] = "wsb-harness";
    for (int i = 0; i < o->nfwd; i++)
        check[i + 1] = o->fwd[i];
    cli_opts co;
    optind = 1;
    int rc = cli_parse(o->nfwd + 1, check, &co);
    optind = 1;
    if (rc >= 0)
        return rc == 0 ? 2 : rc; /* --help of a round is a usage error here */
    env_mode mode;
    if ((rc = cli_mode(&co, &mode)) >= 0)
        return rc;
    if (mode != ENV_MODE_EXTERNAL) {
        fprintf(stderr, "wsb-harness monitor: watches a running system: give --dashboard-url "
                        "ws://H:P (not --native or --docker)\n");
        return 2;
    }
    if (co.results_arg) {
        fprintf(stderr, "wsb-harness monitor: --results is the monitor's: use --results-base\n");
        return 2;
    }
    if (co.list) {
        fprintf(stderr, "wsb-harness monitor: --list runs nothing\n");
        return 2;
    }
    return -1;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) < 0)
        fprintf(stderr, "wsb-harness monitor: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

/* Deletes the oldest round directories this monitor made beyond --keep. */
static void prune(monitor *m)
{
    while (m->ndirs > (size_t)m->o.keep) {
        if (nftw(m->dirs[0], rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
            fprintf(stderr, "wsb-harness monitor: cannot remove %s: %s\n", m->dirs[0],
                    strerror(errno));
        free(m->dirs[0]);
        memmove(m->dirs, m->dirs + 1, (m->ndirs - 1) * sizeof(*m->dirs));
        m->ndirs--;
    }
}

/* Makes a new round directory (mkdir, never an existing one). 0, or -1. */
static int make_round_dir(monitor *m)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
    for (int k = 0; k < 100; k++) {
        snprintf(m->round_dir, sizeof(m->round_dir), "%s/round_%s_%llu%s%.0d", m->o.base, stamp,
                 m->st.rounds + 1, k ? "_" : "", k);
        if (mkdir(m->round_dir, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    fprintf(stderr, "wsb-harness monitor: cannot make %s: %s\n", m->round_dir, strerror(errno));
    return -1;
}

static void start_round(monitor *m)
{
    double now = mono_s();
    m->next_start = now + m->o.every_s;
    if (make_round_dir(m) < 0) {
        m->st.rounds++; /* a round that could not start is a failed round */
        m->st.rounds_failed++;
        return;
    }
    char *argv[MONITOR_MAX_ARGS];
    int n = 0;
    argv[n++] = m->self;
    for (int i = 0; i < m->o.nfwd; i++)
        argv[n++] = m->o.fwd[i];
    argv[n++] = "--results";
    argv[n++] = m->round_dir;
    argv[n] = NULL;
    char log[PATH_MAX + 16], err[1024];
    snprintf(log, sizeof(log), "%s/console.log", m->round_dir);
    spawn_opts so = {.log_path = log,
                     .log_truncate = 1,
                     .stdout_to_log = 1,
                     .own_group = 1,
                     .stop_at_exit = 1};
    char **grown = realloc(m->dirs, (m->ndirs + 1) * sizeof(*m->dirs));
    char *copy = strdup(m->round_dir);
    if (grown && copy) {
        m->dirs = grown;
        m->dirs[m->ndirs++] = copy;
    } else { /* out of memory: the directory stays, never pruned */
        if (grown)
            m->dirs = grown;
        free(copy);
        fprintf(stderr, "wsb-harness monitor: out of memory: %s will not be pruned\n",
                m->round_dir);
    }
    if (spawn_start(&m->child, argv, &so, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-harness monitor: round %llu: %s\n", m->st.rounds + 1, err);
        m->st.rounds++;
        m->st.rounds_failed++;
        prune(m);
        return;
    }
    m->running = 1;
    m->timed_out = 0;
    m->round_start = now;
    m->round_deadline = now + m->o.round_timeout_s;
    printf("wsb-harness monitor: round %llu started (pid %d): %s\n", m->st.rounds + 1,
           (int)m->child.pid, m->round_dir);
    fflush(stdout);
}

static void finish_round(monitor *m)
{
    m->running = 0;
    int code = spawn_exit_code(&m->child);
    monitor_state *s = &m->st;
    s->rounds++;
    s->have_round = 1;
    s->last_exit = code;
    s->last_timed_out = m->timed_out;
    s->last_duration_s = mono_s() - m->round_start;
    s->last_end_unix = (double)time(NULL);
    if (s->last)
        results_run_free(s->last);
    char path[PATH_MAX + 32], err[1024];
    snprintf(path, sizeof(path), "%s/test_summary.json", m->round_dir);
    s->last = results_read_summary(path, err, sizeof(err));
    int passed = code == 0 && !m->timed_out;
    s->rounds_failed += !passed;
    s->rounds_timed_out += (unsigned long long)m->timed_out;
    printf("wsb-harness monitor: round %llu %s in %.1f s (exit %d)%s%s\n", s->rounds,
           passed ? "passed" : "FAILED", s->last_duration_s, code,
           m->timed_out ? ", stopped at the round timeout" : "", s->last ? "" : ", no summary");
    for (size_t i = 0; s->last && i < s->last->nsuites; i++)
        if (s->last->suites[i].status == RESULTS_FAILED)
            printf("wsb-harness monitor:   suite %s failed\n", s->last->suites[i].name);
    fflush(stdout);
    prune(m);
}

/* The lws tick: watches the running round, starts the next one. */
static void tick(lws_sorted_usec_list_t *sul)
{
    monitor *m = lws_container_of(sul, monitor, sul);
    double now = mono_s();
    if (m->running) {
        if (spawn_ended(&m->child, NULL, NULL, 0)) {
            finish_round(m);
        } else if (now >= m->round_deadline) {
            fprintf(stderr, "wsb-harness monitor: round %llu ran past %g s: stopping it\n",
                    m->st.rounds + 1, m->o.round_timeout_s);
            m->timed_out = 1;
            spawn_stop(&m->child, SIGTERM, MONITOR_STOP_GRACE_MS);
            finish_round(m);
        }
    }
    if (!m->running && (m->o.count == 0 || m->st.rounds < (unsigned long long)m->o.count) &&
        now >= m->next_start)
        start_round(m);
    lws_sul_schedule(m->ctx, 0, &m->sul, tick, MONITOR_TICK_US);
}

static int serve(monitor *m)
{
    static struct lws_protocols protocols[2];
    protocols[0] = monitor_metrics_protocol(&m->st);
    memset(&protocols[1], 0, sizeof(protocols[1]));
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.timeout_secs = 5;
    m->ctx = lws_create_context(&info);
    if (!m->ctx) {
        fprintf(stderr, "wsb-harness monitor: lws_create_context failed\n");
        return -1;
    }
    info.port = (int)m->o.port;
    info.iface = m->o.address;
    info.vhost_name = "wsb-monitor";
    info.protocols = protocols;
    struct lws_vhost *vh = lws_create_vhost(m->ctx, &info);
    if (!vh) {
        fprintf(stderr, "wsb-harness monitor: cannot listen on %s:%lld (in use?)\n",
                m->o.address, m->o.port);
        lws_context_destroy(m->ctx);
        m->ctx = NULL;
        return -1;
    }
    int port = lws_get_vhost_listen_port(vh);
    printf("wsb-harness monitor: http://%s:%d/metrics, a round every %g s, keeping %lld in %s\n"
           "wsb-harness monitor: metrics on port %d\n",
           m->o.address, port, m->o.every_s, m->o.keep, m->o.base, port);
    fflush(stdout);
    return 0;
}

int monitor_main(int argc, char **argv)
{
    static monitor m; /* static: the lws callbacks hold pointers into it */
    memset(&m, 0, sizeof(m));
    int rc = parse(argc, argv, &m.o);
    if (rc >= 0)
        return rc;
    m.st.interval_s = m.o.every_s;
    ssize_t n = readlink("/proc/self/exe", m.self, sizeof(m.self) - 1);
    if (n <= 0) {
        fprintf(stderr, "wsb-harness monitor: cannot find my own program: %s\n",
                strerror(errno));
        return 1;
    }
    m.self[n] = 0;
    char err[1024];
    if (results_mkdirs(m.o.base, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-harness monitor: %s\n", err);
        return 1;
    }
    if (serve(&m) < 0)
        return 1;
    signal_ctx = m.ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    m.next_start = mono_s();
    lws_sul_schedule(m.ctx, 0, &m.sul, tick, 1);
    while (!stop_signal &&
           (m.running || m.o.count == 0 || m.st.rounds < (unsigned long long)m.o.count))
        if (lws_service(m.ctx, 0) < 0)
            break;
    if (m.running) {
        printf("wsb-harness monitor: stopping round %llu (%s kept)\n", m.st.rounds + 1,
               m.round_dir);
        spawn_stop(&m.child, SIGTERM, MONITOR_STOP_GRACE_MS);
    }
    if (stop_signal)
        printf("wsb-harness monitor: stopped by signal %d after %llu rounds\n", (int)stop_signal,
               m.st.rounds);
    fflush(stdout);
    lws_sul_cancel(&m.sul);
    signal_ctx = NULL;
    lws_context_destroy(m.ctx);
    if (m.st.last)
        results_run_free(m.st.last);
    for (size_t i = 0; i < m.ndirs; i++)
        free(m.dirs[i]);
    free(m.dirs);
    return 0;
}
