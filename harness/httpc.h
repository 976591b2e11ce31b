/* httpc: a small HTTP client on libcurl for the services' status endpoints
 * (/health, /api/websocket/status, bot status) and /metrics, plus a parser of
 * the Prometheus text exposition format into "name{labels}" -> value.
 *
 * Every request has a timeout. Bodies are capped at HTTPC_MAX_BODY. */
#ifndef WSB_HTTPC_H
#define WSB_HTTPC_H

#include <stddef.h>
#include <cjson/cJSON.h>

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

/* ---- Prometheus text format ---- */

typedef struct httpc_metrics httpc_metrics;

/* Parses exposition text: comments and blank lines ignored, each sample
 * "name{l1="v1",l2="v2"} value [timestamp]". Labels are kept in sorted
 * order, so a lookup key does not depend on the order a server wrote them.
 * NULL with err on a malformed line ("line 7: ..."). */
httpc_metrics *httpc_metrics_parse(const char *text, char *err, size_t errlen);
void httpc_metrics_free(httpc_metrics *m);

/* Looks up "name" or "name{a=\"x\",b=\"y\"}" (labels in any order). 0 and
 * *out set when found, -1 when absent. */
int httpc_metrics_get(const httpc_metrics *m, const char *key, double *out);
/* The sum over every label set of a metric name, and how many there were
 * (0: absent, *sum untouched). */
int httpc_metrics_sum(const httpc_metrics *m, const char *name, double *sum);
size_t httpc_metrics_count(const httpc_metrics *m);
/* The i-th sample's normalised key ("name{a=\"x\"}") and value. */
const char *httpc_metrics_key(const httpc_metrics *m, size_t i, double *value);

/* GET url and parse it (status must be 200). */
httpc_metrics *httpc_get_metrics(const char *url, int timeout_ms, char *err, size_t errlen);

#endif
