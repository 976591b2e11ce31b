/* env_docker: the Docker environment driver (env_docker_new, through envdriver_new).
 *
 * Drives the containers of one compose project through the Docker Engine API
 * (dockerapi.c). Services are found by their com.docker.compose.project and
 * com.docker.compose.service labels at every operation, so the driver works
 * with Compose v1 and v2 names and with containers recreated meanwhile.
 *
 * Compose service names (override with WSB_DASHBOARD_SERVICE, WSB_BOT_SERVICE,
 * WSB_PROXY_SERVICE): dashboard-backend, ai-trading-bot, fault-proxy.
 *
 * A partition (disconnect) takes the service off every network of the project
 * except the control network (<project>_control_net, which only carries the
 * harness's status reads), saving each network's aliases; reconnect attaches
 * it again with those aliases, so the other services find it by the same
 * names. envdriver_free heals a partition a test left behind.
 *
 * set_args recreates a service's container with its compose command plus the
 * words given (dockerapi_recreate: same image, environment, volumes, networks
 * and aliases) and leaves it stopped until the next start; set_args "" goes
 * back to the compose command. The harness reaches the copy by its compose
 * name; run on the host it would keep the old container's address.
 *
 * The fault proxy: the fault-proxy service (its API on port 8474, its proxies
 * from docker/faultproxy.json: bot_to_dashboard, which the bot's
 * SYSTEM__WEBSOCKET_DASHBOARD_URL goes through, and clients_to_dashboard on
 * port 8002), or the Toxiproxy named by --toxiproxy-url; toxics and outages
 * go through env_proxy.c.
 *
 * URLs: the compose service names when they resolve (the harness runs in a
 * container on the project's networks); otherwise (the harness runs on the
 * host) the containers' addresses (on the control network when they have
 * one), which a Linux host reaches directly. */
#include "envdriver_int.h"

#include "dockerapi.h"
#include "wlog.h"

#include <cjson/cJSON.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ENV_DOCKER_DASHBOARD_PORT 8000
#define ENV_DOCKER_BOT_STATUS_PORT 8081
#define ENV_DOCKER_PROXY_API_PORT 8474
#define ENV_DOCKER_CLIENTS_PROXY_PORT 8002 /* clients_to_dashboard in docker/faultproxy.json */
#define ENV_DOCKER_PROXY_WAIT_MS 10000

typedef struct docker_impl {
    dockerapi *api;
    char project[128];
    char service[ENV_NUM_SERVICES][64];
    dockerapi_endpoint *saved[ENV_NUM_SERVICES]; /* networks taken away by disconnect */
    int nsaved[ENV_NUM_SERVICES];
    char *base_cmd[ENV_NUM_SERVICES]; /* the compose command before set_args, JSON */
} docker_impl;

static docker_impl *impl_of(envdriver *d)
{
    return d->impl;
}

/* The container id of service s, or -1 with err. */
static int container_of(envdriver *d, env_service s, char id[DOCKERAPI_ID_LEN], char *err,
                        size_t errlen)
{
    docker_impl *im = impl_of(d);
    if ((int)s < 0 || s >= ENV_NUM_SERVICES) {
        wlog_seterr(err, errlen, "unknown service %d", (int)s);
        return -1;
    }
    dockerapi_container c;
    if (dockerapi_find(im->api, im->project, im->service[s], &c, err, errlen) < 0)
        return -1;
    snprintf(id, DOCKERAPI_ID_LEN, "%s", c.id);
    return 0;
}

static int op_start(envdriver *d, env_service s, char *err, size_t errlen)
{
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    return dockerapi_start(impl_of(d)->api, id, err, errlen);
}

static int op_stop(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen)
{
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    int timeout_s = timeout_ms <= 0 ? 0 : (timeout_ms + 999) / 1000;
    return dockerapi_stop(impl_of(d)->api, id, timeout_s, err, errlen);
}

static int op_kill(envdriver *d, env_service s, int sig, char *err, size_t errlen)
{
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    return dockerapi_kill(impl_of(d)->api, id, sig, err, errlen);
}

static int op_pause(envdriver *d, env_service s, char *err, size_t errlen)
{
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    return dockerapi_pause(impl_of(d)->api, id, err, errlen);
}

