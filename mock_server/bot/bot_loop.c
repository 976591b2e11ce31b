/* bot_loop: the mock bot's deterministic trading loop and the thread that
 * runs it on its own clock (see bot_loop.h). All randomness comes from one
 * splitmix64 stream seeded by --seed, so a seed gives the same data stream. */
#include "bot_loop.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wclock.h"

#define PENDING_MAX 32     /* events one simulation step can queue */
#define MAX_POSITION 50    /* units per symbol, orders beyond are rejected */
#define LIMIT_ORDER_TTL 20 /* steps of its symbol before a limit order is cancelled */
#define FEE_RATE 0.001
#define INITIAL_BALANCE 100000.0
#define BATCH_MAX 5000 /* events per runner batch before waking the sink */

static const char *const type_names[BOT_MSG_NUM_TYPES] = {
    "market_data",    "signal",     "order_update", "trade_executed", "position_update",
    "account_update", "bot_status", "heartbeat",    "alert",          "command_ack",
};

typedef struct symbol_state {
    char name[BOT_SYMBOL_MAX];
    double price; /* mid */
    double prev_price;
    long position; /* signed units */
    double avg_price;
    double realized;
    /* the one resting limit order of this symbol, if any */
    int order_open;
    char order_id[32];
    int order_buy;
    long order_qty;
    double order_price;
    int order_age;
} symbol_state;

struct bot_loop {
    bot_loop_config cfg;
    uint64_t rng;
    int nsym;
    symbol_state sym[BOT_MAX_SYMBOLS];
    double balance; /* initial + realised - fees */
    double realized_total;
    int64_t next_order, next_trade;

    /* schedule, in microseconds from start */
    double next_tick; /* fractional to keep high rates exact */
    double last_tick; /* when the previous tick was due (valid once ticked) */
    int ticked;
    int64_t next_hb, next_status;
    int64_t start_us;

    bot_event pending[PENDING_MAX];
    int p_head, p_len;

    _Atomic int64_t iterations;
    _Atomic int64_t trading;
    _Atomic int paused;
    _Atomic int status_asked; /* a "status" command: a bot_status at the next step */
    _Atomic double rate;
    _Atomic int rate_changed; /* set_rate since the runner last looked */
    _Atomic int finished;
    _Atomic int64_t late[BOT_LATE_NB]; /* steps later than the bounds */
    _Atomic int64_t late_max_us;

    /* runner */
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    bot_loop_sink_fn sink;
    bot_loop_batch_fn batch_done;
    void *ud;
};

const char *bot_msg_type_name(int type)
{
    if (type < 0 || type >= BOT_MSG_NUM_TYPES)
        return "unknown";
    return type_names[type];
}

