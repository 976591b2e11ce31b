/* threshold: parsing "METRIC: EXPR" (k6's notation), the metrics the tests
 * own with their default budgets, aggregation and the verdict, and judging a
 * test's measurements against the configured set (see threshold.h). */
#include "threshold.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "histogram.h"
#include "suite.h"

const threshold_metric threshold_metrics[] = {
    {"connect_time", THRESHOLD_TREND, "connectivity/concurrent", "avg<1s",
     "time to open each of the concurrent connections (handshake done)"},
    {"conn_target", THRESHOLD_RATE, "connectivity/concurrent", "rate>=0.9",
     "share of the concurrent connections that received the target number of envelopes"},
    {"capacity_success", THRESHOLD_RATE, "connectivity/capacity_ramp", "rate>=0.9",
     "the lowest success rate of a capacity step up to the expected capacity"},
    {"ping_rtt", THRESHOLD_TREND, "connectivity/ping_pong", "p(99)<50ms",
     "WebSocket ping to pong round trip on an idle subscriber"},
    {"e2e_latency", THRESHOLD_TREND, "message_flow/end_to_end", "p(99)<100ms",
     "bot schedule time (ts_us) to receipt at each subscriber"},
    {"perf_e2e_latency", THRESHOLD_TREND, "performance/end_to_end", "p(99)<100ms",
     "the same over the performance window at a fixed rate (and each step of the rate sweep)"},
    {"delivery_rate", THRESHOLD_RATE, "load_tests/concurrent, scenarios (wsb-load --scenario)", "rate>=0.999",
     "share of the published messages every subscriber received (the delivery ledger)"},
    {"errors", THRESHOLD_RATE, "load_tests/concurrent, scenarios (wsb-load --scenario)", "rate<0.01",
     "share of a scenario's connections that ended in an error (counted by kind)"},
};
const size_t threshold_nmetrics = sizeof(threshold_metrics) / sizeof(threshold_metrics[0]);

static const char *const op_text[] = {"<", "<=", ">", ">=", "==", "!="};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const threshold_metric *find_metric(const char *name)
{
    for (size_t i = 0; i < threshold_nmetrics; i++)
        if (!strcmp(threshold_metrics[i].name, name))
            return &threshold_metrics[i];
    return NULL;
}

/* The known metric names, for an error message. */
static void metric_list(char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < threshold_nmetrics && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", threshold_metrics[i].name);
}

/* AGG at *p: advances p. 0 or -1. */
static int parse_agg(const char **p, threshold *t, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        threshold_agg agg;
    } aggs[] = {{"avg", THRESHOLD_AVG}, {"min", THRESHOLD_MIN},      {"max", THRESHOLD_MAX},
                {"med", THRESHOLD_MED}, {"rate", THRESHOLD_RATE_OF}, {"count", THRESHOLD_COUNT_OF}};
    const char *s = *p;
    if (!strncmp(s, "p(", 2)) {
        char *end;
        double pct = strtod(s + 2, &end);
        if (end == s + 2 || *end != ')' || !(pct >= 0 && pct <= 100))
            return fail(err, errlen, "p(N) needs a percentile N in 0..100, as in p(99)");
        t->agg = THRESHOLD_PCT;
        t->pct = pct;
        *p = end + 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
        size_t n = strlen(aggs[i].name);
        if (!strncmp(s, aggs[i].name, n) && !isalpha((unsigned char)s[n])) {
            t->agg = aggs[i].agg;
            *p = s + n;
            return 0;
        }
    }
    return fail(err, errlen,
                "unknown aggregation at \"%s\" (avg, min, max, med, p(N), rate, count)", s);
}

static int parse_op(const char **p, threshold *t, char *err, size_t errlen)
{
    const char *s = *p;
    for (int i = 5; i >= 0; i--) { /* two-character operators first */
        size_t n = strlen(op_text[i]);
        if (!strncmp(s, op_text[i], n)) {
            t->op = (threshold_op)i;
            *p = s + n;
            return 0;
        }
    }
    return fail(err, errlen, "expected a comparison (<, <=, >, >=, ==, !=) at \"%s\"", s);
}

/* VALUE[UNIT] at s up to the end, in the metric kind's base unit. */
static int parse_limit(const char *s, threshold *t, char *err, size_t errlen)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return fail(err, errlen, "expected a number at \"%s\"", s);
    if (t->kind == THRESHOLD_TREND) {
        double mult = 1000.0; /* a bare number is milliseconds (k6) */
        if (!strcmp(end, "us") || !strcmp(end, "µs"))
            mult = 1.0;
        else if (!strcmp(end, "ms") || !*end)
            mult = 1000.0;
        else if (!strcmp(end, "s"))
            mult = 1e6;
        else
            return fail(err, errlen, "unknown unit \"%s\" (us, ms, s)", end);
        t->limit = v * mult;
    } else if (t->kind == THRESHOLD_RATE) {
        if (!strcmp(end, "%"))
            v /= 100.0;
        else if (*end)
            return fail(err, errlen, "a rate is a fraction or a percentage, not \"%s\"", s);
        if (v < 0 || v > 1)
            return fail(err, errlen, "a rate is between 0 and 1 (or 0%% and 100%%), not %s", s);
        t->limit = v;
    } else {
        if (*end)
            return fail(err, errlen, "a count has no unit: \"%s\"", s);
        t->limit = v;
    }
    return 0;
}

