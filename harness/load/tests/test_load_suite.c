/* test_load_suite: the load suite's checks against dashboards that break one
 * rule each, and against the well-behaved ones.
 *
 * faulty-dashboard --fault drop / dup / reorder (one message of every source)
 * must fail basic naming missing, duplicated or out-of-order messages;
 * drop every 50th must fail concurrent (messages missing) and
 * --max-connections 97 (publishers refused) must fail it too, and a
 * delivery_rate budget no bridge can meet must breach it; accept_bad_token
 * and no_1009 must fail errors; wsb-dashboard --max-connections 150 must fail
 * capacity at 200 connections; cmd_drop (the 5th and every 50th command unanswered) must
 * fail commands naming the lost commands; drop every 50th must breach the
 * burst scenario's delivery_rate (a BREACH, not a FAIL), stall must put stress's breaking point at
 * its first level, resume_repeat must unbalance the intermittent ledger
 * (repeats after each resume). With --fault none, and against wsb-dashboard,
 * every check passes. */
#include "load_tests.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "jwt.h"
#include "suitekit.h"
#include "testkit.h"
#include "threshold.h"

#define SECRET "load-suite-secret"

static suite_ctx *ctx; /* suitekit_ctx(), set in main */
static const char *generate; /* faulty-dashboard's --generate rate (its bot-1), NULL: none */

/* ---- a check against a server ---- */

typedef check_result (*check_fn)(const suite_ctx *, char *, size_t);

/* Starts the server (faulty-dashboard when fault, else wsb-dashboard with
 * extra flags), runs check, and asserts its result (and, for a FAIL, that
 * the message names want). */
static void expect(const char *fault, const char *every, const char *max_conns, check_fn check,
                   check_result want_r, const char *want, int line)
{
    char bin[512], log[600], err[512];
    char *argv[20];
    int a = 0;
    if (fault) {
        testkit_test_bin_path("faulty-dashboard", bin, sizeof bin);
        argv[a++] = bin;
        argv[a++] = "--fault";
        argv[a++] = (char *)fault;
        argv[a++] = "--schemas";
        argv[a++] = "schemas";
        if (every) {
            argv[a++] = "--fault-every";
            argv[a++] = (char *)every;
        } else {
            argv[a++] = "--fault-at";
            argv[a++] = "3";
        }
        if (generate) {
            argv[a++] = "--generate";
            argv[a++] = (char *)generate;
        }
    } else {
        testkit_bin_path("wsb-dashboard", bin, sizeof bin);
        argv[a++] = bin;
        argv[a++] = "--host";
        argv[a++] = "127.0.0.1";
        if (max_conns) {
            argv[a++] = "--max-connections";
            argv[a++] = (char *)max_conns;
        }
    }
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--jwt-secret";
    argv[a++] = SECRET;
    argv[a] = NULL;
    snprintf(log, sizeof log, "%s/load-suite-%s.log", testkit_build_dir(), fault ? fault : "real");
    spawn_proc p;
    int port = testkit_start_server(&p, argv, log, fault ? "PORT " : "listening on port ", 15000,
                                    err, sizeof err);
    if (port < 0)
        fprintf(stderr, "server: %s\n", err);
    CU_ASSERT_FATAL(port > 0);
    char ws[64];
    snprintf(ws, sizeof ws, "ws://127.0.0.1:%d", port);
    env_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.dashboard_url = ws;
    cfg.jwt_secret = SECRET;
    cfg.bot_source = "bot-1";
    char status[64];
    snprintf(status, sizeof status, "http://127.0.0.1:%d", port);
    if (fault && generate)
        cfg.bot_status_url = status; /* the generator's bot-like /status */
    ctx->env = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof err);
    CU_ASSERT_FATAL(ctx->env != NULL);
    char msg[2048] = "";
    check_result r = check(ctx, msg, sizeof msg);
    printf("\n      %s%s: %s", fault ? "--fault " : "wsb-dashboard", fault ? fault : "", msg);
    CU_assertImplementation(r == want_r, (unsigned)line, msg, __FILE__, "", CU_FALSE);
    if ((want_r == CHECK_FAIL || want_r == CHECK_BREACH) && want)
        CU_assertImplementation(strstr(msg, want) != NULL, (unsigned)line, want, __FILE__, "",
                                CU_FALSE);
    envdriver_free(ctx->env);
    ctx->env = NULL;
    spawn_stop(&p, SIGTERM, 3000);
}

