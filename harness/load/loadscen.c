/* loadscen: the load scenarios (steady, burst, ramp, stress, realistic; the
 * persistent and intermittent lifecycles), the schedules the engine follows
 * for them, and each scenario's threshold list and delivery ledger (see
 * loadscen.h). */
#include "loadscen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "loadengine_int.h"

const char *const loadscen_names[5] = {"steady", "burst", "ramp", "stress", "realistic"};

int loadscen_kind(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (name && !strcmp(name, loadscen_names[i]))
            return i;
    return -1;
}

/* ---- the schedules ---- */

/* Messages per burst, when bursts are on (else 0). */
static uint64_t burst_n(const loadengine_cfg *c, double rate)
{
    if (c->burst_s <= 0 || c->idle_s <= 0)
        return 0;
    double n = floor(rate * c->burst_s + 0.5);
    return n < 1 ? 1 : (uint64_t)n;
}

uint64_t loadscen_due(const loadengine_cfg *c, double rate, int64_t el_us)
{
    if (el_us < 0)
        el_us = 0;
    uint64_t n = burst_n(c, rate);
    if (!n)
        return (uint64_t)((double)el_us * rate / 1e6) + 1;
    int64_t cycle = (int64_t)((c->burst_s + c->idle_s) * 1e6);
    uint64_t k = (uint64_t)(el_us / cycle);
    uint64_t in = (uint64_t)((double)(el_us % cycle) * rate / 1e6) + 1;
    return k * n + (in < n ? in : n);
}

int64_t loadscen_time_us(const loadengine_cfg *c, double rate, uint64_t k)
{
    uint64_t n = burst_n(c, rate);
    if (!n)
        return (int64_t)((double)k * 1e6 / rate);
    int64_t cycle = (int64_t)((c->burst_s + c->idle_s) * 1e6);
    return (int64_t)(k / n) * cycle + (int64_t)((double)(k % n) * 1e6 / rate);
}

int loadscen_open_limit(const loadengine_cfg *c, int n, double t_s)
{
    if (c->ramp_steps <= 0 || c->ramp_step_s <= 0 || c->ramp_initial >= n)
        return n;
    int step = (int)(t_s / c->ramp_step_s);
    if (step >= c->ramp_steps)
        return n;
    return c->ramp_initial + (int)((long)(n - c->ramp_initial) * step / c->ramp_steps);
}

/* ---- the scenario parts of a connection's life (called by the engine) ---- */

const char *loadscen_sub_text(const lconn *c, char *buf, size_t cap)
{
    const loadengine *e = c->e;
    if (!c->nseen || e->cfg->hold_s <= 0)
        return e->cfg->subscribe;
    size_t o = (size_t)snprintf(buf, cap, "{\"type\":\"subscribe\",\"from\":{");
    for (int i = 0; i < c->nseen && o < cap; i++)
        if (c->seen[i].count)
            o += (size_t)snprintf(buf + o, cap - o, "%s\"%.*s\":%lld",
                                  buf[o - 1] == '{' ? "" : ",", (int)e->source_len[i],
                                  e->sources[i], (long long)c->seen[i].last);
    if (o + 3 > cap)
        return e->cfg->subscribe;
    memcpy(buf + o, "}}", 3);
    return buf;
}

void loadscen_ping_due(lconn *c, int64_t now_mono)
{
    loadengine *e = c->e;
    double hz = e->cfg->sub_ping_hz[c->idx];
    if (hz <= 0 || !c->bulk || !c->ready || c->killing)
        return;
    uint32_t due = (uint32_t)((double)(now_mono - c->open_us) / 1e6 * hz);
    uint8_t f[16];
    for (; c->pinged < due; c->pinged++) {
        size_t w = loadframe_encode(f, sizeof f, LOADFRAME_OP_PING, "p", 1, 1, loadengine_rnd(c));
        if (loadengine_bulk_send(c, f, w))
            return;
        e->r->pings++;
    }
}

void loadscen_tick(loadengine *e, int64_t now)
{
    if (!e->pubs_done && e->pubs_started && e->cfg->pub_messages > 0) {
        e->pubs_done = 1;
        for (int i = e->nsub; i < e->n; i++)
            e->pubs_done &= e->c[i].sent >= (uint64_t)e->cfg->pub_messages;
    }
    if (!e->cfg->sub_ping_hz && e->cfg->hold_s <= 0)
        return;
    for (int i = 0; i < e->nsub; i++) {
        lconn *c = &e->c[i];
        if (c->state != ST_OPEN)
            continue;
        if (e->cfg->sub_ping_hz)
            loadscen_ping_due(c, now);
        if (e->cfg->hold_s > 0 && !e->pubs_done && c->ready && !c->killing &&
            now >= c->hold_until_us) {
            c->planned = 1; /* intermittent: leave now, back after the gap */
            e->r->cycles++;
            loadengine_conn_kill(c, -1);
        }
    }
}

