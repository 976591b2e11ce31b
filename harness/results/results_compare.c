/* results_compare: the figures of two result directories, matched by name,
 * judged by their direction and tolerance (see results_compare.h). */
#include "results_compare.h"
#include "results.h"
#include "results_int.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "histogram.h"
#include "wjson.h"
#include "wparse.h"

/* Which way is better, first match wins: a glob on the metric's last name
 * component and, when set, its unit. Keep every direction rule here. */
static const struct {
    const char *glob;
    const char *unit; /* NULL: any */
    compare_direction dir;
} direction_rules[] = {
    /* sample sizes and settings are not quality */
    {"*_count", NULL, COMPARE_INFO},
    {"rate_asked", NULL, COMPARE_INFO},
    {"capacity_ceiling", NULL, COMPARE_INFO},
    {"concurrent_connections", NULL, COMPARE_INFO},
    /* rates and fractions */
    {"*success_rate*", NULL, COMPARE_HIGHER_BETTER},
    {"delivery_rate", NULL, COMPARE_HIGHER_BETTER},
    {"errors_rate", NULL, COMPARE_LOWER_BETTER},
    {"off_schedule", NULL, COMPARE_LOWER_BETTER},
    {"backlog_growth*", NULL, COMPARE_LOWER_BETTER},
    {"*_rate", "msg/s", COMPARE_HIGHER_BETTER},
    {"*_per_s*", NULL, COMPARE_HIGHER_BETTER},
    {"*_per_cpu_s", NULL, COMPARE_HIGHER_BETTER}, /* work per CPU second */
    /* capacity */
    {"*_connections_ok", NULL, COMPARE_HIGHER_BETTER},
    {"*capacity_last_good", NULL, COMPARE_HIGHER_BETTER},
    {"*knee*", NULL, COMPARE_HIGHER_BETTER},
    {"*connections_reaching_target", NULL, COMPARE_HIGHER_BETTER},
    /* losses */
    {"lost", NULL, COMPARE_LOWER_BETTER},
    {"duplicated", NULL, COMPARE_LOWER_BETTER},
    {"out_of_order", NULL, COMPARE_LOWER_BETTER},
    {"*_errors", NULL, COMPARE_LOWER_BETTER},
    /* resources */
    {"*cpu*", "%", COMPARE_LOWER_BETTER},
    {"*rss*", "bytes", COMPARE_LOWER_BETTER},
    /* times: latency, recovery, detection, handshakes, CPU per message */
    {"*", "ns", COMPARE_LOWER_BETTER},
    {"*", "us", COMPARE_LOWER_BETTER},
    {"*", "ms", COMPARE_LOWER_BETTER},
    {"*", "s", COMPARE_LOWER_BETTER},
};

compare_direction compare_direction_of(const char *name, const char *unit)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (size_t i = 0; i < sizeof(direction_rules) / sizeof(direction_rules[0]); i++) {
        if (fnmatch(direction_rules[i].glob, base, 0) != 0)
            continue;
        if (direction_rules[i].unit && (!unit || strcmp(direction_rules[i].unit, unit) != 0))
            continue;
        return direction_rules[i].dir;
    }
    return COMPARE_INFO;
}

const char *compare_direction_name(compare_direction d)
{
    return d == COMPARE_LOWER_BETTER ? "lower" : d == COMPARE_HIGHER_BETTER ? "higher" : "none";
}

const char *compare_verdict_name(compare_verdict v)
{
    static const char *n[] = {"same", "improved", "regressed", "info"};
    return v <= COMPARE_NOT_JUDGED ? n[v] : "?";
}

void compare_opts_init(compare_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->tolerance = COMPARE_DEFAULT_TOLERANCE;
    o->floor_ms = COMPARE_DEFAULT_FLOOR_MS;
    o->floor_points = COMPARE_DEFAULT_FLOOR_POINTS;
}

