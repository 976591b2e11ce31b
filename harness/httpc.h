/* httpc: a small HTTP client on libcurl for the services' status endpoints
 * (/health, /api/websocket/status, bot status) and /metrics (parsed by
 * promtext.h).
 *
 * Every request has a timeout. Bodies are capped at HTTPC_MAX_BODY. */
#ifndef WSB_HTTPC_H
#define WSB_HTTPC_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "promtext.h"

#define HTTPC_MAX_BODY (16 * 1024 * 1024)

typedef struct httpc_response {
    long status; /* HTTP status; 0 when no answer */
    char *body;  /* NUL-terminated, owned: httpc_response_free */
    size_t len;
} httpc_response;

/* GET url. 0 when an HTTP answer came (any status), -1 with err when none
 * (refused, timeout, too large). */
int httpc_get(const char *url, int timeout_ms, httpc_response *out, char *err, size_t errlen);

/* Any method, optional body (content type application/json when body is
 * given), optional bearer token (NULL: none). Same results as httpc_get. */
int httpc_request(const char *method, const char *url, const char *body, const char *bearer,
                  int timeout_ms, httpc_response *out, char *err, size_t errlen);

/* The same over a unix socket (the Docker Engine API): url's host is ignored. */
int httpc_request_unix(const char *socket_path, const char *method, const char *url,
                       const char *body, int timeout_ms, httpc_response *out, char *err,
                       size_t errlen);

void httpc_response_free(httpc_response *r);

/* Trust the CA certificate(s) in path (PEM) for https:// instead of the
 * system's store, as --ca-file does for wss://; NULL: the system's again.
 * Process-wide; set it before requests start (not thread-safe against them).
 * The string is copied. */
void httpc_set_ca_file(const char *path);

/* GET and parse a JSON body strictly (wjson). Requires status 200. The tree
 * is the caller's (cJSON_Delete); NULL with err otherwise. */
cJSON *httpc_get_json(const char *url, int timeout_ms, char *err, size_t errlen);

/* GET url and parse it as Prometheus text (promtext.h; status must be 200).
 * The samples are the caller's (promtext_free); NULL with err otherwise. */
promtext *httpc_get_metrics(const char *url, int timeout_ms, char *err, size_t errlen);

#endif