int threshold_parse(const char *text, threshold *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    const char *colon = strchr(text, ':');
    if (!colon)
        return fail(err, errlen, "expected \"METRIC: EXPRESSION\", as in e2e_latency: p(99)<100ms");
    /* the metric, trimmed */
    const char *a = text, *b = colon;
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    if (b == a || (size_t)(b - a) >= sizeof(t->metric))
        return fail(err, errlen, "no metric name before ':'");
    memcpy(t->metric, a, (size_t)(b - a));
    const threshold_metric *m = find_metric(t->metric);
    if (!m) {
        char names[400];
        metric_list(names, sizeof(names));
        return fail(err, errlen, "unknown metric \"%s\" (known: %s)", t->metric, names);
    }
    t->kind = m->kind;
    /* the expression without blanks */
    size_t o = 0;
    for (const char *s = colon + 1; *s; s++) {
        if (isspace((unsigned char)*s))
            continue;
        if (o + 1 >= sizeof(t->expr))
            return fail(err, errlen, "expression too long");
        t->expr[o++] = *s;
    }
    t->expr[o] = 0;
    if (!o)
        return fail(err, errlen, "no expression after \"%s:\"", t->metric);
    const char *p = t->expr;
    if (parse_agg(&p, t, err, errlen) < 0 || parse_op(&p, t, err, errlen) < 0 ||
        parse_limit(p, t, err, errlen) < 0)
        return -1;
    int trend_agg = t->agg <= THRESHOLD_PCT;
    if ((t->kind == THRESHOLD_TREND && !trend_agg) ||
        (t->kind == THRESHOLD_RATE && t->agg != THRESHOLD_RATE_OF) ||
        (t->kind == THRESHOLD_COUNT && t->agg != THRESHOLD_COUNT_OF))
        return fail(err, errlen, "%s is a %s: use %s", t->metric,
                    t->kind == THRESHOLD_TREND  ? "trend"
                    : t->kind == THRESHOLD_RATE ? "rate"
                                                : "counter",
                    t->kind == THRESHOLD_TREND  ? "avg, min, max, med or p(N)"
                    : t->kind == THRESHOLD_RATE ? "rate"
                                                : "count");
    return 0;
}

void threshold_set_defaults(threshold_set *s)
{
    s->n = 0;
    char text[160];
    for (size_t i = 0; i < threshold_nmetrics && s->n < THRESHOLD_SET_MAX; i++) {
        if (!threshold_metrics[i].defaults)
            continue;
        snprintf(text, sizeof(text), "%s: %s", threshold_metrics[i].name,
                 threshold_metrics[i].defaults);
        if (threshold_parse(text, &s->t[s->n], NULL, 0) == 0) /* the table is known good */
            s->t[s->n++].replaceable = 1;
    }
}

void threshold_set_freeze(threshold_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        s->t[i].replaceable = 1;
}

int threshold_set_add(threshold_set *s, const char *text, char *err, size_t errlen)
{
    threshold t;
    if (threshold_parse(text, &t, err, errlen) < 0)
        return -1;
    size_t o = 0; /* the first threshold of a layer on a metric replaces the lower ones */
    for (size_t i = 0; i < s->n; i++)
        if (!(s->t[i].replaceable && !strcmp(s->t[i].metric, t.metric)))
            s->t[o++] = s->t[i];
    s->n = o;
    if (s->n == THRESHOLD_SET_MAX)
        return fail(err, errlen, "more than %d thresholds", THRESHOLD_SET_MAX);
    s->t[s->n++] = t;
    return 0;
}

int threshold_set_add_list(threshold_set *s, const char *list, char *err, size_t errlen)
{
    char item[256], why[300];
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ";\n");
        const char *a = p, *b = p + n;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a) {
            if ((size_t)(b - a) >= sizeof(item))
                return fail(err, errlen, "\"%.40s...\": too long", a);
            memcpy(item, a, (size_t)(b - a));
            item[b - a] = 0;
            if (threshold_set_add(s, item, why, sizeof(why)) < 0)
                return fail(err, errlen, "\"%s\": %s", item, why);
        }
        p += n;
        if (*p)
            p++;
    }
    return 0;
}

double threshold_value(const threshold *t, double *us, size_t n, double good, double total,
                       double count)
{
    switch (t->agg) {
    case THRESHOLD_RATE_OF:
        return total > 0 ? good / total : NAN;
    case THRESHOLD_COUNT_OF:
        return count;
    case THRESHOLD_AVG: {
        if (!n)
            return NAN;
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += us[i];
        return sum / (double)n;
    }
    case THRESHOLD_MIN:
        return n ? bridge_percentile(us, n, 0) : NAN;
    case THRESHOLD_MAX:
        return n ? bridge_percentile(us, n, 100) : NAN;
    case THRESHOLD_MED:
        return n ? bridge_percentile(us, n, 50) : NAN;
    case THRESHOLD_PCT:
        return n ? bridge_percentile(us, n, t->pct) : NAN;
    }
    return NAN;
}