/* "10", "10%", "2.5%": a percentage >= 0. */
static int parse_pct(const char *v, double *out, char *err, size_t errlen)
{
    char num[64];
    size_t n = strlen(v);
    if (n && v[n - 1] == '%')
        n--;
    if (n == 0 || n >= sizeof(num)) {
        snprintf(err, errlen, "\"%s\": expected a percentage such as 10%%", v);
        return -1;
    }
    memcpy(num, v, n);
    num[n] = 0;
    char why[200];
    if (wparse_double(num, 0, 1e9, out, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "\"%s\": %s (a percentage such as 10%%)", v, why);
        return -1;
    }
    return 0;
}

static int pattern_ok(const char *p, char *err, size_t errlen)
{
    if (!*p || strlen(p) >= 256) {
        snprintf(err, errlen, "a figure's name must be 1 to 255 characters");
        return -1;
    }
    return 0;
}

int compare_opts_tolerance(compare_opts *o, const char *arg, char *err, size_t errlen)
{
    const char *eq = strrchr(arg, '=');
    if (!eq)
        return parse_pct(arg, &o->tolerance, err, errlen);
    if (o->nper == COMPARE_MAX_PATTERNS) {
        snprintf(err, errlen, "more than %d per-figure tolerances", COMPARE_MAX_PATTERNS);
        return -1;
    }
    char name[256];
    size_t n = (size_t)(eq - arg);
    if (n == 0 || n >= sizeof(name)) {
        snprintf(err, errlen, "\"%s\": expected NAME=PERCENT", arg);
        return -1;
    }
    memcpy(name, arg, n);
    name[n] = 0;
    if (parse_pct(eq + 1, &o->per[o->nper].tolerance, err, errlen) < 0)
        return -1;
    snprintf(o->per[o->nper].pattern, sizeof(o->per[o->nper].pattern), "%s", name);
    o->nper++;
    return 0;
}

int compare_opts_ignore(compare_opts *o, const char *glob, char *err, size_t errlen)
{
    if (pattern_ok(glob, err, errlen) < 0)
        return -1;
    if (o->nignore == COMPARE_MAX_PATTERNS) {
        snprintf(err, errlen, "more than %d --ignore", COMPARE_MAX_PATTERNS);
        return -1;
    }
    snprintf(o->ignore[o->nignore++], sizeof(o->ignore[0]), "%s", glob);
    return 0;
}

/* A pattern names a figure when it matches the whole name or a tail of it
 * that starts after a '/': "e2e_latency.p99" names "performance/e2e_latency.p99". */
static int names(const char *pattern, const char *name)
{
    if (fnmatch(pattern, name, 0) == 0)
        return 1;
    for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/'))
        if (fnmatch(pattern, s + 1, 0) == 0)
            return 1;
    return 0;
}

/* ---- one run's figures ---- */

typedef struct fig {
    char *name, *unit;
    double v;
} fig;

typedef struct figset {
    fig *f;
    size_t n, cap;
} figset;

static void add_fig(figset *s, const char *name, const char *unit, double v)
{
    if (!isfinite(v))
        return; /* written as null: the run has no value */
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->f = results_xrealloc(s->f, s->cap * sizeof(*s->f));
    }
    s->f[s->n].name = results_xstrdup(name);
    s->f[s->n].unit = results_xstrdup(unit ? unit : "");
    s->f[s->n].v = v;
    s->n++;
}

static void figset_free(figset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->f[i].name);
        free(s->f[i].unit);
    }
    free(s->f);
}

static int fig_cmp(const void *a, const void *b)
{
    return strcmp(((const fig *)a)->name, ((const fig *)b)->name);
}

static void add_metrics(figset *s, const char *prefix, const results_metric *m, size_t n)
{
    char name[1024];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s/%s", prefix, m[i].name);
        add_fig(s, name, m[i].unit, m[i].value);
    }
}

/* "performance_e2e_latency" -> "performance/e2e_latency" when performance is
 * one of the run's suites, else "metrics/<stem>". */
