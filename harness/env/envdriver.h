/* envdriver: how the harness reaches and controls the system under test.
 *
 * One opaque handle, four drivers behind it:
 *   native   (env_native.c)   starts wsb-dashboard and wsb-bot as local processes
 *                             on free ports of 127.0.0.1; faults through signals
 *   docker   (env_docker.c)   the compose project's containers, found by their
 *                             com.docker.compose.project/service labels, controlled
 *                             through the Docker Engine API (dockerapi.c)
 *   external (env_external.c) an already running system given by URLs; no process
 *                             control (tests that need it are skipped with the reason)
 *   remote   (env_remote.c)   inside a suite child: a proxy whose every operation
 *                             the runner's parent carries out on its real driver
 *                             (built by the runner through env_remote.h, not here)
 * envdriver_new() builds the first three; callers see only this header: the
 * accessors below and the operation dispatchers. The struct and the table of
 * operations are in envdriver_int.h, private to harness/env/.
 *
 * Adding an operation (as the fault proxy's toxics and outages were) touches
 * only harness/env/ and this header: a slot in the ops table, a dispatcher in
 * envdriver.c, the drivers that can do it, and its forwarding in env_remote.c.
 * No suite and nothing in the runner changes. A driver without the operation
 * needs no code: its dispatcher fails with "<op>: not supported by the <name>
 * driver".
 *
 * Every operation has a timeout and returns 0, or -1 with a message in err.
 * envdriver_free() always cleans up what the driver started (no orphans). */
#ifndef WSB_ENVDRIVER_H
#define WSB_ENVDRIVER_H

#include <stddef.h>

typedef struct envdriver envdriver;

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
    ENV_CAP_FAULTS = 1 << 4,  /* toxics and outages on links through a fault proxy */
};

/* The links a fault proxy (wsb-faultproxy, or a real Toxiproxy) sits on. */
typedef enum env_link {
    ENV_LINK_BOT = 0,     /* the bot's upstream to the dashboard: proxy "bot_to_dashboard" */
    ENV_LINK_CLIENTS = 1, /* subscribers to the dashboard: proxy "clients_to_dashboard" */
    ENV_NUM_LINKS
} env_link;

/* Which driver envdriver_new() builds. */
typedef enum env_mode {
    ENV_MODE_NATIVE = 0,
    ENV_MODE_DOCKER,
    ENV_MODE_EXTERNAL,
} env_mode;

typedef struct env_config {
    const char *results_dir; /* service logs go to <results_dir>/services/<name>.log */
    const char *bin_dir;     /* native: where wsb-dashboard and wsb-bot are (build/bin) */
    const char *schemas_dir;
    const char *jwt_secret;
    const char *bot_source; /* default "bot-1" */
    double bot_rate;        /* trading events per second */
    int bot_queue_size;
    int history_size;
    const char *dashboard_url;   /* external/docker: ws://host:port (no path) */
    const char *bot_status_url;  /* external/docker: http://host:port, NULL when absent */
    const char *compose_project; /* docker: the compose project name */
    /* the fault proxy's HTTP API (Toxiproxy's); native: NULL starts wsb-faultproxy from
     * bin_dir; docker: NULL is http://fault-proxy:8474 when that service runs */
    const char *toxiproxy_url;
    const char *link_proxy[ENV_NUM_LINKS]; /* proxy names; NULL: the defaults above */
    const char *clients_proxy_url;         /* ws://host:port subscribers use to go through
                                              the clients proxy (external/docker), or NULL */
    int tls;              /* the dashboard serves TLS: wss:// and https:// (native, docker) */
    const char *tls_cert; /* native, with tls: the dashboard's certificate and key (PEM) */
    const char *tls_key;
    const char *ca_file;  /* native: the CA the bot trusts for wss:// (NULL: the system's) */
} env_config;

typedef struct env_stats {
    double cpu_percent;
    long long mem_bytes;
    long open_fds; /* -1 when the driver cannot tell */
    /* bytes the service received and sent: over its network interfaces since it
     * started (Docker), over its open TCP sockets (native: procstat_net_bytes,
     * sock_diag's tcp_info), -1 when the driver cannot tell */
    long long net_rx_bytes, net_tx_bytes;
} env_stats;

