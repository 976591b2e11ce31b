/* dockerapi: Docker Engine API over the unix socket (see dockerapi.h).
 *
 * Each call is one HTTP request through httpc's unix-socket transport
 * (libcurl, CURLOPT_UNIX_SOCKET_PATH); the host part of the URL is ignored by
 * the engine. Answers (capped at HTTPC_MAX_BODY) are parsed with cJSON;
 * on an HTTP error the engine's {"message": ...} becomes the error text. */
#include "dockerapi.h"
#include "httpc.h"
#include "wjson.h"
#include "wlog.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

struct dockerapi {
    char socket_path[512];
    int timeout_ms;
};

dockerapi *dockerapi_new(const char *socket_path, char *err, size_t errlen)
{
    dockerapi *d = calloc(1, sizeof *d);
    if (!d) {
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    const char *path = socket_path;
    const char *host = getenv("DOCKER_HOST");
    if (!path && host && *host) {
        if (strncmp(host, "unix://", 7) != 0) {
            wlog_seterr(err, errlen, "DOCKER_HOST=%s: only unix:// sockets are supported", host);
            free(d);
            return NULL;
        }
        path = host + 7;
    }
    if (!path)
        path = DOCKERAPI_DEFAULT_SOCKET;
    if (strlen(path) >= sizeof d->socket_path) {
        wlog_seterr(err, errlen, "socket path too long");
        free(d);
        return NULL;
    }
    snprintf(d->socket_path, sizeof d->socket_path, "%s", path);
    d->timeout_ms = 10000;
    return d;
}

void dockerapi_free(dockerapi *d)
{
    free(d);
}

const char *dockerapi_socket_path(const dockerapi *d)
{
    return d->socket_path;
}

void dockerapi_set_timeout(dockerapi *d, int timeout_ms)
{
    d->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
}

/* Percent-encodes s into out (for query strings). */
static void urlencode(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* The engine's error message from a JSON answer, or the raw text. */
static void engine_message(const char *body, long status, const char *what, char *err,
                           size_t errlen)
{
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    if (cJSON_IsString(m))
        wlog_seterr(err, errlen, "%s: HTTP %ld: %s", what, status, m->valuestring);
    else if (body && *body)
        wlog_seterr(err, errlen, "%s: HTTP %ld: %.200s", what, status, body);
    else
        wlog_seterr(err, errlen, "%s: HTTP %ld", what, status);
    cJSON_Delete(j);
}

/* One request. Returns the HTTP status (>= 100) or -1 on a transport error;
 * *resp (may be NULL) gets the body, caller frees. */
static long request(dockerapi *d, const char *method, const char *path, const char *json_body,
                    int timeout_ms, char **resp, char *err, size_t errlen)
{
    char url[2048], e[512];
    httpc_response r;
    snprintf(url, sizeof url, "http://localhost%s", path);
    if (httpc_request_unix(d->socket_path, method, url, json_body,
                           timeout_ms > 0 ? timeout_ms : d->timeout_ms, &r, e, sizeof e) < 0) {
        wlog_seterr(err, errlen, "%s %s on %s: %s", method, path, d->socket_path, e);
        return -1;
    }
    if (resp)
        *resp = r.body;
    else
        free(r.body);
    return r.status;
}

/* A request whose success is one of the listed statuses (ok2 may be 0). */
static int simple(dockerapi *d, const char *method, const char *path, const char *body,
                  int timeout_ms, long ok1, long ok2, const char *what, char *err, size_t errlen)
{
    char *resp = NULL;
    long st = request(d, method, path, body, timeout_ms, &resp, err, errlen);
    if (st < 0)
        return -1;
    if (st != ok1 && (ok2 == 0 || st != ok2)) {
        engine_message(resp, st, what, err, errlen);
        free(resp);
        return -1;
    }
    free(resp);
    return 0;
}

/* GET returning parsed JSON (caller deletes) or NULL with err. */
static cJSON *get_json(dockerapi *d, const char *path, int timeout_ms, const char *what, char *err,
                       size_t errlen)
{
    char *resp = NULL;
    long st = request(d, "GET", path, NULL, timeout_ms, &resp, err, errlen);
    if (st < 0)
        return NULL;
    if (st != 200) {
        engine_message(resp, st, what, err, errlen);
        free(resp);
        return NULL;
    }
    cJSON *j = cJSON_Parse(resp);
    if (!j)
        wlog_seterr(err, errlen, "%s: unreadable JSON answer", what);
    free(resp);
    return j;
}

static void copy_str(char *dst, size_t dstlen, const cJSON *s)
{
    snprintf(dst, dstlen, "%s", cJSON_IsString(s) ? s->valuestring : "");
}

/* count (at least one) zeroed items of size for the answer j; NULL with err
 * (j deleted) when out of memory. */
static void *items_for(cJSON *j, int count, size_t size, char *err, size_t errlen)
{
    void *v = calloc((size_t)(count > 0 ? count : 1), size);
    if (!v) {
        cJSON_Delete(j);
        wlog_seterr(err, errlen, "out of memory");
    }
    return v;
}

int dockerapi_ping(dockerapi *d, char *version, size_t versionlen, char *err, size_t errlen)
{
    if (simple(d, "GET", "/_ping", NULL, 5000, 200, 0, "ping", err, errlen) < 0)
        return -1;
    if (version && versionlen) {
        cJSON *j = get_json(d, "/version", 5000, "version", err, errlen);
        if (!j)
            return -1;
        copy_str(version, versionlen, cJSON_GetObjectItemCaseSensitive(j, "Version"));
        cJSON_Delete(j);
    }
    return 0;
}

int dockerapi_list(dockerapi *d, const char *project, const char *service,
                   dockerapi_container **out, int *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    /* filters={"label":["com.docker.compose.project=P","com.docker.compose.service=S"]} */
    cJSON *filters = cJSON_CreateObject();
    cJSON *labels = cJSON_AddArrayToObject(filters, "label");
    char lab[300];
    snprintf(lab, sizeof lab, "com.docker.compose.project=%s", project);
    cJSON_AddItemToArray(labels, cJSON_CreateString(lab));
    if (service) {
        snprintf(lab, sizeof lab, "com.docker.compose.service=%s", service);
        cJSON_AddItemToArray(labels, cJSON_CreateString(lab));
    }
    char *ftext = cJSON_PrintUnformatted(filters);
    cJSON_Delete(filters);
    char enc[1024], path[1200];
    urlencode(ftext, enc, sizeof enc);
    free(ftext);
    snprintf(path, sizeof path, "/containers/json?all=1&filters=%s", enc);
    cJSON *j = get_json(d, path, 0, "list containers", err, errlen);
    if (!j)
        return -1;
    int count = cJSON_GetArraySize(j);
    dockerapi_container *v = items_for(j, count, sizeof *v, err, errlen);
    if (!v)
        return -1;
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, j)
    {
        dockerapi_container *e = &v[i++];
        copy_str(e->id, sizeof e->id, cJSON_GetObjectItemCaseSensitive(c, "Id"));
        const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "Names");
        const cJSON *n0 = cJSON_GetArrayItem(names, 0);
        const char *nm = cJSON_IsString(n0) ? n0->valuestring : "";
        snprintf(e->name, sizeof e->name, "%s", nm[0] == '/' ? nm + 1 : nm);
        const cJSON *lb = cJSON_GetObjectItemCaseSensitive(c, "Labels");
        copy_str(e->service, sizeof e->service,
                 cJSON_GetObjectItemCaseSensitive(lb, "com.docker.compose.service"));
        copy_str(e->state, sizeof e->state, cJSON_GetObjectItemCaseSensitive(c, "State"));
    }
    cJSON_Delete(j);
    *out = v;
    *n = count;
    return 0;
}