static int op_unpause(envdriver *d, env_service s, char *err, size_t errlen)
{
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    return dockerapi_unpause(impl_of(d)->api, id, err, errlen);
}

/* 1 when the network only carries control traffic and stays during a partition. */
static int is_control_network(const docker_impl *im, const char *net)
{
    char want[200];
    snprintf(want, sizeof want, "%s_control_net", im->project);
    return strcmp(net, want) == 0;
}

static int op_disconnect(envdriver *d, env_service s, char *err, size_t errlen)
{
    docker_impl *im = impl_of(d);
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    if (im->saved[s]) {
        wlog_seterr(err, errlen, "%s is already disconnected", im->service[s]);
        return -1;
    }
    dockerapi_endpoint *eps;
    int n;
    if (dockerapi_endpoints(im->api, id, &eps, &n, err, errlen) < 0)
        return -1;
    /* keep only the networks we take away, in place */
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!is_control_network(im, eps[i].network))
            eps[k++] = eps[i];
    if (k == 0) {
        free(eps);
        wlog_seterr(err, errlen, "%s is on no network that can be disconnected", im->service[s]);
        return -1;
    }
    im->saved[s] = eps;
    im->nsaved[s] = 0;
    for (int i = 0; i < k; i++) {
        if (dockerapi_network_disconnect(im->api, eps[i].network, id, 1, err, errlen) < 0) {
            /* leave saved what was disconnected, so reconnect heals it */
            if (im->nsaved[s] == 0) {
                free(eps);
                im->saved[s] = NULL;
            }
            return -1;
        }
        im->nsaved[s] = i + 1;
    }
    return 0;
}

static int op_reconnect(envdriver *d, env_service s, char *err, size_t errlen)
{
    docker_impl *im = impl_of(d);
    if ((int)s < 0 || s >= ENV_NUM_SERVICES) {
        wlog_seterr(err, errlen, "unknown service %d", (int)s);
        return -1;
    }
    if (!im->saved[s]) {
        wlog_seterr(err, errlen, "%s is not disconnected", im->service[s]);
        return -1;
    }
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    int rc = 0;
    char e1[256] = "";
    for (int i = 0; i < im->nsaved[s]; i++) {
        const dockerapi_endpoint *e = &im->saved[s][i];
        if (dockerapi_network_connect(im->api, e->network, id, (const char(*)[128])e->aliases,
                                      e->naliases, e1, sizeof e1) < 0) {
            if (rc == 0)
                wlog_seterr(err, errlen, "%s", e1);
            rc = -1;
        }
    }
    free(im->saved[s]);
    im->saved[s] = NULL;
    im->nsaved[s] = 0;
    return rc;
}

static int op_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen)
{
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    dockerapi_stats st;
    if (dockerapi_stats_read(impl_of(d)->api, id, &st, err, errlen) < 0)
        return -1;
    out->cpu_percent = st.cpu_percent;
    out->mem_bytes = st.mem_bytes;
    out->open_fds = -1; /* the Engine API does not count them */
    out->net_rx_bytes = st.net_rx_bytes;
    out->net_tx_bytes = st.net_tx_bytes;
    return 0;
}

/* The service's compose command with args' words appended (JSON array text,
 * malloc'd), or NULL. */
static char *cmd_with(const char *base, const char *args)
{
    cJSON *a = cJSON_Parse(base);
    char words[512], *save = NULL;
    snprintf(words, sizeof words, "%s", args);
    for (char *w = strtok_r(words, " ", &save); a && w; w = strtok_r(NULL, " ", &save))
        cJSON_AddItemToArray(a, cJSON_CreateString(w));
    char *out = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return out;
}

/* Compose fixes a container's command at creation: the service is recreated
 * with its compose command plus args (dockerapi_recreate) and left stopped;
 * the next start runs it. Nothing happens when the command would not change. */
