/* results_html: test_report.html, the run for people, read at a glance: the
 * verdict first (passed, failed, or too slow when only thresholds were
 * breached), what failed with its first messages, what was skipped and why,
 * the key figures, the suites, the thresholds, then the pictures: latency
 * percentiles and distributions (the "wsb-histogram" files of
 * <results_dir>/metrics/), rates and CPU/RSS over time ("wsb-perf-rate",
 * "wsb-perf-resources"), the fault timeline (faults.json), and last every
 * suite's tests in full.
 *
 * One self-contained file: inline CSS and SVG (results_svg.c), no script, no
 * font, no link leaving the result directory. Every string that comes from
 * the run (names, messages, reasons, event details) is escaped. A metrics
 * file that is missing or unreadable is said so on the page; the page is
 * still written. */
#include "results.h"
#include "results_int.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "wjson.h"

#define HTML_MAX_FILES 64      /* metrics files read */
#define HTML_MAX_PROBLEMS 16   /* unreadable files named on the page */
#define HTML_HISTS_PER_CHART 5 /* percentile curves per chart, at most */
#define HTML_PCT_STEPS 80      /* points per percentile curve */
#define HTML_BINS 40           /* bars per distribution */
#define HTML_MAX_FAIL_LINES 5  /* failure lines per test in the "what failed" list */

typedef struct html_hist {
    char *name;
    histogram *h;
} html_hist;

typedef struct html_doc {
    char *name;
    cJSON *j;
} html_doc;

/* What metrics/ held. */
typedef struct html_metrics {
    html_hist hist[HTML_MAX_FILES];
    size_t nhist;
    html_doc rate[HTML_MAX_FILES], res[HTML_MAX_FILES];
    size_t nrate, nres;
    cJSON *faults;
    char *problems[HTML_MAX_PROBLEMS];
    size_t nproblems;
    int have_dir;
} html_metrics;

static void problem(html_metrics *m, const char *fmt, const char *a, const char *b)
{
    if (m->nproblems >= HTML_MAX_PROBLEMS)
        return;
    char buf[600];
    snprintf(buf, sizeof(buf), fmt, a, b);
    m->problems[m->nproblems++] = results_xstrdup(buf);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_file(html_metrics *m, const char *dir, const char *name)
{
    char path[4096 + 256], err[300];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cJSON *j = wjson_parse_file(path, 64, err, sizeof(err));
    if (!j) {
        problem(m, "metrics/%s is unreadable: %s", name, err);
        return;
    }
    char stem[256];
    snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(name) - 5), name);
    const char *format = wjson_str(j, "format", "");
    if (!strcmp(name, "faults.json")) {
        m->faults = j;
        return;
    }
    if (!strcmp(format, "wsb-histogram")) {
        histogram *h = histogram_from_json(j, err, sizeof(err));
        cJSON_Delete(j);
        if (!h) {
            problem(m, "metrics/%s is not a usable histogram: %s", name, err);
            return;
        }
        m->hist[m->nhist].name = results_xstrdup(stem);
        m->hist[m->nhist++].h = h;
        return;
    }
    html_doc *d = !strcmp(format, "wsb-perf-rate")        ? &m->rate[m->nrate++]
                  : !strcmp(format, "wsb-perf-resources") ? &m->res[m->nres++]
                                                          : NULL;
    if (!d) {
        cJSON_Delete(j); /* a suite's figures (test_summary.json has them) */
        return;
    }
    d->name = results_xstrdup(stem);
    d->j = j;
}

static void metrics_load(html_metrics *m, const char *results_dir)
{
    memset(m, 0, sizeof(*m));
    if (!results_dir || !results_dir[0])
        return;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/metrics", results_dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    m->have_dir = 1;
    char *names[HTML_MAX_FILES];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < HTML_MAX_FILES) {
        size_t l = strlen(e->d_name);
        if (l > 5 && l < 250 && !strcmp(e->d_name + l - 5, ".json"))
            names[n++] = results_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    for (size_t i = 0; i < n; i++) {
        load_file(m, dir, names[i]);
        free(names[i]);
    }
}

