/* envdriver: the dispatchers every driver shares, waiting for health, and
 * the external driver (a system already running, given by URLs, with no
 * process control). The native driver is env_native.c, docker env_docker.c. */
#include "envdriver.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpc.h"
#include "wclock.h"

static const char *const service_names[ENV_NUM_SERVICES] = {"dashboard", "bot", "proxy"};

const char *envdriver_service_name(env_service s)
{
    if ((unsigned)s < ENV_NUM_SERVICES)
        return service_names[s];
    return "unknown";
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

int envdriver_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    return d->ops->stats ? d->ops->stats(d, s, out, err, errlen) : bad(d, "stats", err, errlen);
}

int envdriver_wait_healthy(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen)
{
    if (check(d, s, err, errlen) < 0)
        return -1;
    const char *base = NULL;
    if (s == ENV_DASHBOARD)
        base = d->dashboard_http;
    else if (s == ENV_BOT)
        base = d->bot_status_url;
    if (!base || !base[0]) {
        snprintf(err, errlen, "%s: no health endpoint known to the %s driver",
                 envdriver_service_name(s), d->ops->name);
        return -1;
    }
    char url[400];
    snprintf(url, sizeof(url), "%s/health", base);
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

int envdriver_has(const envdriver *d, unsigned caps)
{
    return d && (d->caps & caps) == caps;
}

void envdriver_free(envdriver *d)
{
    if (!d)
        return;
    if (d->ops && d->ops->destroy)
        d->ops->destroy(d);
    free(d);
}

/* ---- external: a running system given by URLs ---- */

static const envdriver_ops external_ops = {
    .name = "external",
};

/* "ws://h:p[/path]" -> "ws://h:p" and "http://h:p"; wss -> https. */
static int split_ws_url(const char *url, char *ws, size_t wslen, char *http, size_t httplen,
                        char *err, size_t errlen)
{
    const char *rest;
    const char *scheme;
    if (strncmp(url, "ws://", 5) == 0) {
        rest = url + 5;
        scheme = "http://";
    } else if (strncmp(url, "wss://", 6) == 0) {
        rest = url + 6;
        scheme = "https://";
    } else if (strncmp(url, "http://", 7) == 0) {
        rest = url + 7;
        scheme = "http://";
    } else if (strncmp(url, "https://", 8) == 0) {
        rest = url + 8;
        scheme = "https://";
    } else {
        snprintf(err, errlen, "dashboard URL \"%s\": expected ws://, wss://, http:// or https://",
                 url);
        return -1;
    }
    size_t hl = strcspn(rest, "/?#");
    if (hl == 0) {
        snprintf(err, errlen, "dashboard URL \"%s\": no host", url);
        return -1;
    }
    int tls = strcmp(scheme, "https://") == 0;
    snprintf(ws, wslen, "%s%.*s", tls ? "wss://" : "ws://", (int)hl, rest);
    snprintf(http, httplen, "%s%.*s", scheme, (int)hl, rest);
    return 0;
}

envdriver *envdriver_external_new(const env_config *cfg, char *err, size_t errlen)
{
    if (!cfg->dashboard_url || !cfg->dashboard_url[0]) {
        snprintf(err, errlen, "external driver: no dashboard URL (--dashboard-url)");
        return NULL;
    }
    envdriver *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->ops = &external_ops;
    d->cfg = *cfg;
    if (split_ws_url(cfg->dashboard_url, d->dashboard_url, sizeof(d->dashboard_url),
                     d->dashboard_http, sizeof(d->dashboard_http), err, errlen) < 0) {
        free(d);
        return NULL;
    }
    if (cfg->bot_status_url && cfg->bot_status_url[0]) {
        size_t l = strlen(cfg->bot_status_url);
        while (l > 0 && cfg->bot_status_url[l - 1] == '/')
            l--;
        snprintf(d->bot_status_url, sizeof(d->bot_status_url), "%.*s", (int)l, cfg->bot_status_url);
        d->caps |= ENV_CAP_BOT;
    }
    return d;
}