/* ---- profiles ---- */

int loadscen_parse_profiles(const char *text, loadscen_cfg *c, char *err, size_t errlen)
{
    static const struct { const char *name; double hz; } known[] = {
        {"active", 2.0}, {"regular", 0.2}, {"passive", 0.0}};
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    c->nprofiles = 0;
    double total = 0;
    for (char *save = NULL, *it = strtok_r(buf, ", ", &save); it; it = strtok_r(NULL, ", ", &save)) {
        char *colon = strrchr(it, ':');
        if (!colon || c->nprofiles == LOADSCEN_MAX_PROFILES) {
            snprintf(err, errlen, "profile \"%s\": want NAME:WEIGHT (at most %d)", it,
                     LOADSCEN_MAX_PROFILES);
            return -1;
        }
        *colon = 0;
        loadscen_profile *p = &c->profiles[c->nprofiles];
        char *end;
        p->weight = strtod(colon + 1, &end);
        if (*end || !(p->weight > 0) || p->weight > 1000) {
            snprintf(err, errlen, "profile \"%s\": the weight must be a number above 0", it);
            return -1;
        }
        char *eq = strchr(it, '=');
        p->ping_hz = -1;
        if (eq) {
            *eq = 0;
            p->ping_hz = strtod(eq + 1, &end);
            if (*end || p->ping_hz < 0 || p->ping_hz > 100) {
                snprintf(err, errlen, "profile \"%s\": pings a second must be 0..100", it);
                return -1;
            }
        }
        for (size_t k = 0; p->ping_hz < 0 && k < 3; k++)
            if (!strcmp(it, known[k].name))
                p->ping_hz = known[k].hz;
        if (p->ping_hz < 0 || !it[0] || strlen(it) >= sizeof p->name) {
            snprintf(err, errlen, "profile \"%s\": unknown (active, regular, passive, or "
                                  "NAME=PINGS_A_SECOND:WEIGHT)", it);
            return -1;
        }
        snprintf(p->name, sizeof p->name, "%s", it);
        total += p->weight;
        c->nprofiles++;
    }
    if (!c->nprofiles) {
        snprintf(err, errlen, "no profile given");
        return -1;
    }
    for (int i = 0; i < c->nprofiles; i++)
        c->profiles[i].weight /= total;
    return 0;
}

/* ---- verdicts ---- */

static double trend_us(const threshold *t, const histogram *h)
{
    if (!histogram_count(h))
        return NAN;
    switch (t->agg) {
    case THRESHOLD_AVG: return histogram_mean(h) / 1e3;
    case THRESHOLD_MIN: return (double)histogram_min(h) / 1e3;
    case THRESHOLD_MAX: return (double)histogram_max(h) / 1e3;
    case THRESHOLD_MED: return (double)histogram_percentile(h, 50) / 1e3;
    case THRESHOLD_PCT: return (double)histogram_percentile(h, t->pct) / 1e3;
    default: return NAN;
    }
}

/* delivery and error rates of a run with n subscribers and p publishers */
static void rates(const loadengine_result *e, int p, double *delivery, double *err_rate)
{
    int ok = 0;
    for (int i = 0; i < e->connections; i++)
        ok += e->conns[i].ok;
    double want = (double)ok * (double)e->pub_sent;
    double short_ = (double)e->ledger_short < want ? (double)e->ledger_short : want;
    *delivery = want > 0 ? (want - short_) / want : NAN;
    *err_rate = (double)loadengine_errors_total(e) / (double)(e->connections + p);
}

