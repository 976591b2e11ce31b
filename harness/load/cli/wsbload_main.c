/* wsb-load: points the load engine at any WebSocket server and reports.
 *
 * Tests: basic (10 connections, 5 messages each within 10 s), capacity (from
 * --start-capacity to --max-capacity by --capacity-step until the success
 * rate drops below 90 %; the last good level is reported), stress (50
 * connections), all (those three), concurrent (N connections at once),
 * throughput (publishers at a rate: received messages/s and latency), errors
 * (a bad path, a bad token, oversize messages: each counted by kind, then the
 * server must still serve a normal load), commands (--commands N in batches
 * of --batch B for the bot --bot through /ws/stream, each to its command_ack
 * "done": rates, round-trip percentiles, the bot's queue depth from
 * --bot-status). Each run writes the per-connection
 * CSV (--output) and the text report (--report, else stdout). --workers N
 * forks N processes, each with its share of the connections, each writing
 * <out-dir>/workers/<i>/ (CSV, report, test_summary.json, metrics/); the
 * parent merges them with wsb-merge. Exit 0 when every verdict passed, 1 when
 * one failed, 2 on usage errors. */
#include <errno.h>
#include <float.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "histogram.h"
#include "jwt.h"
#include "loadcmd.h"
#include "loadengine.h"
#include "loadscen.h"
#include "loadseries.h"
#include "wclock.h"
#include "wsbload_http.h"
#include "loadreport.h"
#include "results.h"
#include "wparse.h"

typedef struct opts {
    const char *test, *url, *pub_url, *token, *secret, *output, *report, *out_dir, *subscribe;
    const char *mode, *bot, *bot_status, *command;
    const char *scenario, *profiles, *lifecycle;
    long burst_size, ramp_initial, ramp_steps, stress_step;
    double burst_s, idle_s, ramp_step_s, target_latency_ms, error_threshold, hold_s, gap_s;
    threshold_set thresholds;
    long metrics_port;
    long commands, batch;
    double command_rate;
    long connections, target, start_cap, max_cap, step, send_count, pub_messages, workers;
    long max_in_flight, send_size;
    double timeout_s, connect_timeout_s, send_rate, pub_rate, duration_s;
    long publishers;
    int reconnect, no_bulk, quiet, worker_index, own_sources;
    long replica;               /* --worker-index: this process is replica i of many (-1 none) */
} opts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsb-load --url ws://HOST:PORT/PATH [options]\n"
            "Opens many WebSocket connections to any server and reports what they received.\n\n"
            "  --test T              basic | capacity | stress | all | concurrent | throughput |\n"
            "                        errors | commands (default basic)\n"
            "  --url URL             where the connections go (ws:// or wss://)\n"
            "  --token T             their bearer token\n"
            "  --jwt-secret S        mint tokens instead: subscribers as sub wsb-load,\n"
            "                        publishers as load-1, load-2, ...\n"
            "  --mode M              contract (wsbridge stream: subscribe first, count envelopes,\n"
            "                        check seq and latency) | generic (count every message);\n"
            "                        default contract when the URL path is /ws/stream\n"
            "  --subscribe JSON      first frame of each connection (contract default\n"
            "                        {\"type\":\"subscribe\"}; \"none\" for nothing)\n"
            "  --connections N       connections (default 10; basic 10, stress 50)\n"
            "  --target-messages N   messages each connection should receive (default 5)\n"
            "  --message-timeout S   time the messages may take after the last open (default 10)\n"
            "  --connect-timeout S   bound on each handshake (default 10)\n"
            "  --max-in-flight N     handshakes at once (default 200)\n"
            "  --start-capacity N    capacity: first level (default 10)\n"
            "  --max-capacity N      capacity: last level (default 100)\n"
            "  --capacity-step N     capacity: step (default 10)\n"
            "  --send-rate R         messages/s each connection sends itself, e.g. to an echo\n"
            "                        server (default 0)\n"
            "  --send-count N        messages each sends (default: until the end)\n"
            "  --message-size B      pad what connections send to B bytes\n"
            "  --publishers N        the engine's own publishers (needs --jwt-secret or --token)\n"
            "  --pub-url URL         where they publish (default: --url with path /ws)\n"
            "  --pub-rate R          messages/s each publisher sends (default 100)\n"
            "  --pub-messages N      messages each publishes (default: rate x timeout)\n"
            "  --own-sources         the subscribers take only this process's publishers'\n"
            "                        messages: they publish symbol LOAD-W<worker index> and the\n"
            "                        subscribe filters market_data of that symbol, so parallel\n"
            "                        workers or replicas do not receive each other's traffic\n"
            "  --duration S          throughput/concurrent: how long to hold (default 5)\n"
            "  --commands N          commands: how many to submit (default 200)\n"
            "  --batch B             commands: sent before waiting for their acks (default 20)\n"
            "  --bot SOURCE          commands: the bot they go to (default bot-1)\n"
            "  --command-rate R      commands: submitted per second at most (default 50;\n"
            "                        wsb-dashboard allows a subscriber 100/s); 0: no pacing\n"
            "  --command NAME        commands: which (default resume: harmless)\n"
            "  --bot-status URL      commands: the bot's status document, polled for its\n"
            "                        queue depth (e.g. http://127.0.0.1:8080/status)\n"
            "  --scenario S          steady | burst | ramp | stress | realistic: publishers\n"
            "                        (--publishers, default 1) send for --duration to\n"
            "                        --connections subscribers; ends with the threshold list\n"
            "                        and the delivery ledger (replaces --test)\n"
            "  --burst-size N        burst: messages each publisher sends in a burst (50)\n"
            "  --burst-duration S    burst: a burst's length (0.2)\n"
            "  --idle-duration S     burst: the pause after it (0.8)\n"
            "  --ramp-initial N      ramp: subscribers at the start (a quarter)\n"
            "  --ramp-steps N        ramp: steps to the rest (4)\n"
            "  --ramp-step-duration S ramp: time between steps (1)\n"
            "  --stress-step N       stress: subscribers added per level (50); the last level\n"
            "                        is --max-capacity\n"
            "  --target-latency MS   stress: p99 that breaks (100)\n"
            "  --error-threshold R   stress: error rate that breaks (0.01)\n"
            "  --profiles LIST       realistic: active:0.2,regular:0.5,passive:0.3 (active ping\n"
            "                        2/s, regular 0.2/s, passive never; NAME=HZ:W for others)\n"
            "  --lifecycle L         persistent (reconnect) | intermittent (leave and resume)\n"
            "  --hold S, --gap S     intermittent: time open (2, +-20 %%), time away (0.5)\n"
            "  --threshold 'M: E'    a budget in k6's notation, repeatable (delivery_rate,\n"
            "                        e2e_latency, errors; defaults rate>=0.999, p(99)<100ms,\n"
            "                        rate<0.01)\n"
            "  --metrics-port P      serve the latest figures as Prometheus text on\n"
            "                        http://127.0.0.1:P/metrics while it runs (0: a free port,\n"
            "                        printed as \"metrics on port N\")\n"
            "  --reconnect           reconnect lost connections (backoff with jitter)\n"
            "  --no-bulk             read every frame through libwebsockets (slower)\n"
            "  --output FILE         the per-connection CSV (capacity: FILE_<level>.csv each)\n"
            "  --report FILE         the text report (default: standard output)\n"
            "  --workers N           fork N workers, each with its share of the connections\n"
            "  --worker-index I      this process is replica I of a replicated service (a Swarm\n"
            "                        task, a Kubernetes indexed Job; default $JOB_COMPLETION_INDEX\n"
            "                        when set): it writes --out-dir/workers/I/ like a --workers\n"
            "                        worker and its publishers are load-(I*1000+1)...; merge\n"
            "                        the replicas with wsb-merge\n"
            "  --out-dir DIR         where workers write workers/<i>/ and the merge (default\n"
            "                        wsb-load-results); also DIR/metrics/timeseries.csv and\n"
            "                        .json, the figures second by second\n"
            "  --quiet               no progress (else a live line on a terminal, a line every\n"
            "                        5 s when standard error is not one)\n"
            "  --help                this text\n"
            "Exit status: 0 every verdict passed, 1 one failed, 2 usage or start-up errors.\n");
}

