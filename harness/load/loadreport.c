/* loadreport: the per-connection CSV and the text report of a load run
 * (see loadreport.h). */
#include "loadreport.h"

#include <stdlib.h>
#include <string.h>

double loadreport_conn_rate(const loadconn_stat *s)
{
    if (!s->ok || !s->messages || s->last_us <= s->connect_us)
        return 0;
    return (double)s->messages * 1e6 / (double)(s->last_us - s->connect_us);
}

static void ms_cell(FILE *f, int64_t us)
{
    if (us >= 0)
        fprintf(f, "%.3f", (double)us / 1000.0);
}

int loadreport_csv(const loadengine_result *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    fprintf(f, "connection_id,success,connect_time_ms,time_to_first_message_ms,"
               "time_to_last_message_ms,messages_received,messages_per_second,target_reached\n");
    int ok = 0, met = 0, nc = 0, nf = 0, nl = 0;
    double sc = 0, sf = 0, sl = 0, srate = 0;
    uint64_t msgs = 0;
    for (int i = 0; i < r->connections; i++) {
        const loadconn_stat *s = &r->conns[i];
        double rate = loadreport_conn_rate(s);
        fprintf(f, "%d,%s,", i + 1, s->ok ? "true" : "false");
        ms_cell(f, s->ok ? s->connect_us : -1);
        fputc(',', f);
        ms_cell(f, s->first_us);
        fputc(',', f);
        ms_cell(f, s->last_us);
        fprintf(f, ",%llu,%.3f,%s\n", (unsigned long long)s->messages, rate,
                s->target_met ? "true" : "false");
        ok += s->ok;
        met += s->target_met;
        msgs += s->messages;
        srate += rate;
        if (s->ok)
            sc += (double)s->connect_us, nc++;
        if (s->first_us >= 0)
            sf += (double)s->first_us, nf++;
        if (s->last_us >= 0)
            sl += (double)s->last_us, nl++;
    }
    fprintf(f, "summary,%d/%d,%.3f,%.3f,%.3f,%llu,%.3f,%d/%d\n", ok, r->connections,
            nc ? sc / nc / 1000 : 0, nf ? sf / nf / 1000 : 0, nl ? sl / nl / 1000 : 0,
            (unsigned long long)msgs, srate, met, r->connections);
    if (fclose(f)) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* avg, median, min, max of n values (sorted in place). */
static void spread(int64_t *v, int n, double *avg, double *med, int64_t *mn, int64_t *mx)
{
    *avg = *med = 0;
    *mn = *mx = 0;
    if (!n)
        return;
    qsort(v, (size_t)n, sizeof(*v), cmp_i64);
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)v[i];
    *avg = s / n;
    *med = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
    *mn = v[0];
    *mx = v[n - 1];
}

void loadreport_text(const loadengine_result *r, const char *title, long target, FILE *f)
{
    int n = r->connections, ok = 0, met = 0;
    int64_t *ct = calloc((size_t)(n ? n : 1), sizeof(*ct));
    int64_t *mc = calloc((size_t)(n ? n : 1), sizeof(*mc));
    if (!ct || !mc) {
        free(ct);
        free(mc);
        fprintf(f, "%s: out of memory for the report\n", title);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (r->conns[i].ok)
            ct[ok++] = r->conns[i].connect_us;
        mc[i] = (int64_t)r->conns[i].messages;
        met += r->conns[i].target_met;
    }
    double avg, med;
    int64_t mn, mx;
    fprintf(f, "== %s\n", title);
    fprintf(f, "connections: %d, succeeded %d (success rate %.1f %%), peak open %d, %s loop, "
               "%d read in bulk\n",
            n, ok, n ? 100.0 * ok / n : 100.0, r->open_peak, r->evlib ? "libev" : "poll",
            r->bulk_conns);
    spread(ct, ok, &avg, &med, &mn, &mx);
    fprintf(f, "connect time ms: average %.2f, median %.2f, min %.2f, max %.2f\n", avg / 1000,
            med / 1000, (double)mn / 1000, (double)mx / 1000);
    spread(mc, n, &avg, &med, &mn, &mx);
    fprintf(f, "messages received: %llu in total; per connection average %.1f, median %.1f, "
               "min %lld, max %lld\n",
            (unsigned long long)r->messages_rx, avg, med, (long long)mn, (long long)mx);
    if (target > 0)
        fprintf(f, "connections reaching %ld messages: %d of %d (%.1f %%)\n", target, met, n,
                n ? 100.0 * met / n : 100.0);
    fprintf(f, "sent: %llu by connections, %llu by publishers (%llu acked)\n",
            (unsigned long long)r->sent, (unsigned long long)r->pub_sent,
            (unsigned long long)r->pub_acked);
    if (histogram_count(r->latency))
        fprintf(f, "latency ms (scheduled send to receive): average %.3f, median %.3f, "
                   "p95 %.3f, p99 %.3f, max %.3f (%llu samples)\n",
                histogram_mean(r->latency) / 1e6,
                (double)histogram_percentile(r->latency, 50) / 1e6,
                (double)histogram_percentile(r->latency, 95) / 1e6,
                (double)histogram_percentile(r->latency, 99) / 1e6,
                (double)histogram_max(r->latency) / 1e6,
                (unsigned long long)histogram_count(r->latency));
    fprintf(f, "order: %llu missing, %llu duplicate or old, %llu told as gaps; ledger short "
               "by %llu\n",
            (unsigned long long)r->seq_missing, (unsigned long long)r->seq_dup,
            (unsigned long long)r->gaps_told, (unsigned long long)r->ledger_short);
    fprintf(f, "errors:");
    for (int i = 0; i < LOADERR_COUNT; i++)
        fprintf(f, " %s %llu", loadengine_error_names[i], (unsigned long long)r->errors[i]);
    fprintf(f, "\n");
    double el = r->elapsed_s > 0 ? r->elapsed_s : 1e-9;
    fprintf(f, "elapsed %.2f s, frames %llu (%.0f/s), CPU %.3f s (%.1f %% of a core)",
            r->elapsed_s, (unsigned long long)r->frames_rx, (double)r->frames_rx / el, r->cpu_s,
            100.0 * r->cpu_s / el);
    if (r->frames_rx && r->cpu_s > 0)
        fprintf(f, ", %.0f frames per CPU-second", (double)r->frames_rx / r->cpu_s);
    if (r->rss_peak > 0)
        fprintf(f, ", RSS peak %.1f MiB", (double)r->rss_peak / 1048576.0);
    fprintf(f, "%s\n", r->timed_out ? ", ended by its time bound" : "");
    free(ct);
    free(mc);
}
