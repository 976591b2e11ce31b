/* runner: suite selection and the forked, watched suite children (see
 * runner.h for the parent/child channels). */
#include "runner.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/TestRun.h>

#include "wclock.h"
#include "wparse.h"
#include "wlog.h"

/* ---- selection ---- */

int runner_select(const runner_entry *entries, size_t n, const char *const *names, size_t nnames,
                  runner_selection *sel, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        sel[i] = RUNNER_UNSELECTED;
    if (nnames > 0) {
        for (size_t k = 0; k < nnames; k++) {
            size_t i;
            for (i = 0; i < n; i++)
                if (strcmp(entries[i].name, names[k]) == 0)
                    break;
            if (i == n) {
                size_t o = (size_t)snprintf(err, errlen, "unknown suite \"%s\" (known:", names[k]);
                for (size_t j = 0; j < n && o < errlen; j++)
                    o += (size_t)snprintf(err + o, errlen - o, " %s", entries[j].name);
                if (o < errlen)
                    snprintf(err + o, errlen - o, ")");
                return -1;
            }
            sel[i] = RUNNER_EXPLICIT;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char var[96];
        size_t o = (size_t)snprintf(var, sizeof(var), "RUN_");
        for (const char *p = entries[i].name; *p && o + 1 < sizeof(var); p++)
            var[o++] = (char)toupper((unsigned char)*p);
        var[o] = 0;
        const char *v = getenv(var);
        if (!v || !*v) {
            sel[i] = RUNNER_DEFAULT;
            continue;
        }
        int b;
        char why[160];
        if (wparse_bool(v, &b, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s=%s", var, why);
            return -1;
        }
        sel[i] = b ? RUNNER_EXPLICIT : RUNNER_UNSELECTED;
    }
    return 0;
}

int runner_test_matches(const char *suite, const char *test, const char *const *patterns,
                        size_t npatterns)
{
    if (npatterns == 0)
        return 1;
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/%s", suite, test);
    snprintf(b, sizeof(b), "%s.%s", suite, test);
    for (size_t i = 0; i < npatterns; i++) {
        const char *p = patterns[i];
        if (fnmatch(p, test, 0) == 0 || fnmatch(p, a, 0) == 0 || fnmatch(p, b, 0) == 0)
            return 1;
    }
    return 0;
}

void runner_list(const runner_entry *entries, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        const suite_def *d = entries[i].def;
        if (!d) {
            fprintf(out, "%s (not available: not built yet)\n", entries[i].name);
            continue;
        }
        fprintf(out, "%s: %s\n", entries[i].name, d->description ? d->description : "");
        for (CU_TestInfo *t = d->tests; t && t->pName; t++)
            fprintf(out, "  %s\n", t->pName);
    }
}

/* ---- the wire between child and parent ---- */

enum ev_type {
    EV_TEST_START = 1, /* test index */
    EV_FAIL,           /* test index, message */
    EV_SKIP,           /* test index (-1: the whole suite, from init), reason */
    EV_METRIC,         /* test index or -1, double value, name\0unit\0 */
    EV_TEST_END,       /* test index, double duration */
    EV_SUITE_MSG,      /* message */
    EV_DONE,           /* the child finished normally */
};

typedef struct ev_header {
    uint32_t type;
    int32_t test;
    uint32_t len;
} ev_header;

#define EV_MAX_PAYLOAD 8192

enum rpc_op {
    RPC_START = 1,
    RPC_STOP,
    RPC_KILL,
    RPC_PAUSE,
    RPC_UNPAUSE,
    RPC_DISCONNECT,
    RPC_RECONNECT,
    RPC_STATS,
};

typedef struct rpc_req {
    int32_t op;
    int32_t service;
    int32_t arg;
} rpc_req;

typedef struct rpc_rep {
    int32_t rc;
    uint32_t caps;
    env_stats stats;
    char err[512];
    char dashboard_url[256];
    char dashboard_http[256];
    char bot_status_url[256];
} rpc_rep;

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

static double mono_now(void)
{
    return wclock_mono_s();
}

/* ---- the child side ---- */

static struct {
    int active;
    int evfd, rpcfd;
    pthread_mutex_t lock;     /* one event record at a time */
    pthread_mutex_t rpc_lock; /* one environment request at a time */
    suite_ctx ctx;
    envdriver remote;
    envdriver_ops remote_ops;
    int current; /* index in the suite_def of the running test, -1 outside */
    int skipped; /* suite_skip() called in the running test */
    char skip_reason[1024];
    int in_init;
    int init_skipped;
    char init_skip_reason[1024];
    double test_t0;
    const suite_def *def;
    CU_pTest *map_test; /* CUnit test -> suite_def index */
    int *map_idx;
    size_t nmap;
} child = {.evfd = -1,
           .rpcfd = -1,
           .lock = PTHREAD_MUTEX_INITIALIZER,
           .rpc_lock = PTHREAD_MUTEX_INITIALIZER,
           .current = -1};

static void child_emit(uint32_t type, int test, const void *payload, size_t len)
{
    if (!child.active)
        return;
    if (len > EV_MAX_PAYLOAD)
        len = EV_MAX_PAYLOAD;
    ev_header h = {type, test, (uint32_t)len};
    pthread_mutex_lock(&child.lock);
    /* one write per record keeps records whole even with several threads */
    char buf[sizeof(h) + EV_MAX_PAYLOAD];
    memcpy(buf, &h, sizeof(h));
    if (len)
        memcpy(buf + sizeof(h), payload, len);
    if (write_all(child.evfd, buf, sizeof(h) + len) < 0)
        _exit(3); /* the parent is gone */
    pthread_mutex_unlock(&child.lock);
}

static void child_emit_str(uint32_t type, int test, const char *s)
{
    child_emit(type, test, s, strlen(s));
}

const suite_ctx *runner_child_ctx(void)
{
    return &child.ctx;
}

void runner_child_skip(const char *reason)
{
    if (child.in_init) {
        child.init_skipped = 1;
        snprintf(child.init_skip_reason, sizeof(child.init_skip_reason), "%s", reason);
        return;
    }
    child.skipped = 1;
    snprintf(child.skip_reason, sizeof(child.skip_reason), "%s", reason);
}

void runner_child_metric(const char *name, double value, const char *unit)
{
    char buf[sizeof(double) + 512];
    memcpy(buf, &value, sizeof(double));
    int n = snprintf(buf + sizeof(double), sizeof(buf) - sizeof(double), "%s%c%s", name, 0,
                     unit ? unit : "");
    if (n < 0)
        return;
    size_t len = sizeof(double) + (size_t)n + 1;
    if (len > sizeof(buf))
        len = sizeof(buf);
    buf[len - 1] = 0;
    child_emit(EV_METRIC, child.current, buf, len);
}

/* The proxy driver: each operation is performed by the parent. */
static int remote_call(envdriver *d, int op, env_service s, int arg, env_stats *st, char *err,
                       size_t errlen)
{
    rpc_req q = {op, (int32_t)s, arg};
    rpc_rep *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_lock(&child.rpc_lock);
    int ok =
        write_all(child.rpcfd, &q, sizeof(q)) == 0 && read_all(child.rpcfd, p, sizeof(*p)) == 0;
    pthread_mutex_unlock(&child.rpc_lock);
    if (!ok) {
        snprintf(err, errlen, "lost the harness parent while asking it to act on %s",
                 envdriver_service_name(s));
        free(p);
        return -1;
    }
    p->err[sizeof(p->err) - 1] = 0;
    p->dashboard_url[sizeof(p->dashboard_url) - 1] = 0;
    p->dashboard_http[sizeof(p->dashboard_http) - 1] = 0;
    p->bot_status_url[sizeof(p->bot_status_url) - 1] = 0;
    memcpy(d->dashboard_url, p->dashboard_url, sizeof(d->dashboard_url));
    memcpy(d->dashboard_http, p->dashboard_http, sizeof(d->dashboard_http));
    memcpy(d->bot_status_url, p->bot_status_url, sizeof(d->bot_status_url));
    d->caps = p->caps;
    int rc = p->rc;
    if (rc < 0)
        snprintf(err, errlen, "%s", p->err);
    if (st)
        *st = p->stats;
    free(p);
    return rc;
}

static int r_start(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, RPC_START, s, 0, NULL, e, el);
}
static int r_stop(envdriver *d, env_service s, int t, char *e, size_t el)
{
    return remote_call(d, RPC_STOP, s, t, NULL, e, el);
}
static int r_kill(envdriver *d, env_service s, int sig, char *e, size_t el)
{
    return remote_call(d, RPC_KILL, s, sig, NULL, e, el);
}
static int r_pause(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, RPC_PAUSE, s, 0, NULL, e, el);
}
static int r_unpause(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, RPC_UNPAUSE, s, 0, NULL, e, el);
}
static int r_disconnect(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, RPC_DISCONNECT, s, 0, NULL, e, el);
}
static int r_reconnect(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, RPC_RECONNECT, s, 0, NULL, e, el);
}
static int r_stats(envdriver *d, env_service s, env_stats *o, char *e, size_t el)
{
    return remote_call(d, RPC_STATS, s, 0, o, e, el);
}

