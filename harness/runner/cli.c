/* cli: wsb-harness's options, their --help text and their checks, and
 * positive numbers from environment variables (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wlog.h"
#include "wparse.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsb-harness [options]\n"
            "       wsb-harness compare OLD_DIR NEW_DIR [options]   (compare --help)\n"
            "       wsb-harness monitor --dashboard-url ws://H:P [options]   (monitor --help)\n"
            "Runs the wsbridge test suites and writes a result directory; compare judges\n"
            "two result directories' figures; monitor repeats suites against a running\n"
            "system and serves the verdicts on a Prometheus /metrics endpoint.\n\n"
            "Environment (one of):\n"
            "  --native                start wsb-dashboard and wsb-bot locally on free ports\n"
            "                          (the default without --docker or --dashboard-url)\n"
            "  --docker                the compose project's containers (Docker Engine API);\n"
            "  --compose-project NAME  [COMPOSE_PROJECT_NAME]\n"
            "  --dashboard-url ws://H:P  --bot-status-url http://H:P   an already running system\n"
            "Fault proxy (fault_tolerance; native starts wsb-faultproxy, docker has fault-proxy):\n"
            "  --toxiproxy-url URL     a Toxiproxy you run (its API, http://H:8474) instead\n"
            "                          [WSB_TOXIPROXY_URL]; its proxies in front of your system:\n"
            "  --toxiproxy-bot-proxy NAME      bot -> dashboard (bot_to_dashboard)\n"
            "  --toxiproxy-clients-proxy NAME  subscribers -> dashboard (clients_to_dashboard)\n"
            "  --toxiproxy-clients-url ws://H:P  where subscribers reach that second proxy\n"
            "Selection:\n"
            "  --suite NAME            repeatable; else RUN_CONNECTIVITY, RUN_MESSAGE_FLOW,\n"
            "                          RUN_FAULT_TOLERANCE, RUN_LOAD_TESTS, RUN_INTEGRATION,\n"
            "                          RUN_PERFORMANCE, RUN_SECURITY (true by default)\n"
            "  --test NAME             only tests matching (glob; name, suite/name); repeatable\n"
            "  --allow-skips           a suite whose every test was skipped passes as skipped\n"
            "                          (without it, or a --test narrowing, it fails the run:\n"
            "                          a bridge that was never checked does not pass)\n"
            "  --live-url URL          a real exchange stream (ws:// or wss://, Binance\n"
            "                          bookTicker/trade) for performance.live_feed\n"
            "                          [WSB_LIVE_URL]; without it that test is skipped\n"
            "                          \"no --live-url (offline)\"\n"
            "  --list                  list suites and tests\n"
            "  --profile short|full    suite sizes [WSB_PROFILE] (full)\n"
            "Output:\n"
            "  --results DIR           result directory (default results/full_suite_<UTC time>)\n"
            "  -v, --verbose           suite output on the console too\n"
            "Auth and files:\n"
            "  --jwt-secret S          [WSB_JWT_SECRET, DASHBOARD_JWT_SECRET] mint tokens\n"
            "  --publisher-token T --subscriber-token T   ready tokens instead\n"
            "  --ca-file F             CA for wss://\n"
            "  --tls-dir DIR           [WSB_TLS_DIR] TLS on: DIR from docker/gen-test-ca.sh;\n"
            "                          native serves wss:// with DIR/server.pem and\n"
            "                          server.key, docker reaches the dashboard by wss://,\n"
            "                          clients trust DIR/ca.pem (unless --ca-file);\n"
            "                          DIR/other-ca.pem is the wrong CA the security suite\n"
            "                          must see refused\n"
            "  --schemas DIR           [WSB_SCHEMAS] (schemas)\n"
            "  --expect-capacity N     connections the dashboard must hold: the capacity ramp\n"
            "                          climbs to N and fails (capacity_success) when a step\n"
            "                          before it falls below the floor, naming the knee\n"
            "                          [WSB_EXPECT_CAPACITY, WSB_RAMP_CEILING] (profile's)\n"
            "  --max-message N         the dashboard's largest message in bytes\n"
            "                          [WSB_MAX_MESSAGE]; else its status document's\n"
            "                          limits.max_message_bytes, else 65536\n"
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
            "Budgets (k6's threshold notation):\n"
            "  --threshold 'METRIC: EXPR'   repeatable, also WSB_THRESHOLDS (';'-separated);\n"
            "                          EXPR is AGG OP VALUE: avg, min, max, med, p(N) with\n"
            "                          us, ms (default), s for trends; rate (0.9 or 90%%);\n"
            "                          count. A metric's threshold replaces its default.\n"
            "                          Judged at the end of the test that owns the metric:\n");
    for (size_t i = 0; i < threshold_nmetrics; i++)
        fprintf(f, "    %-17s %-5s %-27s default %s\n", threshold_metrics[i].name,
                threshold_metrics[i].kind == THRESHOLD_TREND  ? "trend"
                : threshold_metrics[i].kind == THRESHOLD_RATE ? "rate"
                                                              : "count",
                threshold_metrics[i].owner,
                threshold_metrics[i].defaults ? threshold_metrics[i].defaults : "none");
    fprintf(f, "Exit status: 0 when every selected suite passed, 1 when one failed (or checked\n"
               "nothing), 99 when the only failures are breached thresholds, 2 on usage errors\n"
               "and malformed thresholds, 130 when interrupted.\n");
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
    O_TLS_DIR,
    O_SCHEMAS,
    O_BIN,
    O_TIMEOUT,
    O_TEST_TIMEOUT,
    O_ALLOW_SKIPS,
    O_LIVE_URL,
    O_MAX_MESSAGE,
    O_EXPECT_CAPACITY,
    O_THRESHOLD,
    O_HELP,
    O_TOXI_URL,
    O_TOXI_BOT,
    O_TOXI_CLIENTS,
    O_TOXI_CLIENTS_URL,
};

static const struct option long_opts[] = {
    {"native", no_argument, NULL, O_NATIVE},
    {"docker", no_argument, NULL, O_DOCKER},
    {"compose-project", required_argument, NULL, O_COMPOSE},
    {"dashboard-url", required_argument, NULL, O_DASH_URL},
    {"bot-status-url", required_argument, NULL, O_BOT_URL},
    {"toxiproxy-url", required_argument, NULL, O_TOXI_URL},
    {"toxiproxy-bot-proxy", required_argument, NULL, O_TOXI_BOT},
    {"toxiproxy-clients-proxy", required_argument, NULL, O_TOXI_CLIENTS},
    {"toxiproxy-clients-url", required_argument, NULL, O_TOXI_CLIENTS_URL},
    {"results", required_argument, NULL, O_RESULTS},
    {"suite", required_argument, NULL, O_SUITE},
    {"test", required_argument, NULL, O_TEST},
    {"list", no_argument, NULL, O_LIST},
    {"profile", required_argument, NULL, O_PROFILE},
    {"jwt-secret", required_argument, NULL, O_SECRET},
    {"publisher-token", required_argument, NULL, O_PUB_TOKEN},
    {"subscriber-token", required_argument, NULL, O_SUB_TOKEN},
    {"ca-file", required_argument, NULL, O_CA},
    {"tls-dir", required_argument, NULL, O_TLS_DIR},
    {"schemas", required_argument, NULL, O_SCHEMAS},
    {"bin-dir", required_argument, NULL, O_BIN},
    {"suite-timeout", required_argument, NULL, O_TIMEOUT},
    {"test-timeout", required_argument, NULL, O_TEST_TIMEOUT},
    {"allow-skips", no_argument, NULL, O_ALLOW_SKIPS},
    {"live-url", required_argument, NULL, O_LIVE_URL},
    {"max-message", required_argument, NULL, O_MAX_MESSAGE},
    {"expect-capacity", required_argument, NULL, O_EXPECT_CAPACITY},
    {"threshold", required_argument, NULL, O_THRESHOLD},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

int cli_env_int(const char *name, int def)
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

double cli_env_double(const char *name, double def)
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

/* --tls-dir (else WSB_TLS_DIR): the files in it, each of which must be readable. */
static int tls_files(cli_opts *o)
{
    static char files[4][PATH_MAX];
    static const char *const names[4] = {"server.pem", "server.key", "ca.pem", "other-ca.pem"};
    if (!o->tls_dir) {
        const char *e = getenv("WSB_TLS_DIR");
        o->tls_dir = e && *e ? e : NULL;
    }
    if (!o->tls_dir)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (snprintf(files[i], sizeof files[i], "%s/%s", o->tls_dir, names[i]) >=
                (int)sizeof files[i] ||
            access(files[i], R_OK) != 0) {
            fprintf(stderr, "wsb-harness: --tls-dir: cannot read %s (%s); make the directory "
                    "with docker/gen-test-ca.sh DIR\n", files[i], strerror(errno));
            return 2;
        }
    }
    o->tls_cert = files[0];
    o->tls_key = files[1];
    if (!o->ca_file)
        o->ca_file = files[2];
    o->wrong_ca_file = files[3];
    return -1;
}