static int num(const char *flag, const char *v, long lo, long hi, long *out)
{
    long long x;
    char err[160];
    if (!v || wparse_long(v, lo, hi, &x, err, sizeof err)) {
        fprintf(stderr, "wsb-load: %s: %s\n", flag, v ? err : "needs a value");
        return -1;
    }
    *out = (long)x;
    return 0;
}

static int dbl(const char *flag, const char *v, double lo, double *out)
{
    char err[160];
    if (!v || wparse_double(v, lo, DBL_MAX, out, err, sizeof err)) {
        fprintf(stderr, "wsb-load: %s: %s\n", flag, v ? err : "needs a value");
        return -1;
    }
    return 0;
}

static int parse(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = 0, used = 1;
        if (!strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--test")) o->test = v;
        else if (!strcmp(a, "--url")) o->url = v;
        else if (!strcmp(a, "--pub-url")) o->pub_url = v;
        else if (!strcmp(a, "--token")) o->token = v;
        else if (!strcmp(a, "--jwt-secret")) o->secret = v;
        else if (!strcmp(a, "--mode")) o->mode = v;
        else if (!strcmp(a, "--subscribe")) o->subscribe = v;
        else if (!strcmp(a, "--output")) o->output = v;
        else if (!strcmp(a, "--report")) o->report = v;
        else if (!strcmp(a, "--out-dir")) o->out_dir = v;
        else if (!strcmp(a, "--bot")) o->bot = v;
        else if (!strcmp(a, "--scenario")) o->scenario = v;
        else if (!strcmp(a, "--profiles")) o->profiles = v;
        else if (!strcmp(a, "--lifecycle")) o->lifecycle = v;
        else if (!strcmp(a, "--burst-size")) r = num(a, v, 1, 1000000, &o->burst_size);
        else if (!strcmp(a, "--ramp-initial")) r = num(a, v, 0, 1000000, &o->ramp_initial);
        else if (!strcmp(a, "--ramp-steps")) r = num(a, v, 1, 1000, &o->ramp_steps);
        else if (!strcmp(a, "--stress-step")) r = num(a, v, 1, 1000000, &o->stress_step);
        else if (!strcmp(a, "--burst-duration")) r = dbl(a, v, 0.001, &o->burst_s);
        else if (!strcmp(a, "--idle-duration")) r = dbl(a, v, 0.001, &o->idle_s);
        else if (!strcmp(a, "--ramp-step-duration")) r = dbl(a, v, 0.01, &o->ramp_step_s);
        else if (!strcmp(a, "--target-latency")) r = dbl(a, v, 0.001, &o->target_latency_ms);
        else if (!strcmp(a, "--error-threshold")) r = dbl(a, v, 0, &o->error_threshold);
        else if (!strcmp(a, "--hold")) r = dbl(a, v, 0.05, &o->hold_s);
        else if (!strcmp(a, "--gap")) r = dbl(a, v, 0.01, &o->gap_s);
        else if (!strcmp(a, "--threshold")) {
            char terr[256];
            if (!v || threshold_set_add(&o->thresholds, v, terr, sizeof terr)) {
                fprintf(stderr, "wsb-load: --threshold: %s\n", v ? terr : "needs a value");
                return -1;
            }
        }
        else if (!strcmp(a, "--bot-status")) o->bot_status = v;
        else if (!strcmp(a, "--command")) o->command = v;
        else if (!strcmp(a, "--commands")) r = num(a, v, 1, 10000000, &o->commands);
        else if (!strcmp(a, "--batch")) r = num(a, v, 1, 100000, &o->batch);
        else if (!strcmp(a, "--metrics-port")) r = num(a, v, 0, 65535, &o->metrics_port);
        else if (!strcmp(a, "--connections")) r = num(a, v, 1, 1000000, &o->connections);
        else if (!strcmp(a, "--target-messages")) r = num(a, v, 0, LONG_MAX, &o->target);
        else if (!strcmp(a, "--start-capacity")) r = num(a, v, 1, 1000000, &o->start_cap);
        else if (!strcmp(a, "--max-capacity")) r = num(a, v, 1, 1000000, &o->max_cap);
        else if (!strcmp(a, "--capacity-step")) r = num(a, v, 1, 1000000, &o->step);
        else if (!strcmp(a, "--send-count")) r = num(a, v, 0, LONG_MAX, &o->send_count);
        else if (!strcmp(a, "--message-size")) r = num(a, v, 0, 1 << 20, &o->send_size);
        else if (!strcmp(a, "--publishers")) r = num(a, v, 0, 256, &o->publishers);
        else if (!strcmp(a, "--pub-messages")) r = num(a, v, 0, LONG_MAX, &o->pub_messages);
        else if (!strcmp(a, "--workers")) r = num(a, v, 1, 64, &o->workers);
        else if (!strcmp(a, "--worker-index")) r = num(a, v, 0, 999, &o->replica);
        else if (!strcmp(a, "--max-in-flight")) r = num(a, v, 1, 100000, &o->max_in_flight);
        else if (!strcmp(a, "--message-timeout")) r = dbl(a, v, 0.1, &o->timeout_s);
        else if (!strcmp(a, "--connect-timeout")) r = dbl(a, v, 0.1, &o->connect_timeout_s);
        else if (!strcmp(a, "--send-rate")) r = dbl(a, v, 0, &o->send_rate);
        else if (!strcmp(a, "--pub-rate")) r = dbl(a, v, 0, &o->pub_rate);
        else if (!strcmp(a, "--duration")) r = dbl(a, v, 0.1, &o->duration_s);
        else if (!strcmp(a, "--command-rate")) r = dbl(a, v, 0, &o->command_rate);
        else {
            used = 0;
            if (!strcmp(a, "--reconnect")) o->reconnect = 1;
            else if (!strcmp(a, "--no-bulk")) o->no_bulk = 1;
            else if (!strcmp(a, "--quiet")) o->quiet = 1;
            else if (!strcmp(a, "--own-sources")) o->own_sources = 1;
            else {
                fprintf(stderr, "wsb-load: unknown option %s (see --help)\n", a);
                return -1;
            }
        }
        if (r)
            return -1;
        if (used) {
            if (!v) {
                fprintf(stderr, "wsb-load: %s needs a value\n", a);
                return -1;
            }
            i++;
        }
    }
    return 0;
}