int dockerapi_find(dockerapi *d, const char *project, const char *service, dockerapi_container *out,
                   char *err, size_t errlen)
{
    dockerapi_container *v;
    int n;
    if (dockerapi_list(d, project, service, &v, &n, err, errlen) < 0)
        return -1;
    int rc = -1;
    if (n == 0)
        wlog_seterr(err, errlen, "no container of service %s in compose project %s", service,
                    project);
    else if (n > 1)
        wlog_seterr(err, errlen, "%d containers of service %s in compose project %s (scaled)", n,
                    service, project);
    else {
        *out = v[0];
        rc = 0;
    }
    free(v);
    return rc;
}

/* Checks that id holds only characters a container id or name may have. */
static int check_id(const char *id, char *err, size_t errlen)
{
    if (!id || !*id || strlen(id) > 128) {
        wlog_seterr(err, errlen, "bad container id");
        return -1;
    }
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            wlog_seterr(err, errlen, "bad container id \"%s\"", id);
            return -1;
        }
    }
    return 0;
}

/* GET /containers/{id}/json (id already checked). */
static cJSON *inspect(dockerapi *d, const char *id, char *err, size_t errlen)
{
    char path[256];
    snprintf(path, sizeof path, "/containers/%s/json", id);
    return get_json(d, path, 0, "inspect container", err, errlen);
}

