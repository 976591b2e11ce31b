/* runner_console: what the runner parent prints. On the console: the live
 * progress line (a TTY), one line per finished test with its first failures,
 * one line per suite, and at the end the run's summary, read in five
 * seconds: the verdict and counts, the failed tests with their first
 * failure line, the slowest tests, the key figures, where the results and
 * the HTML report are; in <results>/<suite>.log: the runner's own
 * "==== time text ====" lines between the child's output. */
#include "runner_int.h"
#include "wclock.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

void runner_console_clear(runner_suite_run *sr)
{
    if (sr->progress_shown) {
        fprintf(sr->con, "\r\033[K");
        sr->progress_shown = 0;
    }
}

void runner_console_progress(runner_suite_run *sr)
{
    if (!sr->o->progress)
        return;
    double now = wclock_mono_s();
    sr->progress_at = now;
    fprintf(sr->con, "\r\033[K[%s %zu/%zu] %s %.1fs (suite %.0fs of %.0fs)", sr->def->name,
            sr->finished + (sr->cur ? 1 : 0), sr->nmatch, sr->cur ? sr->cur->name : "(setup)",
            sr->cur ? now - sr->cur_t0 : 0.0, now - sr->suite_t0, sr->o->suite_timeout_s);
    fflush(sr->con);
    sr->progress_shown = 1;
}

void runner_console_test(runner_suite_run *sr, const results_test *t)
{
    runner_console_clear(sr);
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

void runner_console_suite_start(runner_suite_run *sr)
{
    if (!sr->o->progress)
        fprintf(sr->con, "[%s] starting: %zu tests\n", sr->def->name, sr->nmatch);
}

void runner_console_suite_end(FILE *con, const char *name, const results_suite *rs)
{
    size_t skipped = 0, breached = 0;
    for (size_t i = 0; i < rs->ntests; i++) {
        skipped += rs->tests[i].status == RESULTS_SKIPPED;
        breached += rs->tests[i].nbreaches;
    }
    fprintf(con, "[%s] %s in %.1f s", name, results_status_name(rs->status), rs->duration_s);
    if (rs->nothing_checked)
        fprintf(con, ": NOTHING CHECKED, every test was skipped (--allow-skips accepts that)");
    else if (skipped)
        fprintf(con, " (%zu skipped: not checked)", skipped);
    if (breached)
        fprintf(con, " (%zu threshold%s breached)", breached, breached == 1 ? "" : "s");
    fputc('\n', con);
}

void runner_console_not_available(FILE *con, const char *name, int explicit_selection)
{
    fprintf(con, "[%s] not available (not built yet)%s\n", name,
            explicit_selection ? ": asked for explicitly, so the run fails" : "");
}

void runner_console_env_failed(FILE *con, const char *name, const char *why)
{
    fprintf(con, "[%s] failed: the environment could not start: %s\n", name, why);
}

void runner_console_log(runner_suite_run *sr, const char *fmt, ...)
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
        runner_write_all(sr->logfd, line, strlen(line));
}

#define SUMMARY_FAILED 5  /* failed tests listed */
#define SUMMARY_SLOWEST 3 /* slowest tests listed */
#define SUMMARY_WIDTH 150 /* a failure line is cut here */

/* One line of at most SUMMARY_WIDTH characters, no newlines. */
static void summary_cut(FILE *con, const char *s)
{
    int n = 0;
    for (; s && *s && n < SUMMARY_WIDTH; s++, n++)
        fputc(*s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s, con);
    if (s && *s)
        fputs("...", con);
}

static void summary_failed(FILE *con, const results_run *run)
{
    size_t shown = 0, total = 0;
    for (size_t i = 0; i < run->nsuites; i++) {
        const results_suite *s = &run->suites[i];
        for (size_t m = 0; m < s->nmessages; m++, total++)
            if (shown < SUMMARY_FAILED) {
                fprintf(con, "  FAILED  %s (the suite): ", s->name);
                summary_cut(con, s->messages[m]);
                fputc('\n', con);
                shown++;
            }
        if (!s->available && s->status == RESULTS_FAILED && shown++ < SUMMARY_FAILED)
            fprintf(con, "  FAILED  %s: asked for, but not built into this harness\n", s->name);
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *t = &s->tests[k];
            if (t->status != RESULTS_FAILED && t->status != RESULTS_RUNNING)
                continue;
            total++;
            if (shown >= SUMMARY_FAILED)
                continue;
            shown++;
            fprintf(con, "  FAILED  %s/%s: ", s->name, t->name);
            summary_cut(con, t->nfailures ? t->failures[0] : "(no message)");
            if (t->nfailures > 1)
                fprintf(con, " (+%zu more)", t->nfailures - 1);
            fputc('\n', con);
        }
    }
    if (total > shown)
        fprintf(con, "  ... and %zu more failures (test_report.md lists them all)\n", total - shown);
}