static void metrics_free(html_metrics *m)
{
    for (size_t i = 0; i < m->nhist; i++) {
        free(m->hist[i].name);
        histogram_free(m->hist[i].h);
    }
    for (size_t i = 0; i < m->nrate; i++) {
        free(m->rate[i].name);
        cJSON_Delete(m->rate[i].j);
    }
    for (size_t i = 0; i < m->nres; i++) {
        free(m->res[i].name);
        cJSON_Delete(m->res[i].j);
    }
    for (size_t i = 0; i < m->nproblems; i++)
        free(m->problems[i]);
    cJSON_Delete(m->faults);
}

/* ---- the page ---- */

static const char html_css[] =
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;"
    "background:#f3f4f6;margin:0}"
    "main{max-width:1180px;margin:0 auto;padding:0 20px 40px}"
    "h1{font-size:15px;margin:0;font-weight:600;color:#e5e7eb}"
    "h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d1d5db;padding-bottom:4px}"
    "h3{font-size:15px;margin:18px 0 6px}"
    "header.verdict{color:#fff;padding:18px 24px;margin:0 -20px 18px}"
    "header.passed{background:#047857}header.failed{background:#b91c1c}"
    "header.slow{background:#b45309}"
    ".big{font-size:34px;font-weight:800;letter-spacing:.5px}"
    ".sub{opacity:.92;margin-top:2px}"
    ".chips span{display:inline-block;background:rgba(255,255,255,.18);border-radius:12px;"
    "padding:1px 10px;margin:6px 6px 0 0;font-weight:600}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}"
    ".card{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px #0002}"
    ".card b{display:block;font-size:22px}.card small{color:#6b7280}"
    "table{border-collapse:collapse;background:#fff;width:100%;box-shadow:0 1px 2px #0002;"
    "margin-bottom:8px}"
    "th,td{text-align:left;padding:5px 9px;border-bottom:1px solid #e5e7eb;vertical-align:top}"
    "th{background:#f9fafb;font-weight:600}td.n{text-align:right;font-variant-numeric:"
    "tabular-nums;white-space:nowrap}"
    ".pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;"
    "font-weight:700;white-space:nowrap}"
    ".passed{background:#d1fae5;color:#065f46}.failed{background:#fee2e2;color:#991b1b}"
    ".skipped{background:#fef3c7;color:#92400e}.not_available{background:#e5e7eb;color:#374151}"
    ".running{background:#fee2e2;color:#991b1b}.breached{background:#ffedd5;color:#9a3412}"
    "header .pill{background:transparent;color:inherit;padding:0}"
    ".msg{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;"
    "word-break:break-word;color:#7f1d1d;margin:2px 0}"
    ".why{color:#92400e}"
    ".fail{background:#fff;border-left:4px solid #dc2626;padding:8px 12px;margin:6px 0;"
    "box-shadow:0 1px 2px #0002}"
    ".grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}"
    "figure.chart{background:#fff;margin:0 0 12px;padding:8px;border-radius:8px;"
    "box-shadow:0 1px 2px #0002}"
    "svg.chart{width:100%;height:auto;display:block}"
    "svg .grid{stroke:#e5e7eb}svg .axis{stroke:#6b7280}svg .tickmark{stroke:#6b7280}"
    "svg .tick{font-size:11px;fill:#4b5563}svg .axislabel{font-size:12px;fill:#374151}"
    "svg .ctitle{font-size:13px;font-weight:600;fill:#111827}"
    "svg .line{stroke-width:2}svg .mark{stroke:#111827;stroke-dasharray:4 3}"
    "svg .marklabel{font-size:11px;fill:#111827}svg .nodata{font-size:14px;fill:#6b7280}"
    "svg .laneback{fill:#f9fafb}svg .lane.failed .laneback{fill:#fef2f2}"
    "svg .lanename{font-size:12px;fill:#111827}svg .lane.failed .lanename{fill:#b91c1c;"
    "font-weight:700}svg .window{fill:#fecaca;opacity:.8}svg .laneline{stroke:#9ca3af}"
    "figcaption{font-size:12px;color:#374151;padding:2px 4px}"
    ".key{white-space:nowrap;margin-right:10px}.key i{display:inline-block;width:10px;"
    "height:10px;border-radius:2px;margin-right:4px}"
    ".note{color:#4b5563}footer{color:#6b7280;margin-top:30px;font-size:12px}";