int dockerapi_state(dockerapi *d, const char *id, char *state, size_t statelen, int *running,
                    int *paused, int *exit_code, char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0)
        return -1;
    cJSON *j = inspect(d, id, err, errlen);
    if (!j)
        return -1;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "State");
    if (state && statelen)
        copy_str(state, statelen, cJSON_GetObjectItemCaseSensitive(st, "Status"));
    if (running)
        *running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Running"));
    if (paused)
        *paused = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Paused"));
    if (exit_code)
        *exit_code = (int)wjson_num(st, "ExitCode", 0);
    cJSON_Delete(j);
    return 0;
}

/* POST /containers/{id}/{action}{query}; 204, or 304 (already in that state). */
static int container_action(dockerapi *d, const char *id, const char *action, const char *query,
                            int timeout_ms, int accept_304, char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0)
        return -1;
    char path[300], what[64];
    snprintf(path, sizeof path, "/containers/%s/%s%s", id, action, query ? query : "");
    snprintf(what, sizeof what, "%s container", action);
    return simple(d, "POST", path, NULL, timeout_ms, 204, accept_304 ? 304 : 0, what, err, errlen);
}

int dockerapi_start(dockerapi *d, const char *id, char *err, size_t errlen)
{
    return container_action(d, id, "start", NULL, 0, 1, err, errlen);
}

int dockerapi_stop(dockerapi *d, const char *id, int timeout_s, char *err, size_t errlen)
{
    char q[32];
    if (timeout_s < 0)
        timeout_s = 0;
    snprintf(q, sizeof q, "?t=%d", timeout_s);
    return container_action(d, id, "stop", q, (timeout_s + 15) * 1000, 1, err, errlen);
}

int dockerapi_restart(dockerapi *d, const char *id, int timeout_s, char *err, size_t errlen)
{
    char q[32];
    if (timeout_s < 0)
        timeout_s = 0;
    snprintf(q, sizeof q, "?t=%d", timeout_s);
    return container_action(d, id, "restart", q, (timeout_s + 20) * 1000, 0, err, errlen);
}

int dockerapi_kill(dockerapi *d, const char *id, int sig, char *err, size_t errlen)
{
    char q[32];
    if (sig <= 0 || sig > 64) {
        wlog_seterr(err, errlen, "bad signal %d", sig);
        return -1;
    }
    snprintf(q, sizeof q, "?signal=%d", sig);
    return container_action(d, id, "kill", q, 0, 0, err, errlen);
}

int dockerapi_pause(dockerapi *d, const char *id, char *err, size_t errlen)
{
    return container_action(d, id, "pause", NULL, 0, 0, err, errlen);
}

int dockerapi_unpause(dockerapi *d, const char *id, char *err, size_t errlen)
{
    return container_action(d, id, "unpause", NULL, 0, 0, err, errlen);
}

