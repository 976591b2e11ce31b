/* envdriver_int: the inside of an environment driver.
 *
 * PRIVATE to harness/env/. Included only by envdriver.c (constructor,
 * accessors, dispatchers), the drivers env_native.c, env_docker.c,
 * env_external.c and env_remote.c, and the test double
 * harness/env/tests/env_fake.c. Everything outside harness/env/ uses
 * envdriver.h (and the runner also env_remote.h).
 *
 * A driver fills an envdriver: its ops table (static, one per driver kind;
 * NULL slots for what it cannot do), a copy of the config, its capabilities,
 * the URLs it found or made, and impl, its own state. destroy frees impl and
 * stops what the driver started; envdriver_free() then frees the envdriver. */
#ifndef WSB_ENVDRIVER_INT_H
#define WSB_ENVDRIVER_INT_H

#include "envdriver.h"

/* The operations a driver provides (NULL when it cannot). */
typedef struct envdriver_ops {
    const char *name;
    int (*start)(envdriver *d, env_service s, char *err, size_t errlen);
    int (*stop)(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen);
    int (*kill)(envdriver *d, env_service s, int sig, char *err, size_t errlen);
    int (*pause)(envdriver *d, env_service s, char *err, size_t errlen);
    int (*unpause)(envdriver *d, env_service s, char *err, size_t errlen);
    int (*disconnect)(envdriver *d, env_service s, char *err, size_t errlen);
    int (*reconnect)(envdriver *d, env_service s, char *err, size_t errlen);
    int (*stats)(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen);
    int (*set_args)(envdriver *d, env_service s, const char *args, char *err, size_t errlen);
    int (*save_log)(envdriver *d, env_service s, const char *path, char *err, size_t errlen);
    /* the fault proxy's operations; env_proxy.c has them for every driver that has an API */
    int (*toxic_add)(envdriver *d, env_link l, const char *json, char *err, size_t errlen);
    int (*toxic_remove)(envdriver *d, env_link l, const char *name, char *err, size_t errlen);
    int (*link_enable)(envdriver *d, env_link l, int enabled, char *err, size_t errlen);
    void (*destroy)(envdriver *d);
} envdriver_ops;

struct envdriver {
    const envdriver_ops *ops;
    env_config cfg;
    unsigned caps;
    char dashboard_url[256];  /* ws://host:port, no path */
    char dashboard_http[256]; /* http://host:port */
    char bot_status_url[256]; /* http://host:port or "" */
    char proxy_api[256];      /* the fault proxy's API http://host:port, "" when none */
    char link_proxy[ENV_NUM_LINKS][128]; /* proxy names, "" when the link has none */
    char clients_url[256];    /* ws://host:port through the clients proxy, or "" */
    struct env_proxy_undo *undo; /* what envproxy_heal() undoes (env_proxy.c) */
    void *impl;
};

/* env_proxy.c: the fault proxy's operations by HTTP on d->proxy_api (Toxiproxy's API),
 * for the ops tables of the drivers that have a proxy. */
int envproxy_toxic_add(envdriver *d, env_link l, const char *json, char *err, size_t errlen);
int envproxy_toxic_remove(envdriver *d, env_link l, const char *name, char *err, size_t errlen);
int envproxy_link_enable(envdriver *d, env_link l, int enabled, char *err, size_t errlen);
/* Sets proxy_api and the link names from cfg (defaults filled) and ENV_CAP_FAULTS when
 * the API answers /version within timeout_ms; 0, or -1 with err. */
int envproxy_attach(envdriver *d, const char *api, int timeout_ms, char *err, size_t errlen);
/* Creates (POST /populate) the two links' proxies on the API, listening on listen_host
 * and ports[l] (0: any) toward upstream host:port; ports[] gets the bound ports. */
int envproxy_populate(envdriver *d, const char *listen_host, const char *upstream, int ports[2],
                      char *err, size_t errlen);
/* Removes the toxics added and enables the links disabled through d; frees the record. */
void envproxy_heal(envdriver *d);

/* The constructors behind envdriver_new(), one per driver file. */
envdriver *env_native_new(const env_config *cfg, char *err, size_t errlen);
envdriver *env_docker_new(const env_config *cfg, char *err, size_t errlen);
envdriver *env_external_new(const env_config *cfg, char *err, size_t errlen);

#endif
