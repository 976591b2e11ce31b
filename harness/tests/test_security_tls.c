/* test_security_tls: proves the security suite's TLS checks
 * (suites/security_tls.c) and wsb-dashboard's TLS, each against a peer that
 * fails it. A throwaway CA from docker/gen-test-ca.sh (openssl CLI).
 *
 *   - wsb-dashboard --tls-cert/--tls-key: the three TLS checks pass, and
 *     so do catalogue cases over wss:// (an unmasked frame is closed 1002:
 *     the dashboard follows lws's SSL_read()s too), https://.../health
 *     answers through the harness's HTTP client;
 *   - --test-fault tls1 (TLS 1.0 and 1.1 accepted): tls_versions fails,
 *     naming the version served;
 *   - the "wrong" CA being the right one (a misconfigured run): tls_wrong_ca
 *     fails ("was served");
 *   - --test-fault tls_plain (plaintext served on the TLS port):
 *     tls_plaintext fails ("was answered");
 *   - a plain ws:// dashboard: the three checks are skipped with the reason.
 * The checks run through suitekit with an external driver on the server. */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "rawws.h"
#include "security.h"
#include "spawn.h"
#include "suitekit.h"
#include "testkit.h"

#define SECRET "security-tls-secret"

static suite_ctx *ctx;
static contract *ctr;
static char dir[128];
static char ca[256], other_ca[256], cert[256], key[256];

typedef struct sut {
    spawn_proc proc;
    envdriver *env;
} sut;

/* wsb-dashboard over TLS (tls) with --test-fault fault (may be NULL). */
static int sut_start(sut *s, int tls, const char *fault)
{
    char bin[512], err[512], log[300];
    char *argv[20];
    int a = 0;
    testkit_bin_path("wsb-dashboard", bin, sizeof bin);
    argv[a++] = bin;
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--jwt-secret";
    argv[a++] = SECRET;
    argv[a++] = "--schemas";
    argv[a++] = "schemas";
    if (tls) {
        argv[a++] = "--tls-cert";
        argv[a++] = cert;
        argv[a++] = "--tls-key";
        argv[a++] = key;
    }
    if (fault) {
        argv[a++] = "--test-fault";
        argv[a++] = (char *)fault;
    }
    argv[a] = NULL;
    snprintf(log, sizeof log, "%s/%s.log", dir, fault ? fault : tls ? "tls" : "plain");
    if (testkit_start_server(&s->proc, argv, log, "listening on port ", 15000, err,
                             sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", bin, err);
        return -1;
    }
    char ws[64];
    snprintf(ws, sizeof ws, "%s://127.0.0.1:%d", tls ? "wss" : "ws", s->proc.port);
    env_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.dashboard_url = ws;
    cfg.jwt_secret = SECRET;
    cfg.bot_source = "bot-1";
    s->env = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof err);
    if (!s->env) {
        fprintf(stderr, "external driver: %s\n", err);
        spawn_stop(&s->proc, SIGTERM, 2000);
        return -1;
    }
    ctx->env = s->env;
    return 0;
}

static void sut_stop(sut *s)
{
    envdriver_free(s->env);
    ctx->env = NULL;
    spawn_stop(&s->proc, SIGTERM, 3000);
}

typedef check_result (*check_fn)(const suite_ctx *, char *, size_t);

/* fn must end as want, its message containing has (when not NULL). */
static void expect(check_fn fn, const char *name, check_result want, const char *has)
{
    char msg[4000], m[4300];
    check_result r = fn(ctx, msg, sizeof msg);
    if (r != want || (has && !strstr(msg, has))) {
        snprintf(m, sizeof m, "%s: want %s%s%s, got %s: %s", name,
                 want == CHECK_PASS ? "pass" : want == CHECK_FAIL ? "fail" : "skip",
                 has ? " saying " : "", has ? has : "",
                 r == CHECK_PASS ? "pass" : r == CHECK_FAIL ? "fail" : "skip", msg);
        fprintf(stderr, "\n    %s\n", m);
        CU_FAIL(m);
    } else {
        printf("\n    %s: %.300s", name, msg);
    }
}

