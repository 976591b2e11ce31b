/* dockerapi: a small Docker Engine API client over the engine's unix socket.
 *
 * HTTP through libcurl (CURLOPT_UNIX_SOCKET_PATH), JSON through cJSON. It does
 * what the harness needs to drive a compose project: find containers by their
 * com.docker.compose.project/service labels (works for Compose v1 and v2, whose
 * container names differ), stop, start, restart, kill with a signal, pause,
 * unpause, disconnect a container from a network and connect it again with the
 * aliases saved before, and read CPU/memory stats. Create/remove of containers
 * and networks exist for tests that need a throwaway container.
 *
 * Paths are unversioned, so the engine answers with its own API version.
 * Every call has a timeout and returns 0, or -1 with the engine's message in
 * err. One dockerapi handle is used by one thread at a time. */
#ifndef WSB_DOCKERAPI_H
#define WSB_DOCKERAPI_H

#include <stddef.h>

#define DOCKERAPI_DEFAULT_SOCKET "/var/run/docker.sock"
#define DOCKERAPI_ID_LEN 65 /* 64 hex digits + NUL */
#define DOCKERAPI_MAX_ALIASES 8

typedef struct dockerapi dockerapi;

typedef struct dockerapi_container {
    char id[DOCKERAPI_ID_LEN];
    char name[128];   /* without the leading '/' */
    char service[64]; /* com.docker.compose.service label, "" when absent */
    char state[32];   /* created, running, paused, restarting, exited, dead */
} dockerapi_container;

/* One network a container is attached to, as saved before a disconnect. */
typedef struct dockerapi_endpoint {
    char network[128]; /* network name */
    char ip[64];       /* IPv4 address on that network, "" when none */
    int naliases;
    char aliases[DOCKERAPI_MAX_ALIASES][128];
} dockerapi_endpoint;

typedef struct dockerapi_stats {
    double cpu_percent;  /* of one core x online CPUs, as `docker stats` shows */
    long long mem_bytes; /* usage minus page cache, as `docker stats` shows */
    long long mem_limit;
    long long net_rx_bytes, net_tx_bytes; /* summed over its networks, -1 when none given */
} dockerapi_stats;

/* socket_path NULL: $DOCKER_HOST when it is unix://PATH, else the default
 * socket. Does not contact the engine (use dockerapi_ping). Free with
 * dockerapi_free. */
dockerapi *dockerapi_new(const char *socket_path, char *err, size_t errlen);
void dockerapi_free(dockerapi *d);
const char *dockerapi_socket_path(const dockerapi *d);
/* Sets the timeout of calls that do not take their own (default 10000 ms). */
void dockerapi_set_timeout(dockerapi *d, int timeout_ms);

/* 0 when the engine answers GET /_ping; version gets the engine version. */
int dockerapi_ping(dockerapi *d, char *version, size_t versionlen, char *err, size_t errlen);

/* Containers of a compose project (service NULL: all its services), stopped
 * ones included. *out is malloc'd (caller frees, also when *n is 0). */
int dockerapi_list(dockerapi *d, const char *project, const char *service,
                   dockerapi_container **out, int *n, char *err, size_t errlen);
/* The one container of project/service; -1 when none or (with a message)
 * when several exist (a scaled service needs dockerapi_list). */
int dockerapi_find(dockerapi *d, const char *project, const char *service, dockerapi_container *out,
                   char *err, size_t errlen);

/* Container state: state[] as in dockerapi_container, running/paused flags
 * and the exit code of its last run (each output may be NULL). */
int dockerapi_state(dockerapi *d, const char *id, char *state, size_t statelen, int *running,
                    int *paused, int *exit_code, char *err, size_t errlen);

int dockerapi_start(dockerapi *d, const char *id, char *err, size_t errlen);
/* SIGTERM, then SIGKILL after timeout_s seconds (the call waits for it). */
int dockerapi_stop(dockerapi *d, const char *id, int timeout_s, char *err, size_t errlen);
int dockerapi_restart(dockerapi *d, const char *id, int timeout_s, char *err, size_t errlen);
/* sig is a signal number (9, 15, ...). */
int dockerapi_kill(dockerapi *d, const char *id, int sig, char *err, size_t errlen);
int dockerapi_pause(dockerapi *d, const char *id, char *err, size_t errlen);
int dockerapi_unpause(dockerapi *d, const char *id, char *err, size_t errlen);

/* The container's log so far (stdout and stderr, demultiplexed; a container
 * with a TTY is passed through), written to path. */
int dockerapi_logs_save(dockerapi *d, const char *id, const char *path, char *err, size_t errlen);

/* The networks a container is attached to, with their aliases. *out is
 * malloc'd (caller frees). */
int dockerapi_endpoints(dockerapi *d, const char *id, dockerapi_endpoint **out, int *n, char *err,
                        size_t errlen);
int dockerapi_network_disconnect(dockerapi *d, const char *network, const char *id, int force,
                                 char *err, size_t errlen);
/* Connects again; aliases (may be NULL/0) restore the DNS names the container
 * had on that network. */
int dockerapi_network_connect(dockerapi *d, const char *network, const char *id,
                              const char (*aliases)[128], int naliases, char *err, size_t errlen);

/* One stats sample (the engine waits about a second to have a CPU delta). */
int dockerapi_stats_read(dockerapi *d, const char *id, dockerapi_stats *out, char *err,
                         size_t errlen);

/* The container's command (Config.Cmd) as a JSON array text, malloc'd
 * (caller frees), or NULL with err. */
char *dockerapi_cmd(dockerapi *d, const char *id, char *err, size_t errlen);
/* Replaces a container by a copy running cmd_json (a JSON array: Config.Cmd;
 * the image's entrypoint stays): stops it (SIGTERM, SIGKILL after timeout_s),
 * renames it aside, creates the copy under its name with its Config, Labels,
 * HostConfig (volumes, ports, hardening) and networks with their aliases,
 * then removes the old one (its named volumes stay). The copy is created,
 * not started; newid gets its id. On a failure before the copy exists the
 * old container keeps its name (stopped). */
int dockerapi_recreate(dockerapi *d, const char *id, const char *cmd_json, int timeout_s,
                       char newid[DOCKERAPI_ID_LEN], char *err, size_t errlen);

/* For tests and tools: create a container from image running argv (NULL
 * terminated; NULL for the image's command), with labels as "key=value"
 * strings (NULL terminated, may be NULL), attached to network (NULL: the
 * default bridge) with one alias (may be NULL). id gets the new id. */
int dockerapi_create(dockerapi *d, const char *name, const char *image, const char *const *argv,
                     const char *const *labels, const char *network, const char *alias,
                     char id[DOCKERAPI_ID_LEN], char *err, size_t errlen);
/* Removes a container (force: even when running), with its anonymous volumes. */
int dockerapi_remove(dockerapi *d, const char *id, int force, char *err, size_t errlen);
int dockerapi_network_create(dockerapi *d, const char *name, char id[DOCKERAPI_ID_LEN], char *err,
                             size_t errlen);
int dockerapi_network_remove(dockerapi *d, const char *name, char *err, size_t errlen);
/* 1 when the image exists locally, 0 when not, -1 on error. */
int dockerapi_image_exists(dockerapi *d, const char *image, char *err, size_t errlen);

#endif
