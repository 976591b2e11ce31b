/* faultproxy_api: wsb-faultproxy's HTTP API, the subset of Toxiproxy's that
 * the suites use, with Toxiproxy's paths, JSON shapes and status codes so a
 * real Toxiproxy can stand in:
 *
 *   GET /proxies (an object by name)     POST /proxies (201)
 *   POST /populate (201, {"proxies":[]}) POST /reset (204)
 *   GET|POST|PATCH|DELETE /proxies/{p}   GET|POST /proxies/{p}/toxics
 *   GET|POST|PATCH|DELETE /proxies/{p}/toxics/{t}
 *   GET /version                          GET /metrics (Prometheus text)
 *
 * Errors are {"error": "...", "status": N}: 400 for a bad body, a missing
 * field, an invalid stream or type, 404 for an unknown proxy, toxic or path,
 * 405 for a method a path does not take, 409 for a name taken. HTTP/1.1 with
 * Content-Length bodies (at most FP_API_MAX_REQUEST bytes) and
 * "Connection: close" on every answer; "Expect: 100-continue" is honoured. */
#include "faultproxy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wjson.h"
#include "wlog.h"

#define FP_API_MAX_REQUEST (1024 * 1024) /* request line, headers and body */
#define FP_API_MAX_CLIENTS 64

typedef struct api_client {
    fp_handle h;
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff;
    int continued; /* "100 Continue" sent */
    int responding;
    struct api_client *prev, *next;
} api_client;

typedef struct api_reply {
    int status;
    char *body;  /* owned; NULL for none */
    const char *ctype;
} api_reply;

static api_client *clients;
static int nclients;

/* ---- replies ---- */

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    default: return "Internal Server Error";
    }
}

static void reply_json(api_reply *r, int status, cJSON *doc)
{
    r->status = status;
    r->ctype = "application/json";
    r->body = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
}

static void reply_error(api_reply *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_error(api_reply *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddNumberToObject(o, "status", status);
    reply_json(r, status, o);
}

/* ---- JSON of proxies ---- */

static cJSON *proxy_json(const fp_proxy *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "listen", p->listen);
    cJSON_AddStringToObject(o, "upstream", p->upstream);
    cJSON_AddBoolToObject(o, "enabled", p->enabled);
    cJSON *ts = cJSON_AddArrayToObject(o, "toxics");
    for (int i = 0; i < p->ntoxics; i++)
        cJSON_AddItemToArray(ts, fp_toxic_to_json(p->toxics[p->order[i]]));
    return o;
}

/* A proxy body's fields. need_all: name and upstream are required. */
typedef struct proxy_in {
    const char *name, *listen, *upstream;
    int enabled; /* -1 absent */
} proxy_in;

static int read_proxy(const cJSON *b, int need_all, proxy_in *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof(*in));
    in->enabled = -1;
    if (!cJSON_IsObject(b)) {
        wlog_seterr(err, errlen, "bad request body: a proxy must be a JSON object");
        return -1;
    }
    const char *keys[3] = {"name", "listen", "upstream"};
    const char **dst[3] = {&in->name, &in->listen, &in->upstream};
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, keys[i]);
        if (!v || cJSON_IsNull(v))
            continue;
        if (!cJSON_IsString(v)) {
            wlog_seterr(err, errlen, "bad request body: %s must be a string", keys[i]);
            return -1;
        }
        if (v->valuestring[0])
            *dst[i] = v->valuestring;
    }
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(b, "enabled");
    if (en && !cJSON_IsNull(en)) {
        if (!cJSON_IsBool(en)) {
            wlog_seterr(err, errlen, "bad request body: enabled must be true or false");
            return -1;
        }
        in->enabled = cJSON_IsTrue(en);
    }
    if (need_all && !in->name) {
        wlog_seterr(err, errlen, "missing required field: name");
        return -1;
    }
    if (need_all && !in->upstream) {
        wlog_seterr(err, errlen, "missing required field: upstream");
        return -1;
    }
    if (in->name && (strlen(in->name) > FP_NAME_MAX || strchr(in->name, '/'))) {
        wlog_seterr(err, errlen, "bad request body: a proxy name has at most %d characters "
                    "and no '/'", FP_NAME_MAX);
        return -1;
    }
    return 0;
}

/* ---- handlers ---- */

static void proxies_index(api_reply *r)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < fp_proxy_count(); i++) {
        fp_proxy *p = fp_proxy_at(i);
        cJSON_AddItemToObject(o, p->name, proxy_json(p));
    }
    reply_json(r, 200, o);
}

