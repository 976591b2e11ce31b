/* suitekit: the suite API without the runner (see suitekit.h). */
#include "suitekit.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "histogram.h"
#include "jwt.h"
#include "testkit.h"
#include "threshold.h"

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
    static threshold_set defaults;
    if (!ctx.thresholds) {
        threshold_set_defaults(&defaults);
        ctx.thresholds = &defaults;
    }
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

/* dir/bin: wsb-dashboard and wsb-bot linked to faulty-peer, wsb-faultproxy to
 * the real one in real. 0, or -1 with err. */
static int faulty_bin(const char *dir, const char *real, char *err, size_t errlen)
{
    char bindir[PATH_MAX], path[PATH_MAX + 32], target[PATH_MAX + 32], peer[PATH_MAX];
    snprintf(bindir, sizeof(bindir), "%s/bin", dir);
    if (mkdir(bindir, 0777) < 0) {
        snprintf(err, errlen, "mkdir %s failed", bindir);
        return -1;
    }
    if (!realpath(testkit_test_bin_path("faulty-peer", target, sizeof(target)), peer)) {
        snprintf(err, errlen, "no faulty-peer beside the tests (%s)", target);
        return -1;
    }
    static const char *const names[] = {"wsb-dashboard", "wsb-bot", "wsb-faultproxy"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", bindir, names[i]);
        if (i < 2)
            snprintf(target, sizeof(target), "%s", peer);
        else
            snprintf(target, sizeof(target), "%s/%s", real, names[i]);
        if (symlink(target, path) < 0) {
            snprintf(err, errlen, "symlink %s -> %s failed", path, target);
            return -1;
        }
    }
    return 0;
}

envdriver *suitekit_faulty_native(const char *fault, const char *signing_secret, double bot_rate,
                                  char *dir, size_t dirlen, char *err, size_t errlen)
{
    static char bindir[PATH_MAX + 8]; /* the driver keeps a pointer to its config */
    char real[PATH_MAX], rb[PATH_MAX + 32];
    if (!testkit_mkdtemp(dir, dirlen, "wsb-faulty")) {
        snprintf(err, errlen, "cannot make a temporary folder");
        return NULL;
    }
    if (!realpath(testkit_bin_path("", rb, sizeof(rb)), real)) {
        snprintf(err, errlen, "no program folder at %s", rb);
        testkit_rmtree(dir);
        return NULL;
    }
    if (faulty_bin(dir, real, err, errlen) < 0) {
        testkit_rmtree(dir);
        return NULL;
    }
    setenv("WSB_FAULTY_PEER", fault, 1);
    setenv("WSB_FAULTY_REAL_BIN", real, 1);
    snprintf(bindir, sizeof(bindir), "%s/bin", dir);
    env_config cfg = {0};
    cfg.results_dir = dir;
    cfg.bin_dir = bindir;
    cfg.schemas_dir = "schemas";
    cfg.jwt_secret = signing_secret;
    cfg.bot_source = "bot-1";
    cfg.bot_rate = bot_rate;
    cfg.bot_queue_size = 10000;
    envdriver *d = envdriver_new(ENV_MODE_NATIVE, &cfg, err, errlen);
    if (!d)
        testkit_rmtree(dir);
    return d;
}