static int op_set_args(envdriver *d, env_service s, const char *args, char *err, size_t errlen)
{
    docker_impl *im = impl_of(d);
    char id[DOCKERAPI_ID_LEN], newid[DOCKERAPI_ID_LEN];
    if (strlen(args) >= 512) {
        wlog_seterr(err, errlen, "set arguments: longer than 511 bytes");
        return -1;
    }
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    char *now = dockerapi_cmd(im->api, id, err, errlen);
    if (!now)
        return -1;
    if (!im->base_cmd[s])
        im->base_cmd[s] = strdup(now);
    char *want = im->base_cmd[s] ? cmd_with(im->base_cmd[s], args) : NULL;
    int rc = 0;
    if (!want) {
        wlog_seterr(err, errlen, "set arguments: out of memory");
        rc = -1;
    } else if (strcmp(want, now) != 0) {
        rc = dockerapi_recreate(im->api, id, want, 10, newid, err, errlen);
        if (rc == 0)
            wlog_info("docker: %s recreated with command %s", im->service[s], want);
    }
    free(now);
    free(want);
    return rc;
}

static int op_save_log(envdriver *d, env_service s, const char *path, char *err, size_t errlen)
{
    char id[DOCKERAPI_ID_LEN];
    if (container_of(d, s, id, err, errlen) < 0)
        return -1;
    return dockerapi_logs_save(impl_of(d)->api, id, path, err, errlen);
}

static void op_destroy(envdriver *d)
{
    docker_impl *im = impl_of(d);
    if (!im)
        return;
    for (int s = 0; s < ENV_NUM_SERVICES; s++) {
        if (im->saved[s]) {
            char err[256];
            op_reconnect(d, (env_service)s, err, sizeof err);
        }
    }
    for (int s = 0; s < ENV_NUM_SERVICES; s++)
        free(im->base_cmd[s]);
    dockerapi_free(im->api);
    free(im);
    d->impl = NULL;
}

static const envdriver_ops docker_ops = {
    .name = "docker",
    .start = op_start,
    .stop = op_stop,
    .kill = op_kill,
    .pause = op_pause,
    .unpause = op_unpause,
    .disconnect = op_disconnect,
    .reconnect = op_reconnect,
    .stats = op_stats,
    .set_args = op_set_args,
    .save_log = op_save_log,
    .toxic_add = envproxy_toxic_add,
    .toxic_remove = envproxy_toxic_remove,
    .link_enable = envproxy_link_enable,
    .destroy = op_destroy,
};

static int resolves(const char *host)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return 0;
    freeaddrinfo(res);
    return 1;
}

/* Where the harness reaches service s: its compose name when that resolves,
 * else its address on the control network, else its first address. */
static int service_host(docker_impl *im, env_service s, const char *id, char *host, size_t hostlen,
                        char *err, size_t errlen)
{
    if (resolves(im->service[s])) {
        snprintf(host, hostlen, "%s", im->service[s]);
        return 0;
    }
    dockerapi_endpoint *eps;
    int n;
    if (dockerapi_endpoints(im->api, id, &eps, &n, err, errlen) < 0)
        return -1;
    host[0] = '\0';
    /* the control network first: a partition never takes it away */
    for (int pass = 0; pass < 2 && !host[0]; pass++)
        for (int i = 0; i < n && !host[0]; i++)
            if (eps[i].ip[0] && (pass == 1 || is_control_network(im, eps[i].network)))
                snprintf(host, hostlen, "%s", eps[i].ip);
    free(eps);
    if (!host[0]) {
        wlog_seterr(err, errlen,
                    "%s does not resolve and its container has no address (not running?)",
                    im->service[s]);
        return -1;
    }
    return 0;
}

