/* fuzz_faultproxy_api: libFuzzer target for wsb-faultproxy's HTTP API: the
 * request parser (request line, headers, Content-Length, Expect, the body
 * arriving in pieces), the routes and the JSON bodies of proxies, toxics,
 * populate and reset, all as shipped in faultproxy_api.c, faultproxy_net.c
 * (the registry) and faultproxy_toxic.c, on the fake socket layer of
 * fpfuzz_sock.h (nothing binds, nothing resolves).
 *
 * An input is one or more requests separated by a line "%%" ("\n%%\n"), each
 * sent on a new API connection against the same registry, so a sequence such
 * as create proxy, add toxic, GET /metrics is one input; the registry is
 * emptied after each input. Checks beyond the sanitizers, on every answer: a
 * status line, a Content-Length equal to the body, a JSON body that parses,
 * an error body whose "status" is the HTTP status, a /metrics body that
 * promtext_parse reads and that counts the proxies the registry holds; and
 * on the registry: at most FP_MAX_PROXIES proxies with distinct names, at
 * most FP_MAX_TOXICS toxics per proxy with distinct names.
 * FPFUZZ_TRACE=1 in the environment prints every answer on stderr (to see
 * what a seed or a reproducer does: build-fuzz/bin/fuzz-faultproxy-api FILE). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "faultproxy.h"
#include "fpfuzz_sock.h"
#include "promtext.h"
#include "wlog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 64        /* per input */
#define MAX_EVENTS 10000       /* per connection: each recv moves at least one byte */
static const char SEP[] = "\n%%\n";
static int trace;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    wlog_set_level(WLOG_ERROR);
    fp_toxic_seed(1);
    trace = getenv("FPFUZZ_TRACE") != NULL;
    return 0;
}

static void fail(const char *what, const char *resp, size_t len)
{
    fprintf(stderr, "faultproxy API: %s; the answer was:\n%.*s\n", what, (int)len, resp);
    abort();
}

static void check_registry(void)
{
    size_t n = fp_proxy_count();
    if (n > FP_MAX_PROXIES)
        fail("more proxies than FP_MAX_PROXIES", "", 0);
    for (size_t i = 0; i < n; i++) {
        fp_proxy *p = fp_proxy_at(i);
        if (fp_proxy_find(p->name) != p)
            fail("two proxies with one name", p->name, strlen(p->name));
        if (p->ntoxics < 0 || p->ntoxics > FP_MAX_TOXICS)
            fail("toxic count out of range", p->name, strlen(p->name));
        for (int t = 0; t < p->ntoxics; t++) {
            fp_toxic *x = p->toxics[p->order[t]];
            if (!x || fp_proxy_find_toxic(p, x->name) != x)
                fail("a toxic slot is empty or two toxics share a name", p->name,
                     strlen(p->name));
        }
    }
}

static void check_metrics(const char *body, size_t blen)
{
    char *text = strndup(body, blen), err[256];
    if (!text)
        abort();
    promtext *m = promtext_parse(text, err, sizeof(err));
    if (!m) {
        fprintf(stderr, "promtext: %s\n", err);
        fail("GET /metrics is not Prometheus text", body, blen);
    }
    double v;
    if (promtext_get(m, "wsb_faultproxy_proxies", &v) || v != (double)fp_proxy_count())
        fail("wsb_faultproxy_proxies is not the number of proxies", body, blen);
    double sum = 0;
    int n = promtext_sum(m, "wsb_faultproxy_proxy_enabled", &sum);
    if ((size_t)n != fp_proxy_count())
        fail("one wsb_faultproxy_proxy_enabled sample per proxy expected", body, blen);
    promtext_free(m);
    free(text);
}

static void check_answer(const char *resp, size_t len)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (len >= sizeof(cont) - 1 && !memcmp(resp, cont, sizeof(cont) - 1)) {
        resp += sizeof(cont) - 1;
        len -= sizeof(cont) - 1;
    }
    if (len == 0)
        return; /* the request never completed: no answer is right */
    int status = 0;
    if (len < 13 || memcmp(resp, "HTTP/1.1 ", 9) || sscanf(resp + 9, "%3d", &status) != 1 ||
        status < 200 || status > 599)
        fail("no status line", resp, len);
    const char *end = memmem(resp, len, "\r\n\r\n", 4);
    if (!end)
        fail("no end of headers", resp, len);
    const char *body = end + 4;
    size_t blen = len - (size_t)(body - resp);
    char head[1024];
    snprintf(head, sizeof(head), "%.*s", (int)(end - resp), resp);
    const char *cl = strstr(head, "\r\nContent-Length: ");
    if (status == 204) {
        if (blen)
            fail("a 204 with a body", resp, len);
        return;
    }
    if (!cl || strtoul(cl + 18, NULL, 10) != blen)
        fail("Content-Length is not the body's length", resp, len);
    if (strstr(head, "\r\nContent-Type: text/plain")) {
        check_metrics(body, blen);
        return;
    }
    cJSON *j = cJSON_ParseWithLength(body, blen);
    if (!j)
        fail("the body is not JSON", resp, len);
    if (status >= 400) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "status");
        if (!cJSON_IsString(e) || !cJSON_IsNumber(s) || s->valueint != status)
            fail("an error body without \"error\" or with another \"status\"", resp, len);
    }
    cJSON_Delete(j);
}

/* Sends one request on a new API connection and checks the answer. */
static void one_request(const uint8_t *req, size_t len)
{
    fp_handle listener = {FP_K_API_LISTEN, FPFUZZ_SOCK_FD_BASE - 1, 0, NULL, 0};
    fpfuzz_sock_incoming(req, len);
    fp_api_accept(&listener);
    fp_handle *h = fpfuzz_sock_last_watched();
    if (!h || h->kind != FP_K_API_CLIENT)
        abort();
    for (int i = 0; i < MAX_EVENTS && !h->gone; i++)
        fp_api_client_event(h, EPOLLIN | EPOLLOUT);
    if (!h->gone)
        fail("the connection is still open after its input ended", "", 0);
    size_t olen;
    const char *o = fpfuzz_sock_output(&olen);
    if (trace)
        fprintf(stderr, "---- %.*s\n", (int)olen, o);
    check_answer(o, olen);
    check_registry();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    for (int n = 0; n < MAX_REQUESTS && off <= size; n++) {
        const uint8_t *sep = memmem(data + off, size - off, SEP, sizeof(SEP) - 1);
        size_t len = sep ? (size_t)(sep - (data + off)) : size - off;
        one_request(data + off, len);
        if (!sep)
            break;
        off += len + sizeof(SEP) - 1;
    }
    fp_net_free(); /* every proxy deleted, every deferred free run */
    return 0;
}
