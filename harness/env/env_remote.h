/* env_remote: the environment driver of a suite child, a proxy to the runner
 * parent's real driver.
 *
 * The runner (harness/runner/) runs each suite in a forked child. The
 * services must be started, stopped and at the end cleaned up by the one
 * real driver in the parent, so that they outlive a child that crashes. The
 * child's driver is therefore a remote: each operation becomes a request
 * (env_remote_req) that the parent carries out on its real driver
 * (env_remote_serve), and the reply (env_remote_rep) brings back the result
 * together with the real driver's state (capabilities and URLs: a restart
 * may change them), which the remote mirrors for its accessors.
 *
 * Who owns what: harness/env/ owns the meaning of the messages (operation
 * codes, arguments, the reply); the runner owns the transport (its socket
 * between parent and child, and the lock that keeps one request at a time).
 * The child hands env_remote_new() a call-back that sends a request and
 * waits for the reply; the parent reads each request and hands it to
 * env_remote_serve(). Both structs are fixed-size plain data that the runner
 * moves whole, so harness/env/ needs nothing from the runner, and a new
 * driver operation changes this pair of files (and the message structs when
 * it needs more arguments), never the runner. */
#ifndef WSB_ENV_REMOTE_H
#define WSB_ENV_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "envdriver.h"

/* A request from the child: which operation, on which service (or link, for
 * the fault proxy's operations), with what argument (stop: the timeout in ms;
 * kill: the signal; link enable: 0 or 1) and text (toxic add: the toxic's
 * JSON; toxic remove: its name). */
typedef struct env_remote_req {
    int32_t op;
    int32_t service;
    int32_t arg;
    char text[1024];
} env_remote_req;

/* The parent's reply: the result, and the real driver's state after it. */
typedef struct env_remote_rep {
    int32_t rc;
    uint32_t caps;
    env_stats stats;
    char err[512];
    char dashboard_url[256];
    char dashboard_http[256];
    char bot_status_url[256];
} env_remote_rep;

/* The transport: sends req to the parent and fills rep with its reply.
 * 0, or -1 when the parent cannot be reached. The remote may call it from
 * any thread of the child; the transport serialises the calls. */
typedef int (*env_remote_call_fn)(void *ud, const env_remote_req *req, env_remote_rep *rep);

/* Child side: a driver that mirrors real (its name, config, capabilities,
 * URLs, and the same operations present or absent, so unsupported ones fail
 * in the child with the real driver's name) and performs every operation
 * through call. NULL with a message in err when out of memory.
 * envdriver_free() frees the remote only; real is not touched. */
envdriver *env_remote_new(const envdriver *real, env_remote_call_fn call, void *ud, char *err,
                          size_t errlen);

/* Parent side: carries out req on real and fills rep (result and state).
 * 0 when the operation was attempted (rep->rc tells how it went); -1 when
 * refused without trying (no driver, or a bad service): rep says why. */
int env_remote_serve(envdriver *real, const env_remote_req *req, env_remote_rep *rep);

/* A line for the runner's log: "bot kill(10) -> ok", "dashboard stats ->
 * failed: <why>". */
void env_remote_describe(const env_remote_req *req, const env_remote_rep *rep, char *buf,
                         size_t len);

#endif