int cli_parse(int argc, char **argv, cli_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->profile_name = getenv("WSB_PROFILE");
    o->bin_dir = "build/bin";
    o->suite_timeout = 600;
    o->test_timeout = 0;

    int c;
    char why[600];
    threshold_set_defaults(&o->thresholds);
    const char *env_thr = getenv("WSB_THRESHOLDS");
    if (env_thr && threshold_set_add_list(&o->thresholds, env_thr, why, sizeof(why)) < 0) {
        fprintf(stderr, "wsb-harness: WSB_THRESHOLDS: %s\n", why);
        return 2;
    }
    threshold_set_freeze(&o->thresholds); /* --threshold replaces these per metric */
    const char *env_max = getenv("WSB_MAX_MESSAGE");
    if (env_max && *env_max &&
        wparse_long(env_max, 1, 1LL << 30, &o->max_message, why, sizeof(why)) < 0) {
        fprintf(stderr, "wsb-harness: WSB_MAX_MESSAGE: %s (bytes)\n", why);
        return 2;
    }
    o->live_url = getenv("WSB_LIVE_URL") && *getenv("WSB_LIVE_URL") ? getenv("WSB_LIVE_URL")
                                                                    : NULL;
    while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
        switch (c) {
        case O_NATIVE:
            o->mode_native = 1;
            break;
        case O_DOCKER:
            o->mode_docker = 1;
            break;
        case O_COMPOSE:
            o->compose = optarg;
            break;
        case O_DASH_URL:
            o->dash_url = optarg;
            break;
        case O_BOT_URL:
            o->bot_url = optarg;
            break;
        case O_TOXI_URL:
            o->toxiproxy_url = optarg;
            break;
        case O_TOXI_BOT:
            o->toxiproxy_bot = optarg;
            break;
        case O_TOXI_CLIENTS:
            o->toxiproxy_clients = optarg;
            break;
        case O_TOXI_CLIENTS_URL:
            o->toxiproxy_clients_url = optarg;
            break;
        case O_RESULTS:
            o->results_arg = optarg;
            break;
        case O_SUITE:
            if (o->nsuites == CLI_MAX_LIST) {
                fprintf(stderr, "wsb-harness: too many --suite\n");
                return 2;
            }
            o->suites[o->nsuites++] = optarg;
            break;
        case O_TEST:
            if (o->ntests == CLI_MAX_LIST) {
                fprintf(stderr, "wsb-harness: too many --test\n");
                return 2;
            }
            o->tests[o->ntests++] = optarg;
            break;
        case O_LIST:
            o->list = 1;
            break;
        case O_PROFILE:
            o->profile_name = optarg;
            break;
        case O_SECRET:
            o->secret = optarg;
            break;
        case O_PUB_TOKEN:
            o->pub_token = optarg;
            break;
        case O_SUB_TOKEN:
            o->sub_token = optarg;
            break;
        case O_CA:
            o->ca_file = optarg;
            break;
        case O_TLS_DIR:
            o->tls_dir = optarg;
            break;
        case O_SCHEMAS:
            o->schemas = optarg;
            break;
        case O_BIN:
            o->bin_dir = optarg;
            break;
        case O_TIMEOUT:
            if (wparse_double(optarg, DBL_MIN, DBL_MAX, &o->suite_timeout, why, sizeof(why)) < 0) {
                fprintf(stderr, "wsb-harness: --suite-timeout: %s (seconds)\n", why);
                return 2;
            }
            break;
        case O_TEST_TIMEOUT:
            if (wparse_double(optarg, 0, DBL_MAX, &o->test_timeout, why, sizeof(why)) < 0) {
                fprintf(stderr, "wsb-harness: --test-timeout: %s (seconds)\n", why);
                return 2;
            }
            break;
        case O_LIVE_URL:
            o->live_url = optarg;
            break;
        case O_ALLOW_SKIPS:
            o->allow_skips = 1;
            break;
        case O_EXPECT_CAPACITY:
            if (wparse_long(optarg, 1, 10000000, &o->expect_capacity, why, sizeof(why)) < 0) {
                fprintf(stderr, "wsb-harness: --expect-capacity: %s (connections)\n", why);
                return 2;
            }
            break;
        case O_MAX_MESSAGE:
            if (wparse_long(optarg, 1, 1LL << 30, &o->max_message, why, sizeof(why)) < 0) {
                fprintf(stderr, "wsb-harness: --max-message: %s (bytes)\n", why);
                return 2;
            }
            break;
        case O_THRESHOLD:
            if (threshold_set_add(&o->thresholds, optarg, why, sizeof(why)) < 0) {
                fprintf(stderr, "wsb-harness: --threshold \"%s\": %s\n", optarg, why);
                return 2;
            }
            break;
        case 'v':
            o->verbose = 1;
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
    if (o->live_url && strncmp(o->live_url, "ws://", 5) && strncmp(o->live_url, "wss://", 6)) {
        fprintf(stderr, "wsb-harness: --live-url \"%s\": a ws:// or wss:// URL is needed\n",
                o->live_url);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "wsb-harness: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    return tls_files(o);
}

int cli_mode(const cli_opts *o, env_mode *mode)
{
    if (o->mode_native + o->mode_docker > 1) {
        fprintf(stderr, "wsb-harness: --native and --docker exclude each other\n");
        return 2;
    }
    if (o->mode_native && o->dash_url) {
        fprintf(stderr, "wsb-harness: --native starts its own dashboard: drop --dashboard-url\n");
        return 2;
    }
    *mode = o->mode_docker ? ENV_MODE_DOCKER : (o->dash_url ? ENV_MODE_EXTERNAL : ENV_MODE_NATIVE);
    return -1;
}