int dockerapi_endpoints(dockerapi *d, const char *id, dockerapi_endpoint **out, int *n, char *err,
                        size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (check_id(id, err, errlen) < 0)
        return -1;
    cJSON *j = inspect(d, id, err, errlen);
    if (!j)
        return -1;
    const cJSON *nets = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "NetworkSettings"), "Networks");
    int count = cJSON_GetArraySize(nets);
    dockerapi_endpoint *v = items_for(j, count, sizeof *v, err, errlen);
    if (!v)
        return -1;
    int i = 0;
    const cJSON *ep;
    cJSON_ArrayForEach(ep, nets)
    {
        dockerapi_endpoint *e = &v[i++];
        snprintf(e->network, sizeof e->network, "%s", ep->string ? ep->string : "");
        copy_str(e->ip, sizeof e->ip, cJSON_GetObjectItemCaseSensitive(ep, "IPAddress"));
        const cJSON *al;
        cJSON_ArrayForEach(al, cJSON_GetObjectItemCaseSensitive(ep, "Aliases"))
        {
            if (!cJSON_IsString(al) || e->naliases >= DOCKERAPI_MAX_ALIASES)
                continue;
            int dup = 0;
            for (int k = 0; k < e->naliases; k++)
                dup |= strcmp(e->aliases[k], al->valuestring) == 0;
            if (!dup)
                snprintf(e->aliases[e->naliases++], sizeof e->aliases[0], "%s", al->valuestring);
        }
    }
    cJSON_Delete(j);
    *out = v;
    *n = count;
    return 0;
}

int dockerapi_network_disconnect(dockerapi *d, const char *network, const char *id, int force,
                                 char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0 || check_id(network, err, errlen) < 0)
        return -1;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "Container", id);
    cJSON_AddBoolToObject(b, "Force", force != 0);
    char *body = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    char path[300];
    snprintf(path, sizeof path, "/networks/%s/disconnect", network);
    int rc = simple(d, "POST", path, body, 0, 200, 0, "network disconnect", err, errlen);
    free(body);
    return rc;
}

int dockerapi_network_connect(dockerapi *d, const char *network, const char *id,
                              const char (*aliases)[128], int naliases, char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0 || check_id(network, err, errlen) < 0)
        return -1;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "Container", id);
    cJSON *epc = cJSON_AddObjectToObject(b, "EndpointConfig");
    cJSON *al = cJSON_AddArrayToObject(epc, "Aliases");
    for (int i = 0; aliases && i < naliases; i++) {
        /* the engine adds the short container id itself; giving it again is harmless */
        cJSON_AddItemToArray(al, cJSON_CreateString(aliases[i]));
    }
    char *body = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    char path[300];
    snprintf(path, sizeof path, "/networks/%s/connect", network);
    int rc = simple(d, "POST", path, body, 0, 200, 0, "network connect", err, errlen);
    free(body);
    return rc;
}