static void proxy_create(api_reply *r, const cJSON *b)
{
    proxy_in in;
    char err[256];
    int status;
    if (read_proxy(b, 1, &in, err, sizeof(err))) {
        reply_error(r, 400, "%s", err);
        return;
    }
    fp_proxy *p = fp_proxy_create(in.name, in.listen ? in.listen : "127.0.0.1:0", in.upstream,
                                  in.enabled != 0, &status, err, sizeof(err));
    if (!p) {
        reply_error(r, status, "%s", err);
        return;
    }
    reply_json(r, 201, proxy_json(p));
}

/* The same proxy, as far as populate is concerned: the same upstream and the
 * same listen address (a port 0 asks for any, so the bound one matches). */
static int same_proxy(const fp_proxy *p, const proxy_in *in)
{
    if (strcmp(p->upstream, in->upstream))
        return 0;
    const char *want = in->listen ? in->listen : "127.0.0.1:0";
    if (!strcmp(want, p->listen))
        return 1;
    size_t wl = strlen(want);
    const char *pc = strrchr(p->listen, ':');
    return wl >= 2 && !strcmp(want + wl - 2, ":0") && pc &&
           (size_t)(pc - p->listen) == wl - 2 && !strncmp(want, p->listen, wl - 2);
}

static void populate(api_reply *r, const cJSON *b)
{
    char err[256];
    if (!cJSON_IsArray(b)) {
        reply_error(r, 400, "bad request body: populate expects a JSON array of proxies");
        return;
    }
    int n = cJSON_GetArraySize(b);
    if (n > FP_MAX_PROXIES) {
        reply_error(r, 400, "too many proxies: at most %d", FP_MAX_PROXIES);
        return;
    }
    proxy_in ins[FP_MAX_PROXIES];
    for (int i = 0; i < n; i++) { /* everything is checked before anything changes */
        if (read_proxy(cJSON_GetArrayItem(b, i), 1, &ins[i], err, sizeof(err))) {
            reply_error(r, 400, "%s (proxy %d)", err, i + 1);
            return;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(ins[i].name, ins[j].name)) {
                reply_error(r, 400, "bad request body: duplicate proxy name \"%s\"",
                            ins[i].name);
                return;
            }
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "proxies");
    for (int i = 0; i < n; i++) {
        int status = 0;
        int en = ins[i].enabled != 0;
        fp_proxy *p = fp_proxy_find(ins[i].name);
        if (p && same_proxy(p, &ins[i])) {
            if (fp_proxy_update(p, NULL, NULL, en, &status, err, sizeof(err)))
                p = NULL;
        } else {
            if (p)
                fp_proxy_delete(p);
            p = fp_proxy_create(ins[i].name, ins[i].listen ? ins[i].listen : "127.0.0.1:0",
                                ins[i].upstream, en, &status, err, sizeof(err));
        }
        if (!p) {
            cJSON_AddStringToObject(o, "error", err);
            cJSON_AddNumberToObject(o, "status", status);
            reply_json(r, status, o);
            return;
        }
        cJSON_AddItemToArray(arr, proxy_json(p));
    }
    reply_json(r, 201, o);
}

static void reset_all(api_reply *r)
{
    char err[256];
    for (size_t i = 0; i < fp_proxy_count(); i++) {
        fp_proxy *p = fp_proxy_at(i);
        while (p->ntoxics)
            fp_proxy_remove_toxic(p, p->toxics[p->order[0]]);
        int status;
        if (fp_proxy_update(p, NULL, NULL, 1, &status, err, sizeof(err))) {
            reply_error(r, status, "reset: proxy %s: %s", p->name, err);
            return;
        }
    }
    r->status = 204;
}

static void proxy_update(api_reply *r, fp_proxy *p, const cJSON *b)
{
    proxy_in in;
    char err[256];
    int status;
    if (read_proxy(b, 0, &in, err, sizeof(err))) {
        reply_error(r, 400, "%s", err);
        return;
    }
    if (fp_proxy_update(p, in.listen, in.upstream, in.enabled, &status, err, sizeof(err))) {
        reply_error(r, status, "%s", err);
        return;
    }
    reply_json(r, 200, proxy_json(p));
}

static void toxic_create(api_reply *r, fp_proxy *p, const cJSON *b)
{
    fp_toxic t;
    char err[256];
    int status;
    if (fp_toxic_from_json(b, NULL, &t, err, sizeof(err))) {
        reply_error(r, 400, "%s", err);
        return;
    }
    if (fp_proxy_add_toxic(p, &t, &status, err, sizeof(err))) {
        reply_error(r, status, "%s", err);
        return;
    }
    reply_json(r, 200, fp_toxic_to_json(fp_proxy_find_toxic(p, t.name)));
}

