/* security_tls: the security suite's TLS checks (security.h), for a
 * dashboard served over wss:// (./run_all_tests.sh --tls; skipped with the
 * reason on ws://). Each is followed by the liveness probe over wss://.
 *
 *   tls_versions   a client offering TLS 1.0-1.1 only (at OpenSSL security
 *                  level 0, so the refusal is the server's) is refused, and
 *                  one offering up to TLS 1.2 is served (the refusal is about
 *                  the version, not everything);
 *   tls_wrong_ca   a client trusting only another CA (--tls-dir's
 *                  other-ca.pem) refuses the server: rawws names the
 *                  certificate verification error, and the harness's own
 *                  WebSocket client (wsclient) fails to open too;
 *   tls_plaintext  a plaintext upgrade request and a plaintext GET /health to
 *                  the TLS port end without an HTTP answer, within a bound
 *                  (no 101, no 200, no hang). */
#include "security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawws.h"

#define TLS_MS 5000

/* The dashboard's wss:// URL with path, or a skip when it is not TLS. */
static check_result tls_url(const suite_ctx *ctx, const char *path, char *url, size_t ulen,
                            char *msg, size_t len)
{
    bridge_url(ctx, path, url, ulen);
    if (strncmp(url, "wss://", 6))
        return bridge_skip(msg, len, "the dashboard is not served over TLS (%s): run with --tls "
                           "(./run_all_tests.sh) or --tls-dir (wsb-harness)", url);
    return CHECK_PASS;
}

/* The probe's verdict joined to r (msg keeps the first failure). */
static check_result then_probe(const suite_ctx *ctx, check_result r, char *msg, size_t len)
{
    char pm[800];
    if (security_probe(ctx, pm, sizeof pm) == CHECK_PASS)
        return r;
    if (r == CHECK_FAIL)
        return r;
    return bridge_fail(msg, len, "after the TLS check, the server no longer serves a wss:// "
                       "client: %s", pm);
}

check_result security_check_tls_versions(const suite_ctx *ctx, char *msg, size_t len)
{
    char url[300], err[600];
    check_result r = tls_url(ctx, "/ws/stream", url, sizeof url, msg, len);
    if (r != CHECK_PASS)
        return r;
    rawws_tls old = {.max_version = RAWWS_TLS1_1};
    rawws *k = rawws_connect_tls(url, TLS_MS, &old, err, sizeof err);
    if (k) {
        r = bridge_fail(msg, len, "a client offering TLS 1.1 at most was served (negotiated %s): "
                        "TLS below 1.2 must be refused", rawws_tls_version(k));
        rawws_close(k);
        return then_probe(ctx, r, msg, len);
    }
    suite_log("TLS 1.0-1.1 client refused: %s", err);
    char why_old[600];
    snprintf(why_old, sizeof why_old, "%s", err);
    rawws_tls v12 = {.max_version = RAWWS_TLS1_2};
    k = rawws_connect_tls(url, TLS_MS, &v12, err, sizeof err);
    if (!k)
        return then_probe(ctx, bridge_fail(msg, len, "a TLS 1.2 client was refused too (so the "
                                           "refusal of 1.1 proves nothing): %s", err),
                          msg, len);
    snprintf(msg, len, "TLS 1.0-1.1 refused (%.300s); TLS 1.2 served (%s)", why_old,
             rawws_tls_version(k));
    rawws_close(k);
    return then_probe(ctx, CHECK_PASS, msg, len);
}

