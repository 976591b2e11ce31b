/* bench_bot: how fast wsb-bot publishes to a local wsb-dashboard with acks,
 * and what CPU the bot uses at 1,000 messages/s. Prints figures; never fails
 * on speed (exit 1 only when a run itself breaks).
 *
 *   1. drain rate: --count N events generated at once (queue large enough),
 *      time until the dashboard acked all of them;
 *   2. sustained rate: 80% of that for 3 s on a schedule, checked to end with
 *      nothing dropped and every ack in within 1 s of the schedule (else the
 *      rate is halved, at most 3 tries);
 *   3. CPU of the bot at 1,000 msg/s from /proc/<pid>/stat over 5 s, and
 *      meanwhile the latency from each message's schedule time (ts_us) to
 *      the dashboard's receive time (relay_us) seen by a subscriber.
 * Bounded: each run has a timeout; every child is killed at exit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot_testkit.h"
#include "envelope.h"
#include "jwt.h"
#include "procstat.h"
#include "wclock.h"
#include "wjson.h"

#define DRAIN_COUNT 100000
#define SUSTAIN_S 3
#define CPU_SAMPLE_S 5

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Runs the bot with --count; fills the summary line. 0 on a summary. */
static int count_run(int dport, const char *log, const char *const *extra, char *line, size_t cap,
                     int timeout_ms)
{
    static spawn_proc bot;
    if (bot_testkit_start_bot(&bot, dport, log, extra) < 0)
        return -1;
    int ok = spawn_wait_line(&bot, "wsb-bot summary", timeout_ms);
    if (ok)
        snprintf(line, cap, "%s", bot.line);
    spawn_stop(&bot, 0, 5000);
    return ok ? 0 : -1;
}