/* ---- one run ---- */

typedef struct run_ctx {
    const opts *o;
    char *sub_token;
    char *pub_tokens[256];
    char pub_url[1200];
    char own_symbol[16], own_subscribe[96]; /* --own-sources */
    int contract;
    FILE *rep;
    results_suite *suite; /* the worker's results */
    const char *dir;      /* a worker's folder, or NULL */
} run_ctx;

/* The per-second series of every run of this process, and /metrics. */
static loadseries series;
static int64_t series_t0;
static double last_t = -1;

static void progress(void *user, const loadengine_result *r, double t)
{
    const run_ctx *rc = user;
    if (t < last_t + 0.5) /* the engine's clock restarted: a new run */
        loadseries_new_run(&series);
    last_t = t;
    loadseries_add(&series, r, (double)(wclock_mono_us() - series_t0) / 1e6);
    if (rc->o->metrics_port >= 0) {
        char text[4096];
        size_t n = loadseries_prom(&series, text, sizeof text);
        wsbload_http_set(text, n);
    }
    if (rc->o->quiet)
        return;
    static int tty = -1;
    if (tty < 0)
        tty = isatty(2);
    const loadseries_row *w = &series.rows[series.n - 1];
    if (!tty && series.n % 5)
        return; /* quiet lines in CI: one every 5 s */
    fprintf(stderr, "%s[%6.1f s] open %d, sent %llu/s, received %llu/s, p99 %.2f ms, errors %llu%s",
            tty ? "\r" : "", w->t_s, w->open, (unsigned long long)w->sent,
            (unsigned long long)w->received, w->p99_ms > 0 ? w->p99_ms : 0.0,
            (unsigned long long)series.errors_total, tty ? "\033[K" : "\n");
    fflush(stderr);
}