static void summary_slowest(FILE *con, const results_run *run)
{
    const results_test *top[SUMMARY_SLOWEST] = {0};
    const char *suite[SUMMARY_SLOWEST] = {0};
    for (size_t i = 0; i < run->nsuites; i++)
        for (size_t k = 0; k < run->suites[i].ntests; k++) {
            const results_test *t = &run->suites[i].tests[k];
            for (size_t j = 0; j < SUMMARY_SLOWEST; j++) {
                if (top[j] && top[j]->duration_s >= t->duration_s)
                    continue;
                for (size_t m = SUMMARY_SLOWEST - 1; m > j; m--) {
                    top[m] = top[m - 1];
                    suite[m] = suite[m - 1];
                }
                top[j] = t;
                suite[j] = run->suites[i].name;
                break;
            }
        }
    if (!top[0])
        return;
    fprintf(con, "  slowest ");
    for (size_t j = 0; j < SUMMARY_SLOWEST && top[j]; j++)
        fprintf(con, "%s%s/%s %.1f s", j ? ", " : "", suite[j], top[j]->name, top[j]->duration_s);
    fputc('\n', con);
}

static void summary_figures(FILE *con, const results_run *run)
{
    results_figure fig[RESULTS_MAX_FIGURES];
    size_t n = results_key_figures(run, fig, RESULTS_MAX_FIGURES), col = 0, lines = 0;
    for (size_t i = 0; i < n; i++) {
        char v[64], item[160];
        results_figure_format(&fig[i], v, sizeof(v));
        int len = snprintf(item, sizeof(item), "%s %s", fig[i].label, v);
        if (col && col + (size_t)len + 3 > 110) { /* wrap: a figure is never cut */
            fputc('\n', con);
            col = 0;
        }
        fprintf(con, "%s%s", col ? " | " : lines++ ? "          " : "  figures ", item);
        col += (col ? 3 : 10) + (size_t)len;
    }
    if (col)
        fputc('\n', con);
}

void runner_console_summary(FILE *con, const results_run *run)
{
    int colour = isatty(fileno(con));
    int code = results_run_exit_code(run);
    results_totals t = results_count(run);
    const char *word = code == 0 ? "PASSED" : code == RESULTS_EXIT_BREACHED ? "TOO SLOW" : "FAILED";
    const char *on = !colour ? "" : code == 0 ? "\033[1;32m" : code == RESULTS_EXIT_BREACHED
                                                                  ? "\033[1;33m"
                                                                  : "\033[1;31m";
    int suites_ok = 0, suites_failed = 0;
    for (size_t i = 0; i < run->nsuites; i++) {
        suites_ok += run->suites[i].status == RESULTS_PASSED;
        suites_failed += run->suites[i].status == RESULTS_FAILED;
    }
    fprintf(con, "\n==== wsb-harness summary ====\n");
    fprintf(con, "%s%s%s  %d tests: %d passed, %d failed, %d SKIPPED (not checked); suites %d "
                 "passed, %d failed, %d not available; %.1f s%s\n",
            on, word, colour ? "\033[0m" : "", t.tests, t.passed, t.failed, t.skipped, suites_ok,
            suites_failed, t.not_available, run->duration_s,
            code == RESULTS_EXIT_BREACHED ? " (only thresholds breached: exit 99)" : "");
    if (run->env_error)
        fprintf(con, "  the environment could not start: %s\n", run->env_error);
    if (run->interrupted)
        fprintf(con, "  the run was interrupted\n");
    summary_failed(con, run);
    summary_slowest(con, run);
    summary_figures(con, run);
    fprintf(con, "  results %s\n  report  %s/test_report.html\n", run->results_dir,
            run->results_dir);
    fflush(con);
}