#define E(s) results_xml_escape(f, (s))

static const char *status_class(results_status s)
{
    switch (s) {
    case RESULTS_PASSED:
        return "passed";
    case RESULTS_FAILED:
        return "failed";
    case RESULTS_SKIPPED:
        return "skipped";
    case RESULTS_NOT_AVAILABLE:
        return "not_available";
    default:
        return "running";
    }
}

static void pill(FILE *f, results_status s)
{
    fprintf(f, "<span class=\"pill %s\">%s</span>", status_class(s),
            s == RESULTS_NOT_AVAILABLE ? "not available"
            : s == RESULTS_RUNNING     ? "incomplete"
                                       : results_status_name(s));
}

static void write_verdict(const results_run *r, FILE *f)
{
    results_totals t = results_count(r);
    int code = results_run_exit_code(r);
    const char *cls = code == 0 ? "passed" : code == RESULTS_EXIT_BREACHED ? "slow" : "failed";
    const char *word = code == 0                     ? "PASSED"
                       : code == RESULTS_EXIT_BREACHED ? "TOO SLOW"
                                                       : "FAILED";
    size_t breaches = 0;
    for (size_t i = 0; i < r->nsuites; i++)
        for (size_t k = 0; k < r->suites[i].ntests; k++)
            breaches += r->suites[i].tests[k].nbreaches;
    fprintf(f, "<header id=\"verdict\" class=\"verdict %s\" data-verdict=\"%s\">"
               "<h1>wsbridge test report</h1><div class=\"big\">%s</div><div class=\"sub\">",
            cls, word, word);
    if (code == RESULTS_EXIT_BREACHED)
        fprintf(f, "every check held, but %zu threshold%s breached (exit 99). ", breaches,
                breaches == 1 ? " was" : "s were");
    else if (code)
        fprintf(f, "%d test%s failed. ", t.failed, t.failed == 1 ? "" : "s");
    if (r->env_error) {
        fprintf(f, "The environment could not start: ");
        E(r->env_error);
        fprintf(f, ". ");
    }
    if (r->interrupted)
        fprintf(f, "The run was interrupted. ");
    fprintf(f, "%s mode, %s profile, started ", r->mode, r->profile);
    E(r->started);
    fprintf(f, ", %.1f s.</div><div class=\"chips\"><span>%d tests</span><span>%d passed</span>"
               "<span>%d failed</span><span>%d skipped</span><span>%d suites not available"
               "</span>%s</div></header>\n",
            r->duration_s, t.tests, t.passed, t.failed, t.skipped, t.not_available,
            breaches ? "<span>thresholds breached</span>" : "");
}

static void write_figures(const results_run *r, FILE *f)
{
    results_figure fig[RESULTS_MAX_FIGURES];
    size_t n = results_key_figures(r, fig, RESULTS_MAX_FIGURES);
    if (!n)
        return;
    fprintf(f, "<h2 id=\"figures\">Key figures</h2><div class=\"cards\">\n");
    for (size_t i = 0; i < n; i++) {
        char v[64];
        results_figure_format(&fig[i], v, sizeof(v));
        fprintf(f, "<div class=\"card\"><small>%s</small><b>", fig[i].label);
        E(v);
        fprintf(f, "</b><small>");
        E(fig[i].suite);
        fprintf(f, " / ");
        E(fig[i].test);
        fprintf(f, "</small></div>\n");
    }
    fprintf(f, "</div>\n");
}

