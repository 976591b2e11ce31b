/* results_report: test_report.md, the run for people. First a link-free
 * summary (what GitHub's job summary shows, up to RESULTS_MD_SUMMARY_END):
 * the verdict and counts, the key figures (results_figures.c), the failed
 * tests with their first failure line, the slowest tests. Then the details:
 * the run's facts, a table of suites, thresholds, skips, every figure, each
 * suite's tests with their failures or skip reasons, and the fault
 * scenarios' ledgers and timelines (results_faults.c). */
#include "results.h"
#include "results_int.h"

#include <stdio.h>

/* Markdown table cells: no newlines, escaped pipes, and < > & as entities
 * (GitHub's job summary renders HTML: "<ok>" would vanish). */
static void md_cell(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static const char *status_badge(results_status s)
{
    switch (s) {
    case RESULTS_PASSED:
        return "PASS";
    case RESULTS_FAILED:
        return "**FAIL**";
    case RESULTS_SKIPPED:
        return "skip";
    case RESULTS_NOT_AVAILABLE:
        return "n/a";
    default:
        return "**INCOMPLETE**";
    }
}

/* The summary: no links (the job summary is read away from the files). */
static void write_summary(const results_run *r, FILE *f)
{
    results_totals t = results_count(r);
    int code = results_run_exit_code(r);
    const char *word = code == 0 ? "PASSED" : code == RESULTS_EXIT_BREACHED ? "TOO SLOW" : "FAILED";
    int sp = 0, sf = 0;
    for (size_t i = 0; i < r->nsuites; i++) {
        sp += r->suites[i].status == RESULTS_PASSED;
        sf += r->suites[i].status == RESULTS_FAILED;
    }
    fprintf(f, "# wsbridge: %s\n\n**%s**: %d tests, %d passed, %d failed, %d skipped; suites %d "
               "passed, %d failed, %d not available; %.1f s, %s mode, %s profile.%s\n",
            word, word, t.tests, t.passed, t.failed, t.skipped, sp, sf, t.not_available,
            r->duration_s, r->mode, r->profile,
            code == RESULTS_EXIT_BREACHED ? " Every check held but thresholds were breached "
                                            "(exit 99)."
                                          : "");
    if (r->env_error) {
        fprintf(f, "\nThe environment could not start: ");
        md_cell(f, r->env_error);
        fprintf(f, "\n");
    }
    results_figure fig[RESULTS_MAX_FIGURES];
    size_t n = results_key_figures(r, fig, RESULTS_MAX_FIGURES);
    if (n)
        fprintf(f, "\n| key figure | value | measured by |\n|---|---:|---|\n");
    for (size_t i = 0; i < n; i++) {
        char v[64];
        results_figure_format(&fig[i], v, sizeof(v));
        fprintf(f, "| %s | ", fig[i].label);
        md_cell(f, v);
        fprintf(f, " | %s / ", fig[i].suite);
        md_cell(f, fig[i].test);
        fprintf(f, " |\n");
    }
    int any = 0;
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        for (size_t m = 0; m < s->nmessages; m++) {
            if (!any++)
                fprintf(f, "\nFailed (the first line of each):\n\n");
            fprintf(f, "- %s (the suite): ", s->name);
            md_cell(f, s->messages[m]);
            fprintf(f, "\n");
        }
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *tt = &s->tests[k];
            if (tt->status != RESULTS_FAILED && tt->status != RESULTS_RUNNING)
                continue;
            if (!any++)
                fprintf(f, "\nFailed (the first line of each):\n\n");
            fprintf(f, "- %s / ", s->name);
            md_cell(f, tt->name);
            fprintf(f, ": ");
            md_cell(f, tt->nfailures ? tt->failures[0] : "(no message)");
            fprintf(f, "\n");
        }
    }
    fprintf(f, "\n%s\n\n", RESULTS_MD_SUMMARY_END);
}