static void test_basic(void)
{
    expect("none", NULL, NULL, load_tests_check_basic, CHECK_PASS, NULL, __LINE__);
    expect("drop", NULL, NULL, load_tests_check_basic, CHECK_FAIL, "missing", __LINE__);
    expect("dup", NULL, NULL, load_tests_check_basic, CHECK_FAIL, "duplicated", __LINE__);
    expect("reorder", NULL, NULL, load_tests_check_basic, CHECK_FAIL, "out of order",
           __LINE__);
}

static void test_concurrent(void)
{
    expect(NULL, NULL, NULL, load_tests_check_concurrent, CHECK_PASS, NULL, __LINE__);
    expect("drop", "50", NULL, load_tests_check_concurrent, CHECK_FAIL, "missing", __LINE__);
    /* 97 connections allowed: the publishers, who connect last, are refused */
    expect(NULL, NULL, "97", load_tests_check_concurrent, CHECK_FAIL,
           "the publishers sent nothing", __LINE__);
    /* the run's budgets are judged here: one no bridge can meet is breached */
    threshold_set tight;
    threshold_set_defaults(&tight);
    threshold_set_freeze(&tight);
    CU_ASSERT_EQUAL_FATAL(threshold_set_add(&tight, "delivery_rate: rate>1", NULL, 0), 0);
    ctx->thresholds = &tight;
    expect(NULL, NULL, NULL, load_tests_check_concurrent, CHECK_BREACH,
           "delivery_rate: rate>1 breached", __LINE__);
    ctx->thresholds = NULL;
}

static void test_capacity(void)
{
    expect(NULL, NULL, NULL, load_tests_check_capacity, CHECK_PASS, NULL, __LINE__);
    expect(NULL, NULL, "150", load_tests_check_capacity, CHECK_FAIL, "at 200 connections",
           __LINE__);
}

static void test_errors(void)
{
    expect(NULL, NULL, NULL, load_tests_check_errors, CHECK_PASS, NULL, __LINE__);
    expect("accept_bad_token", NULL, NULL, load_tests_check_errors, CHECK_FAIL, "bad token",
           __LINE__);
    expect("no_1009", NULL, NULL, load_tests_check_errors, CHECK_FAIL, "oversize", __LINE__);
}

static void test_commands(void)
{
    generate = "5";
    expect("none", NULL, NULL, load_tests_check_commands, CHECK_PASS, NULL, __LINE__);
    expect("cmd_drop", "50", NULL, load_tests_check_commands, CHECK_FAIL,
           "3 of 100 commands never got a command_ack \"done\"", __LINE__);
    generate = NULL;
}

static void test_scenarios(void)
{
    expect(NULL, NULL, NULL, load_tests_check_scenarios, CHECK_PASS, NULL, __LINE__);
    expect("drop", "50", NULL, load_tests_check_scenarios, CHECK_BREACH,
           "burst: threshold delivery_rate: rate>=0.999 BREACHED", __LINE__);
    expect("stall", NULL, NULL, load_tests_check_scenarios, CHECK_FAIL, "breaking point",
           __LINE__);
    expect("resume_repeat", NULL, NULL, load_tests_check_scenarios, CHECK_FAIL,
           "intermittent: ledger NOT balanced", __LINE__);
}

static int init(void)
{
    ctx->jwt_secret = SECRET;
    ctx->suite_name = "load_tests";
    ctx->profile = (suite_profile){"short", 100, 200, 100, 200, 3, 2.0};
    return 0;
}

static CU_TestInfo tests[] = {
    {"basic", test_basic},
    {"concurrent", test_concurrent},
    {"capacity", test_capacity},
    {"errors", test_errors},
    {"commands", test_commands},
    {"scenarios", test_scenarios},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"load_tests checks against faulty dashboards", init, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    ctx = suitekit_ctx();
    suitekit_set_secret(SECRET, "load-tests");
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
