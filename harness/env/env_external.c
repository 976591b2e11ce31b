/* env_external: the external environment driver (env_external_new, through
 * envdriver_new(ENV_MODE_EXTERNAL, ...)).
 *
 * A system that is already running, given by URLs: the dashboard's
 * (ws://, wss://, http:// or https://; any path is dropped, the WebSocket and
 * the HTTP base are derived from the same host:port) and, when there is a
 * bot, its status endpoint. It has no process control and no stats: its ops
 * table names it and nothing else, so every operation is "not supported by
 * the external driver" and tests that need one skip with that reason.
 * ENV_CAP_BOT when a bot status URL is given. With --toxiproxy-url (a
 * Toxiproxy the user runs in front of their system, its proxies named by
 * --toxiproxy-bot-proxy/--toxiproxy-clients-proxy, defaults bot_to_dashboard
 * and clients_to_dashboard) it also has the fault proxy's operations and
 * ENV_CAP_FAULTS. */
#include "envdriver_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const envdriver_ops external_ops = {
    .name = "external",
};

/* the same with a Toxiproxy in front of the system (--toxiproxy-url) */
static const envdriver_ops external_proxy_ops = {
    .name = "external",
    .toxic_add = envproxy_toxic_add,
    .toxic_remove = envproxy_toxic_remove,
    .link_enable = envproxy_link_enable,
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

envdriver *env_external_new(const env_config *cfg, char *err, size_t errlen)
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
    if (cfg->toxiproxy_url && cfg->toxiproxy_url[0]) {
        d->ops = &external_proxy_ops;
        if (envproxy_attach(d, cfg->toxiproxy_url, 5000, err, errlen) < 0) {
            free(d);
            return NULL;
        }
        if (cfg->clients_proxy_url && cfg->clients_proxy_url[0])
            snprintf(d->clients_url, sizeof(d->clients_url), "%s", cfg->clients_proxy_url);
    }
    return d;
}