static void child_make_remote(const envdriver *real)
{
    child.remote = *real;
    child.remote.impl = NULL;
    const envdriver_ops *ro = real->ops;
    envdriver_ops *o = &child.remote_ops;
    memset(o, 0, sizeof(*o));
    o->name = ro->name;
    o->start = ro->start ? r_start : NULL;
    o->stop = ro->stop ? r_stop : NULL;
    o->kill = ro->kill ? r_kill : NULL;
    o->pause = ro->pause ? r_pause : NULL;
    o->unpause = ro->unpause ? r_unpause : NULL;
    o->disconnect = ro->disconnect ? r_disconnect : NULL;
    o->reconnect = ro->reconnect ? r_reconnect : NULL;
    o->stats = ro->stats ? r_stats : NULL;
    o->destroy = NULL; /* the parent owns the environment */
    child.remote.ops = o;
}

static int map_index(CU_pTest t)
{
    for (size_t i = 0; i < child.nmap; i++)
        if (child.map_test[i] == t)
            return child.map_idx[i];
    return -1;
}

static void on_test_start(const CU_pTest t, const CU_pSuite s)
{
    (void)s;
    child.current = map_index(t);
    child.skipped = 0;
    child.skip_reason[0] = 0;
    child.test_t0 = mono_now();
    child_emit(EV_TEST_START, child.current, NULL, 0);
    fprintf(stderr, "---- test %s ----\n", t->pName);
}