static void base_cfg(run_ctx *rc, loadengine_cfg *c, int conns)
{
    const opts *o = rc->o;
    memset(c, 0, sizeof(*c));
    c->url = o->url;
    c->token = rc->sub_token;
    c->contract = rc->contract;
    c->subscribe = !o->subscribe ? (o->own_sources ? rc->own_subscribe
                                    : rc->contract ? "{\"type\":\"subscribe\"}" : NULL)
                   : strcmp(o->subscribe, "none") ? o->subscribe
                                                  : NULL;
    c->connections = conns;
    c->target_messages = o->target;
    c->duration_s = o->timeout_s;
    c->connect_timeout_s = o->connect_timeout_s;
    c->max_in_flight = (int)o->max_in_flight;
    c->send_rate = o->send_rate;
    c->send_count = o->send_count;
    c->send_size = (size_t)o->send_size;
    c->reconnect = o->reconnect;
    c->no_bulk = o->no_bulk;
    c->stop_when_done = 1;
    c->progress = progress;
    c->user = rc;
    if (o->publishers) {
        c->pub_url = rc->pub_url;
        c->publishers = (int)o->publishers;
        c->pub_tokens = (const char *const *)rc->pub_tokens;
        c->pub_first = o->worker_index * 1000;
        c->pub_symbol = o->own_sources ? rc->own_symbol : NULL;
        c->pub_rate = o->pub_rate;
        c->pub_messages = o->pub_messages ? o->pub_messages
                          : o->target > 0 ? o->target
                                          : (long)(o->pub_rate * o->timeout_s * 0.8) + 1;
    }
}

/* Runs one load; writes its report; returns 0 and fills r, or -1. */
static int run_one(run_ctx *rc, const loadengine_cfg *c, const char *title, const char *csv,
                   loadengine_result *r)
{
    char err[512];
    if (loadengine_run(c, r, err, sizeof err)) {
        fprintf(stderr, "wsb-load: %s: %s\n", title, err);
        return -1;
    }
    loadreport_text(r, title, c->target_messages, rc->rep);
    fflush(rc->rep);
    if (rc->dir) {
        /* the mergeable latency histogram of this run (wsb-merge adds them up) */
        char hp[4400], name[64];
        snprintf(name, sizeof name, "%s", title);
        for (char *q = name; *q; q++)
            if (*q == ' ')
                *q = '_';
        snprintf(hp, sizeof hp, "%s/metrics/%s_latency.json", rc->dir, name);
        if (histogram_write_file(r->latency, hp, err, sizeof err))
            fprintf(stderr, "wsb-load: %s\n", err);
    }
    if (csv && loadreport_csv(r, csv, err, sizeof err))
        fprintf(stderr, "wsb-load: %s\n", err);
    return 0;
}

/* A verdict: recorded as a test of the worker's results, printed. 0 pass, 1 fail. */
static int verdict(run_ctx *rc, const char *name, const loadengine_result *r, const char *fail)
{
    results_test *t = results_add_test(rc->suite, name);
    if (r) {
        results_test_metric(t, "connections", r->connections, "");
        results_test_metric(t, "success_rate", loadengine_success_rate(r), "");
        results_test_metric(t, "messages", (double)r->messages_rx, "");
        results_test_metric(t, "errors", (double)loadengine_errors_total(r), "");
        results_test_metric(t, "cpu_s", r->cpu_s, "s");
    }
    if (fail) {
        results_test_fail(t, "%s", fail);
        fprintf(rc->rep, "verdict %s: FAIL: %s\n\n", name, fail);
        return 1;
    }
    t->status = RESULTS_PASSED;
    fprintf(rc->rep, "verdict %s: PASS\n\n", name);
    return 0;
}

/* The targets verdict of a preset run: 90 % connected and reached the target. */
static int targets_verdict(run_ctx *rc, const char *name, const loadengine_result *r, long target)
{
    char why[256] = "";
    int met = 0;
    for (int i = 0; i < r->connections; i++)
        met += r->conns[i].target_met;
    double sr = loadengine_success_rate(r);
    if (sr < 0.9)
        snprintf(why, sizeof why, "success rate %.1f %% is below 90 %%", 100 * sr);
    else if (target > 0 && met < r->connections * 9 / 10)
        snprintf(why, sizeof why, "%d of %d connections received %ld messages in time", met,
                 r->connections, target);
    else if (r->seq_missing || r->seq_dup || r->ledger_short)
        snprintf(why, sizeof why, "%llu missing, %llu duplicate, ledger short by %llu",
                 (unsigned long long)r->seq_missing, (unsigned long long)r->seq_dup,
                 (unsigned long long)r->ledger_short);
    return verdict(rc, name, r, why[0] ? why : NULL);
}

static int test_fixed(run_ctx *rc, const char *name, int conns)
{
    loadengine_cfg c;
    loadengine_result r;
    base_cfg(rc, &c, conns);
    if (run_one(rc, &c, name, rc->o->output, &r))
        return verdict(rc, name, NULL, "the run could not start");
    int v = targets_verdict(rc, name, &r, c.target_messages);
    loadengine_result_free(&r);
    return v;
}