static void toxic_update(api_reply *r, fp_proxy *p, fp_toxic *old, const cJSON *b)
{
    fp_toxic t;
    char err[256];
    if (fp_toxic_from_json(b, old, &t, err, sizeof(err))) {
        reply_error(r, 400, "%s", err);
        return;
    }
    fp_proxy_update_toxic(p, old, &t);
    reply_json(r, 200, fp_toxic_to_json(old));
}

/* A proxy name as a Prometheus label value: backslash, double quote and
 * newline escaped (a name may hold any of them). out has 2 * FP_NAME_MAX + 1 bytes. */
static void label_value(const char *name, char *out)
{
    size_t o = 0;
    for (const char *s = name; *s && o + 2 < 2 * FP_NAME_MAX + 1; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n')
            out[o++] = '\\';
        out[o++] = *s == '\n' ? 'n' : *s;
    }
    out[o] = '\0';
}

static void metrics(api_reply *r)
{
    /* per proxy: 8 sample lines, each a metric name, labels with the escaped
     * name and a 20-digit value */
    size_t cap = 4096 + fp_proxy_count() * 8 * (128 + 2 * FP_NAME_MAX), len = 0;
    char *s = malloc(cap);
    if (!s) {
        reply_error(r, 500, "out of memory");
        return;
    }
#define OUT(...) len += (size_t)snprintf(s + len, cap - len, __VA_ARGS__)
    OUT("# HELP wsb_faultproxy_proxies Proxies configured.\n"
        "# TYPE wsb_faultproxy_proxies gauge\nwsb_faultproxy_proxies %zu\n",
        fp_proxy_count());
    static const char *const names[] = {
        "wsb_faultproxy_proxy_enabled", "gauge", "1 while the proxy listens.",
        "wsb_faultproxy_connections_total", "counter", "Connections accepted.",
        "wsb_faultproxy_connections_active", "gauge", "Connections open now.",
        "wsb_faultproxy_toxics_active", "gauge", "Toxics on the proxy.",
        "toxiproxy_proxy_received_bytes_total", "counter",
        "Bytes read from the stream's source (direction upstream: from clients).",
        "toxiproxy_proxy_sent_bytes_total", "counter",
        "Bytes written to the stream's sink (direction downstream: to clients).",
    };
    for (size_t m = 0; m < sizeof(names) / sizeof(names[0]); m += 3) {
        OUT("# HELP %s %s\n# TYPE %s %s\n", names[m], names[m + 2], names[m], names[m + 1]);
        for (size_t i = 0; i < fp_proxy_count(); i++) {
            fp_proxy *p = fp_proxy_at(i);
            uint64_t v[4] = {(uint64_t)p->enabled, p->conns_total, p->conns_active,
                             (uint64_t)p->ntoxics};
            char pname[2 * FP_NAME_MAX + 1];
            label_value(p->name, pname);
            if (m / 3 < 4) {
                OUT("%s{proxy=\"%s\"} %llu\n", names[m], pname,
                    (unsigned long long)v[m / 3]);
            } else {
                const uint64_t *b = m / 3 == 4 ? p->rx_bytes : p->tx_bytes;
                for (int d = 0; d < 2; d++)
                    OUT("%s{direction=\"%s\",proxy=\"%s\"} %llu\n", names[m],
                        d == FP_UP ? "upstream" : "downstream", pname,
                        (unsigned long long)b[d]);
            }
        }
    }
#undef OUT
    r->status = 200;
    r->ctype = "text/plain; version=0.0.4";
    r->body = s;
}

/* Splits the path into at most 5 segments; the count, or -1 when longer. */
static int split_path(char *path, char *seg[5])
{
    char *q = strchr(path, '?');
    if (q)
        *q = '\0';
    int n = 0;
    for (char *t = strtok(path, "/"); t; t = strtok(NULL, "/")) {
        if (n == 5)
            return -1;
        seg[n++] = t;
    }
    return n;
}

