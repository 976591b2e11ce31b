/* envdriver: how the harness reaches and controls the system under test.
 *
 * One interface, three implementations:
 *   native   (env_native.c)  starts wsb-dashboard and wsb-bot as local processes
 *                            on free ports of 127.0.0.1; faults through signals
 *   docker   (env_docker.c)  the compose project's containers, found by their
 *                            com.docker.compose.project/service labels, controlled
 *                            through the Docker Engine API (dockerapi.c)
 *   external (envdriver.c)   an already running system given by URLs; no process
 *                            control (tests that need it are skipped with the reason)
 * Every operation has a timeout and returns 0, or -1 with a message in err.
 * envdriver_free() always cleans up what the driver started (no orphans). */
#ifndef WSB_ENVDRIVER_H
#define WSB_ENVDRIVER_H

#include <stddef.h>

typedef enum env_service {
    ENV_DASHBOARD = 0,
    ENV_BOT = 1,
    ENV_PROXY = 2, /* the fault proxy, when there is one */
    ENV_NUM_SERVICES
} env_service;

/* What a driver can do; tests check before they need it and skip otherwise. */
enum env_capability {
    ENV_CAP_PROCESS = 1 << 0, /* stop/start/kill/restart/pause a service */
    ENV_CAP_NETWORK = 1 << 1, /* partition a service from the network and heal it */
    ENV_CAP_STATS = 1 << 2,   /* CPU and memory of a service */
    ENV_CAP_BOT = 1 << 3,     /* a bot is part of the system under test */
};

typedef struct env_config {
    const char *results_dir;  /* service logs go to <results_dir>/services/<name>.log */
    const char *bin_dir;      /* native: where wsb-dashboard and wsb-bot are (build/bin) */
    const char *schemas_dir;
    const char *jwt_secret;
    const char *bot_source;   /* default "bot-1" */
    double bot_rate;          /* trading events per second */
    int bot_queue_size;
    int history_size;
    const char *dashboard_url;   /* external/docker: ws://host:port (no path) */
    const char *bot_status_url;  /* external/docker: http://host:port, NULL when absent */
    const char *compose_project; /* docker: the compose project name */
} env_config;

typedef struct env_stats {
    double cpu_percent;
    long long mem_bytes;
} env_stats;

typedef struct envdriver envdriver;

/* The operations an implementation provides (NULL when it cannot). */
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
    void (*destroy)(envdriver *d);
} envdriver_ops;

struct envdriver {
    const envdriver_ops *ops;
    env_config cfg;
    unsigned caps;
    char dashboard_url[256];  /* ws://host:port, no path */
    char dashboard_http[256]; /* http://host:port */
    char bot_status_url[256]; /* http://host:port or "" */
    void *impl;
};

envdriver *envdriver_native_new(const env_config *cfg, char *err, size_t errlen);
envdriver *envdriver_docker_new(const env_config *cfg, char *err, size_t errlen);
envdriver *envdriver_external_new(const env_config *cfg, char *err, size_t errlen);

/* Dispatchers: -1 with "not supported by the <name> driver" when ops lack it. */
int envdriver_start(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_stop(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen);
int envdriver_kill(envdriver *d, env_service s, int sig, char *err, size_t errlen);
int envdriver_restart(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen);
int envdriver_pause(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_unpause(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_disconnect(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_reconnect(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen);
/* Polls the service's /health until 200 or timeout. */
int envdriver_wait_healthy(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen);
int envdriver_has(const envdriver *d, unsigned caps);
const char *envdriver_service_name(env_service s); /* "dashboard", "bot", "proxy" */
void envdriver_free(envdriver *d);

#endif
