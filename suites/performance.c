/* performance: the performance suite.
 *
 * The bot's stream at a fixed rate through the dashboard to a set of
 * subscribers, measured from the bot's scheduled time (ts_us: time queued in
 * the bot counts, no coordinated omission): end-to-end and per-hop latency
 * histograms, the fan-out spread, publish against delivery per second and
 * the backlog, the services' resources once a second, a written bottleneck
 * verdict, a single connection beside a redundant pool, a rate sweep to the
 * knee, and ping round trips idle and under load (perf_measure.c,
 * perf_resources.c do the work). Metric names are stable: thresholds refer
 * to them (e2e_latency, hop_bot_to_dashboard, hop_dashboard_to_subscriber,
 * fanout_spread, ping_rtt_idle, ping_rtt_load, delivery_rate, ...). */
#include "performance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "perf_measure.h"
#include "perf_replay.h"
#include "threshold.h"
#include "wclock.h"

#define PERF_SWEEP_MAX_STEPS 8
#define PERF_SWEEP_MAX_RATE 50000.0
#define PERF_SCHEDULE_OFF_MAX 0.2 /* more stamps than this off the grid: not the schedule (a
                                     scheduled stamp is arithmetic: exactly on it) */
#define PERF_IDLE_PINGS 30

static int is_short(const suite_ctx *ctx)
{
    return strcmp(ctx->profile.name, "short") == 0;
}

static double env_num(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    double d = strtod(v, &end);
    return *end == 0 && d >= 0 ? d : dflt;
}

static perf_opts window_opts(const suite_ctx *ctx)
{
    int s = is_short(ctx);
    perf_opts o = {
        .rate = env_num("WSB_PERF_RATE", s ? 200 : 500),
        .subscribers = (int)env_num("WSB_PERF_SUBSCRIBERS", s ? 5 : 10),
        .duration_s = env_num("WSB_PERF_DURATION_S", s ? 10 : 60),
        .pool = (int)env_num("WSB_PERF_POOL", 3),
        .ping_ms = 100,
        .resources = 1,
    };
    return o;
}

static int schedule_judged(void)
{
    const char *v = getenv("WSB_PERF_SCHEDULE");
    return !v || strcmp(v, "off") != 0;
}

/* The end-to-end window, kept for the checks that report from it. */
static perf_result window;
static int have_window;

void performance_reset(void)
{
    if (have_window)
        perf_result_free(&window);
    have_window = 0;
}

const histogram *performance_window_e2e(void)
{
    return have_window ? window.e2e : NULL;
}

static double p_us(const histogram *h, double p)
{
    return (double)histogram_percentile(h, p) / 1000.0;
}

static void log_hist(const char *name, const histogram *h)
{
    suite_log("%-28s n=%-7llu p50 %8.3f ms  p90 %8.3f ms  p99 %8.3f ms  p99.9 %8.3f ms  max "
              "%8.3f ms",
              name, (unsigned long long)histogram_count(h), p_us(h, 50) / 1000, p_us(h, 90) / 1000,
              p_us(h, 99) / 1000, p_us(h, 99.9) / 1000, p_us(h, 100) / 1000);
}

static void record_hist(const char *name, const histogram *h)
{
    if (histogram_count(h) == 0)
        return;
    suite_histogram(name, h);
    log_hist(name, h);
}

static double delivery_ratio(const perf_result *r)
{
    return r->expected > 0 ? (double)r->receipts / (double)r->expected : 0;
}

