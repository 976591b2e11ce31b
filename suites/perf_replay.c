/* perf_replay: the exchange-format replay through the bridge and the live
 * exchange stream check (perf_replay.h says what each judges). */
#include "perf_replay.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "exchfeed.h"
#include "histogram.h"
#include "wclock.h"
#include "wjson.h"

#define REPLAY_MAX_LINES 200000
#define REPLAY_OPEN_MS 5000
#define REPLAY_DRAIN_MS 10000 /* after the last record, the longest wait for it everywhere */
#define REPLAY_MAX_PROBLEMS 4 /* named in the message; the rest counted */
#define LIVE_MAX_KEYS 256     /* symbol x kind pairs followed for order */

const char *perf_replay_sample(void)
{
    const char *p = getenv("WSB_REPLAY_SAMPLE");
    return p && *p ? p : "suites/replay/binance_sample.jsonl";
}

/* The problems found: the first few named, all counted. */
typedef struct probs {
    char text[1200];
    long n;
} probs;

static void prob(probs *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void prob(probs *p, const char *fmt, ...)
{
    if (p->n++ >= REPLAY_MAX_PROBLEMS)
        return;
    size_t o = strlen(p->text);
    if (o && o + 2 < sizeof(p->text))
        o += (size_t)snprintf(p->text + o, sizeof(p->text) - o, "; ");
    va_list ap;
    va_start(ap, fmt);
    if (o < sizeof(p->text))
        vsnprintf(p->text + o, sizeof(p->text) - o, fmt, ap);
    va_end(ap);
}

/* ---- the replay ------------------------------------------------------------------- */

typedef struct recording {
    exchfeed_rec *r;
    int *line; /* the file line of each record */
    size_t n;
} recording;

/* Reads and strictly decodes every line; 0, or -1 with the first bad line named. */
static int load(const char *path, recording *rec, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (set WSB_REPLAY_SAMPLE): %m", path);
        return -1;
    }
    char *line = NULL, why[200];
    size_t cap = 0;
    ssize_t l;
    int no = 0, rc = 0;
    memset(rec, 0, sizeof(*rec));
    while ((l = getline(&line, &cap, f)) > 0) {
        no++;
        while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = 0;
        if (!l)
            continue;
        if (rec->n >= REPLAY_MAX_LINES) {
            snprintf(err, errlen, "%s: more than %d records", path, REPLAY_MAX_LINES);
            rc = -1;
            break;
        }
        if (rec->n % 1024 == 0) {
            exchfeed_rec *nr = realloc(rec->r, (rec->n + 1024) * sizeof(*nr));
            int *nl = realloc(rec->line, (rec->n + 1024) * sizeof(*nl));
            if (nr)
                rec->r = nr;
            if (nl)
                rec->line = nl;
            if (!nr || !nl) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
        }
        if (exchfeed_decode(line, (size_t)l, &rec->r[rec->n], why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s line %d refused by the strict decoder: %s", path, no, why);
            rc = -1;
            break;
        }
        if (rec->r[rec->n].event_ms <= 0) {
            snprintf(err, errlen, "%s line %d: no event time \"E\": a replay needs one", path, no);
            rc = -1;
            break;
        }
        rec->line[rec->n++] = no;
    }
    free(line);
    fclose(f);
    if (!rc && !rec->n) {
        snprintf(err, errlen, "%s: no records", path);
        rc = -1;
    }
    return rc;
}

static void recording_free(recording *rec)
{
    free(rec->r);
    free(rec->line);
}

/* The envelope data of a record: market_data for bookTicker, trade_executed for trade. */
static int data_json(const exchfeed_rec *r, char *buf, size_t cap)
{
    if (r->kind == EXCHFEED_BOOK_TICKER)
        return snprintf(buf, cap,
                        "{\"symbol\":\"%s\",\"price\":%.17g,\"bid\":%.17g,\"ask\":%.17g,"
                        "\"volume\":%.17g}",
                        r->symbol, (r->bid + r->ask) / 2, r->bid, r->ask, r->bid_qty + r->ask_qty);
    return snprintf(buf, cap,
                    "{\"trade_id\":\"t%lld\",\"order_id\":\"x%lld\",\"symbol\":\"%s\",\"side\":"
                    "\"%s\",\"quantity\":%.17g,\"price\":%.17g,\"fee\":0}",
                    (long long)r->id, (long long)r->id, r->symbol, r->buyer_maker ? "sell" : "buy",
                    r->qty, r->price);
}

/* A record back from a received envelope's data (sizes arrive as their sum). */
static int from_envelope(const envelope *e, exchfeed_rec *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->symbol, sizeof(r->symbol), "%s", wjson_str(e->data, "symbol", ""));
    if (!strcmp(e->type, "market_data")) {
        r->kind = EXCHFEED_BOOK_TICKER;
        r->bid = wjson_num(e->data, "bid", NAN);
        r->ask = wjson_num(e->data, "ask", NAN);
        r->bid_qty = r->ask_qty = wjson_num(e->data, "volume", NAN);
        return 0;
    }
    if (!strcmp(e->type, "trade_executed")) {
        r->kind = EXCHFEED_TRADE;
        r->price = wjson_num(e->data, "price", NAN);
        r->qty = wjson_num(e->data, "quantity", NAN);
        const char *t = wjson_str(e->data, "trade_id", "");
        r->id = t[0] == 't' ? strtoll(t + 1, NULL, 10) : -1;
        return 0;
    }
    return -1;
}