envdriver *env_docker_new(const env_config *cfg, char *err, size_t errlen)
{
    envdriver *d = calloc(1, sizeof *d);
    docker_impl *im = calloc(1, sizeof *im);
    if (!d || !im) {
        free(d);
        free(im);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    d->ops = &docker_ops;
    d->cfg = *cfg;
    d->impl = im;
    const char *project = cfg->compose_project;
    if (!project || !*project)
        project = getenv("COMPOSE_PROJECT_NAME");
    if (!project || !*project) {
        wlog_seterr(err, errlen,
                    "docker driver: no compose project (--compose-project or "
                    "COMPOSE_PROJECT_NAME)");
        goto fail;
    }
    snprintf(im->project, sizeof im->project, "%s", project);
    const char *envs[ENV_NUM_SERVICES] = {"WSB_DASHBOARD_SERVICE", "WSB_BOT_SERVICE",
                                          "WSB_PROXY_SERVICE"};
    const char *defs[ENV_NUM_SERVICES] = {"dashboard-backend", "ai-trading-bot", "fault-proxy"};
    for (int s = 0; s < ENV_NUM_SERVICES; s++) {
        const char *v = getenv(envs[s]);
        snprintf(im->service[s], sizeof im->service[s], "%s", v && *v ? v : defs[s]);
    }
    im->api = dockerapi_new(NULL, err, errlen);
    if (!im->api)
        goto fail;
    char e2[256];
    if (dockerapi_ping(im->api, NULL, 0, e2, sizeof e2) < 0) {
        wlog_seterr(err, errlen, "docker driver: the Docker engine does not answer (%s)", e2);
        goto fail;
    }
    dockerapi_container c;
    if (dockerapi_find(im->api, im->project, im->service[ENV_DASHBOARD], &c, err, errlen) < 0)
        goto fail;
    d->caps = ENV_CAP_PROCESS | ENV_CAP_NETWORK | ENV_CAP_STATS;
    char host[128];
    if (cfg->dashboard_url && *cfg->dashboard_url) {
        snprintf(d->dashboard_url, sizeof d->dashboard_url, "%s", cfg->dashboard_url);
    } else {
        if (service_host(im, ENV_DASHBOARD, c.id, host, sizeof host, err, errlen) < 0)
            goto fail;
        snprintf(d->dashboard_url, sizeof d->dashboard_url, "%s://%s:%d",
                 cfg->tls ? "wss" : "ws", host, ENV_DOCKER_DASHBOARD_PORT);
    }
    /* http form of the same host:port */
    const char *rest = strstr(d->dashboard_url, "://");
    snprintf(d->dashboard_http, sizeof d->dashboard_http, "%s%s",
             strncmp(d->dashboard_url, "wss", 3) == 0 ? "https" : "http",
             rest ? rest : "://localhost");
    dockerapi_container b;
    int have_bot =
        dockerapi_find(im->api, im->project, im->service[ENV_BOT], &b, e2, sizeof e2) == 0;
    if (cfg->bot_status_url && *cfg->bot_status_url) {
        snprintf(d->bot_status_url, sizeof d->bot_status_url, "%s", cfg->bot_status_url);
    } else if (have_bot) {
        if (service_host(im, ENV_BOT, b.id, host, sizeof host, err, errlen) < 0)
            goto fail;
        snprintf(d->bot_status_url, sizeof d->bot_status_url, "http://%s:%d", host,
                 ENV_DOCKER_BOT_STATUS_PORT);
    }
    if (have_bot)
        d->caps |= ENV_CAP_BOT;
    dockerapi_container p;
    char api[300];
    if (cfg->toxiproxy_url && *cfg->toxiproxy_url) {
        if (envproxy_attach(d, cfg->toxiproxy_url, ENV_DOCKER_PROXY_WAIT_MS, err, errlen) < 0)
            goto fail;
        if (cfg->clients_proxy_url && *cfg->clients_proxy_url)
            snprintf(d->clients_url, sizeof d->clients_url, "%s", cfg->clients_proxy_url);
    } else if (dockerapi_find(im->api, im->project, im->service[ENV_PROXY], &p, e2, sizeof e2) ==
               0) {
        if (service_host(im, ENV_PROXY, p.id, host, sizeof host, err, errlen) < 0)
            goto fail;
        snprintf(api, sizeof api, "http://%s:%d", host, ENV_DOCKER_PROXY_API_PORT);
        if (envproxy_attach(d, api, ENV_DOCKER_PROXY_WAIT_MS, err, errlen) < 0)
            goto fail;
        snprintf(d->clients_url, sizeof d->clients_url, "%s://%s:%d",
                 cfg->tls ? "wss" : "ws", host, ENV_DOCKER_CLIENTS_PROXY_PORT);
    }
    return d;
fail:
    op_destroy(d);
    free(d);
    return NULL;
}
