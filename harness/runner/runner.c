/* runner: the parent's side, runner_run(). For each selected suite it forks
 * a child (runner_child.c) in its own process group and watches it: it
 * takes in the child's events (runner_wire.c) into the results, appends the
 * child's output to <results>/<suite>.log, carries out the environment
 * requests of the child's remote driver on the real one (env_remote.h),
 * and enforces the suite's watchdog and the per-test timeout. After a crash
 * or a hung test it fails that test and starts a new child from the next
 * one; when the watchdog expires or the run is interrupted, the rest is
 * marked not run. The result files are rewritten after every suite.
 * Selection is runner_select.c, the console runner_console.c. */
#include "runner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env_remote.h"
#include "wlog.h"
#include "wclock.h"

static void finish_current(runner_suite_run *sr, double duration)
{
    if (!sr->cur)
        return;
    sr->cur->duration_s = duration >= 0 ? duration : wclock_mono_s() - sr->cur_t0;
    if (sr->cur->status == RESULTS_RUNNING)
        sr->cur->status = RESULTS_PASSED;
    sr->finished++;
    runner_console_test(sr, sr->cur);
    sr->cur = NULL;
    sr->test_idx = -1;
}

/* One record from the child's events pipe (a runner_ev_fn). */
static void handle_event(void *ud, const runner_ev_header *h, const char *p)
{
    runner_suite_run *sr = ud;
    switch (h->type) {
    case EV_TEST_START: {
        if (sr->cur) /* should not happen: close the previous one */
            finish_current(sr, -1);
        const char *name = h->test >= 0 ? sr->def->tests[h->test].pName : "(unknown)";
        sr->cur = results_add_test(sr->rs, name);
        sr->cur_t0 = wclock_mono_s();
        sr->test_idx = h->test;
        if (h->test > sr->last_started)
            sr->last_started = h->test;
        runner_console_progress(sr);
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
                runner_console_test(sr, rt);
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
    case EV_THRESHOLD: {
        double v;
        if (h->len < sizeof(double) + 2)
            break;
        memcpy(&v, p, sizeof(double));
        int passed = p[sizeof(double)] != 0;
        const char *metric = p + sizeof(double) + 1;
        const char *expr = metric + strlen(metric) + 1;
        const char *unit = expr + strlen(expr) + 1;
        if (sr->cur)
            results_test_threshold(sr->cur, metric, expr, v, unit, passed);
        else
            results_suite_message(sr->rs, "threshold %s: %s judged outside a test", metric, expr);
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

/* One environment request from the child's remote driver: carried out on
 * the real driver (env_remote_serve), logged, answered. -1 when the socket
 * is closed or broken. */
static int handle_rpc(runner_suite_run *sr, int fd)
{
    env_remote_req q;
    if (runner_read_all(fd, &q, sizeof(q)) < 0)
        return -1;
    env_remote_rep *p = calloc(1, sizeof(*p));
    if (!p)
        abort();
    if (env_remote_serve(sr->o->ctx.env, &q, p) == 0) {
        char what[1024];
        env_remote_describe(&q, p, what, sizeof(what));
        runner_console_log(sr, "environment: %s", what);
    }
    int rc = runner_write_all(fd, p, sizeof(*p));
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

enum child_outcome {
    CHILD_OK,
    CHILD_DIED,
    CHILD_HUNG,      /* the suite watchdog expired */
    CHILD_TEST_HUNG, /* one test ran past --test-timeout */
    CHILD_INTERRUPTED,
    CHILD_FORK_FAILED
};

/* Runs one child from suite_def index start; returns how it ended. */
static enum child_outcome run_child(runner_suite_run *sr, size_t start, char *why, size_t whylen)
{
    int evp[2], outp[2], rpc[2];
    runner_evbuf eb;
    if (runner_evbuf_init(&eb) < 0) {
        snprintf(why, whylen, "out of memory");
        return CHILD_FORK_FAILED;
    }
    if (pipe2(evp, O_CLOEXEC) < 0) {
        runner_evbuf_free(&eb);
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return CHILD_FORK_FAILED;
    }
    if (pipe2(outp, O_CLOEXEC) < 0) {
        runner_evbuf_free(&eb);
        close(evp[0]);
        close(evp[1]);
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return CHILD_FORK_FAILED;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rpc) < 0) {
        runner_evbuf_free(&eb);
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
        runner_evbuf_free(&eb);
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
        runner_child_main(sr->def, start, sr->o, parent, evp[1], rpc[1], outp[1]);
    }
    setpgid(pid, pid); /* also done in the child: whichever runs first */
    close(evp[1]);
    close(outp[1]);
    close(rpc[1]);
    runner_console_log(sr, "suite %s: child %d runs tests from #%zu", sr->def->name, (int)pid,
                       start);

    struct pollfd pf[3] = {{evp[0], POLLIN, 0}, {outp[0], POLLIN, 0}, {rpc[0], POLLIN, 0}};
    int open_fds = 3;
    enum child_outcome outcome = CHILD_OK;
    int status = 0, reaped = 0;
    while (open_fds > 0) {
        double now = wclock_mono_s();
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
        if (n <= 0 || wclock_mono_s() - sr->progress_at >= 0.2)
            runner_console_progress(sr);
        if (n <= 0)
            continue;
        if (pf[0].revents && runner_wire_read(evp[0], &eb, handle_event, sr) <= 0) {
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
                    runner_write_all(sr->logfd, buf, (size_t)r);
                if (sr->o->verbose) {
                    runner_console_clear(sr);
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
        for (int i = 0; i < 64 && runner_wire_read(evp[0], &eb, handle_event, sr) > 0; i++)
            ;
    }
    runner_evbuf_free(&eb);
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
            if (wclock_mono_s() >= sr->deadline) {
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
    runner_console_log(sr, "suite %s: child %d %s", sr->def->name, (int)pid, sbuf);
    if (outcome == CHILD_OK && (!sr->done || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        outcome = CHILD_DIED;
        snprintf(why, whylen, "%s", sbuf);
    }
    return outcome;
}

/* Marks the matching tests never started as not run. */
static void mark_not_run(runner_suite_run *sr, const char *reason)
{
    for (CU_TestInfo *t = sr->def->tests; t && t->pName; t++) {
        if (!runner_test_matches(sr->def->name, t->pName, sr->o->tests, sr->o->ntests))
            continue;
        if (results_find_test(sr->rs, t->pName))
            continue;
        results_test *rt = results_add_test(sr->rs, t->pName);
        results_test_skip(rt, reason);
        runner_console_test(sr, rt);
    }
}

static void run_suite(const runner_opts *o, results_run *run, results_suite *rs,
                      const suite_def *def)
{
    runner_suite_run sr = {0};
    sr.o = o;
    sr.run = run;
    sr.rs = rs;
    sr.def = def;
    sr.con = o->console ? o->console : stdout;
    sr.test_idx = -1;
    sr.last_started = -1;
    sr.suite_t0 = wclock_mono_s();
    sr.deadline = sr.suite_t0 + (o->suite_timeout_s > 0 ? o->suite_timeout_s : 600);
    for (CU_TestInfo *t = def->tests; t && t->pName; t++)
        if (runner_test_matches(def->name, t->pName, o->tests, o->ntests))
            sr.nmatch++;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.log", o->results_dir, def->name);
    sr.logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    if (sr.logfd < 0)
        wlog_warn("cannot open %s: %s", path, strerror(errno));
    runner_console_log(&sr, "suite %s starts (%zu tests, watchdog %.0f s)", def->name, sr.nmatch,
                       o->suite_timeout_s);
    runner_console_suite_start(&sr);

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
                runner_console_log(&sr, "restarting the suite after the %s",
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
    runner_console_clear(&sr);
    rs->duration_s = wclock_mono_s() - sr.suite_t0;
    results_suite_settle(rs);
    runner_console_log(&sr, "suite %s: %s", def->name, results_status_name(rs->status));
    if (sr.logfd >= 0)
        close(sr.logfd);
}

int runner_run(const runner_entry *entries, size_t n, const runner_selection *sel,
               const runner_opts *o, results_run *run)
{
    FILE *con = o->console ? o->console : stdout;
    double t0 = wclock_mono_s();
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
        rs->allow_skips = o->allow_skips || o->ntests > 0;
        if (!def) {
            rs->available = 0;
            results_suite_settle(rs);
            runner_console_not_available(con, entries[i].name, rs->explicit_selection);
        } else if (o->env_error) {
            results_suite_message(rs, "the environment could not start: %s", o->env_error);
            for (CU_TestInfo *t = def->tests; t && t->pName; t++)
                if (runner_test_matches(def->name, t->pName, o->tests, o->ntests))
                    results_test_skip(results_add_test(rs, t->pName),
                                      "not run: the environment could not start");
            results_suite_settle(rs);
            runner_console_env_failed(con, def->name, o->env_error);
        } else {
            run_suite(o, run, rs, def);
            if (results_write_suite_metrics(rs, o->results_dir, err, sizeof(err)) < 0)
                wlog_error("%s", err);
            runner_console_suite_end(con, def->name, rs);
        }
        fflush(con);
        results_run_finish(run, wclock_mono_s() - t0);
        if (results_write_all(run, o->results_dir, err, sizeof(err)) < 0)
            wlog_error("%s", err);
    }
    results_run_finish(run, wclock_mono_s() - t0);
    if (results_write_all(run, o->results_dir, err, sizeof(err)) < 0)
        wlog_error("%s", err);
    return results_run_ok(run) ? 0 : 1;
}