static void on_test_complete(const CU_pTest t, const CU_pSuite s, const CU_pFailureRecord first)
{
    (void)s;
    int idx = child.current;
    for (CU_pFailureRecord f = first; f && f->pTest == t; f = f->pNext) {
        char msg[EV_MAX_PAYLOAD];
        const char *file = f->strFileName ? f->strFileName : "?";
        const char *slash = strrchr(file, '/');
        snprintf(msg, sizeof(msg), "%s:%u: %s", slash ? slash + 1 : file, f->uiLineNumber,
                 f->strCondition ? f->strCondition : "(no condition)");
        child_emit_str(EV_FAIL, idx, msg);
        fprintf(stderr, "FAILED: %s\n", msg);
    }
    if (child.skipped)
        child_emit_str(EV_SKIP, idx, child.skip_reason);
    double d = mono_now() - child.test_t0;
    child_emit(EV_TEST_END, idx, &d, sizeof(d));
    fflush(stdout);
    fflush(stderr);
    child.current = -1;
}

static void on_suite_init_failure(const CU_pSuite s)
{
    if (child.init_skipped) {
        child_emit_str(EV_SKIP, -1, child.init_skip_reason);
        return;
    }
    char msg[512];
    snprintf(msg, sizeof(msg), "suite %s: initialisation failed (see %s.log)", s->pName, s->pName);
    child_emit_str(EV_SUITE_MSG, -1, msg);
}

static void on_suite_cleanup_failure(const CU_pSuite s)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "suite %s: cleanup failed (see %s.log)", s->pName, s->pName);
    child_emit_str(EV_SUITE_MSG, -1, msg);
}

/* The suite's init and cleanup, wrapped so suite_skip() knows it is in init. */
static int child_init(void)
{
    child.in_init = 1;
    int rc = child.def->init ? child.def->init() : 0;
    child.in_init = 0;
    if (rc == 0 && child.init_skipped) {
        /* skipped in init but returned 0: CUnit would run the tests; refuse */
        rc = 1;
    }
    return rc;
}

static int child_cleanup(void)
{
    return child.def->cleanup ? child.def->cleanup() : 0;
}

static void __attribute__((noreturn))
child_main(const suite_def *def, size_t start, const runner_opts *o, pid_t parent, int evfd,
           int rpcfd, int outfd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(3);
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    dup2(outfd, STDOUT_FILENO);
    dup2(outfd, STDERR_FILENO);
    if (outfd > STDERR_FILENO)
        close(outfd);
    setvbuf(stdout, NULL, _IOLBF, 0);

    child.active = 1;
    child.evfd = evfd;
    child.rpcfd = rpcfd;
    child.def = def;
    child.ctx = o->ctx;
    child.ctx.suite_name = def->name;
    child.ctx.results_dir = o->results_dir;
    if (o->ctx.env) {
        child_make_remote(o->ctx.env);
        child.ctx.env = &child.remote;
    }

    if (CU_initialize_registry() != CUE_SUCCESS) {
        child_emit_str(EV_SUITE_MSG, -1, "CUnit: cannot initialise the registry");
        _exit(4);
    }
    CU_pSuite s = CU_add_suite(def->name, child_init, child_cleanup);
    size_t cap = 0;
    for (CU_TestInfo *t = def->tests; t && t->pName; t++)
        cap++;
    child.map_test = calloc(cap + 1, sizeof(CU_pTest));
    child.map_idx = calloc(cap + 1, sizeof(int));
    for (size_t i = start; s && i < cap; i++) {
        CU_TestInfo *t = &def->tests[i];
        if (!runner_test_matches(def->name, t->pName, o->tests, o->ntests))
            continue;
        CU_pTest ct = CU_add_test(s, t->pName, t->pTestFunc);
        if (!ct) {
            char msg[512];
            snprintf(msg, sizeof(msg), "CUnit refused test %s: %s", t->pName, CU_get_error_msg());
            child_emit_str(EV_SUITE_MSG, -1, msg);
            continue;
        }
        child.map_test[child.nmap] = ct;
        child.map_idx[child.nmap++] = (int)i;
    }
    CU_set_test_start_handler(on_test_start);
    CU_set_test_complete_handler(on_test_complete);
    CU_set_suite_init_failure_handler(on_suite_init_failure);
    CU_set_suite_cleanup_failure_handler(on_suite_cleanup_failure);
    CU_set_error_action(CUEA_IGNORE);
    CU_run_all_tests();
    CU_cleanup_registry();
    fflush(stdout);
    fflush(stderr);
    child_emit(EV_DONE, -1, NULL, 0);
    _exit(0);
}

