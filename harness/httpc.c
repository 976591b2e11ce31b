/* httpc: HTTP requests over libcurl (see httpc.h), and GETs whose body is
 * parsed as JSON (wjson) or Prometheus text (promtext). One easy handle per
 * request keeps it safe in any thread. */
#include "httpc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "promtext.h"
#include "wjson.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char *ca_file; /* httpc_set_ca_file; NULL: the system's store */

void httpc_set_ca_file(const char *path)
{
    free(ca_file);
    ca_file = path && *path ? strdup(path) : NULL;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct buf {
    char *p;
    size_t len, cap;
    int too_big;
} buf;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > HTTPC_MAX_BODY) {
        b->too_big = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return 0;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    b->p[b->len] = 0;
    return n;
}

/* One request, over TCP or (unix_socket non-NULL) a unix socket. */
static int httpc_perform(const char *unix_socket, const char *method, const char *url,
                         const char *body, const char *bearer, int timeout_ms,
                         httpc_response *out, char *err, size_t errlen)
{
    pthread_once(&curl_once, curl_init_once);
    memset(out, 0, sizeof(*out));
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "curl: cannot create a handle");
        return -1;
    }
    buf b = {0};
    char ebuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdr = NULL;
    char auth[4096];
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 1));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never through an environment proxy */
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    if (unix_socket)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_socket);
    if (method && strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
    } else if (method && strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, ""); /* Content-Length: 0 */
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (bearer) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        hdr = curl_slist_append(hdr, auth);
    }
    if (hdr)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(c);
    int ret = 0;
    if (rc != CURLE_OK) {
        if (b.too_big)
            snprintf(err, errlen, "%s: body larger than %d bytes", url, HTTPC_MAX_BODY);
        else
            snprintf(err, errlen, "%s: %s", url, ebuf[0] ? ebuf : curl_easy_strerror(rc));
        free(b.p);
        ret = -1;
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = b.p ? b.p : calloc(1, 1);
        out->len = b.len;
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return ret;
}

int httpc_request(const char *method, const char *url, const char *body, const char *bearer,
                  int timeout_ms, httpc_response *out, char *err, size_t errlen)
{
    return httpc_perform(NULL, method, url, body, bearer, timeout_ms, out, err, errlen);
}

int httpc_request_unix(const char *socket_path, const char *method, const char *url,
                       const char *body, int timeout_ms, httpc_response *out, char *err,
                       size_t errlen)
{
    return httpc_perform(socket_path, method, url, body, NULL, timeout_ms, out, err, errlen);
}

int httpc_get(const char *url, int timeout_ms, httpc_response *out, char *err, size_t errlen)
{
    return httpc_request("GET", url, NULL, NULL, timeout_ms, out, err, errlen);
}

void httpc_response_free(httpc_response *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

cJSON *httpc_get_json(const char *url, int timeout_ms, char *err, size_t errlen)
{
    httpc_response r;
    if (httpc_get(url, timeout_ms, &r, err, errlen) < 0)
        return NULL;
    cJSON *j = NULL;
    if (r.status != 200) {
        snprintf(err, errlen, "%s: HTTP %ld", url, r.status);
    } else {
        char e2[256];
        j = wjson_parse(r.body, r.len, WJSON_DEFAULT_MAX_DEPTH, e2, sizeof(e2));
        if (!j)
            snprintf(err, errlen, "%s: %s", url, e2);
    }
    httpc_response_free(&r);
    return j;
}

promtext *httpc_get_metrics(const char *url, int timeout_ms, char *err, size_t errlen)
{
    httpc_response r;
    if (httpc_get(url, timeout_ms, &r, err, errlen) < 0)
        return NULL;
    promtext *m = NULL;
    if (r.status != 200) {
        snprintf(err, errlen, "%s: HTTP %ld", url, r.status);
    } else {
        char e2[256];
        m = promtext_parse(r.body, e2, sizeof(e2));
        if (!m)
            snprintf(err, errlen, "%s: %s", url, e2);
    }
    httpc_response_free(&r);
    return m;
}