static void route(api_reply *r, const char *method, char *path, const char *body, size_t blen)
{
    char *seg[5];
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", path);
    int n = split_path(path, seg);
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    int patch = !strcmp(method, "PATCH"), del = !strcmp(method, "DELETE");
    int takes_body = post || patch;
    cJSON *b = NULL;
    if (n < 1 || n > 4 || (strcmp(seg[0], "proxies") && n > 1) ||
        (n >= 3 && strcmp(seg[2], "toxics"))) {
        reply_error(r, 404, "no such endpoint: %s %s", method, copy);
        return;
    }
    int bodied = takes_body && strcmp(seg[0], "reset");
    if (bodied) {
        char err[200];
        if (blen == 0) {
            reply_error(r, 400, "bad request body: empty (JSON expected)");
            return;
        }
        b = wjson_parse(body, blen, WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
        if (!b) {
            reply_error(r, 400, "bad request body: %s", err);
            return;
        }
    }
    fp_proxy *p = NULL;
    fp_toxic *t = NULL;
    if (n >= 2 && !(p = fp_proxy_find(seg[1]))) {
        reply_error(r, 404, "proxy not found: %s", seg[1]);
        goto out;
    }
    if (n == 4 && !(t = fp_proxy_find_toxic(p, seg[3]))) {
        reply_error(r, 404, "toxic not found: %s", seg[3]);
        goto out;
    }
    if (n == 1 && !strcmp(seg[0], "proxies") && get)
        proxies_index(r);
    else if (n == 1 && !strcmp(seg[0], "proxies") && post)
        proxy_create(r, b);
    else if (n == 1 && !strcmp(seg[0], "populate") && post)
        populate(r, b);
    else if (n == 1 && !strcmp(seg[0], "reset") && post)
        reset_all(r);
    else if (n == 1 && !strcmp(seg[0], "version") && get) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "version", FP_VERSION);
        reply_json(r, 200, o);
    }
    else if (n == 1 && !strcmp(seg[0], "metrics") && get)
        metrics(r);
    else if (n == 2 && get)
        reply_json(r, 200, proxy_json(p));
    else if (n == 2 && (post || patch))
        proxy_update(r, p, b);
    else if (n == 2 && del) {
        fp_proxy_delete(p);
        r->status = 204;
    } else if (n == 3 && get) {
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; i < p->ntoxics; i++)
            cJSON_AddItemToArray(a, fp_toxic_to_json(p->toxics[p->order[i]]));
        reply_json(r, 200, a);
    } else if (n == 3 && post)
        toxic_create(r, p, b);
    else if (n == 4 && get)
        reply_json(r, 200, fp_toxic_to_json(t));
    else if (n == 4 && (post || patch))
        toxic_update(r, p, t, b);
    else if (n == 4 && del) {
        fp_proxy_remove_toxic(p, t);
        r->status = 204;
    } else if (n == 1 && strcmp(seg[0], "proxies") && strcmp(seg[0], "populate") &&
               strcmp(seg[0], "reset") && strcmp(seg[0], "version") &&
               strcmp(seg[0], "metrics"))
        reply_error(r, 404, "no such endpoint: %s %s", method, copy);
    else
        reply_error(r, 405, "method %s not allowed on %s", method, copy);
out:
    cJSON_Delete(b);
}

/* ---- the connection ---- */

static void client_free(api_client *c)
{
    if (c->h.gone)
        return;
    c->h.gone = 1;
    if (c->h.fd >= 0)
        close(c->h.fd);
    c->h.fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else
        clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    nclients--;
    free(c->in);
    free(c->out);
    c->in = c->out = NULL;
    fp_net_defer_free(c, free);
}

/* Queues the whole answer (status line, headers, body) for writing. */
static void respond(api_client *c, const api_reply *r)
{
    size_t blen = r->body ? strlen(r->body) : 0;
    size_t cap = blen + 256;
    c->out = malloc(cap);
    if (!c->out) {
        client_free(c);
        return;
    }
    int h;
    if (r->status == 204)
        h = snprintf(c->out, cap, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    else
        h = snprintf(c->out, cap,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     r->status, reason(r->status), r->ctype ? r->ctype : "application/json",
                     blen);
    memcpy(c->out + h, r->body ? r->body : "", blen);
    c->outlen = (size_t)h + blen;
    c->outoff = 0;
    c->responding = 1;
}

static void flush_out(api_client *c)
{
    if (c->h.gone || !c->out)
        return;
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->h.fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                fp_net_rewatch(&c->h, EPOLLOUT);
                return;
            }
            if (errno == EINTR)
                continue;
            client_free(c);
            return;
        }
        c->outoff += (size_t)n;
    }
    if (c->responding) {
        shutdown(c->h.fd, SHUT_WR);
        client_free(c);
    } else { /* a 100 Continue went out: back to reading */
        free(c->out);
        c->out = NULL;
        c->outlen = c->outoff = 0;
        fp_net_rewatch(&c->h, EPOLLIN);
    }
}

