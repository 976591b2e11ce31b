/* bench-load: what the load engine costs. Prints figures; never fails on
 * speed (exit 1 only when it cannot run). Each phase is bounded in count and
 * time. CPU figures are this process's own (getrusage), noisy on a shared
 * machine.
 *
 *   parse    frames parsed and checked per CPU-second by the bulk reader's
 *            code alone (loadframe_feed + the field scan + a histogram record
 *            per frame, a clock read per read as the engine does), on 64 KiB
 *            reads of real stream envelopes;
 *   fanout   one engine publisher at full speed to BENCH_SUBS (100)
 *            subscribers through wsb-dashboard: frames received per CPU-second
 *            of the engine, bulk reader and lws's reader side by side;
 *   steady   BENCH_STEADY (2,000) subscribers receiving 1 message/s for 10 s:
 *            the engine's CPU (% of a core) and RSS;
 *   hold     BENCH_CONNS (19,000) idle subscribers held: RSS per connection.
 *
 * BENCH_ONLY=parse|fanout|steady|hold runs one phase; BENCH_READER=bulk|lws runs fanout with one
 * reader (both by default), e.g. under perf record. Needs build/bin/wsb-dashboard. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "histogram.h"
#include "jwt.h"
#include "loadengine.h"
#include "loadframe.h"
#include "procstat.h"
#include "spawn.h"
#include "wclock.h"

#define SECRET "bench-load-secret"

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int env_int(const char *n, int def)
{
    const char *v = getenv(n);
    return v && *v ? atoi(v) : def;
}

typedef struct pstate {
    histogram *h;
    int64_t last, now;
    uint64_t frames, bad;
} pstate;

static int on_frame(void *user, int op, uint8_t *p, size_t n)
{
    pstate *s = user;
    loadframe_fields f;
    (void)op;
    s->frames++;
    if (loadframe_fields_parse((const char *)p, n, &f) || !(f.have & LOADFRAME_F_SEQ)) {
        s->bad++;
        return 0;
    }
    histogram_record(s->h, (s->now - f.ts_us) * 1000);
    s->last = f.seq;
    return 0;
}

static void phase_parse(void)
{
    enum { READ = 65536 };
    uint8_t *stream = malloc(READ * 64), *buf = malloc(READ);
    size_t len = 0;
    char text[512];
    int64_t ts = wclock_real_us();
    for (long seq = 1; len + 600 < (size_t)READ * 64; seq++) {
        int n = snprintf(text, sizeof text,
                         "{\"v\":1,\"type\":\"market_data\",\"source\":\"bot-1\",\"seq\":%ld,"
                         "\"ts_us\":%lld,\"data\":{\"symbol\":\"BTC-USD\",\"price\":64250.5,"
                         "\"bid\":64250.0,\"ask\":64251.0,\"volume\":12.75,\"change_pct\":-0.42},"
                         "\"relay_us\":%lld}",
                         seq, (long long)ts, (long long)ts + 50);
        len += loadframe_encode(stream + len, (size_t)READ * 64 - len, LOADFRAME_OP_TEXT, text,
                                (size_t)n, 0, 0);
    }
    pstate s = {histogram_new(), 0, 0, 0, 0};
    loadframe_rx rx = {0};
    double c0 = cpu_now(), t0 = wclock_mono_s();
    for (int round = 0; round < 40 && wclock_mono_s() - t0 < 10; round++)
        for (size_t off = 0; off < len; off += READ) {
            size_t n = len - off < READ ? len - off : READ;
            memcpy(buf, stream + off, n); /* as read() would */
            s.now = wclock_real_us();
            loadframe_feed(&rx, buf, n, 65536, on_frame, &s);
        }
    double cpu = cpu_now() - c0;
    printf("RESULT parse_frames_per_cpu_s %.0f (%llu frames of ~%zu bytes, %.2f s CPU, "
           "%.0f ns each, %llu unparsed)\n",
           (double)s.frames / cpu, (unsigned long long)s.frames, len / (s.frames / 40 + 1), cpu,
           cpu * 1e9 / (double)s.frames, (unsigned long long)s.bad);
    loadframe_rx_free(&rx);
    histogram_free(s.h);
    free(stream);
    free(buf);
}

static int start_dashboard(spawn_proc *p, char *url, char *purl, size_t len)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char bin[512], err[256];
    snprintf(bin, sizeof bin, "%s/bin/wsb-dashboard", build);
    char *argv[] = {bin, "--host", "127.0.0.1", "--port", "0", "--jwt-secret", SECRET,
                    "--idle-timeout", "0", NULL};
    spawn_opts o;
    memset(&o, 0, sizeof o);
    o.stop_at_exit = 1;
    if (spawn_start(p, argv, &o, err, sizeof err) < 0 ||
        spawn_wait_port(p, "listening on port ", 10000, err, sizeof err) < 0) {
        fprintf(stderr, "bench-load: wsb-dashboard: %s\n", err);
        return -1;
    }
    snprintf(url, len, "ws://127.0.0.1:%d/ws/stream", p->port);
    snprintf(purl, len, "ws://127.0.0.1:%d/ws", p->port);
    return 0;
}