static void judge(const loadscen_cfg *c, loadscen_result *r)
{
    threshold_set defaults;
    const threshold_set *s = c->thresholds;
    if (!s) {
        threshold_set_defaults(&defaults);
        s = &defaults;
    }
    for (size_t i = 0; i < s->n && r->nverdicts < 16; i++) {
        const threshold *t = &s->t[i];
        double v;
        if (!strcmp(t->metric, "delivery_rate"))
            v = r->delivery;
        else if (!strcmp(t->metric, "errors"))
            v = t->agg == THRESHOLD_COUNT_OF ? (double)loadengine_errors_total(&r->run)
                                             : r->error_rate;
        else if (!strcmp(t->metric, "e2e_latency"))
            v = trend_us(t, r->run.latency);
        else
            continue; /* another test's metric */
        loadscen_verdict *vd = &r->verdicts[r->nverdicts++];
        char val[48];
        vd->met = threshold_met(t, v);
        snprintf(vd->text, sizeof vd->text, "%s: %s %s (%s)", t->metric, t->expr,
                 vd->met ? "met" : "BREACHED", threshold_format(t, v, val, sizeof val));
        r->breaches += !vd->met;
    }
    const loadengine_result *e = &r->run;
    r->ledger_ok = e->pub_sent > 0 && !e->ledger_short && !e->seq_missing && !e->seq_dup;
    if (r->ledger_ok)
        snprintf(r->ledger, sizeof r->ledger, "ledger balanced: %llu messages from %d publishers "
                 "reached every subscriber once, in order",
                 (unsigned long long)e->pub_sent, c->base.publishers);
    else
        snprintf(r->ledger, sizeof r->ledger, "ledger NOT balanced: %llu published, short by %llu, "
                 "%llu missing (seq jumps), %llu duplicate or late",
                 (unsigned long long)e->pub_sent, (unsigned long long)e->ledger_short,
                 (unsigned long long)e->seq_missing, (unsigned long long)e->seq_dup);
}

/* ---- running ---- */

static int run_level(const loadengine_cfg *ec, loadengine_result *out, char *err, size_t errlen)
{
    return loadengine_run(ec, out, err, errlen);
}

static int stress(const loadscen_cfg *c, loadengine_cfg *ec, loadscen_result *r, char *err,
                  size_t errlen)
{
    int step = c->stress_step > 0 ? c->stress_step : 50;
    int top = c->stress_max > 0 ? c->stress_max : 20 * step;
    double lat = c->target_latency_ms > 0 ? c->target_latency_ms : 100;
    double eth = c->error_threshold > 0 ? c->error_threshold : 0.01;
    int have = 0;
    for (int lvl = step; lvl <= top && r->levels < LOADSCEN_MAX_LEVELS; lvl += step) {
        loadengine_result x;
        ec->connections = lvl;
        if (run_level(ec, &x, err, errlen))
            return have ? 0 : -1;
        double d, er, p99 = (double)histogram_percentile(x.latency, 99) / 1e6;
        rates(&x, ec->publishers, &d, &er);
        int i = r->levels++;
        r->level_conns[i] = lvl;
        r->level_p99_ms[i] = p99;
        r->level_err[i] = er;
        if (p99 > lat || er > eth) {
            r->breaking = lvl;
            snprintf(r->breaking_why, sizeof r->breaking_why,
                     p99 > lat ? "latency p99 %.2f ms above %.2f ms" : "error rate %.4f above %.4f",
                     p99 > lat ? p99 : er, p99 > lat ? lat : eth);
            if (have) {
                loadengine_result_free(&x);
            } else {
                r->run = x;
                have = 1;
            }
            break;
        }
        if (have)
            loadengine_result_free(&r->run);
        r->run = x;
        have = 1;
        r->last_good = lvl;
    }
    return 0;
}

int loadscen_run(const loadscen_cfg *c, loadscen_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    loadengine_cfg ec = c->base;
    double dur = c->duration_s > 0 ? c->duration_s : 5;
    double rate = ec.pub_rate > 0 ? ec.pub_rate : 100;
    ec.stop_when_done = 1;
    ec.pub_rate = rate;
    ec.pub_messages = (long)(rate * dur);
    double *hz = NULL;
    if (!ec.publishers) {
        snprintf(err, errlen, "a scenario needs publishers (their tokens)");
        return -1;
    }
    switch (c->kind) {
    case LOADSCEN_BURST: {
        long size = c->burst_size > 0 ? c->burst_size : 50;
        ec.burst_s = c->burst_s > 0 ? c->burst_s : 0.2;
        ec.idle_s = c->idle_s > 0 ? c->idle_s : 0.8;
        ec.pub_rate = (double)size / ec.burst_s;
        long cycles = (long)ceil(dur / (ec.burst_s + ec.idle_s));
        ec.pub_messages = cycles * size;
        break;
    }
    case LOADSCEN_RAMP: {
        ec.ramp_initial = c->ramp_initial > 0 ? c->ramp_initial : ec.connections / 4;
        ec.ramp_steps = c->ramp_steps > 0 ? c->ramp_steps : 4;
        ec.ramp_step_s = c->ramp_step_s > 0 ? c->ramp_step_s : 1;
        ec.pubs_first = 1; /* a later joiner's ledger starts at its first message */
        double ramp = ec.ramp_steps * ec.ramp_step_s;
        if (dur < ramp + 1) /* the publishers outlast the ramp */
            ec.pub_messages = (long)(rate * (ramp + 1));
        break;
    }
    case LOADSCEN_REALISTIC: {
        loadscen_cfg d = *c;
        if (!d.nprofiles && loadscen_parse_profiles("active:0.2,regular:0.5,passive:0.3", &d, err,
                                                    errlen))
            return -1;
        hz = calloc((size_t)(ec.connections ? ec.connections : 1), sizeof *hz);
        if (!hz) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        /* deterministic shares: subscriber i gets the profile whose cumulative
         * weight covers (i + 0.5) / n */
        for (int i = 0; i < ec.connections; i++) {
            double x = (i + 0.5) / ec.connections, cum = 0;
            int k = 0;
            for (; k < d.nprofiles - 1; k++) {
                cum += d.profiles[k].weight;
                if (x < cum)
                    break;
            }
            hz[i] = d.profiles[k].ping_hz;
            r->profile_count[k]++;
        }
        ec.sub_ping_hz = hz;
        break;
    }
    default:
        break;
    }
    if (c->lifecycle == LOADSCEN_INTERMITTENT && c->kind != LOADSCEN_STRESS) {
        ec.hold_s = c->hold_s > 0 ? c->hold_s : 2;
        ec.gap_s = c->gap_s > 0 ? c->gap_s : 0.5;
    } else {
        ec.reconnect = 1; /* persistent */
    }
    /* the bound: the sending time, the ramp, and 10 s to settle */
    ec.duration_s = dur + 10;
    int rc = c->kind == LOADSCEN_STRESS ? stress(c, &ec, r, err, errlen)
                                        : run_level(&ec, &r->run, err, errlen);
    free(hz);
    if (rc)
        return -1;
    rates(&r->run, ec.publishers, &r->delivery, &r->error_rate);
    judge(c, r);
    return 0;
}