int main(void)
{
    char dlog[256], blog[256], line[512];
    bot_testkit_log_path(dlog, sizeof(dlog), "bench-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "bench-bot");
    signal(SIGPIPE, SIG_IGN);
    static spawn_proc dash;
    int dport = bot_testkit_start_dashboard(&dash, 0, NULL, dlog);
    if (dport <= 0) {
        fprintf(stderr, "bench_bot: cannot start the dashboard (log %s)\n", dlog);
        return 1;
    }
    printf("bench_bot: wsb-bot -> wsb-dashboard on 127.0.0.1:%d (no journal: acks at once)\n",
           dport);

    /* 1. drain rate */
    char count[32], qsize[32];
    snprintf(count, sizeof(count), "%d", DRAIN_COUNT);
    snprintf(qsize, sizeof(qsize), "%d", DRAIN_COUNT * 2);
    const char *drain[] = {"--rate", "10000000",    "--count",   count,          "--queue-size",
                           qsize,    "--heartbeat", "0",         "--bot-status", "0",
                           "--seed", "1",           "--timeout", "60",           NULL};
    if (count_run(dport, blog, drain, line, sizeof(line), 90000)) {
        fprintf(stderr, "bench_bot: drain run gave no summary (log %s)\n", blog);
        return 1;
    }
    double el = atof(strstr(line, "elapsed_s=") ? strstr(line, "elapsed_s=") + 10 : "0");
    long long acked = bot_testkit_summary_field(line, "acked");
    double drain_rate = el > 0 ? (double)acked / el : 0;
    printf("drain: %lld messages acked in %.3f s = %.0f msg/s (%s)\n", acked, el, drain_rate,
           strstr(line, "result=ok") ? "all acked" : "INCOMPLETE");

    /* 2. sustained rate on a schedule */
    double rate = drain_rate * 0.8;
    for (int attempt = 0; attempt < 3 && rate >= 100; attempt++, rate /= 2) {
        char r[32], c[32];
        snprintf(r, sizeof(r), "%.0f", rate);
        snprintf(c, sizeof(c), "%.0f", rate * SUSTAIN_S);
        const char *sus[] = {
            "--rate",       r,   "--count", c,   "--queue-size", "100000", "--heartbeat", "0",
            "--bot-status", "0", "--seed",  "2", "--timeout",    "30",     NULL};
        if (count_run(dport, blog, sus, line, sizeof(line), 60000)) {
            fprintf(stderr, "bench_bot: sustained run gave no summary (log %s)\n", blog);
            return 1;
        }
        double e = atof(strstr(line, "elapsed_s=") ? strstr(line, "elapsed_s=") + 10 : "0");
        int ok = strstr(line, "result=ok") && bot_testkit_summary_field(line, "dropped") == 0 &&
                 e <= SUSTAIN_S + 1.0;
        printf("sustained: %s msg/s for %d s: %s (all acked %.3f s after start)\n", r, SUSTAIN_S,
               ok ? "kept up, nothing dropped" : "fell behind", e);
        if (ok)
            break;
    }

    /* 3. CPU at 1,000 msg/s */
    static spawn_proc bot;
    const char *cpu[] = {"--rate", "1000", "--seed", "3", "--flush-timeout", "1", NULL};
    int sport = bot_testkit_start_bot(&bot, dport, blog, cpu);
    if (sport <= 0) {
        fprintf(stderr, "bench_bot: cannot start the bot (log %s)\n", blog);
        return 1;
    }
    bot_testkit_wait_status(sport, "acked", 1000, 10000);
    long hz = sysconf(_SC_CLK_TCK);
    /* meanwhile a subscriber measures schedule-to-dashboard latency:
     * relay_us (the dashboard's receive time) - ts_us (the bot's schedule) */
    char *tok = jwt_sign(BOT_TESTKIT_SECRET, "bench-subscriber", "subscriber", 600);
    bot_testkit_ws *w = tok ? bot_testkit_ws_open(dport, "/ws/stream", tok) : NULL;
    free(tok);
    const char *sub = "{\"type\":\"subscribe\"}";
    if (w)
        bot_testkit_ws_send(w, 1, sub, strlen(sub));
    size_t nlat = 0, cap = CPU_SAMPLE_S * 2000;
    int64_t *lat = malloc(cap * sizeof(*lat));
    long long t0 = procstat_cpu_ticks(bot.pid);
    int64_t w0 = wclock_mono_ms();
    cJSON *s0 = bot_testkit_http_json(sport, "/status");
    while (wclock_mono_ms() - w0 < CPU_SAMPLE_S * 1000) {
        char *m;
        if (!w || !lat) {
            wclock_sleep_ms(100);
            continue;
        }
        int rc = bot_testkit_ws_recv(w, 200, &m);
        if (rc < 0)
            break;
        envelope_peek pk;
        if (rc == 1 && envelope_peek_fields(m, strlen(m), &pk) == 0 && pk.relay_us > 0 &&
            nlat < cap)
            lat[nlat++] = pk.relay_us - pk.ts_us;
    }
    long long t1 = procstat_cpu_ticks(bot.pid);
    int64_t w1 = wclock_mono_ms();
    cJSON *s1 = bot_testkit_http_json(sport, "/status");
    if (t0 >= 0 && t1 >= 0 && s0 && s1) {
        double wall = (double)(w1 - w0) / 1000.0;
        double pct = (double)(t1 - t0) / (double)hz / wall * 100.0;
        double acked_rate =
            (double)(wjson_int(s1, "acked", -1) - wjson_int(s0, "acked", -1)) / wall;
        printf("cpu: wsb-bot at 1000 msg/s: %.1f%% of one core over %.1f s "
               "(%.0f msg/s acked meanwhile)\n",
               pct, wall, acked_rate);
    } else {
        printf("cpu: could not sample /proc/%d/stat\n", (int)bot.pid);
    }
    if (nlat > 0) {
        qsort(lat, nlat, sizeof(*lat), cmp_i64);
        printf("latency: schedule (ts_us) to dashboard (relay_us) at 1000 msg/s over %zu "
               "messages: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
               nlat, (double)lat[nlat / 2] / 1000.0, (double)lat[nlat * 99 / 100] / 1000.0,
               (double)lat[nlat - 1] / 1000.0);
    }
    free(lat);
    bot_testkit_ws_close(w);
    cJSON_Delete(s0);
    cJSON_Delete(s1);
    spawn_signal(&bot, SIGTERM);
    spawn_stop(&bot, 0, 5000);
    spawn_stop(&dash, SIGKILL, 5000);
    return 0;
}
