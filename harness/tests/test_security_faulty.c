/* test_security_faulty: proves the security suite's checks (suites/security*.c)
 * pass against the real dashboard and fail, naming the case and what
 * happened, against a dashboard with the old behaviour.
 *
 *   - a malformed case file is an error naming the file and the line;
 *   - every group passes against wsb-dashboard (each case and its liveness
 *     probe), so a check that always fails cannot hide;
 *   - faulty-dashboard (harness/testkit/faulty_dashboard.c), which has what
 *     libwebsockets 4.1.6 does on its own (the old dashboard's behaviour):
 *     it accepts unmasked client frames, Sec-WebSocket-Version 8, close code
 *     5000, a GET with a body and a frame header declaring 4 GiB (held
 *     until its payload comes): those cases fail, naming what happened;
 *   - faulty-dashboard --fault accept_bad_token (alg none, bad signatures
 *     accepted): the token cases fail ("accepted (want HTTP 401)");
 *   - faulty-dashboard --fault stall (a loop that blocks): the liveness probe
 *     after a case fails ("no longer serves").
 * The checks run through suitekit (the suite API without the runner) with an
 * external environment driver pointed at the server. */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "security.h"
#include "spawn.h"
#include "suitekit.h"
#include "testkit.h"

#define SECRET "security-test-secret"

static suite_ctx *ctx;
static contract *ctr;
static char logdir[64];

typedef struct sut {
    spawn_proc proc;
    envdriver *env;
} sut;