static int test_capacity(run_ctx *rc)
{
    const opts *o = rc->o;
    long good = 0;
    int fails = 0;
    for (long lvl = o->start_cap; lvl <= o->max_cap; lvl += o->step) {
        loadengine_cfg c;
        loadengine_result r;
        char title[64];
        base_cfg(rc, &c, (int)lvl);
        snprintf(title, sizeof title, "capacity %ld connections", lvl);
        char csv[4200];
        if (o->output) /* one CSV per level: results.csv -> results_100.csv */
            snprintf(csv, sizeof csv, "%.*s_%ld.csv",
                     (int)(strlen(o->output) > 4 && !strcmp(o->output + strlen(o->output) - 4, ".csv")
                               ? strlen(o->output) - 4
                               : strlen(o->output)),
                     o->output, lvl);
        if (run_one(rc, &c, title, o->output ? csv : NULL, &r))
            return verdict(rc, "capacity", NULL, "the run could not start");
        double sr = loadengine_success_rate(&r);
        loadengine_result_free(&r);
        if (sr < 0.9) {
            fprintf(rc->rep, "capacity: success rate %.1f %% at %ld connections: stop\n",
                    100 * sr, lvl);
            fails = 1;
            break;
        }
        good = lvl;
    }
    fprintf(rc->rep, "capacity: last good level %ld connections (asked up to %ld)\n\n", good,
            o->max_cap);
    results_suite_metric(rc->suite, "capacity_last_good", (double)good, "connections");
    char why[128];
    snprintf(why, sizeof why, "no level held 90 %% (first level %ld)", o->start_cap);
    (void)fails;
    return verdict(rc, "capacity", NULL, good ? NULL : why);
}

static int test_throughput(run_ctx *rc)
{
    const opts *o = rc->o;
    if (!o->publishers && o->send_rate <= 0)
        return verdict(rc, "throughput", NULL,
                       "nothing would send: give --publishers (with tokens) or --send-rate");
    loadengine_cfg c;
    loadengine_result r;
    base_cfg(rc, &c, (int)o->connections);
    c.target_messages = 0;
    c.duration_s = o->duration_s;
    c.stop_when_done = o->pub_messages > 0 || o->send_count > 0;
    if (run_one(rc, &c, "throughput", o->output, &r))
        return verdict(rc, "throughput", NULL, "the run could not start");
    fprintf(rc->rep, "throughput: %.0f messages/s received\n",
            r.elapsed_s > 0 ? (double)r.messages_rx / r.elapsed_s : 0);
    int v = targets_verdict(rc, "throughput", &r, 0);
    if (!r.messages_rx && !v)
        v = verdict(rc, "throughput_received", &r, "no message was received");
    loadengine_result_free(&r);
    return v;
}

/* Each fault once; the kind must be counted; the server must still serve. */
static int test_errors(run_ctx *rc)
{
    const opts *o = rc->o;
    int fails = 0;
    char url[1200], why[256];
    loadengine_cfg c;
    loadengine_result r;
    struct {
        const char *name;
        int kind;
    } cases[] = {{"errors_bad_path", LOADERR_REFUSED},
                 {"errors_bad_token", LOADERR_REFUSED},
                 {"errors_oversize", LOADERR_CLOSE_FRAME}};
    for (int k = 0; k < 3; k++) {
        base_cfg(rc, &c, 5);
        c.target_messages = 0;
        c.duration_s = 3;
        c.publishers = 0;
        c.stop_when_done = 1;
        if (k == 0) {
            const char *p = strstr(o->url + 6, "/");
            snprintf(url, sizeof url, "%.*s/no-such-path", p ? (int)(p - o->url) : (int)strlen(o->url),
                     o->url);
            c.url = url;
        } else if (k == 1) {
            c.token = "not-a-token";
        } else {
            c.send_rate = 2;
            c.send_count = 1;
            c.send_size = 200000;
            c.stop_when_done = 0;
        }
        if (run_one(rc, &c, cases[k].name, NULL, &r)) {
            fails += verdict(rc, cases[k].name, NULL, "the run could not start");
            continue;
        }
        uint64_t want = r.errors[cases[k].kind];
        if (k == 2)
            want += r.errors[LOADERR_CLOSED] + r.errors[LOADERR_TOO_BIG];
        snprintf(why, sizeof why, "expected %s errors for 5 connections, counted %llu",
                 loadengine_error_names[cases[k].kind], (unsigned long long)want);
        fails += verdict(rc, cases[k].name, &r, want >= 5 ? NULL : why);
        loadengine_result_free(&r);
    }
    fails += test_fixed(rc, "errors_still_serving", 10);
    return fails ? 1 : 0;
}