/* Failed tests and suite problems, with their first messages. */
static void write_failures(const results_run *r, FILE *f)
{
    int any = 0;
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        int unavailable = !s->available && s->status == RESULTS_FAILED;
        if (s->nmessages || s->nothing_checked || unavailable) {
            if (!any++)
                fprintf(f, "<h2 id=\"failures\">What failed</h2>\n");
            fprintf(f, "<div class=\"fail\"><b>");
            E(s->name);
            fprintf(f, "</b> (the suite)");
            for (size_t m = 0; m < s->nmessages; m++) {
                fprintf(f, "<div class=\"msg\">");
                E(s->messages[m]);
                fprintf(f, "</div>");
            }
            if (s->nothing_checked)
                fprintf(f, "<div class=\"msg\">nothing checked: every test was skipped</div>");
            if (unavailable)
                fprintf(f, "<div class=\"msg\">asked for, but not built into this harness</div>");
            fprintf(f, "</div>\n");
        }
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *t = &s->tests[k];
            if (t->status != RESULTS_FAILED && t->status != RESULTS_RUNNING)
                continue;
            if (!any++)
                fprintf(f, "<h2 id=\"failures\">What failed</h2>\n");
            fprintf(f, "<div class=\"fail\"><b>");
            E(s->name);
            fprintf(f, " / ");
            E(t->name);
            fprintf(f, "</b> <span class=\"note\">(%.2f s)</span>", t->duration_s);
            for (size_t m = 0; m < t->nfailures && m < HTML_MAX_FAIL_LINES; m++) {
                fprintf(f, "<div class=\"msg\">");
                E(t->failures[m]);
                fprintf(f, "</div>");
            }
            if (t->nfailures > HTML_MAX_FAIL_LINES)
                fprintf(f, "<div class=\"note\">%zu more below, in the suite's table</div>",
                        t->nfailures - HTML_MAX_FAIL_LINES);
            fprintf(f, "</div>\n");
        }
    }
}

/* Skipped tests checked nothing: listed where nobody can miss them. */
static void write_skips(const results_run *r, FILE *f)
{
    int any = 0;
    for (size_t i = 0; i < r->nsuites; i++)
        for (size_t k = 0; k < r->suites[i].ntests; k++) {
            const results_test *t = &r->suites[i].tests[k];
            if (t->status != RESULTS_SKIPPED)
                continue;
            if (!any++)
                fprintf(f, "<h2 id=\"skips\">Not checked (skipped)</h2><ul class=\"why\">\n");
            fprintf(f, "<li><b>");
            E(r->suites[i].name);
            fprintf(f, " / ");
            E(t->name);
            fprintf(f, "</b>: ");
            E(t->skip_reason ? t->skip_reason : "skipped");
            fprintf(f, "</li>\n");
        }
    if (any)
        fprintf(f, "</ul>\n");
}

static void write_suites(const results_run *r, FILE *f)
{
    fprintf(f, "<h2 id=\"suites\">Suites</h2><table class=\"suites\"><tr><th>suite</th>"
               "<th>status</th><th>tests</th><th>passed</th><th>failed</th><th>skipped</th>"
               "<th>duration</th><th>what it checks</th></tr>\n");
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        int p = 0, fl = 0, sk = 0;
        for (size_t k = 0; k < s->ntests; k++) {
            p += s->tests[k].status == RESULTS_PASSED;
            sk += s->tests[k].status == RESULTS_SKIPPED;
            fl += s->tests[k].status == RESULTS_FAILED || s->tests[k].status == RESULTS_RUNNING;
        }
        fprintf(f, "<tr><td><a href=\"#suite-%zu\">", i);
        E(s->name);
        fprintf(f, "</a></td><td>");
        pill(f, s->status);
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                   "<td class=\"n\">%d</td><td class=\"n\">%.1f s</td><td>",
                s->ntests, p, fl, sk, s->duration_s);
        E(s->available ? s->description : "not built into this harness yet");
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
}

static void write_thresholds(const results_run *r, FILE *f)
{
    int any = 0;
    for (int pass = 0; pass < 2; pass++) /* breaches first */
        for (size_t i = 0; i < r->nsuites; i++)
            for (size_t k = 0; k < r->suites[i].ntests; k++) {
                const results_test *t = &r->suites[i].tests[k];
                for (size_t h = 0; h < t->nthresholds; h++) {
                    const results_threshold *th = &t->thresholds[h];
                    if (th->passed != pass)
                        continue;
                    if (!any++)
                        fprintf(f, "<h2 id=\"thresholds\">Thresholds</h2><table><tr><th>suite"
                                   "</th><th>test</th><th>threshold</th><th>measured</th>"
                                   "<th>verdict</th></tr>\n");
                    fprintf(f, "<tr><td>");
                    E(r->suites[i].name);
                    fprintf(f, "</td><td>");
                    E(t->name);
                    fprintf(f, "</td><td><code>");
                    E(th->metric);
                    fprintf(f, ": ");
                    E(th->expr);
                    fprintf(f, "</code></td><td class=\"n\">%.6g ", th->value);
                    E(th->unit);
                    fprintf(f, "</td><td><span class=\"pill %s\">%s</span></td></tr>\n",
                            th->passed ? "passed" : "breached",
                            th->passed ? "held" : "BREACHED");
                }
            }
    if (any)
        fprintf(f, "</table>\n");
}

