/* perf_resources: samples every service's CPU, RSS, open fds and network
 * bytes once a second on a thread of its own during a performance window,
 * writes the series, and draws the bottleneck verdict from a window's
 * figures (see perf_resources.h). */
#include "perf_resources.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wclock.h"
#include "wjson.h"

struct perf_res {
    const suite_ctx *ctx;
    pthread_t th;
    int running;
    volatile int stop;
    pthread_mutex_t mu;
    perf_series ser[ENV_NUM_SERVICES];
};

static void *sampler(void *arg)
{
    perf_res *p = arg;
    double t0 = wclock_mono_s();
    int skip[ENV_NUM_SERVICES] = {0};
    int64_t next = wclock_mono_ms();
    while (!p->stop) {
        for (int s = 0; s < ENV_NUM_SERVICES && !p->stop; s++) {
            if (skip[s])
                continue;
            env_stats st;
            char err[160];
            memset(&st, 0, sizeof(st));
            if (envdriver_stats(p->ctx->env, (env_service)s, &st, err, sizeof(err)) < 0) {
                pthread_mutex_lock(&p->mu);
                snprintf(p->ser[s].err, sizeof(p->ser[s].err), "%s", err);
                pthread_mutex_unlock(&p->mu);
                skip[s] = 1; /* absent (no proxy) or gone: not asked again this window */
                continue;
            }
            pthread_mutex_lock(&p->mu);
            perf_series *se = &p->ser[s];
            if (se->n < PERF_RES_MAX_SAMPLES)
                se->s[se->n++] =
                    (perf_sample){wclock_mono_s() - t0, st.cpu_percent,  st.mem_bytes,
                                  st.open_fds,          st.net_rx_bytes, st.net_tx_bytes};
            se->have = 1;
            pthread_mutex_unlock(&p->mu);
        }
        next += 1000;
        while (!p->stop && wclock_mono_ms() < next)
            wclock_sleep_ms(20);
    }
    return NULL;
}

perf_res *perf_res_start(const suite_ctx *ctx)
{
    if (!ctx->env || !envdriver_has(ctx->env, ENV_CAP_STATS))
        return NULL;
    perf_res *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->ctx = ctx;
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->th, NULL, sampler, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    p->running = 1;
    return p;
}

void perf_res_stop(perf_res *p)
{
    if (!p || !p->running)
        return;
    p->stop = 1;
    pthread_join(p->th, NULL);
    p->running = 0;
}

void perf_res_free(perf_res *p)
{
    if (!p)
        return;
    perf_res_stop(p);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

const perf_series *perf_res_series(const perf_res *p, env_service s)
{
    return p && (unsigned)s < ENV_NUM_SERVICES ? &p->ser[s] : NULL;
}

/* The first sample of a native service is a 200 ms baseline of its own, so
 * every sample counts; a stopped sampler's series no longer change. */
double perf_res_cpu_max(const perf_res *p, env_service s)
{
    const perf_series *se = perf_res_series(p, s);
    if (!se || se->n == 0)
        return -1;
    double m = 0;
    for (int i = 0; i < se->n; i++)
        if (se->s[i].cpu_percent > m)
            m = se->s[i].cpu_percent;
    return m;
}

double perf_res_cpu_mean(const perf_res *p, env_service s)
{
    const perf_series *se = perf_res_series(p, s);
    if (!se || se->n == 0)
        return -1;
    double sum = 0;
    for (int i = 0; i < se->n; i++)
        sum += se->s[i].cpu_percent;
    return sum / se->n;
}

int perf_write_json(const suite_ctx *ctx, const char *tag, const char *kind, cJSON *root)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof(dir), "%s/metrics", ctx->results_dir);
    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/%s_%s_%s.json", dir, ctx->suite_name, tag, kind);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *f = text ? fopen(path, "w") : NULL;
    int rc = -1;
    if (f) {
        rc = fputs(text, f) < 0 ? -1 : 0;
        if (fclose(f) != 0)
            rc = -1;
    }
    free(text);
    if (rc < 0)
        suite_log("cannot write %s", path);
    return rc;
}

int perf_res_write(const suite_ctx *ctx, const char *tag, const perf_res *p)
{
    if (!p)
        return 0;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "wsb-perf-resources");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "driver", envdriver_name(ctx->env));
    cJSON_AddStringToObject(root, "net_bytes", "Docker: the service's network interfaces; native: its open TCP sockets; -1 unknown");
    cJSON *svcs = cJSON_AddObjectToObject(root, "services");
    for (int s = 0; s < ENV_NUM_SERVICES; s++) {
        const perf_series *se = &p->ser[s];
        cJSON *o = cJSON_AddObjectToObject(svcs, envdriver_service_name((env_service)s));
        if (!se->have) {
            cJSON_AddStringToObject(o, "unavailable", se->err);
            continue;
        }
        cJSON *arr = cJSON_AddArrayToObject(o, "samples");
        for (int i = 0; i < se->n; i++) {
            const perf_sample *x = &se->s[i];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "t", x->t);
            cJSON_AddNumberToObject(e, "cpu_pct", x->cpu_percent);
            cJSON_AddNumberToObject(e, "rss_bytes", (double)x->rss_bytes);
            cJSON_AddNumberToObject(e, "open_fds", (double)x->open_fds);
            cJSON_AddNumberToObject(e, "net_rx_bytes", (double)x->net_rx_bytes);
            cJSON_AddNumberToObject(e, "net_tx_bytes", (double)x->net_tx_bytes);
            cJSON_AddItemToArray(arr, e);
        }
    }
    return perf_write_json(ctx, tag, "resources", root);
}