/* Command round trips: every command to its command_ack "done". */
static int test_commands(run_ctx *rc)
{
    const opts *o = rc->o;
    loadcmd_cfg c = {.url = o->url, .token = rc->sub_token, .target = o->bot,
                     .name = o->command, .count = o->commands, .batch = (int)o->batch,
                     .rate = o->command_rate,
                     .batch_timeout_s = o->timeout_s, .connect_timeout_s = o->connect_timeout_s,
                     .status_url = o->bot_status};
    loadcmd_result r;
    char err[512] = "", why[600];
    int started = loadcmd_run(&c, &r, err, sizeof err) == 0;
    FILE *f = rc->rep;
    fprintf(f, "== commands ==\n");
    if (started) {
        fprintf(f, "submitted %ld in batches of %ld: done %ld, rejected %ld, lost %ld\n",
                r.submitted, o->batch, r.done, r.rejected, r.lost);
        fprintf(f, "rates: %.1f submitted/s (%.3f s submitting), %.1f done/s (%.3f s in all)\n",
                loadcmd_submit_rate(&r), r.submit_s, loadcmd_done_rate(&r), r.elapsed_s);
        fprintf(f, "round trip (ms): mean %.2f, p50 %.2f, p95 %.2f, p99 %.2f, max %.2f\n",
                histogram_mean(r.rtt) / 1e6, (double)histogram_percentile(r.rtt, 50) / 1e6,
                (double)histogram_percentile(r.rtt, 95) / 1e6,
                (double)histogram_percentile(r.rtt, 99) / 1e6, (double)histogram_max(r.rtt) / 1e6);
        if (r.nsamples) {
            fprintf(f, "bot queue depth over time (s: queued):");
            for (int i = 0; i < r.nsamples; i++)
                fprintf(f, "%s %.1f: %lld", i ? "," : "", r.samples[i].t_s, r.samples[i].queued);
            fprintf(f, "\n");
        }
        if (rc->dir) {
            char hp[4400];
            snprintf(hp, sizeof hp, "%s/metrics/commands_rtt.json", rc->dir);
            if (histogram_write_file(r.rtt, hp, err, sizeof err))
                fprintf(stderr, "wsb-load: %s\n", err);
        }
    }
    const char *p = !started ? err : loadcmd_problems(&r, why, sizeof why);
    if (!p && r.submitted < o->commands)
        p = err;
    results_test *t = results_add_test(rc->suite, "commands");
    results_test_metric(t, "commands_done", (double)r.done, "");
    results_test_metric(t, "commands_lost", (double)r.lost, "");
    results_test_metric(t, "commands_done_rate", loadcmd_done_rate(&r), "1/s");
    results_test_metric(t, "commands_rtt_p99", (double)histogram_percentile(r.rtt, 99) / 1e6,
                        "ms");
    loadcmd_result_free(&r);
    if (p) {
        results_test_fail(t, "%s", p);
        fprintf(f, "verdict commands: FAIL: %s\n\n", p);
        return 1;
    }
    t->status = RESULTS_PASSED;
    fprintf(f, "verdict commands: PASS\n\n");
    return 0;
}

/* A scenario: its report, then a verdict per threshold and the ledger. */
static int test_scenario(run_ctx *rc)
{
    const opts *o = rc->o;
    loadscen_cfg sc;
    memset(&sc, 0, sizeof sc);
    sc.kind = loadscen_kind(o->scenario);
    sc.lifecycle = o->lifecycle && !strcmp(o->lifecycle, "intermittent") ? LOADSCEN_INTERMITTENT
                                                                          : LOADSCEN_PERSISTENT;
    base_cfg(rc, &sc.base, (int)o->connections);
    sc.base.target_messages = 0;
    sc.base.pub_messages = 0;
    sc.duration_s = o->duration_s;
    sc.burst_size = o->burst_size;
    sc.burst_s = o->burst_s;
    sc.idle_s = o->idle_s;
    sc.ramp_initial = (int)o->ramp_initial;
    sc.ramp_steps = (int)o->ramp_steps;
    sc.ramp_step_s = o->ramp_step_s;
    sc.stress_step = (int)o->stress_step;
    sc.stress_max = (int)o->max_cap;
    sc.target_latency_ms = o->target_latency_ms;
    sc.error_threshold = o->error_threshold;
    sc.hold_s = o->hold_s;
    sc.gap_s = o->gap_s;
    sc.thresholds = &o->thresholds;
    char err[512];
    if (o->profiles && loadscen_parse_profiles(o->profiles, &sc, err, sizeof err)) {
        fprintf(stderr, "wsb-load: --profiles: %s\n", err);
        return verdict(rc, o->scenario, NULL, err);
    }
    loadscen_result r;
    if (loadscen_run(&sc, &r, err, sizeof err)) {
        fprintf(stderr, "wsb-load: %s: %s\n", o->scenario, err);
        return verdict(rc, o->scenario, NULL, err);
    }
    loadscen_report(&sc, &r, rc->rep);
    if (o->output && loadreport_csv(&r.run, o->output, err, sizeof err))
        fprintf(stderr, "wsb-load: %s\n", err);
    if (rc->dir) {
        char hp[4400];
        snprintf(hp, sizeof hp, "%s/metrics/%s_latency.json", rc->dir, o->scenario);
        if (histogram_write_file(r.run.latency, hp, err, sizeof err))
            fprintf(stderr, "wsb-load: %s\n", err);
    }
    char why[400] = "";
    for (int i = 0; i < r.nverdicts && !why[0]; i++)
        if (!r.verdicts[i].met)
            snprintf(why, sizeof why, "threshold %s", r.verdicts[i].text);
    if (!why[0] && !r.ledger_ok)
        snprintf(why, sizeof why, "%s", r.ledger);
    if (sc.kind == LOADSCEN_STRESS) {
        results_suite_metric(rc->suite, "stress_last_good", r.last_good, "connections");
        results_suite_metric(rc->suite, "stress_breaking_point", r.breaking, "connections");
    }
    int v = verdict(rc, o->scenario, &r.run, why[0] ? why : NULL);
    loadscen_result_free(&r);
    return v;
}