static void histogram_prefix(const results_run *run, const char *stem, char *out, size_t len)
{
    for (size_t i = 0; i < run->nsuites; i++) {
        size_t n = strlen(run->suites[i].name);
        if (strncmp(stem, run->suites[i].name, n) == 0 && stem[n] == '_' && stem[n + 1]) {
            snprintf(out, len, "%s/%s", run->suites[i].name, stem + n + 1);
            return;
        }
    }
    snprintf(out, len, "metrics/%s", stem);
}

static int add_histogram(figset *s, const results_run *run, const char *path, const char *stem,
                         const cJSON *j, char *err, size_t errlen)
{
    char why[512];
    histogram *h = histogram_from_json(j, why, sizeof(why));
    if (!h) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    if (histogram_count(h) > 0) {
        char base[600], name[700];
        histogram_prefix(run, stem, base, sizeof(base));
        static const struct {
            const char *suffix;
            double p;
        } pcts[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}, {"max", 100}};
        for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
            snprintf(name, sizeof(name), "%s.%s", base, pcts[i].suffix);
            add_fig(s, name, "us", (double)histogram_percentile(h, pcts[i].p) / 1000.0);
        }
        snprintf(name, sizeof(name), "%s.mean", base);
        add_fig(s, name, "us", histogram_mean(h) / 1000.0);
    }
    histogram_free(h);
    return 0;
}

/* The wsb-histogram files of dir/metrics (a run without metrics/ has none).
 * Files of other formats are skipped; unreadable JSON is an error. */
static int read_histograms(figset *s, const results_run *run, const char *dir, char *err,
                           size_t errlen)
{
    char mdir[4096];
    snprintf(mdir, sizeof(mdir), "%s/metrics", dir);
    DIR *d = opendir(mdir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", mdir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        char path[4400], stem[256], why[1024];
        snprintf(path, sizeof(path), "%s/%s", mdir, e->d_name);
        snprintf(stem, sizeof(stem), "%.*s", (int)(n - 5), e->d_name);
        cJSON *j = wjson_parse_file(path, 64, why, sizeof(why));
        if (!j) {
            snprintf(err, errlen, "%s", why);
            rc = -1;
            break;
        }
        const char *format = wjson_str(j, "format", "");
        if (strcmp(format, "wsb-histogram") == 0)
            rc = add_histogram(s, run, path, stem, j, err, errlen);
        cJSON_Delete(j);
    }
    closedir(d);
    return rc;
}

/* Reads one result directory: its summary (kept in *run) and figures. */
static int read_run(const char *which, const char *dir, const compare_opts *o, results_run **run,
                    figset *s, char *err, size_t errlen)
{
    struct stat st;
    char why[8192], path[4096];
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s %s: %s", which, dir,
                 stat(dir, &st) < 0 ? strerror(errno) : "not a directory");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/test_summary.json", dir);
    *run = results_read_summary(path, why, sizeof(why));
    if (!*run) {
        snprintf(err, errlen, "%s %s is not a result directory: %s", which, dir, why);
        return -1;
    }
    for (size_t i = 0; i < (*run)->nsuites; i++) {
        const results_suite *su = &(*run)->suites[i];
        add_metrics(s, su->name, su->metrics, su->nmetrics);
        for (size_t k = 0; k < su->ntests; k++) {
            char prefix[600];
            snprintf(prefix, sizeof(prefix), "%s/%s", su->name, su->tests[k].name);
            add_metrics(s, prefix, su->tests[k].metrics, su->tests[k].nmetrics);
        }
    }
    if (read_histograms(s, *run, dir, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s %s: %s", which, dir, why);
        return -1;
    }
    /* leave out what --ignore names, then sort for the merge by name */
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        int drop = 0;
        for (size_t k = 0; k < o->nignore && !drop; k++)
            drop = names(o->ignore[k], s->f[i].name);
        if (drop) {
            free(s->f[i].name);
            free(s->f[i].unit);
        } else {
            s->f[w++] = s->f[i];
        }
    }
    s->n = w;
    qsort(s->f, s->n, sizeof(*s->f), fig_cmp);
    return 0;
}

