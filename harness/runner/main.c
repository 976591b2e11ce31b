/* wsb-harness: the wsbridge test runner's command line (see harness_cli.md
 * and --help). Picks the environment (native processes, the compose
 * project's containers, or an external system given by URLs), mints the
 * tokens, runs the selected suites through the runner and leaves the result
 * directory: test_summary.json, test_report.md, junit.xml, one log per suite,
 * services/ and metrics/. Exit 0 only when every selected suite passed. */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "contract.h"
#include "envdriver.h"
#include "httpc.h"
#include "jwt.h"
#include "registry.h"
#include "results.h"
#include "runner.h"
#include "wlog.h"
#include "wparse.h"

#define MAX_LIST 64
#define NATIVE_BOT_RATE 100.0 /* trading events per second, native mode */
#define NATIVE_BOT_QUEUE 10000

static volatile sig_atomic_t interrupted;
static struct timespec first_signal; /* written by on_signal only */

static void on_signal(int sig)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (interrupted) {
        /* One Ctrl-C arrives twice under `timeout --foreground` (as
           run_all_tests.sh runs us): from the terminal and forwarded by
           timeout. Only a second signal a moment later means "leave now". */
        double dt = (double)(now.tv_sec - first_signal.tv_sec) +
                    (double)(now.tv_nsec - first_signal.tv_nsec) / 1e9;
        if (dt < 1.0)
            return;
        /* PR_SET_PDEATHSIG takes the children along */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    first_signal = now;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsb-harness [options]\n"
            "Runs the wsbridge test suites and writes a result directory.\n\n"
            "Environment (one of):\n"
            "  --native                start wsb-dashboard and wsb-bot locally on free ports\n"
            "                          (the default without --docker or --dashboard-url)\n"
            "  --docker                the compose project's containers (Docker Engine API);\n"
            "  --compose-project NAME  [COMPOSE_PROJECT_NAME]\n"
            "  --dashboard-url ws://H:P  --bot-status-url http://H:P   an already running system\n"
            "Selection:\n"
            "  --suite NAME            repeatable; else RUN_CONNECTIVITY, RUN_MESSAGE_FLOW,\n"
            "                          RUN_FAULT_TOLERANCE, RUN_LOAD_TESTS, RUN_INTEGRATION,\n"
            "                          RUN_PERFORMANCE, RUN_SECURITY (true by default)\n"
            "  --test NAME             only tests matching (glob; name, suite/name); repeatable\n"
            "  --list                  list suites and tests\n"
            "  --profile short|full    suite sizes [WSB_PROFILE] (full)\n"
            "Output:\n"
            "  --results DIR           result directory (default results/full_suite_<UTC time>)\n"
            "  -v, --verbose           suite output on the console too\n"
            "Auth and files:\n"
            "  --jwt-secret S          [WSB_JWT_SECRET, DASHBOARD_JWT_SECRET] mint tokens\n"
            "  --publisher-token T --subscriber-token T   ready tokens instead\n"
            "  --ca-file F             CA for wss://\n"
            "  --schemas DIR           [WSB_SCHEMAS] (schemas)\n"
            "  --bin-dir DIR           where wsb-dashboard and wsb-bot are (build/bin)\n"
            "  --suite-timeout S       watchdog per suite in seconds (600)\n"
            "  --test-timeout S        a test running longer is killed and failed, and its\n"
            "                          suite goes on with the next test (0: off, default)\n"
            "Sizes (environment): WSB_CONCURRENT_CONNECTIONS, WSB_RAMP_CEILING, WSB_RAMP_STEP,\n"
            "  WSB_FLOW_MESSAGES, WSB_FLOW_SUBSCRIBERS, WSB_DURATION_S, WSB_BOT_SOURCE (bot-1)\n"
            "Native services (environment): WSB_BOT_RATE (100/s), WSB_BOT_QUEUE_SIZE (10000),\n"
            "  WSB_HISTORY_SIZE; SYSTEM__WEBSOCKET_* and LOG_LEVEL pass through to the bot\n"
            "  WSB_HEALTH_TIMEOUT (s, 30): how long an external or docker dashboard may take\n"
            "  to answer /health before the run fails\n"
            "Exit status: 0 when every selected suite passed, 1 when one failed, 2 on usage\n"
            "errors, 130 when interrupted.\n");
}

enum {
    O_NATIVE = 256,
    O_DOCKER,
    O_COMPOSE,
    O_DASH_URL,
    O_BOT_URL,
    O_RESULTS,
    O_SUITE,
    O_TEST,
    O_LIST,
    O_PROFILE,
    O_SECRET,
    O_PUB_TOKEN,
    O_SUB_TOKEN,
    O_CA,
    O_SCHEMAS,
    O_BIN,
    O_TIMEOUT,
    O_TEST_TIMEOUT,
    O_HELP,
};

