/* env_remote: the suite child's proxy driver and the parent's side of it
 * (see env_remote.h for who owns the messages and who the transport). Each
 * operation of the ops table has an operation code here, a forwarding stub
 * in the child and a case in env_remote_serve(); the remote offers exactly
 * the operations the real driver has. */
#include "env_remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envdriver_int.h"

enum remote_op {
    REMOTE_START = 1,
    REMOTE_STOP,
    REMOTE_KILL,
    REMOTE_PAUSE,
    REMOTE_UNPAUSE,
    REMOTE_DISCONNECT,
    REMOTE_RECONNECT,
    REMOTE_STATS,
    REMOTE_TOXIC_ADD,
    REMOTE_TOXIC_REMOVE,
    REMOTE_LINK_ENABLE,
    REMOTE_SET_ARGS,
    REMOTE_SAVE_LOG,
};

static const char *const op_names[] = {"?",         "start",        "stop",        "kill",
                                       "pause",     "unpause",      "disconnect",  "reconnect",
                                       "stats",     "toxic add",    "toxic remove", "link enable",
                                       "set arguments", "save log"};

typedef struct remote_impl {
    envdriver_ops ops; /* the real driver's name, our stubs where it has the operation */
    env_remote_call_fn call;
    void *ud;
} remote_impl;

/* ---- the child: every operation is performed by the parent ---- */

static int remote_call_text(envdriver *d, int op, int s, int arg, const char *text,
                            env_stats *st, char *err, size_t errlen)
{
    remote_impl *im = d->impl;
    env_remote_req q = {op, (int32_t)s, arg, {0}};
    if (text && snprintf(q.text, sizeof(q.text), "%s", text) >= (int)sizeof(q.text)) {
        snprintf(err, errlen, "%s: argument longer than %zu bytes", op_names[op],
                 sizeof(q.text) - 1);
        return -1;
    }
    env_remote_rep *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (im->call(im->ud, &q, p) < 0) {
        snprintf(err, errlen, "lost the harness parent while asking it to act on %s",
                 op >= REMOTE_TOXIC_ADD && op <= REMOTE_LINK_ENABLE
                     ? envdriver_link_name((env_link)s)
                                        : envdriver_service_name((env_service)s));
        free(p);
        return -1;
    }
    p->err[sizeof(p->err) - 1] = 0;
    p->dashboard_url[sizeof(p->dashboard_url) - 1] = 0;
    p->dashboard_http[sizeof(p->dashboard_http) - 1] = 0;
    p->bot_status_url[sizeof(p->bot_status_url) - 1] = 0;
    memcpy(d->dashboard_url, p->dashboard_url, sizeof(d->dashboard_url));
    memcpy(d->dashboard_http, p->dashboard_http, sizeof(d->dashboard_http));
    memcpy(d->bot_status_url, p->bot_status_url, sizeof(d->bot_status_url));
    d->caps = p->caps;
    int rc = p->rc;
    if (rc < 0)
        snprintf(err, errlen, "%s", p->err);
    if (st)
        *st = p->stats;
    free(p);
    return rc;
}

static int remote_call(envdriver *d, int op, env_service s, int arg, env_stats *st, char *err,
                       size_t errlen)
{
    return remote_call_text(d, op, (int)s, arg, NULL, st, err, errlen);
}

static int r_toxic_add(envdriver *d, env_link l, const char *json, char *e, size_t el)
{
    return remote_call_text(d, REMOTE_TOXIC_ADD, (int)l, 0, json, NULL, e, el);
}
static int r_toxic_remove(envdriver *d, env_link l, const char *name, char *e, size_t el)
{
    return remote_call_text(d, REMOTE_TOXIC_REMOVE, (int)l, 0, name, NULL, e, el);
}
static int r_link_enable(envdriver *d, env_link l, int enabled, char *e, size_t el)
{
    return remote_call_text(d, REMOTE_LINK_ENABLE, (int)l, enabled, NULL, NULL, e, el);
}

static int r_set_args(envdriver *d, env_service s, const char *args, char *e, size_t el)
{
    return remote_call_text(d, REMOTE_SET_ARGS, (int)s, 0, args, NULL, e, el);
}

static int r_save_log(envdriver *d, env_service s, const char *path, char *e, size_t el)
{
    return remote_call_text(d, REMOTE_SAVE_LOG, (int)s, 0, path, NULL, e, el);
}

static int r_start(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, REMOTE_START, s, 0, NULL, e, el);
}
static int r_stop(envdriver *d, env_service s, int t, char *e, size_t el)
{
    return remote_call(d, REMOTE_STOP, s, t, NULL, e, el);
}
static int r_kill(envdriver *d, env_service s, int sig, char *e, size_t el)
{
    return remote_call(d, REMOTE_KILL, s, sig, NULL, e, el);
}
static int r_pause(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, REMOTE_PAUSE, s, 0, NULL, e, el);
}
static int r_unpause(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, REMOTE_UNPAUSE, s, 0, NULL, e, el);
}
static int r_disconnect(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, REMOTE_DISCONNECT, s, 0, NULL, e, el);
}
static int r_reconnect(envdriver *d, env_service s, char *e, size_t el)
{
    return remote_call(d, REMOTE_RECONNECT, s, 0, NULL, e, el);
}
static int r_stats(envdriver *d, env_service s, env_stats *o, char *e, size_t el)
{
    return remote_call(d, REMOTE_STATS, s, 0, o, e, el);
}

static void remote_destroy(envdriver *d)
{
    free(d->impl);
    d->impl = NULL;
}