/* ---- randomness -------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) /* [0,1) */
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_gauss(uint64_t *s)
{
    double u1 = rng_unit(s), u2 = rng_unit(s);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double round_cents(double p)
{
    double r = round(p * 100.0) / 100.0;
    return r < 0.01 ? 0.01 : r;
}

/* ---- construction ------------------------------------------------------ */

static int valid_symbol(const char *s)
{
    /* ^[A-Z0-9]{2,10}([/-][A-Z0-9]{2,10})?$ */
    size_t a = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    if (a < 2 || a > 10)
        return 0;
    if (s[a] == '\0')
        return 1;
    if (s[a] != '/' && s[a] != '-')
        return 0;
    size_t b = strspn(s + a + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    return b >= 2 && b <= 10 && s[a + 1 + b] == '\0';
}

static double initial_price(const char *sym)
{
    if (!strncmp(sym, "BTC", 3))
        return 60000.0;
    if (!strncmp(sym, "ETH", 3))
        return 3000.0;
    if (!strncmp(sym, "SOL", 3))
        return 150.0;
    uint32_t h = 2166136261u;
    for (const char *p = sym; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return 20.0 + (double)(h % 48000) / 100.0;
}

bot_loop *bot_loop_new(const bot_loop_config *cfg, char *err, size_t errlen)
{
    if (!(cfg->rate > 0) || cfg->rate > 1e7) {
        snprintf(err, errlen, "rate must be > 0 and <= 1e7 (got %g)", cfg->rate);
        return NULL;
    }
    bot_loop *L = calloc(1, sizeof(*L));
    if (!L) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    L->cfg = *cfg;
    const char *list = cfg->symbols && *cfg->symbols ? cfg->symbols : "BTC-USD,ETH-USD,SOL-USD";
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0) {
            if (L->nsym == BOT_MAX_SYMBOLS || n >= BOT_SYMBOL_MAX) {
                snprintf(err, errlen, "too many symbols or symbol too long in \"%s\"", list);
                free(L);
                return NULL;
            }
            symbol_state *s = &L->sym[L->nsym];
            memcpy(s->name, p, n);
            s->name[n] = '\0';
            if (!valid_symbol(s->name)) {
                snprintf(err, errlen, "bad symbol \"%s\" (want e.g. BTC-USD, ETH/USDT, AAPL)",
                         s->name);
                free(L);
                return NULL;
            }
            s->price = s->prev_price = initial_price(s->name);
            L->nsym++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (L->nsym == 0) {
        snprintf(err, errlen, "no symbols in \"%s\"", list);
        free(L);
        return NULL;
    }
    L->cfg.symbols = NULL; /* not kept */
    L->rng = cfg->seed ^ 0x5DEECE66DULL;
    L->balance = INITIAL_BALANCE;
    L->next_order = 1;
    L->next_trade = 1;
    L->next_tick = 0;
    L->next_hb = cfg->heartbeat_us > 0 ? cfg->heartbeat_us : INT64_MAX;
    L->next_status = cfg->status_us > 0 ? 0 : INT64_MAX; /* a bot_status first */
    L->start_us = cfg->start_us ? cfg->start_us : wclock_real_us();
    atomic_store(&L->rate, cfg->rate);
    pthread_mutex_init(&L->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&L->cv, &ca);
    pthread_condattr_destroy(&ca);
    return L;
}

void bot_loop_free(bot_loop *L)
{
    if (!L)
        return;
    bot_loop_stop(L);
    pthread_mutex_destroy(&L->mu);
    pthread_cond_destroy(&L->cv);
    free(L);
}

/* ---- accessors ---------------------------------------------------------- */

void bot_loop_set_paused(bot_loop *L, int paused)
{
    atomic_store(&L->paused, paused ? 1 : 0);
}

void bot_loop_request_status(bot_loop *L)
{
    atomic_store(&L->status_asked, 1);
}

int bot_loop_paused(const bot_loop *L)
{
    return atomic_load(&((bot_loop *)L)->paused);
}

int bot_loop_set_rate(bot_loop *L, double rate)
{
    if (!(rate > 0) || rate > 1e7)
        return -1;
    atomic_store(&L->rate, rate);
    atomic_store(&L->rate_changed, 1);
    /* wake the runner: the tick it sleeps towards was planned at the old rate */
    pthread_mutex_lock(&L->mu);
    pthread_cond_signal(&L->cv);
    pthread_mutex_unlock(&L->mu);
    return 0;
}

double bot_loop_rate(const bot_loop *L)
{
    return atomic_load(&((bot_loop *)L)->rate);
}

void bot_loop_lateness(const bot_loop *L, int64_t late[BOT_LATE_NB], int64_t *max_us)
{
    bot_loop *m = (bot_loop *)L;
    for (int i = 0; i < BOT_LATE_NB; i++)
        late[i] = atomic_load(&m->late[i]);
    *max_us = atomic_load(&m->late_max_us);
}

/* One step ran late_us after its schedule time. */
static void note_lateness(bot_loop *L, int64_t late_us)
{
    static const int64_t bounds_ms[BOT_LATE_NB] = BOT_LATE_BOUNDS_MS;
    for (int i = 0; i < BOT_LATE_NB && late_us > bounds_ms[i] * 1000; i++)
        atomic_fetch_add(&L->late[i], 1);
    if (late_us > atomic_load(&L->late_max_us))
        atomic_store(&L->late_max_us, late_us);
}

int64_t bot_loop_iterations(const bot_loop *L)
{
    return atomic_load(&((bot_loop *)L)->iterations);
}

int64_t bot_loop_trading_events(const bot_loop *L)
{
    return atomic_load(&((bot_loop *)L)->trading);
}

int64_t bot_loop_start_us(const bot_loop *L)
{
    return L->start_us;
}

int bot_loop_finished(const bot_loop *L)
{
    return atomic_load(&((bot_loop *)L)->finished);
}

/* ---- the simulation ----------------------------------------------------- */

static bot_event *pend(bot_loop *L, int type)
{
    if (L->p_len == PENDING_MAX)
        return NULL; /* cannot happen: a step queues at most ~12 */
    bot_event *ev = &L->pending[(L->p_head + L->p_len) % PENDING_MAX];
    L->p_len++;
    ev->type = type;
    ev->trading = 1;
    ev->ts_us = 0;
    ev->data[0] = '\0';
    return ev;
}

/* Queues an event whose data is formatted through a local buffer (the
 * arguments often point into the loop itself). */
__attribute__((format(printf, 3, 4))) static void pend_fmt(bot_loop *L, int type, const char *fmt,
                                                           ...)
{
    char buf[BOT_DATA_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    bot_event *ev = pend(L, type);
    if (ev)
        memcpy(ev->data, buf, sizeof(buf));
}

static double unrealized_of(const symbol_state *s)
{
    return (double)s->position * (s->price - s->avg_price);
}

static void pend_position(bot_loop *L, const symbol_state *s)
{
    pend_fmt(L, BOT_MSG_POSITION_UPDATE,
             "{\"symbol\":\"%s\",\"quantity\":%ld,\"avg_price\":%.6f,"
             "\"unrealized_pnl\":%.6f,\"realized_pnl\":%.6f}",
             s->name, s->position, s->avg_price, unrealized_of(s), s->realized);
}

static void pend_account(bot_loop *L)
{
    double unreal = 0;
    int open = 0;
    for (int i = 0; i < L->nsym; i++) {
        unreal += unrealized_of(&L->sym[i]);
        open += L->sym[i].position != 0;
    }
    /* balance and unrealised are rounded first so that the printed equity
     * is exactly their printed sum (to the last printed digit). */
    double bal = round(L->balance * 1e6) / 1e6;
    double unr = round(unreal * 1e6) / 1e6;
    pend_fmt(L, BOT_MSG_ACCOUNT_UPDATE,
             "{\"balance\":%.6f,\"equity\":%.6f,\"unrealized_pnl\":%.6f,"
             "\"realized_pnl\":%.6f,\"open_positions\":%d,\"currency\":\"USD\"}",
             bal, bal + unr, unr, L->realized_total, open);
}

/* Applies a fill of qty units (signed: + buy) at price to the symbol's
 * position, realising PnL on the part that closes. */
static void apply_fill(bot_loop *L, symbol_state *s, long signed_qty, double price, double fee)
{
    long pos = s->position;
    if (pos == 0 || (pos > 0) == (signed_qty > 0)) {
        long npos = pos + signed_qty;
        s->avg_price = (labs(pos) * s->avg_price + labs(signed_qty) * price) / (double)labs(npos);
        s->position = npos;
    } else {
        long closed = labs(signed_qty) < labs(pos) ? labs(signed_qty) : labs(pos);
        double pnl = (double)closed * (price - s->avg_price) * (pos > 0 ? 1.0 : -1.0);
        s->realized += pnl;
        L->realized_total += pnl;
        L->balance += pnl;
        long npos = pos + signed_qty;
        if (npos == 0)
            s->avg_price = 0;
        else if ((npos > 0) != (pos > 0))
            s->avg_price = price; /* flipped: the remainder opened at this price */
        s->position = npos;
    }
    L->balance -= fee;
}

static void pend_order_status(bot_loop *L, const symbol_state *s, const char *order_id, int buy,
                              const char *otype, const char *status, long qty, long filled,
                              double limit_price)
{
    char px[48] = "";
    if (limit_price > 0)
        snprintf(px, sizeof(px), ",\"price\":%.2f", limit_price);
    pend_fmt(L, BOT_MSG_ORDER_UPDATE,
             "{\"order_id\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\",\"order_type\":\"%s\","
             "\"status\":\"%s\",\"quantity\":%ld,\"filled_quantity\":%ld%s}",
             order_id, s->name, buy ? "buy" : "sell", otype, status, qty, filled, px);
}

/* One fill of an order: trade_executed, order_update, position_update, account_update. */
static void pend_fill(bot_loop *L, symbol_state *s, const char *order_id, int buy,
                      const char *otype, long qty, long filled_before, long total, double price,
                      double limit_price)
{
    double fee = round((double)qty * price * FEE_RATE * 1e6) / 1e6;
    /* test-only (--test-fault bad_fills): every 5th trade reports one unit more than the
     * position, order and account take */
    long told = L->cfg.test_bad_fills && L->next_trade % 5 == 0 ? qty + 1 : qty;
    pend_fmt(L, BOT_MSG_TRADE_EXECUTED,
             "{\"trade_id\":\"t-%lld\",\"order_id\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\","
             "\"quantity\":%ld,\"price\":%.2f,\"fee\":%.6f}",
             (long long)L->next_trade++, order_id, s->name, buy ? "buy" : "sell", told, price, fee);
    apply_fill(L, s, buy ? qty : -qty, price, fee);
    long filled = filled_before + qty;
    pend_order_status(L, s, order_id, buy, otype, filled == total ? "filled" : "partially_filled",
                      total, filled, limit_price);
    pend_position(L, s);
    pend_account(L);
}

static void simulate_step(bot_loop *L)
{
    symbol_state *s = &L->sym[rng_next(&L->rng) % (uint64_t)L->nsym];

    /* the random walk */
    s->prev_price = s->price;
    s->price = round_cents(s->price * exp(0.0015 * rng_gauss(&L->rng)));
    double spread = s->price * 0.0004;
    double bid = round_cents(s->price - spread / 2), ask = round_cents(s->price + spread / 2);
    if (ask <= bid)
        ask = bid + 0.01;
    long volume = 1 + (long)(rng_unit(&L->rng) * 500);
    pend_fmt(L, BOT_MSG_MARKET_DATA,
             "{\"symbol\":\"%s\",\"price\":%.2f,\"bid\":%.2f,\"ask\":%.2f,\"volume\":%ld,"
             "\"change_pct\":%.6f}",
             s->name, s->price, bid, ask, volume,
             (s->price - s->prev_price) / s->prev_price * 100.0);

    /* a resting limit order fills when the market crosses it, else ages out */
    if (s->order_open) {
        s->order_age++;
        int cross = s->order_buy ? ask <= s->order_price : bid >= s->order_price;
        if (cross) {
            pend_fill(L, s, s->order_id, s->order_buy, "limit", s->order_qty, 0, s->order_qty,
                      s->order_price, s->order_price);
            s->order_open = 0;
        } else if (s->order_age >= LIMIT_ORDER_TTL) {
            pend_order_status(L, s, s->order_id, s->order_buy, "limit", "cancelled", s->order_qty,
                              0, s->order_price);
            s->order_open = 0;
        }
    }

    /* the AI decision */
    if (rng_unit(&L->rng) >= 0.3)
        return;
    double a = rng_unit(&L->rng);
    const char *action = a < 0.35 ? "buy" : a < 0.7 ? "sell" : "hold";
    double conf = 0.3 + 0.69 * rng_unit(&L->rng);
    static const char *const reasons[] = {"momentum", "mean_reversion", "breakout", "sentiment"};
    pend_fmt(L, BOT_MSG_SIGNAL,
             "{\"symbol\":\"%s\",\"action\":\"%s\",\"confidence\":%.4f,\"reason\":\"%s\","
             "\"model\":\"mock-ai-v1\"}",
             s->name, action, conf, reasons[rng_next(&L->rng) % 4]);
    if (action[0] == 'h' || conf < 0.6 || s->order_open)
        return;

    int buy = action[0] == 'b';
    long qty = 1 + (long)(rng_next(&L->rng) % 10);
    char oid[32];
    snprintf(oid, sizeof(oid), "o-%lld", (long long)L->next_order++);
    int is_limit = rng_unit(&L->rng) < 0.3;
    double limit_price = 0;
    if (is_limit)
        limit_price = round_cents(buy ? bid * 0.9995 : ask * 1.0005);
    long after = s->position + (buy ? qty : -qty);
    if (labs(after) > MAX_POSITION) {
        pend_order_status(L, s, oid, buy, is_limit ? "limit" : "market", "rejected", qty, 0,
                          limit_price);
        return;
    }
    pend_order_status(L, s, oid, buy, is_limit ? "limit" : "market", "new", qty, 0, limit_price);
    if (is_limit) {
        s->order_open = 1;
        snprintf(s->order_id, sizeof(s->order_id), "%s", oid);
        s->order_buy = buy;
        s->order_qty = qty;
        s->order_price = limit_price;
        s->order_age = 0;
        return;
    }
    /* a market order fills at the touch, in one or two parts */
    double px = buy ? ask : bid;
    if (qty >= 2 && rng_unit(&L->rng) < 0.4) {
        long first = qty / 2;
        pend_fill(L, s, oid, buy, "market", first, 0, qty, px, 0);
        pend_fill(L, s, oid, buy, "market", qty - first, first, qty, px, 0);
    } else {
        pend_fill(L, s, oid, buy, "market", qty, 0, qty, px, 0);
    }
}

/* ---- the schedule ------------------------------------------------------- */

static double tick_interval(const bot_loop *L, double at)
{
    double rate = atomic_load(&((bot_loop *)L)->rate);
    if (L->cfg.pattern == BOT_PATTERN_BURSTS) {
        double phase = fmod(at, 2e6);
        rate = phase < 0.5e6 ? rate * 3.0 : rate / 3.0;
    }
    return 1e6 / rate;
}

/* A new rate applies from the previous tick on (runner thread). */
static void apply_rate_change(bot_loop *L)
{
    if (!atomic_exchange(&L->rate_changed, 0) || !L->ticked)
        return;
    double next = L->last_tick + tick_interval(L, L->last_tick);
    L->next_tick = next > L->last_tick ? next : L->last_tick;
}

static int count_reached(const bot_loop *L)
{
    return L->cfg.count > 0 && atomic_load(&((bot_loop *)L)->trading) >= L->cfg.count;
}

int64_t bot_loop_next_due(const bot_loop *L)
{
    if (count_reached(L))
        return INT64_MAX;
    int64_t t = (int64_t)L->next_tick;
    if (L->next_hb < t)
        t = L->next_hb;
    if (L->next_status < t)
        t = L->next_status;
    return t;
}

static void stats_of(const bot_loop *L, bot_loop_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (L->cfg.stats)
        L->cfg.stats(L->cfg.stats_ud, st);
}

int bot_loop_step(bot_loop *L, bot_event *ev)
{
    if (count_reached(L)) {
        atomic_store(&L->finished, 1);
        return -1;
    }
    apply_rate_change(L);
    int64_t tick = (int64_t)L->next_tick;
    int asked = atomic_load(&L->status_asked);
    int64_t status_at = asked && tick < L->next_status ? tick : L->next_status;
    if (status_at <= tick && status_at <= L->next_hb) {
        bot_loop_stats st;
        stats_of(L, &st);
        int64_t at = status_at;
        if (asked)
            atomic_store(&L->status_asked, 0);
        if (at == L->next_status)
            L->next_status += L->cfg.status_us;
        ev->type = BOT_MSG_BOT_STATUS;
        ev->trading = 0;
        ev->ts_us = L->start_us + at;
        snprintf(ev->data, sizeof(ev->data),
                 "{\"state\":\"%s\",\"uptime_s\":%.3f,\"loop_iterations\":%lld,"
                 "\"generated\":%lld,\"queued\":%lld,\"dropped\":%lld,\"connected\":%s}",
                 atomic_load(&L->paused) ? "paused"
                 : at == 0               ? "starting"
                 : st.connected          ? "running"
                                         : "degraded",
                 (double)at / 1e6, (long long)atomic_load(&L->iterations), (long long)st.generated,
                 (long long)st.queued, (long long)st.dropped, st.connected ? "true" : "false");
        return 1;
    }
    if (L->next_hb <= tick) {
        bot_loop_stats st;
        stats_of(L, &st);
        int64_t at = L->next_hb;
        L->next_hb += L->cfg.heartbeat_us;
        ev->type = BOT_MSG_HEARTBEAT;
        ev->trading = 0;
        ev->ts_us = L->start_us + at;
        snprintf(ev->data, sizeof(ev->data), "{\"loop_iterations\":%lld,\"queue_depth\":%lld}",
                 (long long)atomic_load(&L->iterations), (long long)st.queued);
        return 1;
    }
    /* a tick */
    L->last_tick = L->next_tick;
    L->ticked = 1;
    L->next_tick += tick_interval(L, L->next_tick);
    atomic_fetch_add(&L->iterations, 1);
    if (atomic_load(&L->paused))
        return 0;
    if (L->p_len == 0)
        simulate_step(L);
    *ev = L->pending[L->p_head];
    L->p_head = (L->p_head + 1) % PENDING_MAX;
    L->p_len--;
    ev->ts_us = L->start_us + tick;
    atomic_fetch_add(&L->trading, 1);
    if (count_reached(L))
        atomic_store(&L->finished, 1);
    return 1;
}

/* ---- the runner thread -------------------------------------------------- */

static void *runner(void *arg)
{
    bot_loop *L = arg;
    /* schedule offset 0 is now on the monotonic clock; ts_us stays
     * start_us + offset, so a wall-clock step cannot reorder stamps */
    int64_t mono0 = wclock_mono_us() - (wclock_real_us() - L->start_us);
    bot_event *ev = malloc(sizeof(*ev));
    if (!ev)
        return NULL;
    pthread_mutex_lock(&L->mu);
    while (!L->stop) {
        apply_rate_change(L);
        int64_t due = bot_loop_next_due(L);
        if (due == INT64_MAX) {
            atomic_store(&L->finished, 1);
            break;
        }
        int64_t now = wclock_mono_us() - mono0;
        if (L->cfg.test_block_when_down && due <= now) {
            bot_loop_stats st; /* test-only: a loop that waits for the network */
            stats_of(L, &st);
            if (!st.connected) {
                int64_t wake = mono0 + now + 50000;
                struct timespec ts = {wake / 1000000, (wake % 1000000) * 1000};
                pthread_cond_timedwait(&L->cv, &L->mu, &ts);
                continue;
            }
        }
        if (due > now) {
            int64_t wake = mono0 + due;
            struct timespec ts = {wake / 1000000, (wake % 1000000) * 1000};
            pthread_cond_timedwait(&L->cv, &L->mu, &ts);
            continue;
        }
        pthread_mutex_unlock(&L->mu);
        int produced = 0;
        for (int i = 0; i < BATCH_MAX && bot_loop_next_due(L) <= now; i++) {
            note_lateness(L, now - bot_loop_next_due(L));
            int r = bot_loop_step(L, ev);
            if (r < 0)
                break;
            if (r == 1) {
                L->sink(L->ud, ev);
                produced++;
            }
        }
        if (produced && L->batch_done)
            L->batch_done(L->ud);
        pthread_mutex_lock(&L->mu);
    }
    pthread_mutex_unlock(&L->mu);
    if (L->batch_done)
        L->batch_done(L->ud);
    free(ev);
    return NULL;
}

int bot_loop_start(bot_loop *L, bot_loop_sink_fn sink, bot_loop_batch_fn batch_done, void *ud,
                   char *err, size_t errlen)
{
    L->sink = sink;
    L->batch_done = batch_done;
    L->ud = ud;
    L->stop = 0;
    int rc = pthread_create(&L->thread, NULL, runner, L);
    if (rc) {
        snprintf(err, errlen, "pthread_create: %s", strerror(rc));
        return -1;
    }
    L->started = 1;
    return 0;
}

void bot_loop_stop(bot_loop *L)
{
    if (!L->started)
        return;
    pthread_mutex_lock(&L->mu);
    L->stop = 1;
    pthread_cond_signal(&L->cv);
    pthread_mutex_unlock(&L->mu);
    pthread_join(L->thread, NULL);
    L->started = 0;
}