static int run(loadengine_cfg *c, loadengine_result *r)
{
    char err[256];
    if (loadengine_run(c, r, err, sizeof err)) {
        fprintf(stderr, "bench-load: %s\n", err);
        return -1;
    }
    return 0;
}

static int phase_dashboard(const char *which)
{
    spawn_proc p;
    char url[128], purl[128];
    if (start_dashboard(&p, url, purl, sizeof url))
        return -1;
    char *sub = jwt_sign(SECRET, "bench", "subscriber", 3600);
    char *pub = jwt_sign(SECRET, "load-1", "publisher", 3600);
    loadengine_cfg c = {.url = url, .token = sub, .subscribe = "{\"type\":\"subscribe\"}",
                        .contract = 1, .pub_url = purl, .pub_tokens = (const char *const *)&pub,
                        .stop_when_done = 1, .max_in_flight = 200, .connect_timeout_s = 10};
    loadengine_result r;
    int rc = 0;
    if (!strcmp(which, "fanout")) {
        const char *rd = getenv("BENCH_READER");
        for (int nb = 0; nb < 2 && !rc; nb++) {
            if (rd && *rd && strcmp(rd, nb ? "lws" : "bulk"))
                continue;
            c.connections = env_int("BENCH_SUBS", 100);
            c.publishers = 1;
            c.pub_rate = 1e6;
            c.pub_messages = 20000;
            c.duration_s = 20;
            c.no_bulk = nb;
            if ((rc = run(&c, &r)))
                break;
            printf("RESULT fanout_%s_frames_per_cpu_s %.0f (%d subscribers, %llu frames in "
                   "%.2f s, %.0f/s, %.1f frames per read, engine CPU %.2f s, p99 %.1f ms, "
                   "ledger short %llu)\n",
                   nb ? "lws" : "bulk", (double)r.frames_rx / r.cpu_s, r.connections,
                   (unsigned long long)r.frames_rx, r.elapsed_s, (double)r.frames_rx / r.elapsed_s,
                   r.reads_rx ? (double)r.frames_rx / (double)r.reads_rx : 0.0, r.cpu_s, (double)histogram_percentile(r.latency, 99) / 1e6,
                   (unsigned long long)r.ledger_short);
            loadengine_result_free(&r);
        }
    } else if (!strcmp(which, "steady")) {
        c.connections = env_int("BENCH_STEADY", 2000);
        c.publishers = 1;
        c.pub_rate = 1;
        c.pub_messages = 10;
        c.duration_s = 30;
        long long rss0 = procstat_rss_bytes(getpid());
        if (!(rc = run(&c, &r))) {
            printf("RESULT steady_cpu_pct %.2f (%d subscribers x 1 msg/s for %.1f s: CPU %.3f s "
                   "incl. %d handshakes; RSS peak %.1f MiB, +%.1f MiB; %llu received)\n",
                   100 * r.cpu_s / r.elapsed_s, r.connections, r.elapsed_s, r.cpu_s,
                   r.connections, (double)r.rss_peak / 1048576,
                   (double)(r.rss_peak - rss0) / 1048576, (unsigned long long)r.messages_rx);
            loadengine_result_free(&r);
        }
    } else {
        c.connections = env_int("BENCH_CONNS", 19000);
        c.publishers = 0;
        c.duration_s = 3;
        c.stop_when_done = 0;
        long long rss0 = procstat_rss_bytes(getpid());
        if (!(rc = run(&c, &r))) {
            int ok = (int)(loadengine_success_rate(&r) * r.connections + 0.5);
            printf("RESULT hold_connections %d of %d (peak open %d, fd limit %ld), RSS +%.1f "
                   "MiB, %.0f bytes per connection, %.2f s CPU\n",
                   ok, r.connections, r.open_peak, r.nofile,
                   (double)(r.rss_peak - rss0) / 1048576,
                   ok ? (double)(r.rss_peak - rss0) / ok : 0, r.cpu_s);
            loadengine_result_free(&r);
        }
    }
    free(sub);
    free(pub);
    spawn_stop(&p, SIGTERM, 5000);
    return rc;
}

int main(void)
{
    const char *only = getenv("BENCH_ONLY");
    printf("bench-load (CPU figures are this process's, on a shared 2-core machine: noisy)\n");
    if (!only || !strcmp(only, "parse"))
        phase_parse();
    static const char *phases[] = {"fanout", "steady", "hold"};
    for (int i = 0; i < 3; i++)
        if ((!only || !strcmp(only, phases[i])) && phase_dashboard(phases[i]))
            return 1;
    return 0;
}