/* ---- latency ---- */

static void write_hist_table(FILE *f, const html_metrics *m)
{
    fprintf(f, "<table class=\"hists\"><tr><th>histogram (metrics/*.json)</th><th>values</th>"
               "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th>"
               "</tr>\n");
    static const double ps[] = {50, 90, 99, 99.9, 100};
    for (size_t i = 0; i < m->nhist; i++) {
        const histogram *h = m->hist[i].h;
        char v[48];
        fprintf(f, "<tr><td>");
        E(m->hist[i].name);
        fprintf(f, "</td><td class=\"n\">%llu</td>", (unsigned long long)histogram_count(h));
        for (size_t p = 0; p < 5; p++) {
            results_svg_format(v, sizeof(v), (double)histogram_percentile(h, ps[p]),
                               RESULTS_SVG_NS);
            fprintf(f, "<td class=\"n\">%s</td>", v);
        }
        results_svg_format(v, sizeof(v), histogram_mean(h), RESULTS_SVG_NS);
        fprintf(f, "<td class=\"n\">%s</td></tr>\n", v);
    }
    fprintf(f, "</table>\n");
}

static void write_percentiles(FILE *f, const html_metrics *m)
{
    double x[HTML_HISTS_PER_CHART][HTML_PCT_STEPS + 1], y[HTML_HISTS_PER_CHART][HTML_PCT_STEPS + 1];
    /* as few charts as the limit allows, the curves shared out evenly */
    size_t charts = (m->nhist + HTML_HISTS_PER_CHART - 1) / HTML_HISTS_PER_CHART;
    size_t per = charts ? (m->nhist + charts - 1) / charts : 1;
    fprintf(f, "<div class=\"grid2\">\n");
    for (size_t first = 0, chart = 0; first < m->nhist; first += per, chart++) {
        results_svg_series s[HTML_HISTS_PER_CHART];
        size_t ns = 0;
        for (size_t i = first; i < m->nhist && ns < per; i++, ns++) {
            for (int k = 0; k <= HTML_PCT_STEPS; k++) {
                double q = 100.0 - 100.0 * pow(10, -4.0 * k / HTML_PCT_STEPS);
                x[ns][k] = q;
                y[ns][k] = (double)histogram_percentile(m->hist[i].h, q);
            }
            s[ns] = (results_svg_series){m->hist[i].name, x[ns], y[ns], HTML_PCT_STEPS + 1};
        }
        char id[32], title[64];
        snprintf(id, sizeof(id), "pct-%zu", chart);
        if (charts > 1)
            snprintf(title, sizeof(title), "latency by percentile (%zu of %zu)", chart + 1, charts);
        else
            snprintf(title, sizeof(title), "latency by percentile");
        results_svg_chart c = {.id = id,
                               .title = title,
                               .xlabel = "percentile",
                               .ylabel = "latency",
                               .yunit = RESULTS_SVG_NS,
                               .logy = 1,
                               .percentile = 1};
        results_svg_plot(f, &c, s, ns);
    }
    fprintf(f, "</div>\n");
}

