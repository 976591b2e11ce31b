/* results_figures: the key figures of a run, the few numbers a person looks
 * at first (the terminal summary, test_report.md and test_report.html show
 * the same ones). A fixed table says where each figure lives (suite, test,
 * metric); a figure whose metric the run does not have is left out, and the
 * first row that matches a label wins (performance's latency before
 * message_flow's). Tests merged from parallel workers carry a " [label]"
 * suffix: a test name matches up to it. */
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct figure_row {
    const char *label;
    const char *suite, *test, *metric;
} figure_row;

static const figure_row figure_rows[] = {
    {"end-to-end latency p50", "performance", "end_to_end", "e2e_latency_p50_us"},
    {"end-to-end latency p50", "message_flow", "end_to_end", "e2e_latency_p50_ms"},
    {"end-to-end latency p99", "performance", "end_to_end", "e2e_latency_p99_us"},
    {"end-to-end latency p99", "message_flow", "end_to_end", "e2e_latency_p99_ms"},
    {"delivered rate", "performance", "end_to_end", "delivered_rate"},
    {"delivery (delivered/published)", "performance", "end_to_end", "delivery_rate"},
    {"delivery under load", "load_tests", "concurrent", "delivery_rate"},
    {"load latency p99", "load_tests", "concurrent", "concurrent_latency_p99_us"},
    {"rate knee", "performance", "rate_sweep", "sweep_knee_rate"},
    {"capacity (connections)", "load_tests", "capacity", "capacity_last_good"},
    {"capacity (connections)", "connectivity", "capacity_ramp", "capacity_last_good"},
    {"dashboard crash recovery (max)", "fault_tolerance", "dashboard_crash", "recovery_max_s"},
    {"partition recovery", "fault_tolerance", "network_partition", "outage_recovery_s"},
    {"bot restart recovery", "fault_tolerance", "bot_restart", "recovery_s"},
    {"hung dashboard recovery", "fault_tolerance", "hung_dashboard", "hang_recovery_s"},
};

/* name equals want, or is want followed by " [worker]" */
static int test_name_matches(const char *name, const char *want)
{
    size_t n = strlen(want);
    return !strncmp(name, want, n) && (name[n] == 0 || name[n] == ' ');
}

static const results_metric *find_metric(const results_run *r, const figure_row *row,
                                         const results_suite **suite, const results_test **test)
{
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        if (strcmp(s->name, row->suite))
            continue;
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *t = &s->tests[k];
            if (!test_name_matches(t->name, row->test))
                continue;
            for (size_t m = 0; m < t->nmetrics; m++)
                if (!strcmp(t->metrics[m].name, row->metric) && isfinite(t->metrics[m].value)) {
                    *suite = s;
                    *test = t;
                    return &t->metrics[m];
                }
        }
    }
    return NULL;
}

size_t results_key_figures(const results_run *r, results_figure *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(figure_rows) / sizeof(figure_rows[0]) && n < max; i++) {
        int have = 0;
        for (size_t k = 0; k < n; k++)
            have |= !strcmp(out[k].label, figure_rows[i].label);
        if (have)
            continue;
        const results_suite *s = NULL;
        const results_test *t = NULL;
        const results_metric *m = find_metric(r, &figure_rows[i], &s, &t);
        if (!m)
            continue;
        out[n].label = figure_rows[i].label;
        out[n].value = m->value;
        out[n].unit = m->unit;
        out[n].suite = s->name;
        out[n].test = t->name;
        n++;
    }
    return n;
}

void results_figure_format(const results_figure *fig, char *buf, size_t len)
{
    const char *u = fig->unit ? fig->unit : "";
    double v = fig->value;
    if (!strcmp(u, "ratio") || (strstr(fig->label, "delivery") && !u[0] && v >= 0 && v <= 1)) {
        snprintf(buf, len, "%.4g %%", v * 100.0);
    } else if (!strcmp(u, "us") && v >= 1000.0) {
        snprintf(buf, len, "%.3g ms", v / 1000.0);
    } else if (!strcmp(u, "s") && v < 1.0) {
        snprintf(buf, len, "%.3g ms", v * 1000.0);
    } else if (u[0]) {
        snprintf(buf, len, "%.4g %s", v, u);
    } else {
        snprintf(buf, len, "%.4g", v);
    }
}