/* ---- the parent side ---- */

typedef struct suite_run {
    const runner_opts *o;
    results_run *run;
    results_suite *rs;
    const suite_def *def;
    FILE *con;
    int logfd;
    int test_idx;      /* suite_def index of the running test, -1 none */
    results_test *cur; /* its result */
    double cur_t0;
    int last_started;  /* the highest suite_def index started so far */
    int done;          /* EV_DONE seen */
    int suite_skipped; /* EV_SKIP from init */
    size_t nmatch;     /* tests matching the filter */
    size_t finished;   /* tests with a final status */
    double deadline;
    double suite_t0;
    int progress_shown;
    double progress_at; /* when the line was last drawn */
} suite_run;

static void clear_progress(suite_run *sr)
{
    if (sr->progress_shown) {
        fprintf(sr->con, "\r\033[K");
        sr->progress_shown = 0;
    }
}

static void show_progress(suite_run *sr)
{
    if (!sr->o->progress)
        return;
    double now = mono_now();
    sr->progress_at = now;
    fprintf(sr->con, "\r\033[K[%s %zu/%zu] %s %.1fs (suite %.0fs of %.0fs)", sr->def->name,
            sr->finished + (sr->cur ? 1 : 0), sr->nmatch, sr->cur ? sr->cur->name : "(setup)",
            sr->cur ? now - sr->cur_t0 : 0.0, now - sr->suite_t0, sr->o->suite_timeout_s);
    fflush(sr->con);
    sr->progress_shown = 1;
}

static void print_test(suite_run *sr, const results_test *t)
{
    clear_progress(sr);
    const char *st = results_status_name(t->status);
    fprintf(sr->con, "[%s] %-40s %s (%.3f s)", sr->def->name, t->name, st, t->duration_s);
    if (t->status == RESULTS_SKIPPED && t->skip_reason)
        fprintf(sr->con, ": %s", t->skip_reason);
    fputc('\n', sr->con);
    for (size_t i = 0; i < t->nfailures && i < 3; i++)
        fprintf(sr->con, "    %s\n", t->failures[i]);
    if (t->nfailures > 3)
        fprintf(sr->con, "    (%zu more failures in the summary)\n", t->nfailures - 3);
    fflush(sr->con);
}

