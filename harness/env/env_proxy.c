/* env_proxy: the fault proxy's operations, shared by every driver that has
 * one (native: the wsb-faultproxy it starts; docker: the fault-proxy service;
 * any mode: a user's Toxiproxy given by --toxiproxy-url).
 *
 * Everything goes over Toxiproxy's HTTP API on d->proxy_api, so wsb-faultproxy
 * and the real Toxiproxy are interchangeable: a toxic is added with
 * POST /proxies/{name}/toxics, removed with DELETE, and an outage is
 * POST /proxies/{name} {"enabled": false}. The links map to proxy names
 * (bot_to_dashboard, clients_to_dashboard unless configured). What a test
 * adds is recorded, so envproxy_heal() (called by each driver's destroy, in
 * the process that owns the real driver) undoes what a crashed test left. */
#include "envdriver_int.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "wclock.h"
#include "wjson.h"

#define ENVPROXY_HTTP_MS 3000
#define ENVPROXY_MAX_UNDO 32

static const char *const default_names[ENV_NUM_LINKS] = {"bot_to_dashboard",
                                                         "clients_to_dashboard"};

struct env_proxy_undo {
    int n;
    struct {
        env_link link;
        char name[128];
    } toxic[ENVPROXY_MAX_UNDO];
    unsigned disabled; /* bit per link */
};

static struct env_proxy_undo *undo_of(envdriver *d)
{
    if (!d->undo)
        d->undo = calloc(1, sizeof(*d->undo));
    return d->undo;
}

static const char *proxy_of(envdriver *d, env_link l, const char *op, char *err, size_t errlen)
{
    if ((unsigned)l >= ENV_NUM_LINKS) {
        snprintf(err, errlen, "%s: unknown link %d", op, (int)l);
        return NULL;
    }
    if (!d->proxy_api[0] || !d->link_proxy[l][0]) {
        snprintf(err, errlen, "%s: no fault proxy on the %s link in the %s driver", op,
                 envdriver_link_name(l), d->ops && d->ops->name ? d->ops->name : "(none)");
        return NULL;
    }
    return d->link_proxy[l];
}

/* One API call; 0 when the status is one of ok1/ok2, else -1 with the answer in err. */
static int call(const char *method, const char *url, const char *body, long ok1, long ok2,
                httpc_response *out, char *err, size_t errlen)
{
    httpc_response r;
    char e[300];
    if (httpc_request(method, url, body, NULL, ENVPROXY_HTTP_MS, &r, e, sizeof(e)) < 0) {
        snprintf(err, errlen, "%s %s: %s", method, url, e);
        return -1;
    }
    if (r.status != ok1 && r.status != ok2) {
        snprintf(err, errlen, "%s %s: HTTP %ld %.200s", method, url, r.status,
                 r.body ? r.body : "");
        httpc_response_free(&r);
        return -1;
    }
    if (out)
        *out = r;
    else
        httpc_response_free(&r);
    return 0;
}

int envproxy_toxic_add(envdriver *d, env_link l, const char *json, char *err, size_t errlen)
{
    const char *p = proxy_of(d, l, "toxic add", err, errlen);
    if (!p)
        return -1;
    char url[512];
    snprintf(url, sizeof(url), "%s/proxies/%s/toxics", d->proxy_api, p);
    httpc_response r;
    if (call("POST", url, json, 200, 201, &r, err, errlen) < 0)
        return -1;
    char e2[128];
    cJSON *o = wjson_parse(r.body, r.len, 16, e2, sizeof(e2));
    httpc_response_free(&r);
    const char *name = o ? wjson_str(o, "name", NULL) : NULL;
    struct env_proxy_undo *u = undo_of(d);
    if (name && u && u->n < ENVPROXY_MAX_UNDO) {
        u->toxic[u->n].link = l;
        snprintf(u->toxic[u->n].name, sizeof(u->toxic[0].name), "%s", name);
        u->n++;
    }
    cJSON_Delete(o);
    return 0;
}

int envproxy_toxic_remove(envdriver *d, env_link l, const char *name, char *err, size_t errlen)
{
    const char *p = proxy_of(d, l, "toxic remove", err, errlen);
    if (!p)
        return -1;
    char url[512];
    snprintf(url, sizeof(url), "%s/proxies/%s/toxics/%s", d->proxy_api, p, name);
    if (call("DELETE", url, NULL, 204, 200, NULL, err, errlen) < 0)
        return -1;
    struct env_proxy_undo *u = d->undo;
    for (int i = 0; u && i < u->n; i++) {
        if (u->toxic[i].link == l && strcmp(u->toxic[i].name, name) == 0) {
            u->toxic[i] = u->toxic[--u->n];
            break;
        }
    }
    return 0;
}