static int same(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

/* What one subscriber saw of the replay. */
typedef struct rsub {
    wsconn *k;
    int64_t last_seq; /* the highest replay seq seen (on_message) */
} rsub;

static const char *replay_source; /* the replay's source, for on_message */

static void on_msg(wsconn *k, const wsmsg *m, void *arg)
{
    (void)k;
    rsub *s = arg;
    envelope_peek p;
    if (!m->binary && envelope_peek_fields(m->text, m->len, &p) == 0 &&
        !strcmp(p.source, replay_source) && p.seq > s->last_seq)
        s->last_seq = p.seq;
}

static int all_arrived(void *arg)
{
    rsub *s = arg;
    for (int i = 0; i < PERF_REPLAY_SUBSCRIBERS; i++)
        if (s[i].last_seq < s[PERF_REPLAY_SUBSCRIBERS].last_seq) /* [N]: the target */
            return 0;
    return 1;
}

/* Judges subscriber i's stored messages; ages go into h. */
static void judge_sub(const suite_ctx *ctx, int i, wsconn *k, const recording *rec, int64_t base,
                      const int64_t *sched, int64_t real_off, const char *src, int64_t fresh_us,
                      histogram *h,
                      histogram *hop, probs *p, long *stale)
{
    int64_t next = base + 1;
    char why[300];
    for (size_t m = 0; m < wsconn_count(k); m++) {
        const wsmsg *w = wsconn_msg(k, m);
        envelope_peek pk;
        if (w->binary || envelope_peek_fields(w->text, w->len, &pk) < 0) {
            prob(p, "subscriber %d: a frame that does not decode (%s): %.80s", i,
                 w->binary ? "binary" : "not a JSON object", w->binary ? "" : w->text);
            continue;
        }
        if (strcmp(pk.source, src))
            continue; /* the bot's, or another publisher's */
        cJSON *root = wjson_parse(w->text, w->len, WJSON_DEFAULT_MAX_DEPTH, why, sizeof(why));
        envelope e;
        if (!root || envelope_decode(root, &e, why, sizeof(why)) < 0) {
            prob(p, "subscriber %d: a replayed frame does not decode: %s", i, why);
            cJSON_Delete(root);
            continue;
        }
        if (e.seq != next) {
            prob(p, "subscriber %d: seq %lld where %lld was due (%s)", i, (long long)e.seq,
                 (long long)next, e.seq < next ? "repeated or out of order" : "records missing");
            if (e.seq < next) {
                cJSON_Delete(root);
                continue;
            }
        }
        if (ctx->contract && contract_check_stream(ctx->contract, root, why, sizeof(why))) {
            prob(p, "subscriber %d, seq %lld: breaks the contract: %s", i, (long long)e.seq, why);
            next = e.seq + 1;
            cJSON_Delete(root);
            continue;
        }
        next = e.seq + 1;
        size_t ix = (size_t)(e.seq - base - 1);
        if (e.seq <= base || ix >= rec->n) {
            prob(p, "subscriber %d: seq %lld was never published", i, (long long)e.seq);
            cJSON_Delete(root);
            continue;
        }
        const exchfeed_rec *o = &rec->r[ix];
        exchfeed_rec got;
        int line = rec->line[ix];
        if (from_envelope(&e, &got) < 0 || got.kind != o->kind || strcmp(got.symbol, o->symbol) ||
            (o->kind == EXCHFEED_BOOK_TICKER
                 ? !same(got.bid, o->bid) || !same(got.ask, o->ask) ||
                       !same(got.bid_qty, o->bid_qty + o->ask_qty)
                 : !same(got.price, o->price) || !same(got.qty, o->qty) || got.id != o->id))
            prob(p, "subscriber %d: line %d (%s %s) arrived altered: %.200s", i, line,
                 exchfeed_kind_name(o->kind), o->symbol, w->text);
        else if (exchfeed_check(&got, why, sizeof(why)) < 0)
            prob(p, "line %d (%s %s id %lld) breaks an invariant at subscriber %d: %s", line,
                 exchfeed_kind_name(o->kind), o->symbol, (long long)o->id, i, why);
        if (i == 0 && e.relay_us > 0) /* replay clock -> dashboard, once per record */
            histogram_record_us(hop, (double)(e.relay_us > sched[ix] + real_off
                                                  ? e.relay_us - sched[ix] - real_off
                                                  : 0));
        int64_t age = w->rx_mono_us - sched[ix]; /* one process, one clock */
        histogram_record_us(h, (double)(age > 0 ? age : 0));
        if (age > fresh_us && (*stale)++ < REPLAY_MAX_PROBLEMS)
            prob(p, "line %d (%s %s id %lld) stale at subscriber %d: arrived %.1f ms after its "
                 "event time re-based to the replay clock (freshness budget %lld ms)",
                 line, exchfeed_kind_name(o->kind), o->symbol, (long long)o->id, i, age / 1000.0,
                 (long long)(fresh_us / 1000));
        cJSON_Delete(root);
    }
    if (next <= base + (int64_t)rec->n)
        prob(p, "subscriber %d: %lld of %zu records never arrived (from line %d)", i,
             (long long)(base + (int64_t)rec->n - next + 1), rec->n,
             rec->line[next - base - 1]);
}

static double env_ms(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    double d = v && *v ? strtod(v, &end) : dflt;
    return v && *v && (*end || d <= 0) ? dflt : d;
}

check_result perf_replay_run(const suite_ctx *ctx, const char *path, double speed, char *msg,
                             size_t len)
{
    recording rec = {0};
    char err[600], mysrc[64];
    if (load(path, &rec, err, sizeof(err)) < 0) {
        recording_free(&rec);
        return bridge_fail(msg, len, "%s", err);
    }
    check_result r = CHECK_PASS;
    wsclient *c = bridge_publishing_client(ctx, msg, len, &r);
    int64_t *sched = calloc(rec.n, sizeof(*sched));
    histogram *h = histogram_new(), *hop = histogram_new();
    rsub subs[PERF_REPLAY_SUBSCRIBERS + 1] = {{0}};
    wsconn *pub = NULL;
    int64_t base = 0;
    if (!c || !sched || !h || !hop) {
        if (c)
            r = bridge_fail(msg, len, "out of memory");
        goto out;
    }
    snprintf(mysrc, sizeof(mysrc), "replay-%d", (int)getpid());
    replay_source = mysrc;
    const char *subscribe = "{\"type\":\"subscribe\",\"types\":[\"market_data\",\"trade_executed\"]}";
    for (int i = 0; i < PERF_REPLAY_SUBSCRIBERS; i++) {
        wsconn_opts x = {.on_message = on_msg, .on_message_arg = &subs[i]};
        subs[i].k = bridge_subscriber(c, ctx, subscribe, &x, REPLAY_OPEN_MS, err, sizeof(err));
        if (!subs[i].k) {
            r = bridge_fail(msg, len, "subscriber %d: %s", i, err);
            goto out;
        }
    }
    char welcome_src[128];
    pub = bridge_publisher(c, ctx, mysrc, welcome_src, sizeof(welcome_src), &base, REPLAY_OPEN_MS,
                           err, sizeof(err));
    if (!pub) {
        r = bridge_fail(msg, len, "publisher: %s", err);
        goto out;
    }
    if ((r = bridge_test_source(ctx, welcome_src, mysrc, sizeof(mysrc), msg, len)) != CHECK_PASS)
        goto out;
    suite_log("exchange replay: %zu records of %s at %.1fx as %s, %d subscribers", rec.n, path,
              speed, mysrc, PERF_REPLAY_SUBSCRIBERS);

    /* publish on the recording's clock: each record at its event time re-based to now */
    int64_t t0_mono = wclock_mono_us() + 100000, t0_real = wclock_real_us() + 100000;
    int64_t e0 = rec.r[0].event_ms;
    char data[400], frame[700];
    for (size_t i = 0; i < rec.n; i++) {
        int64_t off = (int64_t)((double)(rec.r[i].event_ms - e0) * 1000.0 / speed);
        sched[i] = t0_mono + off; /* ts_us is the same instant on the real-time clock */
        int64_t now;
        /* at least 1 ms a turn: wsclient_service(c, 0) can block ~50 ms in lws */
        while ((now = wclock_mono_us()) < t0_mono + off) {
            int want = (int)((t0_mono + off - now) / 1000);
            wsclient_service(c, want > 0 ? want : 1);
        }
        data_json(&rec.r[i], data, sizeof(data));
        int fl = envelope_encode_buf(frame, sizeof(frame),
                                     rec.r[i].kind == EXCHFEED_BOOK_TICKER ? "market_data"
                                                                           : "trade_executed",
                                     mysrc, base + 1 + (int64_t)i, t0_real + off, data);
        if (fl < 0 || wsconn_send_text(c, pub, frame, (size_t)fl, err, sizeof(err)) < 0) {
            r = bridge_fail(msg, len, "publishing line %d: %s", rec.line[i],
                            fl < 0 ? "envelope too long" : err);
            goto out;
        }
    }
    subs[PERF_REPLAY_SUBSCRIBERS].last_seq = base + (int64_t)rec.n;
    wsclient_run_until(c, all_arrived, subs, REPLAY_DRAIN_MS);

    /* the publisher's answers: a refusal names the line */
    probs p = {.text = "", .n = 0};
    for (size_t m = 0; m < wsconn_count(pub); m++) {
        const wsmsg *w = wsconn_msg(pub, m);
        envelope_peek pk;
        if (envelope_peek_fields(w->text, w->len, &pk) == 0 && !strcmp(pk.type, "error"))
            prob(&p, "the bridge refused a replayed record: %.300s", w->text);
    }
    long stale = 0;
    int64_t fresh_us =
        (int64_t)(env_ms("WSB_PERF_REPLAY_FRESH_MS", PERF_REPLAY_FRESH_MS) * 1000.0);
    for (int i = 0; i < PERF_REPLAY_SUBSCRIBERS; i++)
        judge_sub(ctx, i, subs[i].k, &rec, base, sched, t0_real - t0_mono, mysrc, fresh_us, h, hop,
                  &p, &stale);
    if (histogram_count(h))
        suite_histogram("replay_age", h);
    if (histogram_count(hop))
        suite_histogram("replay_hop_to_dashboard", hop);
    suite_metric("replay_records", (double)rec.n, "records");
    suite_metric("replay_stale", (double)stale, "receipts");
    suite_metric("replay_problems", (double)p.n, "");
    double p99 = (double)histogram_percentile(h, 99) / 1e6;
    if (p.n)
        r = bridge_fail(msg, len, "exchange replay of %zu records: %ld problem%s: %s%s", rec.n,
                        p.n, p.n == 1 ? "" : "s", p.text, p.n > REPLAY_MAX_PROBLEMS ? "; ..." : "");
    else if (histogram_count(h) != (uint64_t)rec.n * PERF_REPLAY_SUBSCRIBERS)
        r = bridge_fail(msg, len, "exchange replay: %llu receipts judged of %zu expected",
                        (unsigned long long)histogram_count(h),
                        rec.n * PERF_REPLAY_SUBSCRIBERS);
    else
        snprintf(msg, len,
                 "%zu records (bookTicker and trade) replayed at %.1fx to %d subscribers: strict "
                 "decode, contract, values, bid <= ask, positive prices and sizes, order all hold; "
                 "age p50 %.2f / p99 %.2f / max %.2f ms (budget %lld ms), of which replay clock "
                 "to dashboard p50 %.2f / p99 %.2f ms",
                 rec.n, speed, PERF_REPLAY_SUBSCRIBERS,
                 (double)histogram_percentile(h, 50) / 1e6, p99,
                 (double)histogram_max(h) / 1e6, (long long)(fresh_us / 1000),
                 (double)histogram_percentile(hop, 50) / 1e6,
                 (double)histogram_percentile(hop, 99) / 1e6);
out:
    if (c)
        wsclient_free(c);
    histogram_free(h);
    histogram_free(hop);
    free(sched);
    recording_free(&rec);
    return r;
}

/* ---- the live stream -------------------------------------------------------------- */

typedef struct live_key {
    char symbol[EXCHFEED_SYMBOL_MAX];
    exchfeed_kind kind;
    int64_t last_id;
} live_key;

check_result perf_live_run(const suite_ctx *ctx, const char *url, double window_s, char *msg,
                           size_t len)
{
    char err[512], why[300];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %s", err);
    wsconn_opts o = {.url = url, .name = "--live-url"};
    wsconn *k = wsclient_open(c, &o, REPLAY_OPEN_MS * 2, err, sizeof(err));
    check_result r = CHECK_PASS;
    live_key keys[LIVE_MAX_KEYS]; /* 10 KiB */
    int nkeys = 0;
    long n = 0, books = 0, trades = 0, stale = 0;
    probs p = {.text = "", .n = 0};
    histogram *h = histogram_new();
    if (!k || !h) {
        r = bridge_fail(msg, len, "--live-url %s: cannot connect: %s", url, k ? "no memory" : err);
        goto out;
    }
    int64_t fresh_ms = (int64_t)env_ms("WSB_LIVE_FRESH_MS", PERF_LIVE_FRESH_MS);
    int64_t end = wclock_mono_us() + (int64_t)(window_s * 1e6);
    suite_log("live feed: %s for %.1f s", url, window_s);
    while (wclock_mono_us() < end && n < PERF_LIVE_MAX_RECORDS) {
        int left = (int)((end - wclock_mono_us()) / 1000);
        const wsmsg *m = wsconn_next(c, k, left > 0 ? left : 0, err, sizeof(err));
        if (!m) {
            if (wsconn_get_state(k) != WSCONN_OPEN) {
                prob(&p, "the stream closed after %ld records (%s)", n, err);
                break;
            }
            continue;
        }
        exchfeed_rec rec;
        n++;
        if (exchfeed_decode(m->text, m->len, &rec, why, sizeof(why)) < 0) {
            prob(&p, "record %ld refused by the strict decoder: %s: %.160s", n, why, m->text);
            continue;
        }
        if (rec.kind == EXCHFEED_TRADE)
            trades++;
        else
            books++;
        if (exchfeed_check(&rec, why, sizeof(why)) < 0)
            prob(&p, "record %ld (%s %s id %lld) breaks an invariant: %s", n,
                 exchfeed_kind_name(rec.kind), rec.symbol, (long long)rec.id, why);
        int ki = 0;
        while (ki < nkeys && (keys[ki].kind != rec.kind || strcmp(keys[ki].symbol, rec.symbol)))
            ki++;
        if (ki == nkeys && nkeys < LIVE_MAX_KEYS) {
            keys[nkeys] = (live_key){.kind = rec.kind, .last_id = -1};
            snprintf(keys[nkeys++].symbol, EXCHFEED_SYMBOL_MAX, "%s", rec.symbol);
        }
        if (ki < nkeys) {
            if (rec.id <= keys[ki].last_id)
                prob(&p, "record %ld (%s %s): id %lld after %lld: out of order or repeated", n,
                     exchfeed_kind_name(rec.kind), rec.symbol, (long long)rec.id,
                     (long long)keys[ki].last_id);
            else
                keys[ki].last_id = rec.id;
        }
        if (rec.event_ms > 0) {
            int64_t age_ms = m->rx_real_us / 1000 - rec.event_ms;
            histogram_record_us(h, (double)(age_ms > 0 ? age_ms : 0) * 1000.0);
            if (age_ms > fresh_ms && stale++ < REPLAY_MAX_PROBLEMS)
                prob(&p, "record %ld (%s %s id %lld) stale: %lld ms after its event time (budget "
                     "%lld ms)", n, exchfeed_kind_name(rec.kind), rec.symbol, (long long)rec.id,
                     (long long)age_ms, (long long)fresh_ms);
        }
    }
    suite_metric("live_records", (double)n, "records");
    if (histogram_count(h))
        suite_histogram("live_age", h);
    if (p.n)
        r = bridge_fail(msg, len, "--live-url %s: %ld problem%s in %ld records: %s%s", url, p.n,
                        p.n == 1 ? "" : "s", n, p.text, p.n > REPLAY_MAX_PROBLEMS ? "; ..." : "");
    else if (!n)
        r = bridge_fail(msg, len, "--live-url %s: no record within %.1f s: nothing was checked",
                        url, window_s);
    else
        snprintf(msg, len,
                 "--live-url: %ld records (%ld bookTicker, %ld trade, %d symbol streams) decoded "
                 "strictly, invariants and order hold; age p50 %.1f / max %.1f ms over %llu "
                 "stamped records",
                 n, books, trades, nkeys, (double)histogram_percentile(h, 50) / 1e6,
                 (double)histogram_max(h) / 1e6, (unsigned long long)histogram_count(h));
out:
    histogram_free(h);
    wsclient_free(c);
    return r;
}