static int write_report_stream(const results_run *r, FILE *f)
{
    results_totals t = results_count(r);
    int ok = results_run_ok(r);
    write_summary(r, f);
    fprintf(f, "## The run\n\n");
    fprintf(f, "| | |\n|---|---|\n");
    int code = results_run_exit_code(r);
    fprintf(f, "| result | %s |\n",
            ok                              ? "PASSED"
            : code == RESULTS_EXIT_BREACHED ? "**FAILED: thresholds breached** (exit 99)"
                                            : "**FAILED**");
    fprintf(f, "| started | %s |\n| finished | %s |\n| duration | %.1f s |\n", r->started,
            r->finished ? r->finished : "(unfinished)", r->duration_s);
    fprintf(f, "| mode | %s |\n| profile | %s |\n", r->mode, r->profile);
    if (r->dashboard_url)
        fprintf(f, "| dashboard | %s |\n", r->dashboard_url);
    if (r->bot_status_url)
        fprintf(f, "| bot status | %s |\n", r->bot_status_url);
    if (r->env_error) {
        fprintf(f, "| environment | **could not start:** ");
        md_cell(f, r->env_error);
        fprintf(f, " |\n");
    }
    fprintf(f, "| tests | %d: %d passed, %d failed, %d skipped, %d not available |\n", t.tests,
            t.passed, t.failed, t.skipped, t.not_available);
    if (r->interrupted)
        fprintf(f, "| note | the run was interrupted |\n");
    int any = 0;
    fprintf(f, "\n## Suites\n\n| suite | status | tests | passed | failed | skipped | "
               "duration (s) | log |\n|---|---|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        int p = 0, fl = 0, sk = 0;
        for (size_t k = 0; k < s->ntests; k++) {
            if (s->tests[k].status == RESULTS_PASSED)
                p++;
            else if (s->tests[k].status == RESULTS_SKIPPED)
                sk++;
            else
                fl++;
        }
        fprintf(f, "| %s | %s%s | %zu | %d | %d | %d | %.2f | ", s->name, status_badge(s->status),
                !s->available
                    ? (s->explicit_selection ? " (not available, asked for)" : " (not built yet)")
                    : "",
                s->ntests, p, fl, sk, s->duration_s);
        if (s->available)
            fprintf(f, "[%s.log](%s.log)", s->name, s->name);
        fprintf(f, " |\n");
    }

    /* every judged threshold, breaches first */
    any = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->nsuites; i++)
            for (size_t k = 0; k < r->suites[i].ntests; k++) {
                const results_test *tt = &r->suites[i].tests[k];
                for (size_t h = 0; h < tt->nthresholds; h++) {
                    const results_threshold *th = &tt->thresholds[h];
                    if (th->passed != pass)
                        continue;
                    if (!any++)
                        fprintf(f, "\n## Thresholds\n\n| suite | test | threshold | value | "
                                   "verdict |\n|---|---|---|---:|---|\n");
                    fprintf(f, "| %s | ", r->suites[i].name);
                    md_cell(f, tt->name);
                    fprintf(f, " | ");
                    md_cell(f, th->metric);
                    fprintf(f, ": ");
                    md_cell(f, th->expr);
                    fprintf(f, " | %.6g %s | %s |\n", th->value, th->unit,
                            th->passed ? "passed" : "**BREACHED**");
                }
            }

    /* skips, where nobody can miss them */
    any = 0;
    for (size_t i = 0; i < r->nsuites; i++)
        for (size_t k = 0; k < r->suites[i].ntests; k++) {
            const results_test *tt = &r->suites[i].tests[k];
            if (tt->status != RESULTS_SKIPPED)
                continue;
            if (!any++)
                fprintf(f, "\n## Skipped (not checked)\n\n| suite | test | why |\n|---|---|---|\n");
            fprintf(f, "| %s | ", r->suites[i].name);
            md_cell(f, tt->name);
            fprintf(f, " | ");
            md_cell(f, tt->skip_reason ? tt->skip_reason : "skipped");
            fprintf(f, " |\n");
        }

    /* key figures */
    any = 0;
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        size_t n = s->nmetrics;
        for (size_t k = 0; k < s->ntests; k++)
            n += s->tests[k].nmetrics;
        if (!n)
            continue;
        if (!any)
            fprintf(f, "\n## Every figure\n\n| suite | test | figure | value | unit |\n"
                       "|---|---|---|---:|---|\n");
        any = 1;
        for (size_t m = 0; m < s->nmetrics; m++) {
            fprintf(f, "| %s | | ", s->name);
            md_cell(f, s->metrics[m].name);
            fprintf(f, " | %.6g | ", s->metrics[m].value);
            md_cell(f, s->metrics[m].unit);
            fprintf(f, " |\n");
        }
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *tt = &s->tests[k];
            for (size_t m = 0; m < tt->nmetrics; m++) {
                fprintf(f, "| %s | ", s->name);
                md_cell(f, tt->name);
                fprintf(f, " | ");
                md_cell(f, tt->metrics[m].name);
                fprintf(f, " | %.6g | ", tt->metrics[m].value);
                md_cell(f, tt->metrics[m].unit);
                fprintf(f, " |\n");
            }
        }
    }

    /* per suite test tables */
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        if (!s->available)
            continue;
        fprintf(f, "\n## %s\n\n", s->name);
        if (s->description[0])
            fprintf(f, "%s\n\n", s->description);
        for (size_t m = 0; m < s->nmessages; m++) {
            fprintf(f, "- **suite problem:** ");
            md_cell(f, s->messages[m]);
            fprintf(f, "\n");
        }
        if (s->nothing_checked)
            fprintf(f, "- **nothing checked:** every test was skipped, so the suite fails "
                       "(`--allow-skips` accepts that)\n");
        if (s->nmessages || s->nothing_checked)
            fprintf(f, "\n");
        if (!s->ntests) {
            fprintf(f, "(no tests ran)\n");
            continue;
        }
        fprintf(f, "| test | status | duration (s) | details |\n|---|---|---:|---|\n");
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *tt = &s->tests[k];
            fprintf(f, "| ");
            md_cell(f, tt->name);
            fprintf(f, " | %s | %.3f | ", status_badge(tt->status), tt->duration_s);
            if (tt->status == RESULTS_SKIPPED && tt->skip_reason)
                md_cell(f, tt->skip_reason);
            for (size_t m = 0; m < tt->nfailures && m < 5; m++) {
                if (m)
                    fprintf(f, "<br>");
                md_cell(f, tt->failures[m]);
            }
            if (tt->nfailures > 5)
                fprintf(f, "<br>(%zu more in the summary)", tt->nfailures - 5);
            fprintf(f, " |\n");
        }
    }
    if (results_faults_section(r, f) < 0)
        return -1;
    return ferror(f) ? -1 : 0;
}

int results_write_report(const results_run *r, const char *path, char *err, size_t errlen)
{
    return results_write_stream_atomic(path, write_report_stream, r, err, errlen);
}