check_result security_check_tls_wrong_ca(const suite_ctx *ctx, char *msg, size_t len)
{
    char url[300], err[600];
    check_result r = tls_url(ctx, "/ws/stream", url, sizeof url, msg, len);
    if (r != CHECK_PASS)
        return r;
    if (!ctx->wrong_ca_file)
        return bridge_skip(msg, len, "no wrong CA to try (--tls-dir gives other-ca.pem)");
    rawws_tls wrong = {.ca_file = ctx->wrong_ca_file};
    rawws *k = rawws_connect_tls(url, TLS_MS, &wrong, err, sizeof err);
    if (k) {
        rawws_close(k);
        return then_probe(ctx, bridge_fail(msg, len, "a client trusting only %s was served: "
                                           "the server's certificate verifies against a CA "
                                           "that must not sign it", ctx->wrong_ca_file),
                          msg, len);
    }
    if (!strstr(err, "certificate verification error"))
        return then_probe(ctx, bridge_fail(msg, len, "the wrong-CA client failed, but not on "
                                           "the certificate: %s", err),
                          msg, len);
    suite_log("wrong CA (raw client): %s", err);
    char raw_err[600];
    snprintf(raw_err, sizeof raw_err, "%s", err);

    /* the harness's own client, as the suites use it, with the wrong CA */
    suite_ctx wctx = *ctx;
    wctx.ca_file = ctx->wrong_ca_file;
    wsclient *c = bridge_client(&wctx, err, sizeof err);
    if (!c)
        return then_probe(ctx, bridge_fail(msg, len, "wsclient with the wrong CA: %s", err), msg,
                          len);
    wsconn *s = bridge_subscriber(c, &wctx, NULL, NULL, TLS_MS, err, sizeof err);
    if (s) {
        wsconn_free(c, s);
        wsclient_free(c);
        return then_probe(ctx, bridge_fail(msg, len, "the harness's client trusting only %s "
                                           "opened a subscription", ctx->wrong_ca_file),
                          msg, len);
    }
    wsclient_free(c);
    suite_log("wrong CA (wsclient): %s", err);
    snprintf(msg, len, "refused: %.400s; wsclient: %.300s", raw_err, err);
    return then_probe(ctx, CHECK_PASS, msg, len);
}

/* One plaintext request to the TLS port: CHECK_PASS when it ended without an
 * HTTP answer within TLS_MS. */
static check_result plain_try(const char *plain_url, const char *what, const char *req,
                              size_t rlen, char *msg, size_t len)
{
    char err[600], line[200];
    rawws *k = rawws_connect(plain_url, TLS_MS, err, sizeof err);
    if (!k)
        return bridge_fail(msg, len, "cannot reach the TLS port over TCP: %s", err);
    check_result r = CHECK_PASS;
    if (rawws_send(k, req, rlen) == 0) { /* a refusal may already have closed it */
        int st = rawws_read_status(k, TLS_MS, line, sizeof line);
        if (st > 0)
            r = bridge_fail(msg, len, "a plaintext %s to the TLS port was answered: \"%s\"",
                            what, line);
        else if (st < 0)
            r = bridge_fail(msg, len, "a plaintext %s to the TLS port was neither answered nor "
                            "closed within %d ms (held open)", what, TLS_MS);
    }
    rawws_close(k);
    return r;
}

check_result security_check_tls_plaintext(const suite_ctx *ctx, char *msg, size_t len)
{
    char url[300], plain[300], req[8192];
    check_result r = tls_url(ctx, "/ws/stream", url, sizeof url, msg, len);
    if (r != CHECK_PASS)
        return r;
    snprintf(plain, sizeof plain, "ws://%s", url + 6); /* same host and port, no TLS */
    char err[300];
    rawws *k = rawws_connect(plain, TLS_MS, err, sizeof err);
    if (!k)
        return bridge_fail(msg, len, "cannot reach the TLS port over TCP: %s", err);
    char *tok = bridge_token(ctx, "subscriber", "sec-plain", 600);
    size_t n = rawws_request(k, req, sizeof req, "/ws/stream", tok, NULL, 0);
    free(tok);
    rawws_close(k);
    if (!n)
        return bridge_fail(msg, len, "cannot build the upgrade request");
    r = plain_try(plain, "upgrade request", req, n, msg, len);
    if (r == CHECK_PASS) {
        static const char get[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        r = plain_try(plain, "GET /health", get, sizeof get - 1, msg, len);
    }
    if (r == CHECK_PASS)
        snprintf(msg, len, "a plaintext upgrade and GET /health to the TLS port were closed "
                 "without an answer");
    return then_probe(ctx, r, msg, len);
}
