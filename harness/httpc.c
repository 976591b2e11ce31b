/* httpc: HTTP requests over libcurl and the Prometheus text parser (see
 * httpc.h). One easy handle per request keeps it safe in any thread. */
#include "httpc.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

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

/* ---- Prometheus ---- */

typedef struct sample {
    char *key;
    size_t namelen; /* the metric name is key[0..namelen) */
    double value;
} sample;

struct httpc_metrics {
    sample *s;
    size_t n, cap;
};

typedef struct label {
    char *name;
    char *value;
} label;

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const label *)a)->name, ((const label *)b)->name);
}

/* Appends s escaped as a Prometheus label value. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static int is_name_start(int c)
{
    return isalpha(c) || c == '_' || c == ':';
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == ':';
}

/* Parses "name{labels}" from *pp into a normalised key (malloc'd); advances
 * *pp past it. NULL with err on malformed input. */
static char *parse_series(const char **pp, size_t *namelen, char *err, size_t errlen)
{
    const char *p = *pp;
    if (!is_name_start((unsigned char)*p)) {
        snprintf(err, errlen, "expected a metric name");
        return NULL;
    }
    const char *n0 = p;
    while (is_name_char((unsigned char)*p))
        p++;
    *namelen = (size_t)(p - n0);
    label *ls = NULL;
    size_t nl = 0;
    char *key = NULL;
    size_t klen = 0;
    int ok = 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '{') {
        p++;
        for (;;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '}') {
                p++;
                break;
            }
            if (!is_name_start((unsigned char)*p)) {
                snprintf(err, errlen, "expected a label name");
                ok = 0;
                break;
            }
            const char *l0 = p;
            while (is_name_char((unsigned char)*p))
                p++;
            size_t ll = (size_t)(p - l0);
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != '=' || p[1] != '"') {
                snprintf(err, errlen, "expected =\" after label %.*s", (int)ll, l0);
                ok = 0;
                break;
            }
            p += 2;
            char *v = malloc(strlen(p) + 1);
            size_t vl = 0;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) {
                    p++;
                    v[vl++] = *p == 'n' ? '\n' : *p;
                } else {
                    v[vl++] = *p;
                }
                p++;
            }
            v[vl] = 0;
            if (*p != '"') {
                free(v);
                snprintf(err, errlen, "unterminated label value");
                ok = 0;
                break;
            }
            p++;
            ls = realloc(ls, (nl + 1) * sizeof(*ls));
            ls[nl].name = strndup(l0, ll);
            ls[nl].value = v;
            nl++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == ',')
                p++;
            else if (*p != '}') {
                snprintf(err, errlen, "expected , or } in labels");
                ok = 0;
                break;
            }
        }
    }
    if (ok) {
        if (nl > 1)
            qsort(ls, nl, sizeof(*ls), label_cmp);
        FILE *f = open_memstream(&key, &klen);
        fwrite(n0, 1, *namelen, f);
        if (nl) {
            fputc('{', f);
            for (size_t i = 0; i < nl; i++) {
                fprintf(f, "%s%s=\"", i ? "," : "", ls[i].name);
                put_escaped(f, ls[i].value);
                fputc('"', f);
            }
            fputc('}', f);
        }
        fclose(f);
    }
    for (size_t i = 0; i < nl; i++) {
        free(ls[i].name);
        free(ls[i].value);
    }
    free(ls);
    *pp = p;
    return key;
}

static int parse_value(const char *p, double *out)
{
    while (*p == ' ' || *p == '\t')
        p++;
    char tok[64];
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r' && n + 1 < sizeof(tok))
        tok[n++] = *p++;
    tok[n] = 0;
    if (!n)
        return -1;
    if (strcmp(tok, "+Inf") == 0 || strcmp(tok, "Inf") == 0) {
        *out = INFINITY;
        return 0;
    }
    if (strcmp(tok, "-Inf") == 0) {
        *out = -INFINITY;
        return 0;
    }
    if (strcmp(tok, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    char *end;
    *out = strtod(tok, &end);
    return *end ? -1 : 0;
}

httpc_metrics *httpc_metrics_parse(const char *text, char *err, size_t errlen)
{
    httpc_metrics *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int lineno = 0;
    const char *p = text;
    while (p && *p) {
        lineno++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = strndup(p, len);
        p = eol ? eol + 1 : NULL;
        const char *q = line;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == 0 || *q == '#' || *q == '\r') {
            free(line);
            continue;
        }
        char e2[128];
        size_t namelen = 0;
        char *key = parse_series(&q, &namelen, e2, sizeof(e2));
        double v;
        if (!key || parse_value(q, &v) < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, key ? "bad sample value" : e2);
            free(key);
            free(line);
            httpc_metrics_free(m);
            return NULL;
        }
        free(line);
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->s = realloc(m->s, m->cap * sizeof(*m->s));
        }
        m->s[m->n].key = key;
        m->s[m->n].namelen = namelen;
        m->s[m->n].value = v;
        m->n++;
    }
    return m;
}

void httpc_metrics_free(httpc_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->s[i].key);
    free(m->s);
    free(m);
}

int httpc_metrics_get(const httpc_metrics *m, const char *key, double *out)
{
    char e[64];
    size_t nl;
    const char *p = key;
    char *norm = parse_series(&p, &nl, e, sizeof(e));
    if (!norm)
        return -1;
    int rc = -1;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->s[i].key, norm) == 0) {
            *out = m->s[i].value;
            rc = 0;
            break;
        }
    }
    free(norm);
    return rc;
}

int httpc_metrics_sum(const httpc_metrics *m, const char *name, double *sum)
{
    size_t nl = strlen(name);
    int count = 0;
    double s = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->s[i].namelen == nl && strncmp(m->s[i].key, name, nl) == 0) {
            s += m->s[i].value;
            count++;
        }
    }
    if (count)
        *sum = s;
    return count;
}

size_t httpc_metrics_count(const httpc_metrics *m)
{
    return m->n;
}

const char *httpc_metrics_key(const httpc_metrics *m, size_t i, double *value)
{
    if (i >= m->n)
        return NULL;
    if (value)
        *value = m->s[i].value;
    return m->s[i].key;
}

httpc_metrics *httpc_get_metrics(const char *url, int timeout_ms, char *err, size_t errlen)
{
    httpc_response r;
    if (httpc_get(url, timeout_ms, &r, err, errlen) < 0)
        return NULL;
    httpc_metrics *m = NULL;
    if (r.status != 200) {
        snprintf(err, errlen, "%s: HTTP %ld", url, r.status);
    } else {
        char e2[256];
        m = httpc_metrics_parse(r.body, e2, sizeof(e2));
        if (!m)
            snprintf(err, errlen, "%s: %s", url, e2);
    }
    httpc_response_free(&r);
    return m;
}
