/* envdriver: what every driver shares: envdriver_new() (picks the driver
 * by mode), the accessors, the operation dispatchers (one per slot of the
 * ops table; "not supported by the <name> driver" for an empty slot) and
 * waiting for a service's health. The fault proxy's operations are in
 * env_proxy.c. The drivers are env_native.c,
 * env_docker.c, env_external.c and env_remote.c. */
#include "envdriver_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpc.h"
#include "wclock.h"

static const char *const service_names[ENV_NUM_SERVICES] = {"dashboard", "bot", "proxy"};
static const char *const link_names[ENV_NUM_LINKS] = {"bot", "clients"};
static const char *const mode_names[] = {"native", "docker", "external"};
#define NUM_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

int env_mode_parse(const char *name, env_mode *out)
{
    for (size_t i = 0; name && i < NUM_MODES; i++) {
        if (strcmp(name, mode_names[i]) == 0) {
            *out = (env_mode)i;
            return 0;
        }
    }
    return -1;
}

const char *env_mode_name(env_mode mode)
{
    return (unsigned)mode < NUM_MODES ? mode_names[mode] : "unknown";
}

envdriver *envdriver_new(env_mode mode, const env_config *cfg, char *err, size_t errlen)
{
    switch (mode) {
    case ENV_MODE_NATIVE:
        return env_native_new(cfg, err, errlen);
    case ENV_MODE_DOCKER:
        return env_docker_new(cfg, err, errlen);
    case ENV_MODE_EXTERNAL:
        return env_external_new(cfg, err, errlen);
    }
    snprintf(err, errlen, "unknown environment mode %d", (int)mode);
    return NULL;
}

const char *envdriver_service_name(env_service s)
{
    if ((unsigned)s < ENV_NUM_SERVICES)
        return service_names[s];
    return "unknown";
}

const char *envdriver_link_name(env_link l)
{
    return (unsigned)l < ENV_NUM_LINKS ? link_names[l] : "unknown";
}

static int bad(const envdriver *d, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: not supported by the %s driver", what,
             d && d->ops && d->ops->name ? d->ops->name : "(none)");
    return -1;
}

static int check(const envdriver *d, env_service s, char *err, size_t errlen)
{
    if (!d || !d->ops) {
        snprintf(err, errlen, "no environment driver");
        return -1;
    }
    if ((unsigned)s >= ENV_NUM_SERVICES) {
        snprintf(err, errlen, "unknown service %d", (int)s);
        return -1;
    }
    return 0;
}

int envdriver_start(envdriver *d, env_service s, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->start ? d->ops->start(d, s, err, errlen) : bad(d, "start", err, errlen);
}

int envdriver_stop(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->stop ? d->ops->stop(d, s, timeout_ms, err, errlen) : bad(d, "stop", err, errlen);
}

int envdriver_kill(envdriver *d, env_service s, int sig, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->kill ? d->ops->kill(d, s, sig, err, errlen) : bad(d, "kill", err, errlen);
}

int envdriver_restart(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    if (!d->ops->stop || !d->ops->start)
        return bad(d, "restart", err, errlen);
    if (d->ops->stop(d, s, timeout_ms, err, errlen) < 0)
        return -1;
    return d->ops->start(d, s, err, errlen);
}

int envdriver_pause(envdriver *d, env_service s, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->pause ? d->ops->pause(d, s, err, errlen) : bad(d, "pause", err, errlen);
}

int envdriver_unpause(envdriver *d, env_service s, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->unpause ? d->ops->unpause(d, s, err, errlen) : bad(d, "unpause", err, errlen);
}

int envdriver_disconnect(envdriver *d, env_service s, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->disconnect ? d->ops->disconnect(d, s, err, errlen)
                              : bad(d, "disconnect", err, errlen);
}

int envdriver_reconnect(envdriver *d, env_service s, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->reconnect ? d->ops->reconnect(d, s, err, errlen)
                             : bad(d, "reconnect", err, errlen);
}

int envdriver_save_log(envdriver *d, env_service s, const char *path, char *err, size_t errlen)
{
    return d->ops->save_log ? d->ops->save_log(d, s, path, err, errlen)
                            : bad(d, "save log", err, errlen);
}

int envdriver_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    out->net_rx_bytes = out->net_tx_bytes = -1; /* drivers that cannot tell leave them */
    return d->ops->stats ? d->ops->stats(d, s, out, err, errlen) : bad(d, "stats", err, errlen);
}

int envdriver_set_args(envdriver *d, env_service s, const char *args, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->set_args ? d->ops->set_args(d, s, args ? args : "", err, errlen)
                            : bad(d, "set arguments", err, errlen);
}