/* Starts the real dashboard (faulty == NULL) or faulty-dashboard --fault faulty. */
static int sut_start(sut *s, const char *faulty, const char *stall_ms)
{
    char bin[512], err[512], log[256];
    char *argv[16];
    int a = 0;
    if (faulty)
        testkit_test_bin_path("faulty-dashboard", bin, sizeof bin);
    else
        testkit_bin_path("wsb-dashboard", bin, sizeof bin);
    argv[a++] = bin;
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--jwt-secret";
    argv[a++] = SECRET;
    argv[a++] = "--schemas";
    argv[a++] = "schemas";
    if (faulty) {
        argv[a++] = "--fault";
        argv[a++] = (char *)faulty;
        if (stall_ms) {
            argv[a++] = "--stall-ms";
            argv[a++] = (char *)stall_ms;
        }
    } else {
        argv[a++] = "--handshake-timeout";
        argv[a++] = "2";
    }
    argv[a] = NULL;
    snprintf(log, sizeof log, "%s/%s.log", logdir, faulty ? faulty : "dashboard");
    if (testkit_start_server(&s->proc, argv, log, faulty ? "PORT " : "listening on port ", 15000,
                             err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", bin, err);
        return -1;
    }
    char ws[64], http[64];
    snprintf(ws, sizeof ws, "ws://127.0.0.1:%d", s->proc.port);
    snprintf(http, sizeof http, "http://127.0.0.1:%d", s->proc.port);
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

/* ---- the catalogue ---- */

static void expect_malformed(const char *text, const char *want)
{
    char dir[256], path[300], err[600];
    CU_ASSERT_PTR_NOT_NULL_FATAL(testkit_mkdtemp(dir, sizeof dir, "sec-cat"));
    snprintf(path, sizeof path, "%s/bad_one.case", dir);
    testkit_write_file(path, text);
    sec_catalogue cat;
    int rc = security_catalogue_load(dir, &cat, err, sizeof err);
    CU_ASSERT_EQUAL(rc, -1);
    if (rc == 0) {
        security_catalogue_free(&cat);
    } else if (!strstr(err, want) || !strstr(err, "bad_one.case")) {
        char m[900];
        snprintf(m, sizeof m, "want \"%s\" naming bad_one.case, got: %s", want, err);
        CU_FAIL(m);
    }
    testkit_rmtree(dir);
}

#define HEAD "group framing\nabout x\nendpoints /ws\n"

static void test_catalogue_malformed(void)
{
    expect_malformed(HEAD "upgrade\nframe mask=0 text:x\nexpect close 1002\nbogus 1\n",
                     "bad_one.case:7: unknown key \"bogus\"");
    expect_malformed(HEAD "upgrade\nframe text:x\nexpect closed-ish\n", ":6: expect is");
    expect_malformed(HEAD "upgrade\nframe hex:zz\nexpect closed\n", "step 2: bad hex");
    expect_malformed(HEAD "upgrade\nframe text:{NOPE}\nexpect closed\n",
                     "unknown template {NOPE}");
    expect_malformed(HEAD "upgrade\nframe mask=2 text:x\nexpect closed\n", ":5: frame: bad mask=2");
    expect_malformed(HEAD "upgrade\nframe text:x\n", "no \"expect\" line");
    expect_malformed("group framing\nabout x\nupgrade\nexpect closed\n", "no \"endpoints\" line");
    expect_malformed(HEAD "token forge HS384 {} {}\nupgrade\nexpect http 401\n", "token forge");
    expect_malformed(HEAD "frame text:x\nexpect open\n", "needs an upgrade step first");
    /* and the shipped catalogue loads */
    sec_catalogue cat;
    char err[600];
    int rc = security_catalogue_load(security_cases_dir(), &cat, err, sizeof err);
    if (rc)
        CU_FAIL(err);
    CU_ASSERT(rc == 0 && cat.n >= 40);
    if (!rc)
        security_catalogue_free(&cat);
}

/* ---- against servers ---- */

typedef check_result (*check_fn)(const suite_ctx *, char *, size_t);

static void test_real_dashboard_passes(void)
{
    static const struct {
        const char *name;
        check_fn fn;
    } checks[] = {
        {"catalogue", security_check_catalogue}, {"framing", security_check_framing},
        {"handshake", security_check_handshake}, {"tokens", security_check_tokens},
        {"contract", security_check_contract},   {"floods", security_check_floods},
    };
    sut s;
    CU_ASSERT_FATAL(sut_start(&s, NULL, NULL) == 0);
    /* a publisher as the bot, so that commands have a target (command_flood) */
    char err[512], src[64];
    int64_t last = 0;
    wsclient *c = bridge_client(ctx, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    wsconn *bot = bridge_publisher(c, ctx, "bot-1", src, sizeof src, &last, 5000, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(bot);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char msg[8000];
        check_result r = checks[i].fn(ctx, msg, sizeof msg);
        if (r != CHECK_PASS) {
            char m[8200];
            snprintf(m, sizeof m, "security %s against wsb-dashboard: %s", checks[i].name, msg);
            printf("\n    %s", m);
            CU_FAIL(m);
        } else {
            printf("\n    %s: %s", checks[i].name, msg);
        }
    }
    if (bot)
        wsconn_free(c, bot);
    wsclient_free(c);
    sut_stop(&s);
}

/* Runs the named cases against faulty-dashboard --fault fault: they must
 * FAIL with every string of want (NULL-terminated) in the message. */
static void expect_caught(const char *fault, const char *stall_ms, const char *cases,
                          const char *const *want)
{
    sut s;
    CU_ASSERT_FATAL(sut_start(&s, fault, stall_ms) == 0);
    char msg[8000];
    check_result r = security_run_named(ctx, cases, msg, sizeof msg);
    printf("\n    --fault %s, %s: %s: %s", fault, cases, r == CHECK_FAIL ? "FAIL" : "not FAIL",
           msg);
    CU_ASSERT_EQUAL(r, CHECK_FAIL);
    for (int i = 0; want[i]; i++)
        if (!strstr(msg, want[i])) {
            char m[8200];
            snprintf(m, sizeof m, "want \"%s\" in: %s", want[i], msg);
            CU_FAIL(m);
        }
    sut_stop(&s);
}

static void test_lws_defaults_accepted(void)
{
    static const char *const want[] = {
        "unmasked_text: still open after 3000 ms: accepted (want close 1002) on /ws",
        "unmasked_text: still open after 3000 ms: accepted (want close 1002) on /ws/stream",
        "wrong_version: upgraded (HTTP 101): accepted (want HTTP 426) on /ws",
        "close_code_5000: closed with 5000 (want close 1002) on /ws/stream",
        "smuggling_cl_te: HTTP 200",
        "length_declared_over_limit: still open after 3000 ms: accepted (want close 1009) on /ws",
        NULL};
    expect_caught("none", NULL,
                  "unmasked_text,wrong_version,close_code_5000,smuggling_cl_te,"
                  "length_declared_over_limit",
                  want);
}

static void test_bad_tokens_accepted(void)
{
    static const char *const want[] = {
        "token_alg_none: upgraded (HTTP 101): accepted (want HTTP 401) on /ws",
        "token_bad_signature: upgraded (HTTP 101): accepted (want HTTP 401) on /ws/stream",
        NULL};
    expect_caught("accept_bad_token", NULL, "token_alg_none,token_bad_signature", want);
}

static void test_stalled_server_fails_probe(void)
{
    /* on /ws or /ws/stream: where the stall first outlasts the probe's bound
     * depends on the machine's timing, and either endpoint names it */
    static const char *const want[] = {"after ping_flood on /ws", "the server no longer serves",
                                       "liveness probe", NULL};
    expect_caught("stall", "2500", "ping_flood", want);
}

static CU_TestInfo tests[] = {
    {"catalogue_malformed", test_catalogue_malformed},
    {"real_dashboard_passes", test_real_dashboard_passes},
    {"lws_defaults_accepted", test_lws_defaults_accepted},
    {"bad_tokens_accepted", test_bad_tokens_accepted},
    {"stalled_server_fails_probe", test_stalled_server_fails_probe},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"security_vs_faulty_peer", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    char err[512];
    ctr = contract_load("schemas", err, sizeof err);
    if (!ctr) {
        fprintf(stderr, "contract: %s\n", err);
        return 1;
    }
    ctx = suitekit_ctx();
    ctx->contract = ctr;
    ctx->suite_name = "security";
    ctx->jwt_secret = SECRET;
    ctx->bot_source = "bot-1";
    suitekit_set_secret(SECRET, "security-test");
    if (!testkit_mkdtemp(logdir, sizeof logdir, "sec-logs"))
        return 1;
    int rc = testkit_run(suites, argc > 1 ? argv[1] : NULL);
    if (rc == 0)
        testkit_rmtree(logdir);
    else
        fprintf(stderr, "server logs kept in %s\n", logdir);
    contract_free(ctr);
    return rc;
}
