/* suite: the harness API a suite sees (suite.h), on top of the runner's
 * child state: the context, skips, metrics, the suite log and tokens. */
#include "suite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "jwt.h"
#include "results.h"
#include "runner.h"

const suite_ctx *suite_get(void)
{
    return runner_child_ctx();
}

void suite_skip(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    suite_log("SKIP: %s", buf);
    runner_child_skip(buf);
}

void suite_metric(const char *name, double value, const char *unit)
{
    suite_log("metric %s = %g %s", name, value, unit ? unit : "");
    runner_child_metric(name, value, unit);
}

void suite_threshold(const char *metric, const char *expr, double value, const char *unit,
                     int passed)
{
    suite_log("threshold %s: %s = %g %s: %s", metric, expr, value, unit ? unit : "",
              passed ? "passed" : "BREACHED");
    runner_child_threshold(metric, expr, value, unit, passed);
}

/* stderr of a suite child goes to <results>/<suite>.log through the runner */
void suite_log(const char *fmt, ...)
{
    char ts[40], buf[4096];
    results_iso_now(ts, sizeof(ts));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s\n", ts, buf);
}

char *suite_token(const char *role, const char *sub, long ttl_s)
{
    const suite_ctx *c = suite_get();
    if (c->jwt_secret && c->jwt_secret[0]) {
        /* no sub: the bot's source for a publisher, the harness for anyone else */
        if (!sub)
            sub = role && strcmp(role, "publisher") == 0 ? (c->bot_source ? c->bot_source : "bot-1")
                                                         : "wsb-harness";
        return jwt_sign(c->jwt_secret, sub, role, ttl_s);
    }
    const char *t = NULL;
    if (role && strcmp(role, "publisher") == 0)
        t = c->publisher_token;
    else if (role && strcmp(role, "subscriber") == 0)
        t = c->subscriber_token;
    return t ? strdup(t) : NULL;
}

int suite_histogram(const char *name, const struct histogram *h)
{
    const suite_ctx *c = suite_get();
    char path[4096], err[512], m[300];
    snprintf(path, sizeof(path), "%s/metrics", c->results_dir ? c->results_dir : ".");
    if (results_mkdirs(path, err, sizeof(err)) < 0) {
        suite_log("histogram %s: %s", name, err);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/metrics/%s_%s.json", c->results_dir ? c->results_dir : ".",
             c->suite_name ? c->suite_name : "suite", name);
    int rc = histogram_write_file(h, path, err, sizeof(err));
    if (rc < 0)
        suite_log("histogram %s: %s", name, err);
    static const struct {
        const char *suffix;
        double p;
    } ps[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99_9", 99.9}, {"max", 100}};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        snprintf(m, sizeof(m), "%s_%s_us", name, ps[i].suffix);
        suite_metric(m, (double)histogram_percentile(h, ps[i].p) / 1000.0, "us");
    }
    snprintf(m, sizeof(m), "%s_count", name);
    suite_metric(m, (double)histogram_count(h), "values");
    return rc;
}