void loadscen_result_free(loadscen_result *r)
{
    loadengine_result_free(&r->run);
}

void loadscen_report(const loadscen_cfg *c, const loadscen_result *r, FILE *f)
{
    const loadengine_result *e = &r->run;
    fprintf(f, "== scenario %s (%s) ==\n", loadscen_names[c->kind],
            c->lifecycle == LOADSCEN_INTERMITTENT ? "intermittent" : "persistent");
    fprintf(f, "subscribers %d (peak open %d), publishers %d, %llu published, %llu received, "
               "%.2f s, CPU %.2f s\n",
            e->connections, e->open_peak, c->base.publishers, (unsigned long long)e->pub_sent,
            (unsigned long long)e->messages_rx, e->elapsed_s, e->cpu_s);
    fprintf(f, "latency (ms): p50 %.2f, p95 %.2f, p99 %.2f, max %.2f\n",
            (double)histogram_percentile(e->latency, 50) / 1e6,
            (double)histogram_percentile(e->latency, 95) / 1e6,
            (double)histogram_percentile(e->latency, 99) / 1e6,
            (double)histogram_max(e->latency) / 1e6);
    fprintf(f, "errors %llu:", (unsigned long long)loadengine_errors_total(e));
    for (int k = 0; k < LOADERR_COUNT; k++)
        if (e->errors[k])
            fprintf(f, " %s %llu", loadengine_error_names[k], (unsigned long long)e->errors[k]);
    fprintf(f, "\n");
    if (e->cycles)
        fprintf(f, "intermittent: %llu planned leaves, each resumed\n",
                (unsigned long long)e->cycles);
    if (c->kind == LOADSCEN_REALISTIC) {
        loadscen_cfg d = *c;
        char perr[128];
        if (!d.nprofiles)
            loadscen_parse_profiles("active:0.2,regular:0.5,passive:0.3", &d, perr, sizeof perr);
        fprintf(f, "profiles:");
        for (int k = 0; k < d.nprofiles; k++)
            fprintf(f, " %s %d (%.1f pings/s)", d.profiles[k].name, r->profile_count[k],
                    d.profiles[k].ping_hz);
        fprintf(f, "; pings %llu, pongs %llu\n", (unsigned long long)e->pings,
                (unsigned long long)e->pongs);
    }
    if (c->kind == LOADSCEN_STRESS) {
        for (int i = 0; i < r->levels; i++)
            fprintf(f, "  level %d subscribers: p99 %.2f ms, error rate %.4f\n", r->level_conns[i],
                    r->level_p99_ms[i], r->level_err[i]);
        if (r->breaking)
            fprintf(f, "breaking point: %d subscribers (%s); last good level %d\n", r->breaking,
                    r->breaking_why, r->last_good);
        else
            fprintf(f, "no breaking point up to %d subscribers\n", r->last_good);
    }
    fprintf(f, "thresholds:\n");
    for (int i = 0; i < r->nverdicts; i++)
        fprintf(f, "  %s %s\n", r->verdicts[i].met ? "ok  " : "FAIL", r->verdicts[i].text);
    fprintf(f, "%s\n", r->ledger);
}