static void log_line(suite_run *sr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(suite_run *sr, const char *fmt, ...)
{
    char ts[40], buf[2048];
    results_iso_now(ts, sizeof(ts));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char line[2200];
    int n = snprintf(line, sizeof(line), "==== %s %s ====\n", ts, buf);
    if (sr->logfd >= 0 && n > 0)
        write_all(sr->logfd, line, strlen(line));
}

static void finish_current(suite_run *sr, double duration)
{
    if (!sr->cur)
        return;
    sr->cur->duration_s = duration >= 0 ? duration : mono_now() - sr->cur_t0;
    if (sr->cur->status == RESULTS_RUNNING)
        sr->cur->status = RESULTS_PASSED;
    sr->finished++;
    print_test(sr, sr->cur);
    sr->cur = NULL;
    sr->test_idx = -1;
}

static void handle_event(suite_run *sr, const ev_header *h, const char *p)
{
    switch (h->type) {
    case EV_TEST_START: {
        if (sr->cur) /* should not happen: close the previous one */
            finish_current(sr, -1);
        const char *name = h->test >= 0 ? sr->def->tests[h->test].pName : "(unknown)";
        sr->cur = results_add_test(sr->rs, name);
        sr->cur_t0 = mono_now();
        sr->test_idx = h->test;
        if (h->test > sr->last_started)
            sr->last_started = h->test;
        show_progress(sr);
        break;
    }
    case EV_FAIL:
        if (sr->cur)
            results_test_fail(sr->cur, "%s", p);
        else
            results_suite_message(sr->rs, "%s", p);
        break;
    case EV_SKIP:
        if (h->test < 0 && !sr->cur)
            sr->suite_skipped = 1;
        if (sr->cur)
            results_test_skip(sr->cur, p);
        else {
            /* the whole suite, from its init: every matching test is skipped */
            for (CU_TestInfo *t = sr->def->tests; t && t->pName; t++) {
                if (!runner_test_matches(sr->def->name, t->pName, sr->o->tests, sr->o->ntests))
                    continue;
                if (results_find_test(sr->rs, t->pName))
                    continue;
                results_test *rt = results_add_test(sr->rs, t->pName);
                results_test_skip(rt, p);
                sr->finished++;
                print_test(sr, rt);
            }
        }
        break;
    case EV_METRIC: {
        double v;
        memcpy(&v, p, sizeof(double));
        const char *name = p + sizeof(double);
        const char *unit = name + strlen(name) + 1;
        if (sr->cur)
            results_test_metric(sr->cur, name, v, unit);
        else
            results_suite_metric(sr->rs, name, v, unit);
        break;
    }
    case EV_TEST_END: {
        double d = -1;
        if (h->len == sizeof(double))
            memcpy(&d, p, sizeof(double));
        finish_current(sr, d);
        break;
    }
    case EV_SUITE_MSG:
        results_suite_message(sr->rs, "%s", p);
        break;
    case EV_DONE:
        sr->done = 1;
        break;
    default:
        results_suite_message(sr->rs, "runner: unknown event %u from the suite child", h->type);
    }
}

static int handle_rpc(suite_run *sr, int fd)
{
    rpc_req q;
    if (read_all(fd, &q, sizeof(q)) < 0)
        return -1;
    rpc_rep *p = calloc(1, sizeof(*p));
    if (!p)
        abort();
    envdriver *env = sr->o->ctx.env;
    env_service s = (env_service)q.service;
    if (!env || q.service < 0 || q.service >= ENV_NUM_SERVICES) {
        p->rc = -1;
        snprintf(p->err, sizeof(p->err), "no environment driver, or bad service %d", q.service);
    } else {
        char *e = p->err;
        size_t el = sizeof(p->err);
        switch (q.op) {
        case RPC_START:
            p->rc = envdriver_start(env, s, e, el);
            break;
        case RPC_STOP:
            p->rc = envdriver_stop(env, s, q.arg, e, el);
            break;
        case RPC_KILL:
            p->rc = envdriver_kill(env, s, q.arg, e, el);
            break;
        case RPC_PAUSE:
            p->rc = envdriver_pause(env, s, e, el);
            break;
        case RPC_UNPAUSE:
            p->rc = envdriver_unpause(env, s, e, el);
            break;
        case RPC_DISCONNECT:
            p->rc = envdriver_disconnect(env, s, e, el);
            break;
        case RPC_RECONNECT:
            p->rc = envdriver_reconnect(env, s, e, el);
            break;
        case RPC_STATS:
            p->rc = envdriver_stats(env, s, &p->stats, e, el);
            break;
        default:
            p->rc = -1;
            snprintf(e, el, "unknown environment operation %d", q.op);
        }
        static const char *const op_names[] = {
            "?", "start", "stop", "kill", "pause", "unpause", "disconnect", "reconnect", "stats"};
        const char *opn = q.op > 0 && q.op <= RPC_STATS ? op_names[q.op] : "?";
        if (q.op == RPC_KILL || q.op == RPC_STOP)
            log_line(sr, "environment: %s %s(%d) -> %s%s", envdriver_service_name(s), opn, q.arg,
                     p->rc == 0 ? "ok" : "failed: ", p->rc == 0 ? "" : p->err);
        else
            log_line(sr, "environment: %s %s -> %s%s", envdriver_service_name(s), opn,
                     p->rc == 0 ? "ok" : "failed: ", p->rc == 0 ? "" : p->err);
        p->caps = env->caps;
        memcpy(p->dashboard_url, env->dashboard_url, sizeof(p->dashboard_url));
        memcpy(p->dashboard_http, env->dashboard_http, sizeof(p->dashboard_http));
        memcpy(p->bot_status_url, env->bot_status_url, sizeof(p->bot_status_url));
    }
    int rc = write_all(fd, p, sizeof(*p));
    free(p);
    return rc;
}

static const char *describe_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
    else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "ended (status 0x%x)", status);
    return buf;
}

