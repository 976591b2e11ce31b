/* runner_child: the suite child's side of the runner. In the forked child
 * it builds a CUnit registry from the suite_def (the matching tests from a
 * start index, so that a restart after a crash goes on with the next test),
 * runs it, and reports through CUnit's start/complete handlers as records on
 * the events pipe (runner_wire.c). It also holds what suite.c asks for: the
 * suite's context (whose env is the remote driver of env_remote.h, talking
 * to the parent on the environment socket), skips and metrics. */
#include "runner_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <CUnit/TestRun.h>

#include "env_remote.h"
#include "wclock.h"

static struct {
    int active;
    int evfd, rpcfd;
    pthread_mutex_t lock;     /* one event record at a time */
    pthread_mutex_t rpc_lock; /* one environment request at a time */
    suite_ctx ctx;
    envdriver *remote; /* the proxy to the parent's driver, in ctx.env */
    int current;       /* index in the suite_def of the running test, -1 outside */
    int skipped;       /* suite_skip() called in the running test */
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
    pthread_mutex_lock(&child.lock);
    if (runner_wire_send(child.evfd, type, test, payload, len) < 0)
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

void runner_child_threshold(const char *metric, const char *expr, double value, const char *unit,
                            int passed)
{
    char buf[sizeof(double) + 1 + 512];
    memcpy(buf, &value, sizeof(double));
    buf[sizeof(double)] = passed ? 1 : 0;
    size_t off = sizeof(double) + 1;
    int n = snprintf(buf + off, sizeof(buf) - off, "%s%c%s%c%s", metric, 0, expr, 0,
                     unit ? unit : "");
    if (n < 0 || (size_t)n + 1 > sizeof(buf) - off)
        return;
    child_emit(EV_THRESHOLD, child.current, buf, off + (size_t)n + 1);
}

/* The remote driver's transport (env_remote.h): one request and its reply
 * on the environment socket, one at a time. */
static int child_env_call(void *ud, const env_remote_req *q, env_remote_rep *p)
{
    (void)ud;
    pthread_mutex_lock(&child.rpc_lock);
    int ok = runner_write_all(child.rpcfd, q, sizeof(*q)) == 0 &&
             runner_read_all(child.rpcfd, p, sizeof(*p)) == 0;
    pthread_mutex_unlock(&child.rpc_lock);
    return ok ? 0 : -1;
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
    child.test_t0 = wclock_mono_s();
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
    double d = wclock_mono_s() - child.test_t0;
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

void runner_child_main(const suite_def *def, size_t start, const runner_opts *o, pid_t parent,
                       int evfd, int rpcfd, int outfd)
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
        char err[256];
        child.remote = env_remote_new(o->ctx.env, child_env_call, NULL, err, sizeof(err));
        if (!child.remote) {
            child_emit_str(EV_SUITE_MSG, -1, err);
            _exit(4);
        }
        child.ctx.env = child.remote;
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