static int run_tests(run_ctx *rc)
{
    const char *t = rc->o->test;
    int f = 0;
    if (rc->o->scenario)
        return test_scenario(rc);
    if (!strcmp(t, "basic") || !strcmp(t, "all"))
        f |= test_fixed(rc, "basic", rc->o->connections ? (int)rc->o->connections : 10);
    if (!strcmp(t, "capacity") || !strcmp(t, "all"))
        f |= test_capacity(rc);
    if (!strcmp(t, "stress") || !strcmp(t, "all"))
        f |= test_fixed(rc, "stress", 50);
    if (!strcmp(t, "concurrent"))
        f |= test_fixed(rc, "concurrent", (int)rc->o->connections);
    if (!strcmp(t, "throughput"))
        f |= test_throughput(rc);
    if (!strcmp(t, "errors"))
        f |= test_errors(rc);
    if (!strcmp(t, "commands"))
        f |= test_commands(rc);
    return f;
}

/* Runs the tests in this process; writes dir/test_summary.json when dir. */
static int run_here(const opts *o, const char *dir)
{
    run_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.o = o;
    rc.dir = dir;
    const char *path = strstr(o->url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    rc.contract = o->mode ? !strcmp(o->mode, "contract") : path && !strncmp(path, "/ws/stream", 10);
    if (o->secret)
        rc.sub_token = jwt_sign(o->secret, "wsb-load", "subscriber", 3600);
    else if (o->token)
        rc.sub_token = strdup(o->token);
    for (long i = 0; i < o->publishers; i++) {
        char sub[32];
        snprintf(sub, sizeof sub, "load-%ld", i + 1 + (long)o->worker_index * 1000);
        rc.pub_tokens[i] = o->secret ? jwt_sign(o->secret, sub, "publisher", 3600)
                                     : strdup(o->token ? o->token : "");
    }
    snprintf(rc.own_symbol, sizeof rc.own_symbol, "LOAD-W%d", o->worker_index);
    snprintf(rc.own_subscribe, sizeof rc.own_subscribe,
             "{\"type\":\"subscribe\",\"types\":[\"market_data\"],\"symbols\":[\"%s\"]}",
             rc.own_symbol);
    if (o->pub_url)
        snprintf(rc.pub_url, sizeof rc.pub_url, "%s", o->pub_url);
    else
        snprintf(rc.pub_url, sizeof rc.pub_url, "%.*s/ws",
                 path ? (int)(path - o->url) : (int)strlen(o->url), o->url);
    char rpath[4200];
    rc.rep = stdout;
    if (o->report || dir) {
        if (dir)
            snprintf(rpath, sizeof rpath, "%s/report.txt", dir);
        else
            snprintf(rpath, sizeof rpath, "%s", o->report);
        rc.rep = fopen(rpath, "w");
        if (!rc.rep) {
            fprintf(stderr, "wsb-load: %s: %s\n", rpath, strerror(errno));
            return 2;
        }
    }
    results_run *run = results_run_new("wsb-load", o->test, dir ? dir : ".");
    rc.suite = results_add_suite(run, "load_tests", "wsb-load");
    rc.suite->available = 1;
    int f = run_tests(&rc);
    if (!o->quiet && isatty(2) && series.n)
        fputc('\n', stderr); /* end the live line */
    const char *sdir = dir ? dir : o->out_dir;
    if (sdir && series.n) {
        char sp[4200], err[256], cmd[4300];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/metrics'", sdir);
        if (system(cmd))
            fprintf(stderr, "wsb-load: cannot make %s/metrics\n", sdir);
        snprintf(sp, sizeof sp, "%s/metrics/timeseries.csv", sdir);
        if (loadseries_write_csv(&series, sp, err, sizeof err))
            fprintf(stderr, "wsb-load: %s\n", err);
        snprintf(sp, sizeof sp, "%s/metrics/timeseries.json", sdir);
        if (loadseries_write_json(&series, sp, err, sizeof err))
            fprintf(stderr, "wsb-load: %s\n", err);
    }
    results_suite_settle(rc.suite);
    results_run_finish(run, 0);
    if (dir) {
        char err[256], sp[4200];
        snprintf(sp, sizeof sp, "%s/test_summary.json", dir);
        if (results_write_summary(run, sp, err, sizeof err))
            fprintf(stderr, "wsb-load: %s\n", err);
    }
    results_run_free(run);
    if (rc.rep != stdout)
        fclose(rc.rep);
    free(rc.sub_token);
    for (long i = 0; i < o->publishers; i++)
        free(rc.pub_tokens[i]);
    return f ? 1 : 0;
}

/* --workers N: each worker runs its share in workers/<i>/; wsb-merge joins them. */
static int run_workers(opts *o, const char *argv0)
{
    const char *out = o->out_dir ? o->out_dir : "wsb-load-results";
    char cmd[8192], dir[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/workers'", out);
    if (system(cmd))
        return 2;
    long total = o->connections;
    pid_t pids[64];
    for (long w = 0; w < o->workers; w++) {
        snprintf(dir, sizeof dir, "%s/workers/%ld", out, w);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/metrics'", dir);
        if (system(cmd))
            return 2;
        pids[w] = fork();
        if (pids[w] == 0) {
            opts mine = *o;
            mine.worker_index = (int)w;
            mine.connections = total / o->workers + (w < total % o->workers);
            char csv[4300];
            snprintf(csv, sizeof csv, "%s/connections.csv", dir);
            mine.output = csv;
            mine.quiet = 1;
            _exit(run_here(&mine, dir));
        }
    }
    int worst = 0;
    for (long w = 0; w < o->workers; w++) {
        int st = 0;
        waitpid(pids[w], &st, 0);
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
        if (code > worst)
            worst = code;
    }
    /* wsb-merge sits beside this program */
    char self[4096];
    snprintf(self, sizeof self, "%s", argv0);
    snprintf(cmd, sizeof cmd, "'%s/wsb-merge' --out '%s/merged'", dirname(self), out);
    for (long w = 0; w < o->workers; w++) {
        size_t l = strlen(cmd);
        snprintf(cmd + l, sizeof cmd - l, " '%s/workers/%ld'", out, w);
    }
    int mr = system(cmd);
    if (mr != 0 && worst == 0)
        worst = 1;
    printf("workers: %ld, merged into %s/merged (wsb-merge status %d)\n", o->workers, out,
           WIFEXITED(mr) ? WEXITSTATUS(mr) : 2);
    return worst;
}

int main(int argc, char **argv)
{
    opts o = {.test = "basic", .connections = 0, .target = 5, .start_cap = 10, .max_cap = 100,
              .step = 10, .timeout_s = 10, .connect_timeout_s = 10, .pub_rate = 100,
              .duration_s = 5, .max_in_flight = 200, .workers = 1, .commands = 200,
              .batch = 20, .bot = "bot-1", .command_rate = 50, .metrics_port = -1,
              .replica = -1};
    threshold_set_defaults(&o.thresholds);
    threshold_set_freeze(&o.thresholds);
    if (parse(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    if (!o.url) {
        fprintf(stderr, "wsb-load: --url is required\n");
        return 2;
    }
    static const char *tests[] = {"basic", "capacity", "stress", "all", "concurrent",
                                  "throughput", "errors", "commands"};
    int known = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        known |= !strcmp(o.test, tests[i]);
    if (!known || (o.mode && strcmp(o.mode, "contract") && strcmp(o.mode, "generic"))) {
        fprintf(stderr, "wsb-load: unknown --test or --mode (see --help)\n");
        return 2;
    }
    if (o.scenario && loadscen_kind(o.scenario) < 0) {
        fprintf(stderr, "wsb-load: unknown --scenario %s (steady, burst, ramp, stress, realistic)\n",
                o.scenario);
        return 2;
    }
    if (o.lifecycle && strcmp(o.lifecycle, "persistent") && strcmp(o.lifecycle, "intermittent")) {
        fprintf(stderr, "wsb-load: --lifecycle is persistent or intermittent\n");
        return 2;
    }
    if (o.scenario && !o.publishers)
        o.publishers = 1;
    if (o.publishers && !o.secret && !o.token) {
        fprintf(stderr, "wsb-load: --publishers needs --jwt-secret or --token\n");
        return 2;
    }
    if (!o.connections)
        o.connections = o.scenario || !strcmp(o.test, "throughput") || !strcmp(o.test, "concurrent")
                            ? 100 : 10;
    char msg[256];
    long lim = loadengine_raise_nofile(o.connections / o.workers + o.publishers + 64, msg,
                                       sizeof msg);
    if (msg[0])
        fprintf(stderr, "wsb-load: %s (soft limit now %ld)\n", msg, lim);
    const char *jci = getenv("JOB_COMPLETION_INDEX");
    if (o.replica < 0 && jci && *jci &&
        num("JOB_COMPLETION_INDEX", jci, 0, 999, &o.replica))
        return 2;
    if (o.replica >= 0 && o.workers > 1) {
        fprintf(stderr, "wsb-load: --worker-index and --workers do not go together\n");
        return 2;
    }
    loadseries_init(&series);
    series_t0 = wclock_mono_us();
    if (o.workers > 1) /* each worker writes its own series; /metrics serves one worker */
        return run_workers(&o, argv[0]);
    if (o.metrics_port >= 0) {
        int port = wsbload_http_start("127.0.0.1", (int)o.metrics_port, msg, sizeof msg);
        if (port < 0) {
            fprintf(stderr, "wsb-load: %s\n", msg);
            return 2;
        }
        printf("metrics on port %d\n", port);
        fflush(stdout);
        char text[4096];
        size_t n = loadseries_prom(&series, text, sizeof text);
        wsbload_http_set(text, n);
    }
    int rc;
    if (o.replica >= 0) { /* a replica: workers/<i>/ under --out-dir, as a forked worker */
        char dir[4200], cmd[4400];
        snprintf(dir, sizeof dir, "%s/workers/%ld", o.out_dir ? o.out_dir : "wsb-load-results",
                 o.replica);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/metrics'", dir);
        if (system(cmd)) {
            fprintf(stderr, "wsb-load: cannot make %s\n", dir);
            return 2;
        }
        char csv[4300];
        snprintf(csv, sizeof csv, "%s/connections.csv", dir);
        o.worker_index = (int)o.replica;
        if (!o.output)
            o.output = csv;
        rc = run_here(&o, dir);
    } else {
        rc = run_here(&o, NULL);
    }
    wsbload_http_stop();
    loadseries_free(&series);
    return rc;
}