static const struct option long_opts[] = {
    {"native", no_argument, NULL, O_NATIVE},
    {"docker", no_argument, NULL, O_DOCKER},
    {"compose-project", required_argument, NULL, O_COMPOSE},
    {"dashboard-url", required_argument, NULL, O_DASH_URL},
    {"bot-status-url", required_argument, NULL, O_BOT_URL},
    {"results", required_argument, NULL, O_RESULTS},
    {"suite", required_argument, NULL, O_SUITE},
    {"test", required_argument, NULL, O_TEST},
    {"list", no_argument, NULL, O_LIST},
    {"profile", required_argument, NULL, O_PROFILE},
    {"jwt-secret", required_argument, NULL, O_SECRET},
    {"publisher-token", required_argument, NULL, O_PUB_TOKEN},
    {"subscriber-token", required_argument, NULL, O_SUB_TOKEN},
    {"ca-file", required_argument, NULL, O_CA},
    {"schemas", required_argument, NULL, O_SCHEMAS},
    {"bin-dir", required_argument, NULL, O_BIN},
    {"suite-timeout", required_argument, NULL, O_TIMEOUT},
    {"test-timeout", required_argument, NULL, O_TEST_TIMEOUT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    long long n;
    if (wparse_long(v, 1, 100000000, &n, NULL, 0) < 0) {
        wlog_warn("%s=\"%s\" ignored: expected a positive integer", name, v);
        return def;
    }
    return (int)n;
}

static double env_double(const char *name, double def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    double n;
    if (wparse_double(v, DBL_MIN, DBL_MAX, &n, NULL, 0) < 0) {
        wlog_warn("%s=\"%s\" ignored: expected a positive number", name, v);
        return def;
    }
    return n;
}

static int make_profile(const char *name, suite_profile *p)
{
    if (strcmp(name, "short") == 0) {
        *p = (suite_profile){"short", 100, 400, 100, 200, 3, 3.0};
    } else if (strcmp(name, "full") == 0) {
        *p = (suite_profile){"full", 500, 5000, 500, 2000, 5, 30.0};
    } else {
        return -1;
    }
    p->concurrent_conns = env_int("WSB_CONCURRENT_CONNECTIONS", p->concurrent_conns);
    p->ramp_ceiling = env_int("WSB_RAMP_CEILING", p->ramp_ceiling);
    p->ramp_step = env_int("WSB_RAMP_STEP", p->ramp_step);
    p->flow_messages = env_int("WSB_FLOW_MESSAGES", p->flow_messages);
    p->flow_subscribers = env_int("WSB_FLOW_SUBSCRIBERS", p->flow_subscribers);
    p->duration_s = env_double("WSB_DURATION_S", p->duration_s);
    return 0;
}

/* results/full_suite_YYYYMMDD_HHMMSS, with _2, _3 ... when taken. */
static void default_results_dir(char *out, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
    snprintf(out, len, "results/full_suite_%s", stamp);
    struct stat st;
    for (int i = 2; stat(out, &st) == 0 && i < 1000; i++)
        snprintf(out, len, "results/full_suite_%s_%d", stamp, i);
}

static char *random_secret(void)
{
    unsigned char b[24];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return NULL;
    char *s = malloc(sizeof(b) * 2 + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < sizeof(b); i++)
        sprintf(s + 2 * i, "%02x", b[i]);
    return s;
}

int main(int argc, char **argv)
{
    wlog_init("wsb-harness");
    int mode_native = 0, mode_docker = 0, list = 0, verbose = 0;
    const char *compose = NULL, *dash_url = NULL, *bot_url = NULL, *results_arg = NULL;
    const char *profile_name = getenv("WSB_PROFILE");
    const char *secret = NULL, *pub_token = NULL, *sub_token = NULL, *ca_file = NULL;
    const char *schemas = NULL, *bin_dir = "build/bin";
    double suite_timeout = 600, test_timeout = 0;
    const char *suites[MAX_LIST], *tests[MAX_LIST];
    size_t nsuites = 0, ntests = 0;

    int c;
    while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
        switch (c) {
        case O_NATIVE:
            mode_native = 1;
            break;
        case O_DOCKER:
            mode_docker = 1;
            break;
        case O_COMPOSE:
            compose = optarg;
            break;
        case O_DASH_URL:
            dash_url = optarg;
            break;
        case O_BOT_URL:
            bot_url = optarg;
            break;
        case O_RESULTS:
            results_arg = optarg;
            break;
        case O_SUITE:
            if (nsuites == MAX_LIST) {
                fprintf(stderr, "wsb-harness: too many --suite\n");
                return 2;
            }
            suites[nsuites++] = optarg;
            break;
        case O_TEST:
            if (ntests == MAX_LIST) {
                fprintf(stderr, "wsb-harness: too many --test\n");
                return 2;
            }
            tests[ntests++] = optarg;
            break;
        case O_LIST:
            list = 1;
            break;
        case O_PROFILE:
            profile_name = optarg;
            break;
        case O_SECRET:
            secret = optarg;
            break;
        case O_PUB_TOKEN:
            pub_token = optarg;
            break;
        case O_SUB_TOKEN:
            sub_token = optarg;
            break;
        case O_CA:
            ca_file = optarg;
            break;
        case O_SCHEMAS:
            schemas = optarg;
            break;
        case O_BIN:
            bin_dir = optarg;
            break;
        case O_TIMEOUT:
            if (wparse_double(optarg, DBL_MIN, DBL_MAX, &suite_timeout, NULL, 0) < 0) {
                fprintf(stderr, "wsb-harness: --suite-timeout: expected seconds > 0\n");
                return 2;
            }
            break;
        case O_TEST_TIMEOUT:
            if (wparse_double(optarg, 0, DBL_MAX, &test_timeout, NULL, 0) < 0) {
                fprintf(stderr, "wsb-harness: --test-timeout: expected seconds >= 0\n");
                return 2;
            }
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "wsb-harness: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (verbose)
        wlog_set_level(WLOG_DEBUG);
    if (list) {
        runner_list(registry_suites, registry_count, stdout);
        return 0;
    }
    if (mode_native + mode_docker > 1) {
        fprintf(stderr, "wsb-harness: --native and --docker exclude each other\n");
        return 2;
    }
    if (mode_native && dash_url) {
        fprintf(stderr, "wsb-harness: --native starts its own dashboard: drop --dashboard-url\n");
        return 2;
    }
    suite_profile profile;
    if (make_profile(profile_name && *profile_name ? profile_name : "full", &profile) < 0) {
        fprintf(stderr, "wsb-harness: --profile: expected short or full\n");
        return 2;
    }
    runner_selection sel[64];
    char err[1024];
    if (registry_count > 64 || runner_select(registry_suites, registry_count, suites, nsuites, sel,
                                             err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-harness: %s\n", err);
        return 2;
    }
    if (ntests) {
        int any = 0;
        for (size_t i = 0; i < registry_count; i++) {
            const suite_def *d = registry_suites[i].def;
            if (sel[i] == RUNNER_UNSELECTED || !d)
                continue;
            for (CU_TestInfo *t = d->tests; t && t->pName; t++)
                any |= runner_test_matches(d->name, t->pName, tests, ntests);
        }
        if (!any) {
            fprintf(stderr, "wsb-harness: no test of the selected suites matches --test\n");
            return 2;
        }
    }

    /* tokens */
    if (!secret || !*secret)
        secret = getenv("WSB_JWT_SECRET");
    if (!secret || !*secret)
        secret = getenv("DASHBOARD_JWT_SECRET");
    const char *mode = mode_docker ? "docker" : (dash_url ? "external" : "native");
    char *own_secret = NULL;
    if ((!secret || !*secret) && strcmp(mode, "native") == 0 && !pub_token && !sub_token) {
        own_secret = random_secret(); /* our own dashboard: any secret will do */
        secret = own_secret;
    }
    if (secret && !*secret)
        secret = NULL;
    const char *bot_source = getenv("WSB_BOT_SOURCE");
    if (!bot_source || !*bot_source)
        bot_source = "bot-1";
    char *minted_pub = NULL, *minted_sub = NULL;
    if (secret) {
        if (!pub_token)
            pub_token = minted_pub = jwt_sign(secret, bot_source, "publisher", 24 * 3600);
        if (!sub_token)
            sub_token = minted_sub = jwt_sign(secret, "wsb-harness", "subscriber", 24 * 3600);
        if (!pub_token || !sub_token) {
            fprintf(stderr, "wsb-harness: cannot mint tokens\n");
            return 2;
        }
    } else if (!pub_token || !sub_token) {
        wlog_warn("no --jwt-secret and not both tokens: tests needing the missing token skip");
    }

    /* result directory */
    char resdir[1024];
    if (results_arg)
        snprintf(resdir, sizeof(resdir), "%s", results_arg);
    else
        default_results_dir(resdir, sizeof(resdir));
    char sub[1100];
    if (results_mkdirs(resdir, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-harness: %s\n", err);
        return 2;
    }
    snprintf(sub, sizeof(sub), "%s/services", resdir);
    results_mkdirs(sub, err, sizeof(err));
    snprintf(sub, sizeof(sub), "%s/metrics", resdir);
    results_mkdirs(sub, err, sizeof(err));

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    httpc_set_ca_file(ca_file); /* /health and the status endpoints over https:// too */

    const char *schemas_dir = contract_default_dir(schemas);
    contract *ct = contract_load(schemas_dir, err, sizeof(err));
    if (!ct) {
        fprintf(stderr, "wsb-harness: cannot load the contract from %s: %s\n", schemas_dir, err);
        return 2;
    }

    /* environment */
    env_config cfg = {0};
    cfg.results_dir = resdir;
    cfg.bin_dir = bin_dir;
    cfg.schemas_dir = schemas_dir;
    cfg.jwt_secret = secret;
    cfg.bot_source = bot_source;
    /* native defaults: a brisk bot (the flow tests wait for its messages) and
       a queue that covers outages of rate x queue / rate = 100 s */
    cfg.bot_rate = env_double("WSB_BOT_RATE", NATIVE_BOT_RATE);
    cfg.bot_queue_size = env_int("WSB_BOT_QUEUE_SIZE",
                                 getenv("SYSTEM__WEBSOCKET_QUEUE_SIZE") ? 0 : NATIVE_BOT_QUEUE);
    cfg.history_size = env_int("WSB_HISTORY_SIZE", 0);
    cfg.dashboard_url = dash_url;
    cfg.bot_status_url = bot_url;
    cfg.compose_project = compose;
    int need_env = 0;
    for (size_t i = 0; i < registry_count; i++)
        need_env |= sel[i] != RUNNER_UNSELECTED && registry_suites[i].def != NULL;
    envdriver *env = NULL;
    char env_err[1024] = "";
    if (need_env) {
        fprintf(stdout, "wsb-harness: %s environment, profile %s, results in %s\n", mode,
                profile.name, resdir);
        fflush(stdout);
        if (strcmp(mode, "docker") == 0)
            env = envdriver_docker_new(&cfg, env_err, sizeof(env_err));
        else if (strcmp(mode, "external") == 0)
            env = envdriver_external_new(&cfg, env_err, sizeof(env_err));
        else
            env = envdriver_native_new(&cfg, env_err, sizeof(env_err));
        if (env && strcmp(mode, "native") != 0) {
            /* a system we did not start: make sure it answers before judging it */
            int tmo = env_int("WSB_HEALTH_TIMEOUT", 30);
            char herr[700];
            if (envdriver_wait_healthy(env, ENV_DASHBOARD, tmo * 1000, herr, sizeof(herr)) < 0) {
                snprintf(env_err, sizeof(env_err), "%s", herr);
                envdriver_free(env);
                env = NULL;
            }
        }
        if (!env)
            wlog_error("environment: %s", env_err);
        else
            fprintf(stdout, "wsb-harness: dashboard %s%s%s\n", env->dashboard_url,
                    env->bot_status_url[0] ? ", bot status " : "", env->bot_status_url);
    }

    runner_opts o = {0};
    o.results_dir = resdir;
    o.tests = tests;
    o.ntests = ntests;
    o.suite_timeout_s = suite_timeout;
    o.test_timeout_s = test_timeout;
    o.verbose = verbose;
    o.progress = isatty(STDOUT_FILENO);
    o.console = stdout;
    o.ctx.env = env;
    o.ctx.contract = ct;
    o.ctx.results_dir = resdir;
    o.ctx.profile = profile;
    o.ctx.jwt_secret = secret;
    o.ctx.publisher_token = pub_token;
    o.ctx.subscriber_token = sub_token;
    o.ctx.ca_file = ca_file;
    o.ctx.bot_source = bot_source;
    o.env_error = need_env && !env ? env_err : NULL;
    o.interrupted = &interrupted;

    results_run *run = results_run_new(mode, profile.name, resdir);
    results_run_set_env(run, env ? env->dashboard_url : cfg.dashboard_url,
                        env ? env->bot_status_url : cfg.bot_status_url, o.env_error);
    int rc = runner_run(registry_suites, registry_count, sel, &o, run);
    envdriver_free(env); /* stops what the native driver started */

    results_totals t = results_count(run);
    int suites_by[RESULTS_NOT_AVAILABLE + 1] = {0};
    for (size_t i = 0; i < run->nsuites; i++)
        if (run->suites[i].status <= RESULTS_NOT_AVAILABLE)
            suites_by[run->suites[i].status]++;
    printf("wsb-harness: %s: suites %d passed, %d failed, %d not available; "
           "tests %d passed, %d failed, %d skipped (%.1f s)\n",
           rc == 0 ? "PASSED" : "FAILED", suites_by[RESULTS_PASSED], suites_by[RESULTS_FAILED],
           suites_by[RESULTS_NOT_AVAILABLE], t.passed, t.failed, t.skipped, run->duration_s);
    printf("wsb-harness: results in %s\n", resdir);
    int was_interrupted = run->interrupted || interrupted;
    results_run_free(run);
    contract_free(ct);
    free(minted_pub);
    free(minted_sub);
    free(own_secret);
    if (was_interrupted)
        return 130;
    return rc;
}