/* ---- the comparison ---- */

static double tolerance_for(const compare_opts *o, const char *name)
{
    double t = o->tolerance;
    for (size_t i = 0; i < o->nper; i++) /* the last that names it wins */
        if (names(o->per[i].pattern, name))
            t = o->per[i].tolerance;
    return t;
}

/* A move too small to judge: a time under floor_ms, a "%" figure under
 * floor_points. */
static int under_floor(const compare_opts *o, const char *unit, double d)
{
    static const struct {
        const char *unit;
        double ms;
    } times[] = {{"ns", 1e-6}, {"us", 1e-3}, {"ms", 1}, {"s", 1e3}};
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        if (strcmp(unit, times[i].unit) == 0)
            return fabs(d) * times[i].ms <= o->floor_ms;
    if (strcmp(unit, "%") == 0)
        return fabs(d) <= o->floor_points;
    return 0;
}

static void judge(const compare_opts *o, compare_figure *c)
{
    double d = c->new_v - c->old_v;
    if (c->old_v != 0)
        c->change = d / fabs(c->old_v) * 100.0;
    else
        c->change = d == 0 ? 0 : d > 0 ? INFINITY : -INFINITY;
    if (c->dir == COMPARE_INFO) {
        c->verdict = COMPARE_NOT_JUDGED;
        return;
    }
    double worse = c->dir == COMPARE_LOWER_BETTER ? c->change : -c->change;
    c->verdict = under_floor(o, c->unit, d) ? COMPARE_SAME
                 : worse > c->tolerance    ? COMPARE_REGRESSED
                 : -worse > c->tolerance ? COMPARE_IMPROVED
                                         : COMPARE_SAME;
}

static void push_name(char ***list, size_t *n, const char *name)
{
    *list = results_xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = results_xstrdup(name);
}

static void compare_suites(compare_result *r, const results_run *a, const results_run *b)
{
    for (size_t i = 0; i < a->nsuites; i++) {
        const results_suite *sa = &a->suites[i];
        for (size_t k = 0; k < b->nsuites; k++) {
            const results_suite *sb = &b->suites[k];
            if (strcmp(sa->name, sb->name) != 0 || sa->status == RESULTS_NOT_AVAILABLE ||
                sb->status == RESULTS_NOT_AVAILABLE)
                continue;
            r->suites = results_xrealloc(r->suites, (r->nsuites + 1) * sizeof(*r->suites));
            compare_suite *c = &r->suites[r->nsuites++];
            c->name = results_xstrdup(sa->name);
            c->old_status = results_xstrdup(results_status_name(sa->status));
            c->new_status = results_xstrdup(results_status_name(sb->status));
            c->regressed = sa->status == RESULTS_PASSED && sb->status == RESULTS_FAILED;
            r->nregressed += (size_t)c->regressed;
        }
    }
}

compare_result *compare_dirs(const char *old_dir, const char *new_dir, const compare_opts *o,
                             char *err, size_t errlen)
{
    results_run *ra = NULL, *rb = NULL;
    figset a = {0}, b = {0};
    compare_result *r = NULL;
    if (read_run("OLD", old_dir, o, &ra, &a, err, errlen) < 0 ||
        read_run("NEW", new_dir, o, &rb, &b, err, errlen) < 0)
        goto out;
    r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    r->old_dir = results_xstrdup(old_dir);
    r->new_dir = results_xstrdup(new_dir);
    r->tolerance = o->tolerance;
    r->floor_ms = o->floor_ms;
    r->floor_points = o->floor_points;
    size_t i = 0, k = 0;
    while (i < a.n || k < b.n) {
        int c = i == a.n ? 1 : k == b.n ? -1 : strcmp(a.f[i].name, b.f[k].name);
        if (c < 0) {
            push_name(&r->only_old, &r->nonly_old, a.f[i++].name);
            continue;
        }
        if (c > 0) {
            push_name(&r->only_new, &r->nonly_new, b.f[k++].name);
            continue;
        }
        r->figs = results_xrealloc(r->figs, (r->nfigs + 1) * sizeof(*r->figs));
        compare_figure *f = &r->figs[r->nfigs++];
        memset(f, 0, sizeof(*f));
        f->name = results_xstrdup(a.f[i].name);
        f->unit = results_xstrdup(b.f[k].unit);
        f->old_v = a.f[i].v;
        f->new_v = b.f[k].v;
        f->dir = compare_direction_of(f->name, f->unit);
        f->tolerance = tolerance_for(o, f->name);
        judge(o, f);
        r->nregressed += f->verdict == COMPARE_REGRESSED;
        i++;
        k++;
    }
    compare_suites(r, ra, rb);
out:
    figset_free(&a);
    figset_free(&b);
    if (ra)
        results_run_free(ra);
    if (rb)
        results_run_free(rb);
    return r;
}