int threshold_met(const threshold *t, double v)
{
    if (isnan(v))
        return 0;
    switch (t->op) {
    case THRESHOLD_LT:
        return v < t->limit;
    case THRESHOLD_LE:
        return v <= t->limit;
    case THRESHOLD_GT:
        return v > t->limit;
    case THRESHOLD_GE:
        return v >= t->limit;
    case THRESHOLD_EQ:
        return v == t->limit;
    case THRESHOLD_NE:
        return v != t->limit;
    }
    return 0;
}

int threshold_met_all(const threshold_set *s, const char *metric, double value)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (!strcmp(s->t[i].metric, metric) && !threshold_met(&s->t[i], value))
            return 0;
    return 1;
}

const char *threshold_format(const threshold *t, double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "none");
    else if (t->kind == THRESHOLD_TREND)
        snprintf(buf, len, "%.4gms", v / 1000.0);
    else if (t->kind == THRESHOLD_RATE)
        snprintf(buf, len, "%.4g", v);
    else
        snprintf(buf, len, "%.0f", v);
    return buf;
}

/* The aggregation as written in the expression: "p(99)", "avg", "rate". */
static void agg_text(const threshold *t, char *buf, size_t len)
{
    size_t n = strcspn(t->expr, "<>=!");
    snprintf(buf, len, "%.*s", (int)n, t->expr);
}

/* A trend aggregate read off a histogram (ns) in microseconds; NAN when empty. */
static double hist_value(const threshold *t, const histogram *h)
{
    if (!histogram_count(h))
        return NAN;
    switch (t->agg) {
    case THRESHOLD_AVG:
        return histogram_mean(h) / 1000.0;
    case THRESHOLD_MIN:
        return (double)histogram_min(h) / 1000.0;
    case THRESHOLD_MAX:
        return (double)histogram_max(h) / 1000.0;
    case THRESHOLD_MED:
        return (double)histogram_percentile(h, 50) / 1000.0;
    case THRESHOLD_PCT:
        return (double)histogram_percentile(h, t->pct) / 1000.0;
    default:
        return NAN;
    }
}

/* Judges metric's thresholds on the samples us[n], the histogram h (when not
 * NULL), or good/total, or count. */
static int judge(const threshold_set *s, const char *metric, double *us, size_t n,
                 const histogram *h, double good, double total, double count, char *why,
                 size_t whylen)
{
    int breached = 0;
    if (why && whylen)
        why[0] = 0;
    for (size_t i = 0; s && i < s->n; i++) {
        const threshold *t = &s->t[i];
        if (strcmp(t->metric, metric))
            continue;
        double v = h ? hist_value(t, h) : threshold_value(t, us, n, good, total, count);
        int ok = threshold_met(t, v);
        char val[40], agg[40], full[160];
        threshold_format(t, v, val, sizeof(val));
        agg_text(t, agg, sizeof(agg));
        snprintf(full, sizeof(full), "%s: %s", t->metric, t->expr);
        suite_threshold(t->metric, t->expr, t->kind == THRESHOLD_TREND ? v / 1000.0 : v,
                        t->kind == THRESHOLD_TREND  ? "ms"
                        : t->kind == THRESHOLD_RATE ? "rate"
                                                    : "count",
                        ok);
        if (!ok && !breached++ && why && whylen)
            snprintf(why, whylen, "threshold %s breached: %s=%s%s", full, agg, val,
                     isnan(v) ? " (nothing measured)" : "");
    }
    return breached;
}

int threshold_judge_trend(const threshold_set *s, const char *metric, double *us, size_t n,
                          char *why, size_t whylen)
{
    return judge(s, metric, us, n, NULL, 0, 0, 0, why, whylen);
}

int threshold_judge_histogram(const threshold_set *s, const char *metric, const histogram *h,
                              char *why, size_t whylen)
{
    return judge(s, metric, NULL, 0, h, 0, 0, 0, why, whylen);
}

int threshold_met_histogram(const threshold_set *s, const char *metric, const histogram *h)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (!strcmp(s->t[i].metric, metric) && !threshold_met(&s->t[i], hist_value(&s->t[i], h)))
            return 0;
    return 1;
}

const char *threshold_describe(const threshold_set *s, const char *metric, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; s && i < s->n && used < len; i++)
        if (!strcmp(s->t[i].metric, metric)) {
            int k = snprintf(buf + used, len - used, "%s%s", used ? " and " : "", s->t[i].expr);
            used += k > 0 ? (size_t)k : 0;
        }
    if (!buf[0])
        snprintf(buf, len, "none");
    return buf;
}

int threshold_judge_rate(const threshold_set *s, const char *metric, double good, double total,
                         char *why, size_t whylen)
{
    return judge(s, metric, NULL, 0, NULL, good, total, 0, why, whylen);
}

int threshold_judge_count(const threshold_set *s, const char *metric, double count, char *why,
                          size_t whylen)
{
    return judge(s, metric, NULL, 0, NULL, 0, 0, count, why, whylen);
}