static void write_distributions(FILE *f, const html_metrics *m)
{
    fprintf(f, "<div class=\"grid2\">\n");
    for (size_t i = 0; i < m->nhist; i++) {
        const histogram *h = m->hist[i].h;
        uint64_t total = histogram_count(h);
        double lo = (double)histogram_min(h), hi = (double)histogram_max(h) + 1;
        if (lo < 1)
            lo = 1;
        double edges[HTML_BINS + 1], share[HTML_BINS];
        int nb = total ? HTML_BINS : 0;
        for (int b = 0; b <= nb; b++)
            edges[b] = lo * pow(hi / lo, (double)b / HTML_BINS);
        for (int b = 0; b < nb; b++) {
            uint64_t a = histogram_count_below(h, (int64_t)edges[b]);
            uint64_t z = b + 1 == nb ? total : histogram_count_below(h, (int64_t)edges[b + 1]);
            share[b] = z > a ? 100.0 * (double)(z - a) / (double)total : 0;
        }
        double marks[2] = {(double)histogram_percentile(h, 50), (double)histogram_percentile(h, 99)};
        char l50[64], l99[64], v[48], title[300], id[32];
        results_svg_format(v, sizeof(v), marks[0], RESULTS_SVG_NS);
        snprintf(l50, sizeof(l50), "p50 %s", v);
        results_svg_format(v, sizeof(v), marks[1], RESULTS_SVG_NS);
        snprintf(l99, sizeof(l99), "p99 %s", v);
        const char *labels[2] = {l50, l99};
        snprintf(title, sizeof(title), "%s: %llu values", m->hist[i].name,
                 (unsigned long long)total);
        snprintf(id, sizeof(id), "dist-%zu", i);
        results_svg_series s = {m->hist[i].name, edges, share, (size_t)nb};
        results_svg_chart c = {.id = id,
                               .title = title,
                               .xlabel = "latency (log scale)",
                               .ylabel = "% of values",
                               .xunit = RESULTS_SVG_NS,
                               .yunit = RESULTS_SVG_PERCENT,
                               .logx = 1,
                               .bars = 1,
                               .marks = total ? marks : NULL,
                               .mark_labels = labels,
                               .nmarks = total ? 2 : 0};
        results_svg_plot(f, &c, &s, 1);
    }
    fprintf(f, "</div>\n");
}

/* ---- time series ---- */

/* The numbers of one member of every element of arr (NaN when missing). */
static double *column(const cJSON *arr, const char *member, size_t *n)
{
    size_t len = (size_t)cJSON_GetArraySize(arr), i = 0;
    double *v = results_xrealloc(NULL, (len ? len : 1) * sizeof(double));
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        v[i++] = wjson_num(e, member, NAN);
    }
    *n = len;
    return v;
}

static void write_rates(FILE *f, const html_doc *d, size_t idx)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(d->j, "seconds");
    size_t n = 0;
    double *t = column(sec, "t", &n), *pub = column(sec, "published", &n),
           *del = column(sec, "delivered_per_subscriber", &n), *bl = column(sec, "backlog", &n);
    results_svg_series s[3] = {{"published per second", t, pub, n},
                               {"delivered per second, per subscriber", t, del, n},
                               {"backlog (published, not yet delivered)", t, bl, n}};
    char title[400], id[32];
    snprintf(title, sizeof(title), "%s: asked %.6g msg/s, %.6g subscribers", d->name,
             wjson_num(d->j, "rate", 0), wjson_num(d->j, "subscribers", 0));
    snprintf(id, sizeof(id), "rate-%zu", idx);
    results_svg_chart c = {.id = id, .title = title, .xlabel = "seconds", .ylabel = "messages"};
    results_svg_plot(f, &c, s, 3);
    free(t);
    free(pub);
    free(del);
    free(bl);
}

static void write_resources(FILE *f, const html_doc *d, size_t idx)
{
    const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(d->j, "services");
    results_svg_series cpu[8], rss[8];
    double *cols[8][3];
    size_t ns = 0;
    const cJSON *svc;
    cJSON_ArrayForEach(svc, svcs)
    {
        if (ns >= 8 || !svc->string)
            break;
        const cJSON *smp = cJSON_GetObjectItemCaseSensitive(svc, "samples");
        size_t n = 0;
        cols[ns][0] = column(smp, "t", &n);
        cols[ns][1] = column(smp, "cpu_pct", &n);
        cols[ns][2] = column(smp, "rss_bytes", &n);
        cpu[ns] = (results_svg_series){svc->string, cols[ns][0], cols[ns][1], n};
        rss[ns] = (results_svg_series){svc->string, cols[ns][0], cols[ns][2], n};
        ns++;
    }
    char title[400], id[32];
    snprintf(title, sizeof(title), "%s: CPU per service", d->name);
    snprintf(id, sizeof(id), "cpu-%zu", idx);
    results_svg_chart c = {.id = id,
                           .title = title,
                           .xlabel = "seconds",
                           .ylabel = "CPU (% of one core)",
                           .yunit = RESULTS_SVG_PERCENT};
    results_svg_plot(f, &c, cpu, ns);
    snprintf(title, sizeof(title), "%s: resident memory per service", d->name);
    snprintf(id, sizeof(id), "rss-%zu", idx);
    c = (results_svg_chart){.id = id,
                            .title = title,
                            .xlabel = "seconds",
                            .ylabel = "RSS",
                            .yunit = RESULTS_SVG_BYTES};
    results_svg_plot(f, &c, rss, ns);
    for (size_t i = 0; i < ns; i++)
        for (int k = 0; k < 3; k++)
            free(cols[i][k]);
}