static void test_tls_dashboard_passes(void)
{
    sut s;
    CU_ASSERT_FATAL(sut_start(&s, 1, NULL) == 0);
    expect(security_check_tls_versions, "tls_versions", CHECK_PASS, "TLS 1.2 served");
    expect(security_check_tls_wrong_ca, "tls_wrong_ca", CHECK_PASS,
           "certificate verification error");
    expect(security_check_tls_plaintext, "tls_plaintext", CHECK_PASS, "without an answer");
    /* catalogue cases over wss://: the mask check sees the decrypted bytes */
    char msg[4000];
    check_result r = security_run_named(ctx, "unmasked_text,unmasked_ping,length_2_63,"
                                        "invalid_utf8,token_alg_none,path_traversal",
                                        msg, sizeof msg);
    if (r != CHECK_PASS) {
        fprintf(stderr, "\n    catalogue cases over wss://: %s\n", msg);
        CU_FAIL(msg);
    }
    /* https:// through the harness's HTTP client */
    char url[128], err[300];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/health", s.proc.port);
    httpc_response h;
    CU_ASSERT_EQUAL(httpc_get(url, 3000, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL(h.status, 200);
    httpc_response_free(&h);
    sut_stop(&s);
}

static void test_tls1_accepted_fails(void)
{
    sut s;
    CU_ASSERT_FATAL(sut_start(&s, 1, "tls1") == 0);
    expect(security_check_tls_versions, "tls_versions vs tls1", CHECK_FAIL,
           "a client offering TLS 1.1 at most was served (negotiated TLSv1.1)");
    sut_stop(&s);
}

static void test_wrong_ca_is_right_fails(void)
{
    sut s;
    CU_ASSERT_FATAL(sut_start(&s, 1, NULL) == 0);
    const char *keep = ctx->wrong_ca_file;
    ctx->wrong_ca_file = ca; /* the switch: the "wrong" CA signed the server */
    expect(security_check_tls_wrong_ca, "tls_wrong_ca vs the right CA", CHECK_FAIL,
           "was served");
    ctx->wrong_ca_file = keep;
    sut_stop(&s);
}

static void test_plaintext_served_fails(void)
{
    sut s;
    CU_ASSERT_FATAL(sut_start(&s, 1, "tls_plain") == 0);
    expect(security_check_tls_plaintext, "tls_plaintext vs tls_plain", CHECK_FAIL,
           "to the TLS port was answered");
    sut_stop(&s);
}

static void test_plain_dashboard_skips(void)
{
    sut s;
    CU_ASSERT_FATAL(sut_start(&s, 0, NULL) == 0);
    expect(security_check_tls_versions, "tls_versions on ws://", CHECK_SKIP,
           "not served over TLS");
    expect(security_check_tls_wrong_ca, "tls_wrong_ca on ws://", CHECK_SKIP,
           "not served over TLS");
    expect(security_check_tls_plaintext, "tls_plaintext on ws://", CHECK_SKIP,
           "not served over TLS");
    sut_stop(&s);
}

static CU_TestInfo tests[] = {
    {"tls_dashboard_passes", test_tls_dashboard_passes},
    {"tls1_accepted_fails", test_tls1_accepted_fails},
    {"wrong_ca_is_right_fails", test_wrong_ca_is_right_fails},
    {"plaintext_served_fails", test_plaintext_served_fails},
    {"plain_dashboard_skips", test_plain_dashboard_skips},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"security_tls", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    char err[512], cmd[400];
    ctr = contract_load("schemas", err, sizeof err);
    if (!ctr) {
        fprintf(stderr, "contract: %s\n", err);
        return 1;
    }
    if (!testkit_mkdtemp(dir, sizeof dir, "sec-tls"))
        return 1;
    /* before CUnit runs (testkit_run_cmd asserts): its output goes to stderr */
    snprintf(cmd, sizeof cmd, "timeout 60 sh docker/gen-test-ca.sh %s >&2", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "docker/gen-test-ca.sh %s failed (see above)\n", dir);
        return 1;
    }
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(other_ca, sizeof other_ca, "%s/other-ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    httpc_set_ca_file(ca);
    rawws_set_ca_file(ca);
    ctx = suitekit_ctx();
    ctx->contract = ctr;
    ctx->suite_name = "security";
    ctx->jwt_secret = SECRET;
    ctx->bot_source = "bot-1";
    ctx->ca_file = ca;
    ctx->wrong_ca_file = other_ca;
    suitekit_set_secret(SECRET, "security-test");
    int rc = testkit_run(suites, argc > 1 ? argv[1] : NULL);
    if (rc == 0)
        testkit_rmtree(dir);
    else
        fprintf(stderr, "server logs kept in %s\n", dir);
    httpc_set_ca_file(NULL);
    rawws_set_ca_file(NULL);
    contract_free(ctr);
    return rc;
}
