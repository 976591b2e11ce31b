/* suitekit: the suite API without the runner (see suitekit.h). */
#include "suitekit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "jwt.h"

#define SUITEKIT_MAX_METRICS 512

static suite_ctx ctx;
static const char *secret = "suitekit-secret";
static const char *default_sub = "bot-1";
static struct {
    char name[80];
    double value;
} metrics[SUITEKIT_MAX_METRICS];
static int nmetrics;

static int verbose(void)
{
    const char *v = getenv("WSB_VERBOSE");
    return v && *v;
}

suite_ctx *suitekit_ctx(void)
{
    return &ctx;
}

void suitekit_set_secret(const char *s, const char *sub)
{
    secret = s;
    default_sub = sub;
}

double suitekit_metric(const char *name, double dflt)
{
    for (int i = nmetrics - 1; i >= 0; i--)
        if (!strcmp(metrics[i].name, name))
            return metrics[i].value;
    return dflt;
}

void suitekit_reset_metrics(void)
{
    nmetrics = 0;
}

const suite_ctx *suite_get(void)
{
    return &ctx;
}

void suite_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("      skip: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void suite_metric(const char *name, double value, const char *unit)
{
    if (nmetrics < SUITEKIT_MAX_METRICS) {
        snprintf(metrics[nmetrics].name, sizeof(metrics[nmetrics].name), "%s", name);
        metrics[nmetrics++].value = value;
    }
    if (verbose())
        fprintf(stderr, "      metric %s = %g %s\n", name, value, unit ? unit : "");
}

void suite_log(const char *fmt, ...)
{
    if (!verbose())
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("      ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void suite_threshold(const char *metric, const char *expr, double value, const char *unit,
                     int passed)
{
    if (verbose())
        fprintf(stderr, "      threshold %s: %s = %g %s: %s\n", metric, expr, value, unit,
                passed ? "passed" : "BREACHED");
}

char *suite_token(const char *role, const char *sub, long ttl_s)
{
    return jwt_sign(secret, sub ? sub : default_sub, role, ttl_s);
}

/* As the real one records them (no file): name_p50_us ... name_max_us, name_count. */
int suite_histogram(const char *name, const struct histogram *h)
{
    static const struct {
        const char *suffix;
        double p;
    } ps[] = {{"p50_us", 50}, {"p90_us", 90}, {"p99_us", 99}, {"p99_9_us", 99.9}, {"max_us", 100}};
    char m[96];
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        snprintf(m, sizeof(m), "%s_%s", name, ps[i].suffix);
        suite_metric(m, (double)histogram_percentile(h, ps[i].p) / 1000.0, "us");
    }
    snprintf(m, sizeof(m), "%s_count", name);
    suite_metric(m, (double)histogram_count(h), "samples");
    return 0;
}
