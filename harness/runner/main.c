/* wsb-harness: the wsbridge test runner's program (`wsb-harness --help` lists
 * the options, cli.c parses them). Picks the environment (native processes,
 * the compose project's containers, or an external system given by URLs),
 * mints the tokens, runs the selected suites through the runner and leaves
 * the result directory: test_summary.json, test_report.md, junit.xml, one
 * log per suite, services/ and metrics/. Exit 0 only when every selected
 * suite passed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cli.h"
#include "compare_cmd.h"
#include "contract.h"
#include "envdriver.h"
#include "httpc.h"
#include "rawws.h"
#include "monitor.h"
#include "jwt.h"
#include "profiles.h"
#include "registry.h"
#include "results.h"
#include "runner.h"
#include "wlog.h"
#include "wparse.h"

#define NATIVE_BOT_RATE 100.0 /* trading events per second, native mode */
#define NATIVE_BOT_QUEUE 10000

/* What one run holds from the options to the summary. */
typedef struct harness_run {
    env_mode mode;
    suite_profile profile;
    runner_selection sel[64];
    const char *secret; /* minting the tokens; NULL with ready tokens */
    const char *pub_token, *sub_token;
    const char *bot_source;
    char *own_secret, *minted_pub, *minted_sub; /* ours to free */
    char resdir[1024];
    contract *ct;
    env_config cfg;
    int need_env; /* an available suite is selected */
    envdriver *env;
    char env_err[1024];
} harness_run;

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

/* The mode, the profile, the suites and the --test filter. 0, or 2 with a
 * message on stderr. */