void compare_result_free(compare_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfigs; i++) {
        free(r->figs[i].name);
        free(r->figs[i].unit);
    }
    for (size_t i = 0; i < r->nonly_old; i++)
        free(r->only_old[i]);
    for (size_t i = 0; i < r->nonly_new; i++)
        free(r->only_new[i]);
    for (size_t i = 0; i < r->nsuites; i++) {
        free(r->suites[i].name);
        free(r->suites[i].old_status);
        free(r->suites[i].new_status);
    }
    free(r->figs);
    free(r->only_old);
    free(r->only_new);
    free(r->suites);
    free(r->old_dir);
    free(r->new_dir);
    free(r);
}

/* ---- output ---- */

static void fmt_value(char *buf, size_t len, double v, const char *unit)
{
    snprintf(buf, len, "%.4g%s%s", v, *unit ? " " : "", unit);
}

static void fmt_change(char *buf, size_t len, double change)
{
    if (isinf(change))
        snprintf(buf, len, "%s", change > 0 ? "+inf%" : "-inf%");
    else
        snprintf(buf, len, "%+.1f%%", change);
}

void compare_print(const compare_result *r, FILE *f)
{
    size_t w = strlen("figure");
    for (size_t i = 0; i < r->nfigs; i++)
        if (strlen(r->figs[i].name) > w)
            w = strlen(r->figs[i].name);
    fprintf(f,
            "wsb-harness compare: OLD %s -> NEW %s\n(a regression: a move the wrong way by "
            "more than %g%% of the old value, and by more than %g ms for a time, %g points "
            "for a %% figure)\n",
            r->old_dir, r->new_dir, r->tolerance, r->floor_ms, r->floor_points);
    fprintf(f, "%-*s %16s %16s %9s %7s  %s\n", (int)w, "figure", "old", "new", "change",
            "better", "verdict");
    for (size_t i = 0; i < r->nfigs; i++) {
        const compare_figure *c = &r->figs[i];
        char o[64], n[64], ch[32], v[64];
        fmt_value(o, sizeof(o), c->old_v, c->unit);
        fmt_value(n, sizeof(n), c->new_v, c->unit);
        fmt_change(ch, sizeof(ch), c->change);
        if (c->verdict == COMPARE_REGRESSED)
            snprintf(v, sizeof(v), "REGRESSED (beyond %g%%)", c->tolerance);
        else
            snprintf(v, sizeof(v), "%s", compare_verdict_name(c->verdict));
        fprintf(f, "%-*s %16s %16s %9s %7s  %s\n", (int)w, c->name, o, n, ch,
                compare_direction_name(c->dir), v);
    }
    for (size_t i = 0; i < r->nsuites; i++)
        if (strcmp(r->suites[i].old_status, r->suites[i].new_status) != 0)
            fprintf(f, "suite %s: %s -> %s%s\n", r->suites[i].name, r->suites[i].old_status,
                    r->suites[i].new_status, r->suites[i].regressed ? "  REGRESSED" : "");
    if (r->nonly_old) {
        fprintf(f, "only in OLD (not compared, %zu):", r->nonly_old);
        for (size_t i = 0; i < r->nonly_old; i++)
            fprintf(f, " %s", r->only_old[i]);
        fputc('\n', f);
    }
    if (r->nonly_new) {
        fprintf(f, "only in NEW (not compared, %zu):", r->nonly_new);
        for (size_t i = 0; i < r->nonly_new; i++)
            fprintf(f, " %s", r->only_new[i]);
        fputc('\n', f);
    }
    size_t judged = 0, improved = 0;
    for (size_t i = 0; i < r->nfigs; i++) {
        judged += r->figs[i].verdict != COMPARE_NOT_JUDGED;
        improved += r->figs[i].verdict == COMPARE_IMPROVED;
    }
    fprintf(f, "%zu figures compared (%zu judged, %zu improved), %zu regressed", r->nfigs, judged,
            improved, r->nregressed);
    const char *sep = ": ";
    size_t named = 0;
    for (size_t i = 0; i < r->nfigs; i++)
        if (r->figs[i].verdict == COMPARE_REGRESSED && named++ < 12) {
            char ch[32];
            fmt_change(ch, sizeof(ch), r->figs[i].change);
            fprintf(f, "%s%s %s", sep, r->figs[i].name, ch);
            sep = ", ";
        }
    if (named > 12)
        fprintf(f, ", and %zu more (see the table)", named - 12);
    for (size_t i = 0; i < r->nsuites; i++)
        if (r->suites[i].regressed) {
            fprintf(f, "%ssuite %s passed -> failed", sep, r->suites[i].name);
            sep = ", ";
        }
    fputc('\n', f);
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k); /* JSON has no infinity: a move from 0 */
}