/* Appends "; " and a problem to msg (msg holds the problems found so far). */
static void problem(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void problem(char *buf, size_t len, const char *fmt, ...)
{
    size_t o = strlen(buf);
    if (o && o + 2 < len) {
        memcpy(buf + o, "; ", 3);
        o += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    if (o < len)
        vsnprintf(buf + o, len - o, fmt, ap);
    va_end(ap);
}

check_result performance_check_end_to_end(const suite_ctx *ctx, char *msg, size_t len)
{
    performance_reset();
    perf_opts o = window_opts(ctx);
    suite_log("end_to_end: %.0f msg/s, %d subscribers (+1 single, %d pooled, 1 pinging), %.1f s "
              "window, %s driver; figures on %s are noisy (shared cores)",
              o.rate, o.subscribers, o.pool, o.duration_s, envdriver_name(ctx->env),
              "this machine");
    perf_result *r = &window;
    check_result cr = perf_run(ctx, &o, r, msg, len);
    if (cr != CHECK_PASS) {
        perf_result_free(r);
        return cr;
    }
    have_window = 1;
    record_hist("e2e_latency", r->e2e);
    record_hist("hop_bot_to_dashboard", r->hop1);
    record_hist("hop_dashboard_to_subscriber", r->hop2);
    record_hist("fanout_spread", r->spread);
    record_hist("ping_rtt_load", r->ping);
    double dr = delivery_ratio(r);
    suite_metric("delivery_rate", dr, "ratio");
    suite_metric("rate_asked", r->rate, "msg/s");
    suite_metric("published_rate", r->published_rate, "msg/s");
    suite_metric("delivered_rate", r->delivered_rate, "msg/s");
    suite_metric("backlog_growth", r->backlog_growth, "msg/s");
    suite_metric("out_of_order", (double)r->out_of_order, "");
    suite_metric("off_schedule", r->trading ? (double)r->off_grid / (double)r->trading : 0,
                 "ratio");
    suite_log("rate: asked %.0f msg/s (%s), published %.1f msg/s, delivered %.1f msg/s per "
              "subscriber, backlog growth %.2f msg/s; %ld messages, %ld of %ld receipts",
              r->rate, r->rate_set ? "set_rate taken" : "the bot's own", r->published_rate,
              r->delivered_rate, r->backlog_growth, r->messages, r->receipts, r->expected);
    for (int s = 0; r->sec && s < r->nsec; s++)
        suite_log("  second %2d: published %5ld, delivered %7.1f per subscriber, backlog %.1f", s,
                  r->sec[s].published, (double)r->sec[s].delivered / o.subscribers,
                  r->sec[s].backlog);
    perf_write_rate_series(ctx, "e2e", r);
    if (r->res) {
        perf_res_write(ctx, "e2e", r->res);
        perf_res_metrics(r->res);
        for (int s = 0; s < ENV_NUM_SERVICES; s++) {
            const perf_series *se = perf_res_series(r->res, (env_service)s);
            if (se->have && se->n)
                suite_log("resources %-9s cpu max %5.1f %% mean %5.1f %%, rss %lld KiB, fds %ld "
                          "(%d samples)",
                          envdriver_service_name((env_service)s),
                          perf_res_cpu_max(r->res, (env_service)s),
                          perf_res_cpu_mean(r->res, (env_service)s),
                          se->s[se->n - 1].rss_bytes / 1024, se->s[se->n - 1].open_fds, se->n);
        }
    }
    char budget[160];
    perf_verdict_in vi = {
        .rate = r->rate,
        .subscribers = o.subscribers,
        .e2e_p99_us = p_us(r->e2e, 99),
        .hop1_p99_us = p_us(r->hop1, 99),
        .hop2_p99_us = p_us(r->hop2, 99),
        .spread_p99_us = p_us(r->spread, 99),
        .breached = !threshold_met_histogram(ctx->thresholds, "perf_e2e_latency", r->e2e),
        .budget = threshold_describe(ctx->thresholds, "perf_e2e_latency", budget, sizeof(budget)),
        .published_rate = r->published_rate,
        .delivered_rate = r->delivered_rate,
        .backlog_growth = r->backlog_growth,
        .delivery_ratio = dr,
        .rx_cpu_pct = 100.0 * r->rx_cpu_s / (o.duration_s + PERF_SETTLE_MS / 1000.0),
        .res = r->res,
    };
    char verdict[400];
    int code = perf_verdict(&vi, verdict, sizeof(verdict));
    suite_metric("bottleneck_code", code, "");
    suite_log("verdict: %s", verdict);

    /* the judgement: what the product promises */
    char probs[900] = "";
    if (histogram_count(r->e2e) == 0)
        problem(probs, sizeof(probs), "no bot message was scheduled and received in the window");
    /* judged (and recorded) only on a window that measured something */
    char why[300] = "";
    int breaches =
        histogram_count(r->e2e) > 0 &&
        threshold_judge_histogram(ctx->thresholds, "perf_e2e_latency", r->e2e, why, sizeof(why));
    if (r->expected > 0 && r->receipts < r->expected)
        problem(probs, sizeof(probs),
                "%ld of %ld receipts missing (seq %lld-%lld x %d subscribers): lost messages have "
                "no latency",
                r->expected - r->receipts, r->expected, (long long)r->seq_first,
                (long long)r->seq_last, o.subscribers);
    if (r->out_of_order)
        problem(probs, sizeof(probs), "%ld receipts out of order or duplicated", r->out_of_order);
    if (schedule_judged() && r->rate > 0 && r->trading >= 20 &&
        (double)r->off_grid > PERF_SCHEDULE_OFF_MAX * (double)r->trading)
        problem(probs, sizeof(probs),
                "ts_us is not the scheduled time: %ld of %ld trading stamps lie more than %d us "
                "off the bot's %.0f msg/s schedule (median %.0f us off): stamped at send time? "
                "time queued in the bot would be hidden",
                r->off_grid, r->trading, PERF_GRID_TOLERANCE_US, r->rate, r->off_grid_p50_us);
    else if (!schedule_judged() || r->rate <= 0)
        suite_log("schedule: not compared (%s)",
                  r->rate <= 0 ? "the bot's rate is unknown" : "WSB_PERF_SCHEDULE=off");
    if (probs[0])
        return bridge_fail(msg, len, "%s%s%s [verdict: %s]",
                           breaches ? "latency budget breached: " : "", breaches ? why : "", probs,
                           verdict);
    if (breaches)
        return bridge_breach(msg, len,
                             "latency budget breached: %s (e2e p99 %.1f ms, p99.9 %.1f ms, max "
                             "%.1f ms) [verdict: %s]",
                             why, vi.e2e_p99_us / 1000, p_us(r->e2e, 99.9) / 1000,
                             p_us(r->e2e, 100) / 1000, verdict);
    snprintf(msg, len,
             "e2e p50 %.2f / p99 %.2f / p99.9 %.2f / max %.2f ms at %.0f msg/s x %d subscribers "
             "(budget %s); hops p99 %.2f + %.2f ms; spread p99 %.2f ms; %ld/%ld "
             "delivered; verdict: %s",
             p_us(r->e2e, 50) / 1000, vi.e2e_p99_us / 1000, p_us(r->e2e, 99.9) / 1000,
             p_us(r->e2e, 100) / 1000, r->rate, o.subscribers, budget, vi.hop1_p99_us / 1000,
             vi.hop2_p99_us / 1000, vi.spread_p99_us / 1000, r->receipts, r->expected, verdict);
    return CHECK_PASS;
}

static void table_row(const char *name, const histogram *h)
{
    suite_log("  %-7s n=%-7llu mean %8.3f  p50 %8.3f  p90 %8.3f  p99 %8.3f  min %8.3f  max "
              "%8.3f ms",
              name, (unsigned long long)histogram_count(h), histogram_mean(h) / 1e6,
              p_us(h, 50) / 1000, p_us(h, 90) / 1000, p_us(h, 99) / 1000,
              (double)histogram_min(h) / 1e6, p_us(h, 100) / 1000);
}

check_result performance_check_single_vs_pool(const suite_ctx *ctx, char *msg, size_t len)
{
    (void)ctx;
    if (!have_window)
        return bridge_skip(msg, len, "the end-to-end window did not run");
    const perf_result *r = &window;
    if (histogram_count(r->single) == 0)
        return bridge_skip(msg, len, "no pool in the window (WSB_PERF_POOL=0)");
    suite_log("single vs pool (first arrival wins), same window:");
    table_row("single", r->single);
    table_row("pool", r->pooled);
    suite_histogram("single_latency", r->single);
    suite_histogram("pooled_latency", r->pooled);
    suite_metric("single_mean", histogram_mean(r->single) / 1000, "us");
    suite_metric("pooled_mean", histogram_mean(r->pooled) / 1000, "us");
    uint64_t want = r->messages;
    if (histogram_count(r->single) < want || histogram_count(r->pooled) < want)
        return bridge_fail(msg, len,
                           "of %llu messages the single connection received %llu and the pool "
                           "%llu",
                           (unsigned long long)want, (unsigned long long)histogram_count(r->single),
                           (unsigned long long)histogram_count(r->pooled));
    snprintf(msg, len,
             "single p50 %.3f / p99 %.3f ms, pool p50 %.3f / p99 %.3f ms over %llu messages",
             p_us(r->single, 50) / 1000, p_us(r->single, 99) / 1000, p_us(r->pooled, 50) / 1000,
             p_us(r->pooled, 99) / 1000, (unsigned long long)want);
    return CHECK_PASS;
}

check_result performance_check_rate_sweep(const suite_ctx *ctx, char *msg, size_t len)
{
    perf_opts o = window_opts(ctx);
    int s = is_short(ctx);
    o.duration_s = env_num("WSB_PERF_SWEEP_STEP_S", s ? 1.0 : 5.0);
    o.pool = 0;
    o.ping_ms = 0;
    o.resources = 0;
    double factor = s ? 4 : 2;
    int steps = s ? 2 : PERF_SWEEP_MAX_STEPS;
    double rate = o.rate, knee = 0;
    char last[300] = "", budget[160];
    suite_log("rate sweep: from %.0f msg/s, x%.0f per step, %.1f s each, %d subscribers", rate,
              factor, o.duration_s, o.subscribers);
    for (int i = 0; i < steps && rate <= PERF_SWEEP_MAX_RATE; i++, rate *= factor) {
        perf_result r;
        o.rate = rate;
        check_result cr = perf_run(ctx, &o, &r, msg, len);
        if (cr != CHECK_PASS) {
            perf_result_free(&r);
            return cr;
        }
        if (!r.rate_set) {
            perf_result_free(&r);
            return bridge_skip(msg, len, "the bot does not take set_rate: no sweep");
        }
        double p99 = p_us(r.e2e, 99);
        double dr = delivery_ratio(&r);
        char name[64];
        snprintf(name, sizeof(name), "sweep_%.0f_p99", rate);
        suite_metric(name, p99, "us");
        suite_log("  %7.0f msg/s: p50 %8.3f p99 %8.3f max %8.3f ms, delivered %.0f/s, backlog "
                  "growth %.1f/s, delivery %.4f",
                  rate, p_us(r.e2e, 50) / 1000, p99 / 1000, p_us(r.e2e, 100) / 1000,
                  r.delivered_rate, r.backlog_growth, dr);
        int ok = histogram_count(r.e2e) > 0 &&
                 threshold_met_histogram(ctx->thresholds, "perf_e2e_latency", r.e2e) && dr >= 1.0;
        snprintf(last, sizeof(last), "%.0f msg/s: p99 %.2f ms, delivery %.4f", rate, p99 / 1000,
                 dr);
        perf_result_free(&r);
        if (!ok)
            break;
        knee = rate;
    }
    suite_metric("sweep_knee_rate", knee, "msg/s");
    if (knee <= 0)
        return bridge_fail(
            msg, len, "no rate met the budget (%s, nothing lost): %s",
            threshold_describe(ctx->thresholds, "perf_e2e_latency", budget, sizeof(budget)), last);
    snprintf(msg, len, "highest rate within the budget: %.0f msg/s (last step %s)", knee, last);
    return CHECK_PASS;
}

check_result performance_check_ping_rtt(const suite_ctx *ctx, char *msg, size_t len)
{
    char err[300];
    if (!envdriver_has(ctx->env, ENV_CAP_BOT))
        return bridge_skip(msg, len, "no bot to pause: idle cannot be made");
    if (perf_bot_command(ctx, "pause", NULL, err, sizeof(err)) < 0)
        return bridge_skip(msg, len, "cannot pause the bot for an idle bridge: %s", err);
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    histogram *h = histogram_new();
    check_result cr = CHECK_PASS;
    wsconn *k = c ? bridge_subscriber(c, ctx, "{\"type\":\"subscribe\",\"types\":[\"alert\"]}",
                                      NULL, 5000, err, sizeof(err))
                  : NULL;
    if (!k || !h) {
        cr = bridge_fail(msg, len, "ping connection: %s", err);
        goto out;
    }
    wsclient_run_for(c, 200); /* what the bot had queued passes */
    for (int i = 0; i < PERF_IDLE_PINGS; i++) {
        int64_t rtt;
        if (wsconn_ping(c, k, 1000, &rtt, err, sizeof(err)) < 0) {
            cr = bridge_fail(msg, len, "idle ping %d of %d unanswered: %s", i + 1, PERF_IDLE_PINGS,
                             err);
            goto out;
        }
        histogram_record_us(h, (double)rtt);
        wsclient_run_for(c, 10);
    }
    record_hist("ping_rtt_idle", h);
    if (have_window && histogram_count(window.ping))
        snprintf(msg, len,
                 "ping RTT idle p50 %.3f / p99 %.3f ms; under load p50 %.3f / p99 %.3f "
                 "ms (%llu pings)",
                 p_us(h, 50) / 1000, p_us(h, 99) / 1000, p_us(window.ping, 50) / 1000,
                 p_us(window.ping, 99) / 1000, (unsigned long long)histogram_count(window.ping));
    else
        snprintf(msg, len, "ping RTT idle p50 %.3f / p99 %.3f ms", p_us(h, 50) / 1000,
                 p_us(h, 99) / 1000);
out:
    if (perf_bot_command(ctx, "resume", NULL, err, sizeof(err)) < 0 && cr == CHECK_PASS)
        cr = bridge_fail(msg, len, "the bot did not resume after the idle pings: %s", err);
    histogram_free(h);
    if (c)
        wsclient_free(c);
    return cr;
}

/* The exchange-format replay (perf_replay.h): the sample through the bridge,
 * judged at the subscribers. The short profile replays at 4x the recording's
 * pace, the full one at its own; WSB_PERF_REPLAY_SPEED overrides. */
check_result performance_check_exchange_replay(const suite_ctx *ctx, char *msg, size_t len)
{
    double speed = env_num("WSB_PERF_REPLAY_SPEED", is_short(ctx) ? 4 : 1);
    return perf_replay_run(ctx, perf_replay_sample(), speed > 0 ? speed : 1, msg, len);
}

/* A real exchange stream, only when the user gave one (--live-url): offline
 * is the one reason this check skips; a URL given and not reachable fails. */
check_result performance_check_live_feed(const suite_ctx *ctx, char *msg, size_t len)
{
    if (!ctx->live_url || !ctx->live_url[0])
        return bridge_skip(msg, len, "no --live-url (offline)");
    double span = env_num("WSB_LIVE_WINDOW_S", is_short(ctx) ? 5 : 30);
    return perf_live_run(ctx, ctx->live_url, span > 0 ? span : 5, msg, len);
}

BRIDGE_TEST(performance, end_to_end)
BRIDGE_TEST(performance, single_vs_pool)
BRIDGE_TEST(performance, rate_sweep)
BRIDGE_TEST(performance, ping_rtt)
BRIDGE_TEST(performance, exchange_replay)
BRIDGE_TEST(performance, live_feed)

static int cleanup(void)
{
    performance_reset();
    return 0;
}

static CU_TestInfo tests[] = {
    {"end_to_end", test_end_to_end},
    {"single_vs_pool", test_single_vs_pool},
    {"rate_sweep", test_rate_sweep},
    {"ping_rtt", test_ping_rtt},
    {"exchange_replay", test_exchange_replay},
    {"live_feed", test_live_feed},
    CU_TEST_INFO_NULL,
};

const suite_def suite_performance = {
    .name = "performance",
    .description = "latency per hop and end to end at a fixed rate, rate and resources, "
                   "bottleneck verdict, single vs pool, rate sweep, ping RTT, exchange-format replay, "
                   "live exchange stream",
    .init = NULL,
    .cleanup = cleanup,
    .tests = tests,
};