int dockerapi_logs_save(dockerapi *d, const char *id, const char *path, char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0)
        return -1;
    char url[2048], e[512], q[256];
    snprintf(q, sizeof q, "/containers/%s/logs?stdout=1&stderr=1", id);
    snprintf(url, sizeof url, "http://localhost%s", q);
    httpc_response r;
    if (httpc_request_unix(d->socket_path, "GET", url, NULL, d->timeout_ms, &r, e, sizeof e) < 0) {
        wlog_seterr(err, errlen, "GET %s: %s", q, e);
        return -1;
    }
    if (r.status != 200) {
        engine_message(r.body, r.status, "container logs", err, errlen);
        httpc_response_free(&r);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        wlog_seterr(err, errlen, "%s: %s", path, strerror(errno));
        httpc_response_free(&r);
        return -1;
    }
    /* frames of [stream, 0, 0, 0, size (4 bytes, big-endian)] + payload; raw when
     * the first byte is no stream number (a TTY) */
    const unsigned char *b = (const unsigned char *)r.body;
    size_t i = 0;
    int muxed = r.len >= 8 && b[0] <= 2 && !b[1] && !b[2] && !b[3];
    while (muxed && i + 8 <= r.len) {
        size_t n = ((size_t)b[i + 4] << 24) | ((size_t)b[i + 5] << 16) | ((size_t)b[i + 6] << 8) |
                   b[i + 7];
        if (i + 8 + n > r.len)
            n = r.len - i - 8;
        fwrite(b + i + 8, 1, n, f);
        i += 8 + n;
    }
    if (!muxed)
        fwrite(b, 1, r.len, f);
    int bad = fclose(f) != 0;
    httpc_response_free(&r);
    if (bad) {
        wlog_seterr(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

int dockerapi_stats_read(dockerapi *d, const char *id, dockerapi_stats *out, char *err,
                         size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (check_id(id, err, errlen) < 0)
        return -1;
    char path[256];
    snprintf(path, sizeof path, "/containers/%s/stats?stream=false", id);
    cJSON *j = get_json(d, path, 15000, "container stats", err, errlen);
    if (!j)
        return -1;
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(j, "cpu_stats");
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(j, "precpu_stats");
    long long tot = (long long)wjson_num(cpu, "cpu_usage.total_usage", 0);
    long long ptot = (long long)wjson_num(pre, "cpu_usage.total_usage", 0);
    long long sys = (long long)wjson_num(cpu, "system_cpu_usage", 0);
    long long psys = (long long)wjson_num(pre, "system_cpu_usage", 0);
    long long ncpu = (long long)wjson_num(cpu, "online_cpus", 0);
    if (ncpu <= 0)
        ncpu = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cpu, "cpu_usage"), "percpu_usage"));
    if (ncpu <= 0)
        ncpu = 1;
    if (psys > 0 && sys > psys && tot >= ptot)
        out->cpu_percent = (double)(tot - ptot) / (double)(sys - psys) * (double)ncpu * 100.0;
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(j, "memory_stats");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(mem, "stats");
    long long usage = (long long)wjson_num(mem, "usage", 0);
    /* as the docker CLI: cgroup v1 subtracts total_inactive_file, v2 inactive_file */
    long long cache = (long long)wjson_num(ms, "total_inactive_file", 0);
    if (!cache)
        cache = (long long)wjson_num(ms, "inactive_file", 0);
    out->mem_bytes = usage > cache ? usage - cache : usage;
    out->mem_limit = (long long)wjson_num(mem, "limit", 0);
    int running = cJSON_GetObjectItemCaseSensitive(mem, "usage") != NULL;
    out->net_rx_bytes = out->net_tx_bytes = -1;
    const cJSON *net;
    cJSON_ArrayForEach(net, cJSON_GetObjectItemCaseSensitive(j, "networks"))
    {
        out->net_rx_bytes = (out->net_rx_bytes < 0 ? 0 : out->net_rx_bytes) +
                            (long long)wjson_num(net, "rx_bytes", 0);
        out->net_tx_bytes = (out->net_tx_bytes < 0 ? 0 : out->net_tx_bytes) +
                            (long long)wjson_num(net, "tx_bytes", 0);
    }
    cJSON_Delete(j);
    if (!running) {
        wlog_seterr(err, errlen, "no memory figures (container %.12s not running?)", id);
        return -1;
    }
    return 0;
}

int dockerapi_create(dockerapi *d, const char *name, const char *image, const char *const *argv,
                     const char *const *labels, const char *network, const char *alias,
                     char id[DOCKERAPI_ID_LEN], char *err, size_t errlen)
{
    if ((name && check_id(name, err, errlen) < 0) ||
        (network && check_id(network, err, errlen) < 0))
        return -1;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "Image", image);
    if (argv) {
        cJSON *cmd = cJSON_AddArrayToObject(b, "Cmd");
        for (int i = 0; argv[i]; i++)
            cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    }
    cJSON *lb = cJSON_AddObjectToObject(b, "Labels");
    for (int i = 0; labels && labels[i]; i++) {
        const char *eq = strchr(labels[i], '=');
        if (!eq)
            continue;
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - labels[i]), labels[i]);
        cJSON_AddStringToObject(lb, key, eq + 1);
    }
    cJSON *hc = cJSON_AddObjectToObject(b, "HostConfig");
    cJSON_AddNumberToObject(hc, "StopTimeout", 10);
    if (network) {
        cJSON_AddStringToObject(hc, "NetworkMode", network);
        cJSON *nc = cJSON_AddObjectToObject(b, "NetworkingConfig");
        cJSON *eps = cJSON_AddObjectToObject(nc, "EndpointsConfig");
        cJSON *ep = cJSON_AddObjectToObject(eps, network);
        if (alias) {
            cJSON *al = cJSON_AddArrayToObject(ep, "Aliases");
            cJSON_AddItemToArray(al, cJSON_CreateString(alias));
        }
    }
    char *body = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    char path[300];
    snprintf(path, sizeof path, "/containers/create%s%s", name ? "?name=" : "", name ? name : "");
    char *resp = NULL;
    long st = request(d, "POST", path, body, 30000, &resp, err, errlen);
    free(body);
    if (st < 0)
        return -1;
    if (st != 201) {
        engine_message(resp, st, "create container", err, errlen);
        free(resp);
        return -1;
    }
    cJSON *j = cJSON_Parse(resp);
    free(resp);
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(j, "Id");
    if (!cJSON_IsString(jid)) {
        cJSON_Delete(j);
        wlog_seterr(err, errlen, "create container: no Id in the answer");
        return -1;
    }
    snprintf(id, DOCKERAPI_ID_LEN, "%s", jid->valuestring);
    cJSON_Delete(j);
    return 0;
}

