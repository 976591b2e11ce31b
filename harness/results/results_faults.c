/* results_faults: the "Faults" section of test_report.md, read from
 * <results_dir>/metrics/faults.json (written by the fault_tolerance suite,
 * suites/fault_scene.c): per scenario its verdict and message, its ledger
 * (one row per subscriber: generated, received, lost, duplicated, out of
 * order, announced, with the ranges) and its timeline (every fault injected
 * and healed, detection and recovery). Writes nothing when the file is
 * absent (the suite did not run); says so when it cannot be read. */
#include "results_int.h"

#include <stdlib.h>
#include <string.h>

#include "wjson.h"

#define RF_MAX_BYTES (16 * 1024 * 1024)
#define RF_MAX_EVENTS 60 /* timeline rows per scenario; the file has them all */

/* A table cell: no newlines, no pipes, no HTML. */
static void cell(FILE *f, const char *s)
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
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
}

static void ledger_rows(FILE *f, const cJSON *ledgers)
{
    fprintf(f, "| subscriber | seq | generated | received | lost | duplicated | out of order | "
               "announced | lost ranges | announced ranges |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---|---|\n");
    const cJSON *l;
    cJSON_ArrayForEach(l, ledgers)
    {
        fputs("| ", f);
        cell(f, wjson_str(l, "subscriber", "?"));
        fprintf(f, " | %lld..%lld | %lld | %lld | %lld | %lld | %lld | %lld | ",
                (long long)wjson_int(l, "from", 0), (long long)wjson_int(l, "to", 0),
                (long long)wjson_int(l, "generated", 0), (long long)wjson_int(l, "received", 0),
                (long long)wjson_int(l, "lost", 0), (long long)wjson_int(l, "duplicated", 0),
                (long long)wjson_int(l, "out_of_order", 0),
                (long long)wjson_int(l, "announced", 0));
        cell(f, wjson_str(l, "lost_ranges", ""));
        fputs(" | ", f);
        cell(f, wjson_str(l, "announced_ranges", ""));
        fputs(" |\n", f);
    }
}

static void timeline_rows(FILE *f, const cJSON *events)
{
    fprintf(f, "\n| t (s) | event | detail |\n|---:|---|---|\n");
    int n = 0, total = cJSON_GetArraySize(events);
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        if (n++ >= RF_MAX_EVENTS)
            break;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "t_s");
        fprintf(f, "| %.3f | ", cJSON_IsNumber(t) ? t->valuedouble : 0.0);
        cell(f, wjson_str(e, "event", ""));
        fputs(" | ", f);
        cell(f, wjson_str(e, "detail", ""));
        fputs(" |\n", f);
    }
    if (total > RF_MAX_EVENTS)
        fprintf(f, "\n(%d more events in metrics/faults.json)\n", total - RF_MAX_EVENTS);
}

int results_faults_section(const results_run *r, FILE *f)
{
    if (!r->results_dir || !r->results_dir[0])
        return 0;
    char path[4096], err[128];
    snprintf(path, sizeof(path), "%s/metrics/faults.json", r->results_dir);
    size_t len = 0;
    int absent = 0;
    char *text = results_read_text(path, RF_MAX_BYTES, &len, &absent);
    if (absent)
        return 0;
    cJSON *doc = text ? wjson_parse(text, len, 64, err, sizeof(err)) : NULL;
    free(text);
    fprintf(f, "\n## Faults\n\nFrom [metrics/faults.json](metrics/faults.json): each fault "
               "scenario's ledger (what the bot generated against what each subscriber got) "
               "and its timeline.\n");
    const cJSON *scen = cJSON_GetObjectItemCaseSensitive(doc, "scenarios");
    if (!cJSON_IsArray(scen)) {
        fprintf(f, "\n(metrics/faults.json is unreadable: %s)\n", doc ? "no scenarios" : err);
        cJSON_Delete(doc);
        return ferror(f) ? -1 : 0;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, scen)
    {
        const char *verdict = wjson_str(s, "verdict", "?");
        fprintf(f, "\n### %s: %s\n\n", wjson_str(s, "scenario", "?"),
                strcmp(verdict, "pass") == 0 ? "PASS" : "**FAIL**");
        const char *m = wjson_str(s, "message", "");
        if (m[0]) {
            cell(f, m);
            fputs("\n\n", f);
        }
        ledger_rows(f, cJSON_GetObjectItemCaseSensitive(s, "ledger"));
        timeline_rows(f, cJSON_GetObjectItemCaseSensitive(s, "timeline"));
    }
    cJSON_Delete(doc);
    return ferror(f) ? -1 : 0;
}