/* Kills the child's process group and reaps the child. */
static int kill_child(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

/* Reads what the event pipe holds and handles every complete record.
 * Returns the bytes read, 0 at end of file, -1 on error (EAGAIN included:
 * nothing there, for the final drain on a non-blocking descriptor). */
static ssize_t read_events(suite_run *sr, int fd, char *ebuf, size_t *elen)
{
    ssize_t r;
    do
        r = read(fd, ebuf + *elen, sizeof(ev_header) + EV_MAX_PAYLOAD - *elen);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return r;
    *elen += (size_t)r;
    while (*elen >= sizeof(ev_header)) {
        ev_header h;
        memcpy(&h, ebuf, sizeof(h));
        if (h.len > EV_MAX_PAYLOAD) {
            results_suite_message(sr->rs, "runner: corrupt event stream");
            *elen = 0;
            break;
        }
        if (*elen < sizeof(h) + h.len)
            break;
        char save = ebuf[sizeof(h) + h.len];
        ebuf[sizeof(h) + h.len] = 0; /* payload as a string */
        handle_event(sr, &h, ebuf + sizeof(h));
        ebuf[sizeof(h) + h.len] = save;
        memmove(ebuf, ebuf + sizeof(h) + h.len, *elen - sizeof(h) - h.len);
        *elen -= sizeof(h) + h.len;
    }
    return r;
}

enum child_outcome {
    CHILD_OK,
    CHILD_DIED,
    CHILD_HUNG,      /* the suite watchdog expired */
    CHILD_TEST_HUNG, /* one test ran past --test-timeout */
    CHILD_INTERRUPTED,
    CHILD_FORK_FAILED
};

/* Runs one child from suite_def index start; returns how it ended. */
static enum child_outcome run_child(suite_run *sr, size_t start, char *why, size_t whylen)
{
    int evp[2], outp[2], rpc[2];
    if (pipe2(evp, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return CHILD_FORK_FAILED;
    }
    if (pipe2(outp, O_CLOEXEC) < 0) {
        close(evp[0]);
        close(evp[1]);
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return CHILD_FORK_FAILED;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rpc) < 0) {
        close(evp[0]);
        close(evp[1]);
        close(outp[0]);
        close(outp[1]);
        snprintf(why, whylen, "socketpair: %s", strerror(errno));
        return CHILD_FORK_FAILED;
    }
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(evp[0]);
        close(evp[1]);
        close(outp[0]);
        close(outp[1]);
        close(rpc[0]);
        close(rpc[1]);
        return CHILD_FORK_FAILED;
    }
    if (pid == 0) {
        close(evp[0]);
        close(outp[0]);
        close(rpc[0]);
        if (sr->logfd >= 0)
            close(sr->logfd);
        child_main(sr->def, start, sr->o, parent, evp[1], rpc[1], outp[1]);
    }
    setpgid(pid, pid); /* also done in the child: whichever runs first */
    close(evp[1]);
    close(outp[1]);
    close(rpc[1]);
    log_line(sr, "suite %s: child %d runs tests from #%zu", sr->def->name, (int)pid, start);

    struct pollfd pf[3] = {{evp[0], POLLIN, 0}, {outp[0], POLLIN, 0}, {rpc[0], POLLIN, 0}};
    int open_fds = 3;
    char *ebuf = malloc(sizeof(ev_header) + EV_MAX_PAYLOAD + 1);
    size_t elen = 0;
    enum child_outcome outcome = CHILD_OK;
    int status = 0, reaped = 0;
    while (open_fds > 0) {
        double now = mono_now();
        if (sr->o->interrupted && *sr->o->interrupted) {
            outcome = CHILD_INTERRUPTED;
            break;
        }
        if (now >= sr->deadline) {
            outcome = CHILD_HUNG;
            break;
        }
        double until = sr->deadline;
        if (sr->cur && sr->o->test_timeout_s > 0) {
            double td = sr->cur_t0 + sr->o->test_timeout_s;
            if (now >= td) {
                outcome = CHILD_TEST_HUNG;
                break;
            }
            if (td < until)
                until = td;
        }
        int tmo = (int)((until - now) * 1000) + 1;
        if (tmo > 200)
            tmo = 200;
        int n = poll(pf, 3, tmo);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0 || mono_now() - sr->progress_at >= 0.2)
            show_progress(sr);
        if (n <= 0)
            continue;
        if (pf[0].revents && read_events(sr, evp[0], ebuf, &elen) <= 0) {
            pf[0].fd = -1;
            open_fds--;
        }
        if (pf[1].revents) {
            char buf[8192];
            ssize_t r = read(outp[0], buf, sizeof(buf));
            if (r <= 0 && !(r < 0 && errno == EINTR)) {
                pf[1].fd = -1;
                open_fds--;
            } else if (r > 0) {
                if (sr->logfd >= 0)
                    write_all(sr->logfd, buf, (size_t)r);
                if (sr->o->verbose) {
                    clear_progress(sr);
                    fwrite(buf, 1, (size_t)r, stderr);
                }
            }
        }
        if (pf[2].revents) {
            if (!(pf[2].revents & POLLIN) || handle_rpc(sr, rpc[0]) < 0) {
                pf[2].fd = -1;
                open_fds--;
            }
        }
    }
    if (outcome != CHILD_OK && pf[0].fd >= 0) {
        /* stopped early (watchdog, interrupt): take in what the child already
           reported, so the test it was in is known; a child writing on does
           not hold this up (bounded by the pipe's content) */
        fcntl(evp[0], F_SETFL, fcntl(evp[0], F_GETFL) | O_NONBLOCK);
        for (int i = 0; i < 64 && read_events(sr, evp[0], ebuf, &elen) > 0; i++)
            ;
    }
    free(ebuf);
    if (outcome == CHILD_OK) {
        /* every channel is closed: the child is exiting; reap it within the deadline */
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                reaped = 1;
                break;
            }
            if (w < 0 && errno != EINTR) {
                reaped = 1;
                break;
            }
            if (mono_now() >= sr->deadline) {
                outcome = CHILD_HUNG;
                break;
            }
            poll(NULL, 0, 5);
        }
    }
    if (!reaped)
        status = kill_child(pid);
    else
        kill(-pid, SIGKILL); /* anything the child left in its group */
    close(evp[0]);
    close(outp[0]);
    close(rpc[0]);
    char sbuf[128];
    describe_status(status, sbuf, sizeof(sbuf));
    log_line(sr, "suite %s: child %d %s", sr->def->name, (int)pid, sbuf);
    if (outcome == CHILD_OK && (!sr->done || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        outcome = CHILD_DIED;
        snprintf(why, whylen, "%s", sbuf);
    }
    return outcome;
}