int envproxy_link_enable(envdriver *d, env_link l, int enabled, char *err, size_t errlen)
{
    const char *p = proxy_of(d, l, enabled ? "link enable" : "link disable", err, errlen);
    if (!p)
        return -1;
    char url[512];
    snprintf(url, sizeof(url), "%s/proxies/%s", d->proxy_api, p);
    if (call("POST", url, enabled ? "{\"enabled\":true}" : "{\"enabled\":false}", 200, 201, NULL,
             err, errlen) < 0)
        return -1;
    struct env_proxy_undo *u = undo_of(d);
    if (u) {
        if (enabled)
            u->disabled &= ~(1u << l);
        else
            u->disabled |= 1u << l;
    }
    return 0;
}

int envproxy_attach(envdriver *d, const char *api, int timeout_ms, char *err, size_t errlen)
{
    size_t n = strlen(api);
    while (n && api[n - 1] == '/')
        n--;
    snprintf(d->proxy_api, sizeof(d->proxy_api), "%.*s", (int)n, api);
    for (int l = 0; l < ENV_NUM_LINKS; l++)
        snprintf(d->link_proxy[l], sizeof(d->link_proxy[l]), "%s",
                 d->cfg.link_proxy[l] && d->cfg.link_proxy[l][0] ? d->cfg.link_proxy[l]
                                                                  : default_names[l]);
    if (envdriver_wait_healthy(d, ENV_PROXY, timeout_ms, err, errlen) < 0) {
        d->proxy_api[0] = 0;
        return -1;
    }
    d->caps |= ENV_CAP_FAULTS;
    return 0;
}

int envproxy_populate(envdriver *d, const char *listen_host, const char *upstream, int ports[2],
                      char *err, size_t errlen)
{
    char body[1200], url[300];
    snprintf(body, sizeof(body),
             "[{\"name\":\"%s\",\"listen\":\"%s:%d\",\"upstream\":\"%s\",\"enabled\":true},"
             "{\"name\":\"%s\",\"listen\":\"%s:%d\",\"upstream\":\"%s\",\"enabled\":true}]",
             d->link_proxy[0], listen_host, ports[0], upstream, d->link_proxy[1], listen_host,
             ports[1], upstream);
    snprintf(url, sizeof(url), "%s/populate", d->proxy_api);
    httpc_response r;
    if (call("POST", url, body, 201, 200, &r, err, errlen) < 0)
        return -1;
    char e2[128];
    cJSON *o = wjson_parse(r.body, r.len, 16, e2, sizeof(e2));
    httpc_response_free(&r);
    cJSON *arr = o ? cJSON_GetObjectItemCaseSensitive(o, "proxies") : NULL;
    int found = 0;
    for (int l = 0; l < ENV_NUM_LINKS; l++) {
        ports[l] = 0;
        cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            const char *nm = wjson_str(it, "name", NULL);
            const char *li = wjson_str(it, "listen", NULL);
            const char *colon = li ? strrchr(li, ':') : NULL;
            if (nm && colon && strcmp(nm, d->link_proxy[l]) == 0) {
                ports[l] = atoi(colon + 1);
                found += ports[l] > 0;
            }
        }
    }
    cJSON_Delete(o);
    if (found != ENV_NUM_LINKS) {
        snprintf(err, errlen, "POST %s: the answer lacks the proxies' listen ports", url);
        return -1;
    }
    return 0;
}

void envproxy_heal(envdriver *d)
{
    struct env_proxy_undo *u = d->undo;
    if (!u)
        return;
    char err[600];
    while (u->n > 0) {
        u->n--;
        if (d->proxy_api[0]) {
            char url[512];
            snprintf(url, sizeof(url), "%s/proxies/%s/toxics/%s", d->proxy_api,
                     d->link_proxy[u->toxic[u->n].link], u->toxic[u->n].name);
            call("DELETE", url, NULL, 204, 200, NULL, err, sizeof(err));
        }
    }
    for (int l = 0; l < ENV_NUM_LINKS; l++)
        if (u->disabled & (1u << l))
            envproxy_link_enable(d, (env_link)l, 1, err, sizeof(err));
    free(d->undo);
    d->undo = NULL;
}
