/* runner_console: what the runner parent prints. On the console: the live
 * progress line (a TTY), one line per finished test with its first failures,
 * and one line per suite; in <results>/<suite>.log: the runner's own
 * "==== time text ====" lines between the child's output. */
#include "runner_int.h"
#include "wclock.h"

#include <stdarg.h>
#include <string.h>

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