envdriver *env_remote_new(const envdriver *real, env_remote_call_fn call, void *ud, char *err,
                          size_t errlen)
{
    envdriver *d = calloc(1, sizeof(*d));
    remote_impl *im = calloc(1, sizeof(*im));
    if (!d || !im) {
        free(d);
        free(im);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *d = *real;
    d->impl = im;
    d->undo = NULL; /* the parent's driver records and heals what the child does */
    im->call = call;
    im->ud = ud;
    const envdriver_ops *ro = real->ops;
    envdriver_ops *o = &im->ops;
    o->name = ro->name;
    o->start = ro->start ? r_start : NULL;
    o->stop = ro->stop ? r_stop : NULL;
    o->kill = ro->kill ? r_kill : NULL;
    o->pause = ro->pause ? r_pause : NULL;
    o->unpause = ro->unpause ? r_unpause : NULL;
    o->disconnect = ro->disconnect ? r_disconnect : NULL;
    o->reconnect = ro->reconnect ? r_reconnect : NULL;
    o->stats = ro->stats ? r_stats : NULL;
    o->set_args = ro->set_args ? r_set_args : NULL;
    o->save_log = ro->save_log ? r_save_log : NULL;
    o->toxic_add = ro->toxic_add ? r_toxic_add : NULL;
    o->toxic_remove = ro->toxic_remove ? r_toxic_remove : NULL;
    o->link_enable = ro->link_enable ? r_link_enable : NULL;
    o->destroy = remote_destroy;
    d->ops = o;
    return d;
}

/* ---- the parent: carry the request out on the real driver ---- */

int env_remote_serve(envdriver *env, const env_remote_req *q, env_remote_rep *p)
{
    memset(p, 0, sizeof(*p));
    env_service s = (env_service)q->service;
    env_link l = (env_link)q->service;
    char text[sizeof(q->text)];
    memcpy(text, q->text, sizeof(text));
    text[sizeof(text) - 1] = 0;
    if (!env || q->service < 0 || q->service >= ENV_NUM_SERVICES) {
        p->rc = -1;
        snprintf(p->err, sizeof(p->err), "no environment driver, or bad service %d", q->service);
        return -1;
    }
    char *e = p->err;
    size_t el = sizeof(p->err);
    switch (q->op) {
    case REMOTE_START:
        p->rc = envdriver_start(env, s, e, el);
        break;
    case REMOTE_STOP:
        p->rc = envdriver_stop(env, s, q->arg, e, el);
        break;
    case REMOTE_KILL:
        p->rc = envdriver_kill(env, s, q->arg, e, el);
        break;
    case REMOTE_PAUSE:
        p->rc = envdriver_pause(env, s, e, el);
        break;
    case REMOTE_UNPAUSE:
        p->rc = envdriver_unpause(env, s, e, el);
        break;
    case REMOTE_DISCONNECT:
        p->rc = envdriver_disconnect(env, s, e, el);
        break;
    case REMOTE_RECONNECT:
        p->rc = envdriver_reconnect(env, s, e, el);
        break;
    case REMOTE_STATS:
        p->rc = envdriver_stats(env, s, &p->stats, e, el);
        break;
    case REMOTE_TOXIC_ADD:
        p->rc = envdriver_toxic_add(env, l, text, e, el);
        break;
    case REMOTE_TOXIC_REMOVE:
        p->rc = envdriver_toxic_remove(env, l, text, e, el);
        break;
    case REMOTE_LINK_ENABLE:
        p->rc = envdriver_link_enable(env, l, q->arg, e, el);
        break;
    case REMOTE_SET_ARGS:
        p->rc = envdriver_set_args(env, s, text, e, el);
        break;
    case REMOTE_SAVE_LOG:
        p->rc = envdriver_save_log(env, s, text, e, el);
        break;
    default:
        p->rc = -1;
        snprintf(e, el, "unknown environment operation %d", q->op);
    }
    p->caps = env->caps;
    memcpy(p->dashboard_url, env->dashboard_url, sizeof(p->dashboard_url));
    memcpy(p->dashboard_http, env->dashboard_http, sizeof(p->dashboard_http));
    memcpy(p->bot_status_url, env->bot_status_url, sizeof(p->bot_status_url));
    return 0;
}

void env_remote_describe(const env_remote_req *q, const env_remote_rep *p, char *buf, size_t len)
{
    const char *opn = q->op > 0 && q->op <= REMOTE_SAVE_LOG ? op_names[q->op] : "?";
    const char *svc = envdriver_service_name((env_service)q->service);
    if (q->op >= REMOTE_TOXIC_ADD && q->op <= REMOTE_LINK_ENABLE) {
        char text[120];
        snprintf(text, sizeof(text), "%.*s", (int)strnlen(q->text, 100), q->text);
        snprintf(buf, len, "%s link %s(%s%s) -> %s%s", envdriver_link_name((env_link)q->service),
                 opn, q->op == REMOTE_LINK_ENABLE ? (q->arg ? "on" : "off") : "",
                 q->op == REMOTE_LINK_ENABLE ? "" : text, p->rc == 0 ? "ok" : "failed: ",
                 p->rc == 0 ? "" : p->err);
    } else if (q->op == REMOTE_SET_ARGS || q->op == REMOTE_SAVE_LOG)
        snprintf(buf, len, "%s %s(%.*s) -> %s%s", svc, opn, (int)strnlen(q->text, 100), q->text,
                 p->rc == 0 ? "ok" : "failed: ", p->rc == 0 ? "" : p->err);
    else if (q->op == REMOTE_KILL || q->op == REMOTE_STOP)
        snprintf(buf, len, "%s %s(%d) -> %s%s", svc, opn, q->arg,
                 p->rc == 0 ? "ok" : "failed: ", p->rc == 0 ? "" : p->err);
    else
        snprintf(buf, len, "%s %s -> %s%s", svc, opn,
                 p->rc == 0 ? "ok" : "failed: ", p->rc == 0 ? "" : p->err);
}