/* Marks the matching tests never started as not run. */
static void mark_not_run(suite_run *sr, const char *reason)
{
    for (CU_TestInfo *t = sr->def->tests; t && t->pName; t++) {
        if (!runner_test_matches(sr->def->name, t->pName, sr->o->tests, sr->o->ntests))
            continue;
        if (results_find_test(sr->rs, t->pName))
            continue;
        results_test *rt = results_add_test(sr->rs, t->pName);
        results_test_skip(rt, reason);
        print_test(sr, rt);
    }
}

static void run_suite(const runner_opts *o, results_run *run, results_suite *rs,
                      const suite_def *def)
{
    suite_run sr = {0};
    sr.o = o;
    sr.run = run;
    sr.rs = rs;
    sr.def = def;
    sr.con = o->console ? o->console : stdout;
    sr.test_idx = -1;
    sr.last_started = -1;
    sr.suite_t0 = mono_now();
    sr.deadline = sr.suite_t0 + (o->suite_timeout_s > 0 ? o->suite_timeout_s : 600);
    for (CU_TestInfo *t = def->tests; t && t->pName; t++)
        if (runner_test_matches(def->name, t->pName, o->tests, o->ntests))
            sr.nmatch++;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.log", o->results_dir, def->name);
    sr.logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    if (sr.logfd < 0)
        wlog_warn("cannot open %s: %s", path, strerror(errno));
    log_line(&sr, "suite %s starts (%zu tests, watchdog %.0f s)", def->name, sr.nmatch,
             o->suite_timeout_s);
    if (!o->progress)
        fprintf(sr.con, "[%s] starting: %zu tests\n", def->name, sr.nmatch);

    size_t start = 0;
    int restarts = 0;
    for (;;) {
        char why[256] = "";
        sr.done = 0;
        enum child_outcome oc = run_child(&sr, start, why, sizeof(why));
        if (oc == CHILD_OK)
            break;
        if (oc == CHILD_FORK_FAILED) {
            results_suite_message(rs, "cannot start the suite process: %s", why);
            break;
        }
        if (oc == CHILD_INTERRUPTED) {
            run->interrupted = 1;
            if (sr.cur)
                results_test_fail(sr.cur, "interrupted (SIGINT/SIGTERM to the harness)");
            finish_current(&sr, -1);
            results_suite_message(rs, "interrupted");
            mark_not_run(&sr, "not run: the run was interrupted");
            break;
        }
        if (oc == CHILD_HUNG) {
            char m[512];
            snprintf(m, sizeof(m), "watchdog: the suite took longer than %.0f s%s%s; killed",
                     o->suite_timeout_s, sr.cur ? ", hung in test " : "",
                     sr.cur ? sr.cur->name : "");
            if (sr.cur)
                results_test_fail(sr.cur, "hung: %s", m);
            finish_current(&sr, -1);
            results_suite_message(rs, "%s", m);
            mark_not_run(&sr, "not run: the suite watchdog expired");
            break;
        }
        /* CHILD_DIED or CHILD_TEST_HUNG */
        if (sr.cur) {
            int crashed = sr.test_idx;
            if (oc == CHILD_TEST_HUNG) {
                results_test_fail(sr.cur,
                                  "hung: no result within the test timeout of %.0f s; "
                                  "killed (see %s.log)",
                                  o->test_timeout_s, def->name);
                results_suite_message(rs, "test %s hung past %.0f s and was killed",
                                      def->tests[crashed].pName, o->test_timeout_s);
            } else {
                results_test_fail(sr.cur,
                                  "crashed: the suite process %s during this test (see %s.log)",
                                  why, def->name);
                results_suite_message(rs, "the suite process %s in test %s", why,
                                      def->tests[crashed].pName);
            }
            finish_current(&sr, -1);
            int more = 0;
            for (CU_TestInfo *t = &def->tests[crashed + 1]; t->pName; t++)
                more |= runner_test_matches(def->name, t->pName, o->tests, o->ntests);
            if (restarts++ < 20 && more) {
                start = (size_t)crashed + 1;
                log_line(&sr, "restarting the suite after the %s",
                         oc == CHILD_TEST_HUNG ? "hung test" : "crash");
                continue;
            }
        } else {
            results_suite_message(rs, "the suite process %s outside any test (setup or cleanup)",
                                  why);
        }
        mark_not_run(&sr, "not run: the suite process ended early");
        break;
    }
    /* tests the child never reached (the suite's init failed or skipped them) */
    mark_not_run(&sr, rs->nmessages ? "not run: the suite could not run it (see the suite's "
                                      "messages)"
                                    : "not run");
    clear_progress(&sr);
    rs->duration_s = mono_now() - sr.suite_t0;
    results_suite_settle(rs);
    log_line(&sr, "suite %s: %s", def->name, results_status_name(rs->status));
    if (sr.logfd >= 0)
        close(sr.logfd);
}