/* "native", "docker", "external" -> *out; 0, or -1 for any other name. */
int env_mode_parse(const char *name, env_mode *out);
/* The mode's name as env_mode_parse() takes it; "unknown" when out of range. */
const char *env_mode_name(env_mode mode);

/* Builds the driver of that mode from cfg (copied; the strings it points to
 * must outlive the driver). The native driver starts the services before it
 * returns. NULL with a message in err when it cannot. */
envdriver *envdriver_new(env_mode mode, const env_config *cfg, char *err, size_t errlen);
void envdriver_free(envdriver *d);

/* ---- what a driver knows (d must not be NULL) ---- */
const char *envdriver_name(const envdriver *d);           /* "native", "docker", "external" */
const char *envdriver_dashboard_url(const envdriver *d);  /* ws://host:port, no path */
const char *envdriver_dashboard_http(const envdriver *d); /* http://host:port, same host */
const char *envdriver_bot_status_url(const envdriver *d); /* http://host:port, "" when none */
unsigned envdriver_caps(const envdriver *d);              /* ENV_CAP_* bits */
const char *envdriver_proxy_api(const envdriver *d);      /* the fault proxy's API, "" when none */
/* The proxy name on link l ("" when none), and ws://host:port for subscribers that go
 * through the clients proxy ("" when there is none: use envdriver_dashboard_url). */
const char *envdriver_link_proxy(const envdriver *d, env_link l);
const char *envdriver_clients_url(const envdriver *d);
/* 1 when the driver has every capability in caps; 0 otherwise or when d is NULL. */
int envdriver_has(const envdriver *d, unsigned caps);
/* The bot's configured rate (events per second) and queue size, as in env_config:
 * 0 when not set (the bot's own default then). */
double envdriver_bot_rate(const envdriver *d);
int envdriver_bot_queue_size(const envdriver *d);

/* ---- operations: -1 with "<op>: not supported by the <name> driver" when the
 * driver lacks one ---- */
int envdriver_start(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_stop(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen);
int envdriver_kill(envdriver *d, env_service s, int sig, char *err, size_t errlen);
int envdriver_restart(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen);
int envdriver_pause(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_unpause(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_disconnect(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_reconnect(envdriver *d, env_service s, char *err, size_t errlen);
int envdriver_stats(envdriver *d, env_service s, env_stats *out, char *err, size_t errlen);
/* Fault proxy operations (ENV_CAP_FAULTS), by HTTP in every mode. toxic_json is a
 * Toxiproxy toxic ({"name":..,"type":..,"stream":..,"attributes":{..}}); a toxic
 * added here is removed again by envdriver_free() if a test leaves it, and a link
 * disabled here is enabled again. link_enable(0) is an outage: the listener
 * closes and every connection on the link is cut. */
int envdriver_toxic_add(envdriver *d, env_link l, const char *toxic_json, char *err,
                        size_t errlen);
int envdriver_toxic_remove(envdriver *d, env_link l, const char *toxic_name, char *err,
                           size_t errlen);
int envdriver_link_enable(envdriver *d, env_link l, int enabled, char *err, size_t errlen);
/* Extra command-line arguments (space-separated words) for the next starts of s,
 * after the driver's own, so a repeated flag wins ("--queue-size 200"); NULL or ""
 * goes back to the driver's. Takes effect at the next start. Only the native driver
 * can (a container's command is fixed by its image and the compose file). */
int envdriver_set_args(envdriver *d, env_service s, const char *args, char *err, size_t errlen);
/* Writes the service's log so far (everything it wrote since the driver started
 * it: the native driver's services/<name>.log, the container's log through the
 * Engine API) to path. */
int envdriver_save_log(envdriver *d, env_service s, const char *path, char *err, size_t errlen);
/* The service's health: /health (dashboard, bot), /version (proxy). Polls
 * until 200 or timeout. */
int envdriver_wait_healthy(envdriver *d, env_service s, int timeout_ms, char *err, size_t errlen);
const char *envdriver_service_name(env_service s); /* "dashboard", "bot", "proxy" */
const char *envdriver_link_name(env_link l);       /* "bot", "clients" */

#endif
