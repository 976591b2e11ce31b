/* suite: the harness API a suite sees (suite.h), on top of the runner's
 * child state: the context, skips, metrics, the suite log and tokens. */
#include "suite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (c->jwt_secret && c->jwt_secret[0])
        return jwt_sign(c->jwt_secret, sub ? sub : (c->bot_source ? c->bot_source : "bot-1"),
                        role, ttl_s);
    const char *t = NULL;
    if (role && strcmp(role, "publisher") == 0)
        t = c->publisher_token;
    else if (role && strcmp(role, "subscriber") == 0)
        t = c->subscriber_token;
    return t ? strdup(t) : NULL;
}