static int choose(const cli_opts *o, harness_run *h)
{
    int rc = cli_mode(o, &h->mode);
    if (rc >= 0)
        return rc;
    const char *pn = o->profile_name && *o->profile_name ? o->profile_name : "full";
    if (profiles_make(pn, &h->profile) < 0) {
        fprintf(stderr, "wsb-harness: --profile: expected short or full\n");
        return 2;
    }
    if (o->expect_capacity)
        h->profile.ramp_ceiling = (int)o->expect_capacity; /* the ramp's ceiling */
    char err[1024];
    if (registry_count > 64 || runner_select(registry_suites, registry_count, o->suites, o->nsuites,
                                             h->sel, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-harness: %s\n", err);
        return 2;
    }
    if (o->ntests) {
        int any = 0;
        for (size_t i = 0; i < registry_count; i++) {
            const suite_def *d = registry_suites[i].def;
            if (h->sel[i] == RUNNER_UNSELECTED || !d)
                continue;
            for (CU_TestInfo *t = d->tests; t && t->pName; t++)
                any |= runner_test_matches(d->name, t->pName, o->tests, o->ntests);
        }
        if (!any) {
            fprintf(stderr, "wsb-harness: no test of the selected suites matches --test\n");
            return 2;
        }
    }
    for (size_t i = 0; i < registry_count; i++)
        h->need_env |= h->sel[i] != RUNNER_UNSELECTED && registry_suites[i].def != NULL;
    return 0;
}

/* The JWT secret (--jwt-secret, WSB_JWT_SECRET, DASHBOARD_JWT_SECRET, or a
 * random one for our own native dashboard) and the two tokens: given, or
 * minted from it. 0, or 2 when minting fails. */
static int make_tokens(const cli_opts *o, harness_run *h)
{
    const char *secret = o->secret;
    h->pub_token = o->pub_token;
    h->sub_token = o->sub_token;
    if (!secret || !*secret)
        secret = getenv("WSB_JWT_SECRET");
    if (!secret || !*secret)
        secret = getenv("DASHBOARD_JWT_SECRET");
    if ((!secret || !*secret) && h->mode == ENV_MODE_NATIVE && !h->pub_token && !h->sub_token) {
        h->own_secret = random_secret(); /* our own dashboard: any secret will do */
        secret = h->own_secret;
    }
    if (secret && !*secret)
        secret = NULL;
    h->secret = secret;
    h->bot_source = getenv("WSB_BOT_SOURCE");
    if (!h->bot_source || !*h->bot_source)
        h->bot_source = "bot-1";
    if (secret) {
        if (!h->pub_token)
            h->pub_token = h->minted_pub = jwt_sign(secret, h->bot_source, "publisher", 24 * 3600);
        if (!h->sub_token)
            h->sub_token = h->minted_sub = jwt_sign(secret, "wsb-harness", "subscriber", 24 * 3600);
        if (!h->pub_token || !h->sub_token) {
            fprintf(stderr, "wsb-harness: cannot mint tokens\n");
            return 2;
        }
    } else if (!h->pub_token || !h->sub_token) {
        wlog_warn("no --jwt-secret and not both tokens: tests needing the missing token skip");
    }
    return 0;
}

/* The result directory with services/ and metrics/. 0, or 2. */
static int make_results_dir(const cli_opts *o, harness_run *h)
{
    char err[1024], sub[1100];
    if (o->results_arg)
        snprintf(h->resdir, sizeof(h->resdir), "%s", o->results_arg);
    else
        default_results_dir(h->resdir, sizeof(h->resdir));
    if (results_mkdirs(h->resdir, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-harness: %s\n", err);
        return 2;
    }
    snprintf(sub, sizeof(sub), "%s/services", h->resdir);
    results_mkdirs(sub, err, sizeof(err));
    snprintf(sub, sizeof(sub), "%s/metrics", h->resdir);
    results_mkdirs(sub, err, sizeof(err));
    return 0;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The environment driver, when a selected suite needs one. A system we did
 * not start must answer /health before it is judged. On failure h->env stays
 * NULL and h->env_err says why (every such suite then fails with it). */
static void start_environment(const cli_opts *o, harness_run *h, const char *schemas_dir)
{
    env_config *cfg = &h->cfg;
    cfg->results_dir = h->resdir;
    cfg->bin_dir = o->bin_dir;
    cfg->schemas_dir = schemas_dir;
    cfg->jwt_secret = h->secret;
    cfg->bot_source = h->bot_source;
    /* native defaults: a brisk bot (the flow tests wait for its messages) and
       a queue that covers outages of rate x queue / rate = 100 s */
    cfg->bot_rate = cli_env_double("WSB_BOT_RATE", NATIVE_BOT_RATE);
    cfg->bot_queue_size = cli_env_int(
        "WSB_BOT_QUEUE_SIZE", getenv("SYSTEM__WEBSOCKET_QUEUE_SIZE") ? 0 : NATIVE_BOT_QUEUE);
    cfg->history_size = cli_env_int("WSB_HISTORY_SIZE", 0);
    cfg->dashboard_url = o->dash_url;
    cfg->bot_status_url = o->bot_url;
    cfg->compose_project = o->compose;
    cfg->toxiproxy_url = o->toxiproxy_url ? o->toxiproxy_url : getenv("WSB_TOXIPROXY_URL");
    cfg->link_proxy[ENV_LINK_BOT] = o->toxiproxy_bot;
    cfg->link_proxy[ENV_LINK_CLIENTS] = o->toxiproxy_clients;
    cfg->clients_proxy_url = o->toxiproxy_clients_url;
    cfg->tls = o->tls_dir != NULL;
    cfg->tls_cert = o->tls_cert;
    cfg->tls_key = o->tls_key;
    cfg->ca_file = o->ca_file;
    if (!h->need_env)
        return;
    fprintf(stdout, "wsb-harness: %s environment, profile %s, results in %s\n",
            env_mode_name(h->mode), h->profile.name, h->resdir);
    fflush(stdout);
    h->env = envdriver_new(h->mode, cfg, h->env_err, sizeof(h->env_err));
    if (h->env && h->mode != ENV_MODE_NATIVE) {
        int tmo = cli_env_int("WSB_HEALTH_TIMEOUT", 30);
        char herr[700];
        if (envdriver_wait_healthy(h->env, ENV_DASHBOARD, tmo * 1000, herr, sizeof(herr)) < 0) {
            snprintf(h->env_err, sizeof(h->env_err), "%s", herr);
            envdriver_free(h->env);
            h->env = NULL;
        }
    }
    if (!h->env)
        wlog_error("environment: %s", h->env_err);
    else
        fprintf(stdout, "wsb-harness: dashboard %s%s%s\n", envdriver_dashboard_url(h->env),
                envdriver_bot_status_url(h->env)[0] ? ", bot status " : "",
                envdriver_bot_status_url(h->env));
}

/* Runs the selected suites and prints the summary lines; the run's status. */
static int run_suites(const cli_opts *o, harness_run *h)
{
    runner_opts ro = {0};
    ro.results_dir = h->resdir;
    ro.tests = o->tests;
    ro.ntests = o->ntests;
    ro.suite_timeout_s = o->suite_timeout;
    ro.test_timeout_s = o->test_timeout;
    ro.verbose = o->verbose;
    ro.allow_skips = o->allow_skips;
    ro.progress = isatty(STDOUT_FILENO);
    ro.console = stdout;
    ro.ctx.env = h->env;
    ro.ctx.contract = h->ct;
    ro.ctx.results_dir = h->resdir;
    ro.ctx.profile = h->profile;
    ro.ctx.jwt_secret = h->secret;
    ro.ctx.publisher_token = h->pub_token;
    ro.ctx.subscriber_token = h->sub_token;
    ro.ctx.ca_file = o->ca_file;
    ro.ctx.wrong_ca_file = o->wrong_ca_file;
    ro.ctx.bot_source = h->bot_source;
    ro.ctx.max_message = (size_t)o->max_message;
    ro.ctx.thresholds = &o->thresholds;
    ro.ctx.live_url = o->live_url;
    ro.env_error = h->need_env && !h->env ? h->env_err : NULL;
    ro.interrupted = &interrupted;

    results_run *run = results_run_new(env_mode_name(h->mode), h->profile.name, h->resdir);
    results_run_set_env(run, h->env ? envdriver_dashboard_url(h->env) : h->cfg.dashboard_url,
                        h->env ? envdriver_bot_status_url(h->env) : h->cfg.bot_status_url,
                        ro.env_error);
    runner_run(registry_suites, registry_count, h->sel, &ro, run);
    int rc = results_run_exit_code(run);
    envdriver_free(h->env); /* stops what the native driver started */
    h->env = NULL;

    runner_console_summary(stdout, run);
    if (run->interrupted || interrupted)
        rc = 130;
    results_run_free(run);
    return rc;
}

int main(int argc, char **argv)
{
    wlog_init("wsb-harness");
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return compare_cmd_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "monitor") == 0)
        return monitor_main(argc - 1, argv + 1);
    cli_opts o;
    int rc = cli_parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.verbose)
        wlog_set_level(WLOG_DEBUG);
    if (o.list) {
        runner_list(registry_suites, registry_count, stdout);
        return 0;
    }
    harness_run h = {0};
    if (choose(&o, &h) || make_tokens(&o, &h) || make_results_dir(&o, &h))
        return 2;
    install_signals();
    httpc_set_ca_file(o.ca_file); /* /health and the status endpoints over https:// too */
    rawws_set_ca_file(o.ca_file); /* the security suite's raw clients over wss:// */
    char err[1024];
    const char *schemas_dir = contract_default_dir(o.schemas);
    h.ct = contract_load(schemas_dir, err, sizeof(err));
    if (!h.ct) {
        fprintf(stderr, "wsb-harness: cannot load the contract from %s: %s\n", schemas_dir, err);
        return 2;
    }
    start_environment(&o, &h, schemas_dir);
    rc = run_suites(&o, &h);
    contract_free(h.ct);
    free(h.minted_pub);
    free(h.minted_sub);
    free(h.own_secret);
    return rc;
}