int dockerapi_remove(dockerapi *d, const char *id, int force, char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0)
        return -1;
    char path[300];
    snprintf(path, sizeof path, "/containers/%s?v=1&force=%d", id, force ? 1 : 0);
    return simple(d, "DELETE", path, NULL, 30000, 204, 0, "remove container", err, errlen);
}

int dockerapi_network_create(dockerapi *d, const char *name, char id[DOCKERAPI_ID_LEN], char *err,
                             size_t errlen)
{
    if (check_id(name, err, errlen) < 0)
        return -1;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "Name", name);
    cJSON_AddBoolToObject(b, "CheckDuplicate", 1);
    char *body = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    char *resp = NULL;
    long st = request(d, "POST", "/networks/create", body, 0, &resp, err, errlen);
    free(body);
    if (st < 0)
        return -1;
    if (st != 201) {
        engine_message(resp, st, "create network", err, errlen);
        free(resp);
        return -1;
    }
    cJSON *j = cJSON_Parse(resp);
    free(resp);
    if (id)
        copy_str(id, DOCKERAPI_ID_LEN, cJSON_GetObjectItemCaseSensitive(j, "Id"));
    cJSON_Delete(j);
    return 0;
}

int dockerapi_network_remove(dockerapi *d, const char *name, char *err, size_t errlen)
{
    if (check_id(name, err, errlen) < 0)
        return -1;
    char path[300];
    snprintf(path, sizeof path, "/networks/%s", name);
    return simple(d, "DELETE", path, NULL, 0, 204, 0, "remove network", err, errlen);
}

int dockerapi_image_exists(dockerapi *d, const char *image, char *err, size_t errlen)
{
    char enc[512], path[600];
    urlencode(image, enc, sizeof enc);
    snprintf(path, sizeof path, "/images/%s/json", enc);
    char *resp = NULL;
    long st = request(d, "GET", path, NULL, 0, &resp, err, errlen);
    if (st < 0)
        return -1;
    if (st == 200 || st == 404) {
        free(resp);
        return st == 200;
    }
    engine_message(resp, st, "inspect image", err, errlen);
    free(resp);
    return -1;
}

char *dockerapi_cmd(dockerapi *d, const char *id, char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0)
        return NULL;
    cJSON *j = inspect(d, id, err, errlen);
    if (!j)
        return NULL;
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "Config"), "Cmd");
    char *out = cJSON_IsArray(cmd) ? cJSON_PrintUnformatted(cmd) : strdup("[]");
    cJSON_Delete(j);
    if (!out)
        wlog_seterr(err, errlen, "out of memory");
    return out;
}

/* The create body of a copy of the inspected container j running cmd: its
 * Config (less the old hostname) and HostConfig, attached at creation to the
 * network of HostConfig.NetworkMode with that network's aliases (the engine
 * takes one network at creation before API 1.44). */
static char *recreate_body(const cJSON *j, const cJSON *cmd)
{
    cJSON *b = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "Config"), 1);
    if (!b)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(b, "Hostname");
    cJSON_ReplaceItemInObjectCaseSensitive(b, "Cmd", cJSON_Duplicate(cmd, 1));
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(j, "HostConfig");
    cJSON_AddItemToObject(b, "HostConfig", cJSON_Duplicate(hc, 1));
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(hc, "NetworkMode");
    const cJSON *nets = wjson_getv(j, "NetworkSettings", "Networks", NULL);
    const cJSON *ep = cJSON_IsString(mode) ? cJSON_GetObjectItemCaseSensitive(nets, mode->valuestring)
                                           : NULL;
    if (ep) {
        cJSON *epc = cJSON_AddObjectToObject(
            cJSON_AddObjectToObject(b, "NetworkingConfig"), "EndpointsConfig");
        cJSON *e = cJSON_AddObjectToObject(epc, mode->valuestring);
        cJSON_AddItemToObject(e, "Aliases",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ep, "Aliases"), 1));
    }
    char *body = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    return body;
}