int runner_run(const runner_entry *entries, size_t n, const runner_selection *sel,
               const runner_opts *o, results_run *run)
{
    FILE *con = o->console ? o->console : stdout;
    double t0 = mono_now();
    char err[512];
    for (size_t i = 0; i < n; i++) {
        if (sel[i] == RUNNER_UNSELECTED)
            continue;
        const suite_def *def = entries[i].def;
        if (o->interrupted && *o->interrupted) {
            run->interrupted = 1;
            break;
        }
        if (def && o->ntests) {
            /* with --test, suites without a matching test are left out */
            size_t m = 0;
            for (CU_TestInfo *t = def->tests; t && t->pName; t++)
                m += (size_t)runner_test_matches(def->name, t->pName, o->tests, o->ntests);
            if (!m)
                continue;
        } else if (!def && o->ntests && sel[i] != RUNNER_EXPLICIT) {
            continue;
        }
        results_suite *rs = results_add_suite(run, entries[i].name,
                                              def && def->description ? def->description : "");
        rs->explicit_selection = sel[i] == RUNNER_EXPLICIT;
        if (!def) {
            rs->available = 0;
            results_suite_settle(rs);
            fprintf(con, "[%s] not available (not built yet)%s\n", entries[i].name,
                    rs->explicit_selection ? ": asked for explicitly, so the run fails" : "");
        } else if (o->env_error) {
            results_suite_message(rs, "the environment could not start: %s", o->env_error);
            for (CU_TestInfo *t = def->tests; t && t->pName; t++)
                if (runner_test_matches(def->name, t->pName, o->tests, o->ntests))
                    results_test_skip(results_add_test(rs, t->pName),
                                      "not run: the environment could not start");
            results_suite_settle(rs);
            fprintf(con, "[%s] failed: the environment could not start: %s\n", def->name,
                    o->env_error);
        } else {
            run_suite(o, run, rs, def);
            if (results_write_suite_metrics(rs, o->results_dir, err, sizeof(err)) < 0)
                wlog_error("%s", err);
            fprintf(con, "[%s] %s in %.1f s\n", def->name, results_status_name(rs->status),
                    rs->duration_s);
        }
        fflush(con);
        results_run_finish(run, mono_now() - t0);
        if (results_write_all(run, o->results_dir, err, sizeof(err)) < 0)
            wlog_error("%s", err);
    }
    results_run_finish(run, mono_now() - t0);
    if (results_write_all(run, o->results_dir, err, sizeof(err)) < 0)
        wlog_error("%s", err);
    return results_run_ok(run) ? 0 : 1;
}