void perf_res_metrics(const perf_res *p)
{
    if (!p)
        return;
    for (int s = 0; s < ENV_NUM_SERVICES; s++) {
        const perf_series *se = &p->ser[s];
        if (!se->have || se->n == 0)
            continue;
        const char *nm = envdriver_service_name((env_service)s);
        long long rss = 0;
        for (int i = 0; i < se->n; i++)
            if (se->s[i].rss_bytes > rss)
                rss = se->s[i].rss_bytes;
        const perf_sample *first = &se->s[0], *last = &se->s[se->n - 1];
        char name[96];
        snprintf(name, sizeof(name), "%s_cpu_max", nm);
        suite_metric(name, perf_res_cpu_max(p, (env_service)s), "%");
        snprintf(name, sizeof(name), "%s_cpu_mean", nm);
        suite_metric(name, perf_res_cpu_mean(p, (env_service)s), "%");
        snprintf(name, sizeof(name), "%s_rss_max", nm);
        suite_metric(name, (double)rss, "bytes");
        if (last->open_fds >= 0) {
            snprintf(name, sizeof(name), "%s_open_fds", nm);
            suite_metric(name, (double)last->open_fds, "");
        }
        double dt = last->t - first->t;
        if (last->net_rx_bytes >= 0 && first->net_rx_bytes >= 0 && dt > 0) {
            snprintf(name, sizeof(name), "%s_net_rx_rate", nm);
            suite_metric(name, (double)(last->net_rx_bytes - first->net_rx_bytes) / dt, "B/s");
            snprintf(name, sizeof(name), "%s_net_tx_rate", nm);
            suite_metric(name, (double)(last->net_tx_bytes - first->net_tx_bytes) / dt, "B/s");
        }
    }
}

/* ---- the verdict ---------------------------------------------------------- */

static const char *hop_name(int bot)
{
    return bot ? "bot -> dashboard" : "dashboard -> subscribers";
}

int perf_verdict(const perf_verdict_in *in, char *out, size_t len)
{
    /* the busiest service */
    int busiest = -1;
    double cpu = -1;
    for (int s = 0; in->res && s < ENV_NUM_SERVICES; s++) {
        double c = perf_res_cpu_max(in->res, (env_service)s);
        if (c > cpu) {
            cpu = c;
            busiest = s;
        }
    }
    const char *bname = busiest >= 0 ? envdriver_service_name((env_service)busiest) : "?";
    int hop_bot = in->hop1_p99_us >= in->hop2_p99_us;
    double hop_p99 = hop_bot ? in->hop1_p99_us : in->hop2_p99_us;
    int breached = in->breached;
    /* a backlog that grows more than 5 % of the rate per second: delivery falls behind */
    if (in->backlog_growth > 0.05 * in->rate && in->backlog_growth > 1) {
        snprintf(out, len,
                 "backlog grows %.0f msg/s at %.0f msg/s (delivered %.0f of %.0f scheduled per "
                 "second): delivery falls behind; busiest %s at %.0f %% of a core",
                 in->backlog_growth, in->rate, in->delivered_rate, in->published_rate, bname, cpu);
        return PERF_BN_BACKLOG;
    }
    if (cpu >= PERF_SATURATED_PCT) {
        snprintf(out, len, "%s at %.0f %% of a core at %.0f msg/s x %d subscribers: %s bound",
                 bname, cpu, in->rate, in->subscribers,
                 busiest == ENV_DASHBOARD ? "fan-out" : bname);
        return PERF_BN_CPU;
    }
    if (in->rx_cpu_pct >= PERF_SATURATED_PCT) {
        snprintf(out, len,
                 "the receiving test thread at %.0f %% of a core: the harness, not the bridge, "
                 "is the limit at %.0f msg/s x %d subscribers",
                 in->rx_cpu_pct, in->rate, in->subscribers);
        return PERF_BN_HARNESS;
    }
    if (breached) {
        snprintf(out, len,
                 "e2e p99 %.2f ms breaks the budget (%s) at %.0f msg/s; %s dominates (p99 %.2f "
                 "ms, fan-out spread p99 %.2f ms); busiest %s at %.0f %% of a core",
                 in->e2e_p99_us / 1000, in->budget, in->rate, hop_name(hop_bot), hop_p99 / 1000,
                 in->spread_p99_us / 1000, bname, cpu);
        return hop_bot ? PERF_BN_HOP_BOT : PERF_BN_HOP_FANOUT;
    }
    snprintf(out, len,
             "no bottleneck at %.0f msg/s x %d subscribers: e2e p99 %.2f ms within the budget "
             "(%s); largest hop %s (p99 %.2f ms); busiest %s at %.0f %% of a core",
             in->rate, in->subscribers, in->e2e_p99_us / 1000, in->budget, hop_name(hop_bot),
             hop_p99 / 1000, bname, cpu);
    return PERF_BN_NONE;
}
