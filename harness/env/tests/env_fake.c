/* env_fake: the scripted test driver (see env_fake.h). It lives under
 * harness/env/ because it fills the driver's private struct
 * (envdriver_int.h) as the real drivers do. */
#include "env_fake.h"

#include <stdio.h>
#include <stdlib.h>

#include "envdriver_int.h"

static int fake_start(envdriver *d, env_service s, char *err, size_t errlen)
{
    (void)s;
    (void)err;
    (void)errlen;
    env_fake_calls *c = d->impl;
    if (c)
        c->starts++;
    snprintf(d->dashboard_url, sizeof(d->dashboard_url), "ws://127.0.0.1:5678");
    return 0;
}

static int fake_kill(envdriver *d, env_service s, int sig, char *err, size_t errlen)
{
    if (s == ENV_PROXY) {
        snprintf(err, errlen, "no proxy here");
        return -1;
    }
    env_fake_calls *c = d->impl;
    if (c) {
        c->kills++;
        c->last_sig = sig;
        c->last_service = (int)s;
    }
    return 0;
}

static int fake_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen)
{
    (void)d;
    (void)s;
    (void)err;
    (void)errlen;
    out->cpu_percent = 12.5;
    out->mem_bytes = 4096;
    return 0;
}

static int fake_link(envdriver *d, env_link l, const char *json, int enabled, char *err,
                     size_t errlen)
{
    if (l == ENV_LINK_CLIENTS) {
        snprintf(err, errlen, "no clients proxy");
        return -1;
    }
    env_fake_calls *c = d->impl;
    if (c) {
        c->toxics++;
        c->last_link = (int)l;
        c->last_enabled = enabled;
        snprintf(c->last_toxic, sizeof(c->last_toxic), "%s", json ? json : "");
    }
    return 0;
}

static int fake_toxic_add(envdriver *d, env_link l, const char *json, char *err, size_t errlen)
{
    return fake_link(d, l, json, -1, err, errlen);
}

static int fake_link_enable(envdriver *d, env_link l, int enabled, char *err, size_t errlen)
{
    return fake_link(d, l, NULL, enabled, err, errlen);
}

static const envdriver_ops fake_ops = {
    .name = "fake",
    .start = fake_start,
    .kill = fake_kill,
    .stats = fake_stats,
    .toxic_add = fake_toxic_add,
    .link_enable = fake_link_enable,
};

envdriver *env_fake_new(const char *dashboard_url, env_fake_calls *calls)
{
    envdriver *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->ops = &fake_ops;
    d->caps = ENV_CAP_PROCESS;
    snprintf(d->dashboard_url, sizeof(d->dashboard_url), "%s", dashboard_url);
    if (calls)
        *calls = (env_fake_calls){0, 0, -1, -1, 0, -1, -1, {0}};
    d->impl = calls; /* not owned: no destroy */
    return d;
}