/* POST /containers/{id}/rename?name=name. */
static int rename_container(dockerapi *d, const char *id, const char *name, char *err,
                            size_t errlen)
{
    if (check_id(name, err, errlen) < 0)
        return -1;
    char path[400];
    snprintf(path, sizeof path, "/containers/%s/rename?name=%s", id, name);
    return simple(d, "POST", path, NULL, 0, 204, 0, "rename container", err, errlen);
}

/* Creates the copy (named name) and attaches it to the networks beyond the
 * first; newid gets it. On failure the copy is removed. */
static int create_copy(dockerapi *d, const cJSON *j, const cJSON *cmd, const char *name,
                       char newid[DOCKERAPI_ID_LEN], char *err, size_t errlen)
{
    char *body = recreate_body(j, cmd);
    if (!body) {
        wlog_seterr(err, errlen, "out of memory");
        return -1;
    }
    char path[300], *resp = NULL;
    snprintf(path, sizeof path, "/containers/create?name=%s", name);
    long st = request(d, "POST", path, body, 30000, &resp, err, errlen);
    free(body);
    if (st < 0)
        return -1;
    cJSON *a = st == 201 ? cJSON_Parse(resp) : NULL;
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(a, "Id");
    if (st != 201 || !cJSON_IsString(jid)) {
        engine_message(resp, st, "create container", err, errlen);
        free(resp);
        cJSON_Delete(a);
        return -1;
    }
    free(resp);
    snprintf(newid, DOCKERAPI_ID_LEN, "%s", jid->valuestring);
    cJSON_Delete(a);
    const cJSON *mode = wjson_getv(j, "HostConfig", "NetworkMode", NULL);
    const cJSON *net;
    cJSON_ArrayForEach(net, wjson_getv(j, "NetworkSettings", "Networks", NULL))
    {
        if (cJSON_IsString(mode) && strcmp(net->string, mode->valuestring) == 0)
            continue;
        char al[DOCKERAPI_MAX_ALIASES][128];
        int n = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(net, "Aliases"))
            if (cJSON_IsString(x) && n < DOCKERAPI_MAX_ALIASES)
                snprintf(al[n++], sizeof al[0], "%s", x->valuestring);
        if (dockerapi_network_connect(d, net->string, newid, (const char(*)[128])al, n, err,
                                      errlen) < 0) {
            char e2[128];
            dockerapi_remove(d, newid, 1, e2, sizeof e2);
            return -1;
        }
    }
    return 0;
}

int dockerapi_recreate(dockerapi *d, const char *id, const char *cmd_json, int timeout_s,
                       char newid[DOCKERAPI_ID_LEN], char *err, size_t errlen)
{
    if (check_id(id, err, errlen) < 0)
        return -1;
    cJSON *cmd = cJSON_Parse(cmd_json);
    if (!cJSON_IsArray(cmd)) {
        cJSON_Delete(cmd);
        wlog_seterr(err, errlen, "recreate: the command is not a JSON array");
        return -1;
    }
    cJSON *j = inspect(d, id, err, errlen);
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(j, "Name");
    char name[130], old[160], e2[256];
    int rc = -1;
    if (!j || !cJSON_IsString(jn) || strlen(jn->valuestring) < 2) {
        if (j)
            wlog_seterr(err, errlen, "recreate: the container has no name");
        goto out;
    }
    snprintf(name, sizeof name, "%s", jn->valuestring + 1);
    snprintf(old, sizeof old, "%s-wsbprev", name);
    /* the old one keeps its state (and its volumes) aside until the copy exists */
    if (dockerapi_stop(d, id, timeout_s, err, errlen) < 0 ||
        rename_container(d, id, old, err, errlen) < 0)
        goto out;
    if (create_copy(d, j, cmd, name, newid, err, errlen) < 0) {
        rename_container(d, id, name, e2, sizeof e2);
        goto out;
    }
    rc = dockerapi_remove(d, id, 1, err, errlen);
out:
    cJSON_Delete(cmd);
    cJSON_Delete(j);
    return rc;
}