static void send_simple_error(api_client *c, int status, const char *msg)
{
    api_reply r = {0};
    reply_error(&r, status, "%s", msg);
    respond(c, &r);
    free(r.body);
}

/* 1 when a whole request is in; answers it. */
static int try_request(api_client *c)
{
    char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t hlen = (size_t)(end - c->in) + 4;
    *end = '\0';
    char method[16], target[1024];
    if (sscanf(c->in, "%15s %1023s HTTP/1.%*c", method, target) != 2 || target[0] != '/') {
        send_simple_error(c, 400, "malformed HTTP request line");
        return 1;
    }
    long long clen = 0;
    int expect = 0;
    for (char *line = strstr(c->in, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (!strncasecmp(line, "Content-Length:", 15)) {
            char *e;
            clen = strtoll(line + 15, &e, 10);
            if (clen < 0 || (*e && *e != '\r' && *e != ' ')) {
                send_simple_error(c, 400, "bad Content-Length");
                return 1;
            }
        } else if (!strncasecmp(line, "Transfer-Encoding:", 18)) {
            send_simple_error(c, 411, "chunked bodies are not supported: send Content-Length");
            return 1;
        } else if (!strncasecmp(line, "Expect:", 7) && strcasestr(line, "100-continue")) {
            expect = 1;
        }
    }
    *end = '\r';
    if ((size_t)clen > FP_API_MAX_REQUEST - hlen) {
        send_simple_error(c, 413, "request body too large");
        return 1;
    }
    if (c->inlen < hlen + (size_t)clen) {
        if (expect && !c->continued) {
            c->continued = 1;
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            c->out = malloc(sizeof(cont));
            if (c->out) {
                memcpy(c->out, cont, sizeof(cont) - 1);
                c->outlen = sizeof(cont) - 1;
                c->outoff = 0;
                flush_out(c);
            }
        }
        return -1; /* the body is still coming */
    }
    api_reply r = {0};
    char shown[sizeof(target)];
    memcpy(shown, target, sizeof(target)); /* route() cuts target into segments */
    route(&r, method, target, c->in + hlen, (size_t)clen);
    if (r.status >= 400)
        wlog_info("API %s %s -> %d %s", method, shown, r.status, r.body ? r.body : "");
    else
        wlog_debug("API %s %s -> %d", method, shown, r.status);
    respond(c, &r);
    free(r.body);
    return 1;
}

void fp_api_accept(fp_handle *listener)
{
    for (;;) {
        int fd = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (nclients >= FP_API_MAX_CLIENTS) {
            wlog_warn("API: %d clients open; refusing one", nclients);
            close(fd);
            continue;
        }
        api_client *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->h = (fp_handle){FP_K_API_CLIENT, fd, 0, c, 0};
        c->next = clients;
        if (clients)
            clients->prev = c;
        clients = c;
        nclients++;
        if (fp_net_watch(&c->h, EPOLLIN))
            client_free(c);
    }
}

void fp_api_client_event(fp_handle *h, uint32_t ev)
{
    api_client *c = h->owner;
    if (h->fd < 0 || h->gone)
        return;
    if (c->out) {
        if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            flush_out(c);
        return;
    }
    if (c->incap - c->inlen < 4096) {
        size_t nc = c->incap ? c->incap * 2 : 8192;
        if (nc > FP_API_MAX_REQUEST + 1) {
            send_simple_error(c, 413, "request too large");
            flush_out(c);
            return;
        }
        char *ni = realloc(c->in, nc);
        if (!ni) {
            client_free(c);
            return;
        }
        c->in = ni;
        c->incap = nc;
    }
    ssize_t n = recv(h->fd, c->in + c->inlen, c->incap - c->inlen - 1, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        client_free(c);
        return;
    }
    c->inlen += (size_t)n;
    c->in[c->inlen] = '\0';
    if (try_request(c) == 1)
        flush_out(c);
}

void fp_api_close_all(void)
{
    while (clients)
        client_free(clients);
}

int fp_api_populate_file(const char *path, char *err, size_t errlen)
{
    cJSON *doc = wjson_parse_file(path, WJSON_DEFAULT_MAX_DEPTH, err, errlen);
    if (!doc)
        return -1;
    api_reply r = {0};
    populate(&r, doc);
    cJSON_Delete(doc);
    int rc = 0;
    if (r.status != 201) {
        wlog_seterr(err, errlen, "config %s: %s", path, r.body ? r.body : "?");
        rc = -1;
    }
    free(r.body);
    return rc;
}