static int check_link(const envdriver *d, env_link l, char *err, size_t errlen)
{
    if (check(d, ENV_PROXY, err, errlen) < 0)
        return -1;
    if ((unsigned)l >= ENV_NUM_LINKS) {
        snprintf(err, errlen, "unknown link %d", (int)l);
        return -1;
    }
    return 0;
}

int envdriver_toxic_add(envdriver *d, env_link l, const char *toxic_json, char *err,
                        size_t errlen)
{
    if (check_link(d, l, err, errlen) < 0)
        return -1;
    return d->ops->toxic_add ? d->ops->toxic_add(d, l, toxic_json, err, errlen)
                             : bad(d, "toxic add", err, errlen);
}

int envdriver_toxic_remove(envdriver *d, env_link l, const char *toxic_name, char *err,
                           size_t errlen)
{
    if (check_link(d, l, err, errlen) < 0)
        return -1;
    return d->ops->toxic_remove ? d->ops->toxic_remove(d, l, toxic_name, err, errlen)
                                : bad(d, "toxic remove", err, errlen);
}

int envdriver_link_enable(envdriver *d, env_link l, int enabled, char *err, size_t errlen)
{
    if (check_link(d, l, err, errlen) < 0)
        return -1;
    return d->ops->link_enable ? d->ops->link_enable(d, l, enabled, err, errlen)
                               : bad(d, enabled ? "link enable" : "link disable", err, errlen);
}

int envdriver_wait_healthy(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    const char *base = NULL;
    const char *path = "/health";
    if (s == ENV_DASHBOARD)
        base = d->dashboard_http;
    else if (s == ENV_BOT)
        base = d->bot_status_url;
    else if (s == ENV_PROXY) {
        base = d->proxy_api;
        path = "/version";
    }
    if (!base || !base[0]) {
        snprintf(err, errlen, "%s: no health endpoint known to the %s driver",
                 envdriver_service_name(s), d->ops->name);
        return -1;
    }
    char url[400];
    snprintf(url, sizeof(url), "%s%s", base, path);
    double deadline = wclock_mono_s() + timeout_ms / 1000.0;
    char last[600] = "no answer";
    for (;;) {
        double left = deadline - wclock_mono_s();
        if (left <= 0)
            break;
        int tmo = (int)(left * 1000);
        if (tmo > 2000)
            tmo = 2000;
        if (tmo < 50)
            tmo = 50;
        httpc_response r;
        if (httpc_get(url, tmo, &r, last, sizeof(last)) == 0) {
            long st = r.status;
            httpc_response_free(&r);
            if (st == 200)
                return 0;
            snprintf(last, sizeof(last), "%s: HTTP %ld", url, st);
        }
        /* a short pause between polls, bounded by the deadline */
        left = deadline - wclock_mono_s();
        if (left > 0)
            poll(NULL, 0, left > 0.1 ? 100 : (int)(left * 1000) + 1);
    }
    snprintf(err, errlen, "%s not healthy after %d ms (last: %s)", envdriver_service_name(s),
             timeout_ms, last);
    return -1;
}

/* ---- accessors ---- */

const char *envdriver_name(const envdriver *d)
{
    return d->ops && d->ops->name ? d->ops->name : "(none)";
}

const char *envdriver_dashboard_url(const envdriver *d)
{
    return d->dashboard_url;
}

const char *envdriver_dashboard_http(const envdriver *d)
{
    return d->dashboard_http;
}

const char *envdriver_bot_status_url(const envdriver *d)
{
    return d->bot_status_url;
}

const char *envdriver_proxy_api(const envdriver *d)
{
    return d->proxy_api;
}

const char *envdriver_link_proxy(const envdriver *d, env_link l)
{
    return (unsigned)l < ENV_NUM_LINKS ? d->link_proxy[l] : "";
}

const char *envdriver_clients_url(const envdriver *d)
{
    return d->clients_url;
}

unsigned envdriver_caps(const envdriver *d)
{
    return d->caps;
}

int envdriver_has(const envdriver *d, unsigned caps)
{
    return d && (d->caps & caps) == caps;
}

double envdriver_bot_rate(const envdriver *d)
{
    return d->cfg.bot_rate;
}

int envdriver_bot_queue_size(const envdriver *d)
{
    return d->cfg.bot_queue_size;
}

void envdriver_free(envdriver *d)
{
    if (!d)
        return;
    envproxy_heal(d); /* first: a driver's destroy may stop the proxy */
    if (d->ops && d->ops->destroy)
        d->ops->destroy(d);
    free(d);
}