/* ---- faults ---- */

static void write_faults(FILE *f, const cJSON *doc)
{
    const cJSON *scen = cJSON_GetObjectItemCaseSensitive(doc, "scenarios");
    size_t n = (size_t)cJSON_GetArraySize(scen), i = 0;
    fprintf(f, "<h2 id=\"faults\">Fault timeline</h2><p class=\"note\">Each fault scenario "
               "from metrics/faults.json on its own clock: what was injected and healed, when "
               "the harness saw it and when delivery recovered (hover a mark for its detail)."
               "</p>\n");
    if (!n) {
        fprintf(f, "<p>metrics/faults.json holds no scenarios.</p>\n");
        return;
    }
    results_svg_lane *lanes = results_xrealloc(NULL, n * sizeof(*lanes));
    results_svg_event **evs = results_xrealloc(NULL, n * sizeof(*evs));
    const cJSON *s;
    cJSON_ArrayForEach(s, scen)
    {
        const cJSON *tl = cJSON_GetObjectItemCaseSensitive(s, "timeline");
        size_t ne = (size_t)cJSON_GetArraySize(tl), k = 0;
        evs[i] = results_xrealloc(NULL, (ne ? ne : 1) * sizeof(**evs));
        const cJSON *e;
        cJSON_ArrayForEach(e, tl)
        {
            evs[i][k++] = (results_svg_event){wjson_num(e, "t_s", NAN), wjson_str(e, "event", ""),
                                              wjson_str(e, "detail", "")};
        }
        lanes[i] = (results_svg_lane){wjson_str(s, "scenario", "?"),
                                      strcmp(wjson_str(s, "verdict", ""), "pass") != 0, evs[i], ne};
        i++;
    }
    results_svg_timeline(f, "faults", lanes, n);
    for (i = 0; i < n; i++)
        free(evs[i]);
    free(evs);
    free(lanes);
    fprintf(f, "<table><tr><th>scenario</th><th>verdict</th><th>generated</th><th>received"
               "</th><th>lost</th><th>duplicated</th><th>out of order</th><th>announced</th>"
               "<th>message</th></tr>\n");
    cJSON_ArrayForEach(s, scen)
    {
        int pass = !strcmp(wjson_str(s, "verdict", ""), "pass");
        fprintf(f, "<tr><td>");
        E(wjson_str(s, "scenario", "?"));
        fprintf(f, "</td><td><span class=\"pill %s\">%s</span></td>", pass ? "passed" : "failed",
                pass ? "pass" : "FAIL");
        static const char *const cols[] = {"generated",  "received",     "lost",
                                           "duplicated", "out_of_order", "announced"};
        for (size_t c = 0; c < 6; c++)
            fprintf(f, "<td class=\"n\">%lld</td>", (long long)wjson_int(s, cols[c], 0));
        fprintf(f, "<td>");
        E(wjson_str(s, "message", ""));
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
}

/* ---- every test ---- */

static void write_tests(const results_run *r, FILE *f)
{
    fprintf(f, "<h2 id=\"tests\">Every test</h2>\n");
    for (size_t i = 0; i < r->nsuites; i++) {
        const results_suite *s = &r->suites[i];
        fprintf(f, "<h3 id=\"suite-%zu\">", i);
        E(s->name);
        fprintf(f, " ");
        pill(f, s->status);
        fprintf(f, "</h3>\n");
        if (!s->available) {
            fprintf(f, "<p class=\"note\">Not built into this harness yet%s.</p>\n",
                    s->explicit_selection ? " (asked for, so the run fails)" : "");
            continue;
        }
        if (!s->ntests) {
            fprintf(f, "<p class=\"note\">No tests ran.</p>\n");
            continue;
        }
        fprintf(f, "<table class=\"tests\"><tr><th>test</th><th>status</th><th>duration</th>"
                   "<th>details</th></tr>\n");
        for (size_t k = 0; k < s->ntests; k++) {
            const results_test *t = &s->tests[k];
            fprintf(f, "<tr><td>");
            E(t->name);
            fprintf(f, "</td><td>");
            pill(f, t->status);
            fprintf(f, "</td><td class=\"n\">%.3f s</td><td>", t->duration_s);
            if (t->status == RESULTS_SKIPPED) {
                fprintf(f, "<div class=\"why\">not checked: ");
                E(t->skip_reason ? t->skip_reason : "skipped");
                fprintf(f, "</div>");
            }
            for (size_t m = 0; m < t->nfailures; m++) {
                fprintf(f, "<div class=\"msg\">");
                E(t->failures[m]);
                fprintf(f, "</div>");
            }
            fprintf(f, "</td></tr>\n");
        }
        fprintf(f, "</table>\n");
    }
}

static int write_html_stream(const results_run *r, FILE *f)
{
    html_metrics m;
    metrics_load(&m, r->results_dir);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'unsafe-inline'; img-src data:\">"
               "<title>wsbridge: %s</title><style>%s</style></head><body><main>\n",
            results_run_exit_code(r) == 0                     ? "passed"
            : results_run_exit_code(r) == RESULTS_EXIT_BREACHED ? "too slow"
                                                                : "failed",
            html_css);
    write_verdict(r, f);
    write_failures(r, f);
    write_skips(r, f);
    write_figures(r, f);
    write_suites(r, f);
    write_thresholds(r, f);
    if (m.nhist) {
        fprintf(f, "<h2 id=\"latency\">Latency</h2><p class=\"note\">From the mergeable "
                   "histograms in metrics/ (3 significant digits). The percentile axis "
                   "stretches the tail: each step right is ten times rarer.</p>\n");
        write_hist_table(f, &m);
        write_percentiles(f, &m);
        fprintf(f, "<h3>Distributions</h3>\n");
        write_distributions(f, &m);
    }
    if (m.nrate || m.nres) {
        fprintf(f, "<h2 id=\"series\">Over time</h2><div class=\"grid2\">\n");
        for (size_t i = 0; i < m.nrate; i++)
            write_rates(f, &m.rate[i], i);
        for (size_t i = 0; i < m.nres; i++)
            write_resources(f, &m.res[i], i);
        fprintf(f, "</div>\n");
    }
    if (m.faults)
        write_faults(f, m.faults);
    if (!m.nhist && !m.nrate && !m.nres && !m.faults)
        fprintf(f, "<p class=\"note\" id=\"nometrics\">No charts: %s.</p>\n",
                m.have_dir ? "metrics/ holds no histograms, time series or fault timeline"
                           : "this run wrote no metrics/ directory");
    if (m.nproblems) {
        fprintf(f, "<h2 id=\"problems\">Metrics that could not be read</h2><ul>\n");
        for (size_t i = 0; i < m.nproblems; i++) {
            fprintf(f, "<li>");
            E(m.problems[i]);
            fprintf(f, "</li>\n");
        }
        fprintf(f, "</ul>\n");
    }
    write_tests(r, f);
    fprintf(f, "<footer>Written by wsb-harness into ");
    E(r->results_dir);
    fprintf(f, ". The same run as test_summary.json, junit.xml and test_report.md; logs per "
               "suite in &lt;suite&gt;.log, service logs in services/.</footer>\n"
               "</main></body></html>\n");
    metrics_free(&m);
    return ferror(f) ? -1 : 0;
}

int results_write_html(const results_run *r, const char *path, char *err, size_t errlen)
{
    return results_write_stream_atomic(path, write_html_stream, r, err, errlen);
}