cJSON *compare_to_json(const compare_result *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "format", "wsb-compare");
    cJSON_AddNumberToObject(j, "version", 1);
    cJSON_AddStringToObject(j, "old", r->old_dir);
    cJSON_AddStringToObject(j, "new", r->new_dir);
    cJSON_AddNumberToObject(j, "tolerance_pct", r->tolerance);
    cJSON_AddNumberToObject(j, "floor_ms", r->floor_ms);
    cJSON_AddNumberToObject(j, "floor_points", r->floor_points);
    cJSON_AddStringToObject(j, "status", r->nregressed ? "regressed" : "passed");
    cJSON_AddNumberToObject(j, "regressions", (double)r->nregressed);
    cJSON *fa = cJSON_AddArrayToObject(j, "figures");
    for (size_t i = 0; i < r->nfigs; i++) {
        const compare_figure *c = &r->figs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", c->name);
        cJSON_AddStringToObject(o, "unit", c->unit);
        add_num(o, "old", c->old_v);
        add_num(o, "new", c->new_v);
        add_num(o, "change_pct", c->change);
        cJSON_AddStringToObject(o, "better", compare_direction_name(c->dir));
        cJSON_AddNumberToObject(o, "tolerance_pct", c->tolerance);
        cJSON_AddStringToObject(o, "verdict", compare_verdict_name(c->verdict));
        cJSON_AddItemToArray(fa, o);
    }
    cJSON *sa = cJSON_AddArrayToObject(j, "suites");
    for (size_t i = 0; i < r->nsuites; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", r->suites[i].name);
        cJSON_AddStringToObject(o, "old", r->suites[i].old_status);
        cJSON_AddStringToObject(o, "new", r->suites[i].new_status);
        cJSON_AddBoolToObject(o, "regressed", r->suites[i].regressed);
        cJSON_AddItemToArray(sa, o);
    }
    cJSON *oo = cJSON_AddArrayToObject(j, "only_old");
    for (size_t i = 0; i < r->nonly_old; i++)
        cJSON_AddItemToArray(oo, cJSON_CreateString(r->only_old[i]));
    cJSON *on = cJSON_AddArrayToObject(j, "only_new");
    for (size_t i = 0; i < r->nonly_new; i++)
        cJSON_AddItemToArray(on, cJSON_CreateString(r->only_new[i]));
    return j;
}
