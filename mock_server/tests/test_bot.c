/* test_bot: CUnit tests of the mock trading bot.
 *
 * Unit tests (no network): the queue's exact accounting (numbering at the
 * first welcome, acks, overflow before and after it, sent-then-dropped
 * messages the dashboard turns out to hold, drop-newest), and the trading
 * loop's consistency (position = sum of signed fills, equity = balance +
 * unrealised PnL, order lifecycle), determinism per seed, schedule and pause.
 *
 * Integration tests run build/bin/wsb-bot against the real mock dashboard
 * build/bin/wsb-dashboard on free ports (see the second half of the file). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bot_loop.h"
#include "bot_queue.h"
#include "bot_testkit.h"
#include "contract.h"
#include "envelope.h"
#include "jwt.h"
#include "wclock.h"
#include "wjson.h"
#include "testkit.h"

/* ---- helpers ------------------------------------------------------------ */

static void check_invariant(bot_queue *q)
{
    bot_queue_stats st;
    bot_queue_get_stats(q, &st);
    CU_ASSERT_EQUAL(st.generated, st.acked + st.queued + st.dropped);
}

static void push_n(bot_queue *q, int n)
{
    for (int i = 0; i < n; i++) {
        char d[32];
        int len = snprintf(d, sizeof(d), "{\"i\":%d}", i);
        bot_queue_push(q, "heartbeat", 1000 + i, d, (size_t)len);
    }
}

/* Encodes everything unsent; returns how many, *first and *last their seqs. */
static int send_all(bot_queue *q, int64_t *first, int64_t *last)
{
    char buf[4096];
    int n = 0;
    int64_t seq;
    int r;
    while ((r = bot_queue_encode_next(q, "bot-1", buf, sizeof(buf), &seq)) != 0) {
        CU_ASSERT(r > 0);
        if (n == 0 && first)
            *first = seq;
        if (last)
            *last = seq;
        n++;
    }
    return n;
}

/* ---- queue -------------------------------------------------------------- */

static void test_queue_numbering_and_acks(void)
{
    bot_queue *q = bot_queue_new(10, BOT_DROP_OLDEST);
    push_n(q, 3);
    char buf[256];
    CU_ASSERT_EQUAL(bot_queue_encode_next(q, "bot-1", buf, sizeof(buf), NULL), 0); /* no welcome */
    bot_queue_welcome(q, 41);
    int64_t first = 0, last = 0;
    CU_ASSERT_EQUAL(send_all(q, &first, &last), 3);
    CU_ASSERT_EQUAL(first, 42);
    CU_ASSERT_EQUAL(last, 44);
    push_n(q, 2); /* numbered at push now */
    CU_ASSERT_EQUAL(send_all(q, &first, &last), 2);
    CU_ASSERT_EQUAL(first, 45);
    CU_ASSERT_EQUAL(last, 46);
    CU_ASSERT_EQUAL(bot_queue_ack(q, 44), 3);
    bot_queue_stats st;
    bot_queue_get_stats(q, &st);
    CU_ASSERT_EQUAL(st.acked, 3);
    CU_ASSERT_EQUAL(st.queued, 2);
    CU_ASSERT_EQUAL(st.acked_seq, 44);
    CU_ASSERT_EQUAL(st.last_seq, 46);
    CU_ASSERT_EQUAL(st.sent, 5);
    check_invariant(q);

    /* the envelope is the contract's */
    bot_queue_welcome(q, 44); /* reconnect: resend 45.. */
    int64_t seq = 0;
    int n = bot_queue_encode_next(q, "bot-1", buf, sizeof(buf), &seq);
    CU_ASSERT(n > 0);
    CU_ASSERT_EQUAL(seq, 45);
    char err[128];
    cJSON *root = wjson_parse(buf, (size_t)n, 32, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    envelope e;
    CU_ASSERT_EQUAL(envelope_decode(root, &e, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(e.seq, 45);
    CU_ASSERT_STRING_EQUAL(e.type, "heartbeat");
    CU_ASSERT_STRING_EQUAL(e.source, "bot-1");
    CU_ASSERT_EQUAL(e.ts_us, 1000); /* the first of the second batch */
    cJSON_Delete(root);
    bot_queue_free(q);
}

static void test_queue_overflow_before_welcome(void)
{
    bot_queue *q = bot_queue_new(5, BOT_DROP_OLDEST);
    push_n(q, 12); /* 7 dropped while never connected */
    check_invariant(q);
    int64_t f, t, c;
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 0); /* unnumbered yet */
    bot_queue_welcome(q, 100);
    /* the dropped oldest take 101..107, the queued 108..112 */
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 1);
    CU_ASSERT_EQUAL(f, 101);
    CU_ASSERT_EQUAL(t, 107);
    CU_ASSERT_EQUAL(c, 7);
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 0); /* reported once */
    /* the alert itself uses the reserve: it evicts nothing */
    CU_ASSERT_EQUAL(bot_queue_push_control(q, "alert", 5, "{}", 2), 0);
    bot_queue_stats st0;
    bot_queue_get_stats(q, &st0);
    CU_ASSERT_EQUAL(st0.queued, 6);
    CU_ASSERT_EQUAL(st0.dropped, 7);
    int64_t first = 0, last = 0;
    CU_ASSERT_EQUAL(send_all(q, &first, &last), 6);
    CU_ASSERT_EQUAL(first, 108);
    CU_ASSERT_EQUAL(last, 113);
    bot_queue_ack(q, 113);
    bot_queue_stats st;
    bot_queue_get_stats(q, &st);
    CU_ASSERT_EQUAL(st.generated, 13);
    CU_ASSERT_EQUAL(st.acked, 6);
    CU_ASSERT_EQUAL(st.dropped, 7);
    CU_ASSERT_EQUAL(st.reported, 7);
    CU_ASSERT_EQUAL(st.queued, 0);
    bot_queue_free(q);
}

static void test_queue_outage_after_welcome(void)
{
    bot_queue *q = bot_queue_new(4, BOT_DROP_OLDEST);
    bot_queue_welcome(q, 0);
    push_n(q, 4); /* 1..4 */
    CU_ASSERT_EQUAL(send_all(q, NULL, NULL), 4);
    bot_queue_ack(q, 2); /* 3,4 in flight when the connection dies */
    push_n(q, 6);        /* 5..10: drops 3..6 (3,4 had been sent) */
    check_invariant(q);
    int64_t f, t, c;
    /* sent-then-dropped 3,4 are not settled yet; 5..8 are */
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 1);
    CU_ASSERT_EQUAL(f, 5);
    CU_ASSERT_EQUAL(t, 6);
    CU_ASSERT_EQUAL(c, 2);
    /* the dashboard had stored 3 but not 4 */
    bot_queue_welcome(q, 3);
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 1);
    CU_ASSERT_EQUAL(f, 4);
    CU_ASSERT_EQUAL(t, 4);
    CU_ASSERT_EQUAL(c, 1);
    int64_t first = 0, last = 0;
    CU_ASSERT_EQUAL(send_all(q, &first, &last), 4);
    CU_ASSERT_EQUAL(first, 7);
    CU_ASSERT_EQUAL(last, 10);
    bot_queue_stats st;
    bot_queue_get_stats(q, &st);
    CU_ASSERT_EQUAL(st.acked, 3);   /* 1,2 and 3 */
    CU_ASSERT_EQUAL(st.dropped, 3); /* 4,5,6 */
    CU_ASSERT_EQUAL(st.reported, 3);
    CU_ASSERT_EQUAL(st.generated, 10);
    check_invariant(q);
    bot_queue_free(q);
}

static void test_queue_sent_drop_acked_later(void)
{
    bot_queue *q = bot_queue_new(2, BOT_DROP_OLDEST);
    bot_queue_welcome(q, 0);
    push_n(q, 2);
    CU_ASSERT_EQUAL(send_all(q, NULL, NULL), 2); /* 1,2 in flight */
    push_n(q, 1);                                /* 3 evicts 1 (sent) */
    int64_t f, t, c;
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 0); /* not settled */
    bot_queue_ack(q, 2);                                        /* the dashboard had 1 */
    bot_queue_stats st;
    bot_queue_get_stats(q, &st);
    CU_ASSERT_EQUAL(st.acked, 2);
    CU_ASSERT_EQUAL(st.dropped, 0);
    CU_ASSERT_EQUAL(st.queued, 1);
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 0);
    check_invariant(q);
    bot_queue_free(q);
}

static void test_queue_drop_newest(void)
{
    bot_queue *q = bot_queue_new(3, BOT_DROP_NEWEST);
    bot_queue_welcome(q, 10);
    push_n(q, 5); /* 11,12,13 kept; 14,15 refused */
    int64_t f, t, c;
    CU_ASSERT_EQUAL(bot_queue_take_overflow(q, &f, &t, &c), 1);
    CU_ASSERT_EQUAL(f, 14);
    CU_ASSERT_EQUAL(t, 15);
    CU_ASSERT_EQUAL(c, 2);
    int64_t first = 0, last = 0;
    CU_ASSERT_EQUAL(send_all(q, &first, &last), 3);
    CU_ASSERT_EQUAL(first, 11);
    CU_ASSERT_EQUAL(last, 13);
    push_n(q, 1); /* 16 */
    bot_queue_stats st;
    bot_queue_get_stats(q, &st);
    CU_ASSERT_EQUAL(st.last_seq, 16);
    check_invariant(q);
    bot_queue_free(q);
}

static void test_queue_dashboard_ahead(void)
{
    /* another process used our source: continue after its numbers */
    bot_queue *q = bot_queue_new(10, BOT_DROP_OLDEST);
    bot_queue_welcome(q, 5);
    push_n(q, 2); /* 6,7 */
    bot_queue_welcome(q, 50);
    int64_t first = 0, last = 0;
    CU_ASSERT_EQUAL(send_all(q, &first, &last), 2);
    CU_ASSERT_EQUAL(first, 51);
    CU_ASSERT_EQUAL(last, 52);
    check_invariant(q);
    bot_queue_free(q);
}

/* ---- loop --------------------------------------------------------------- */

static bot_loop *new_loop(uint64_t seed, double rate, int pattern, int64_t count)
{
    char err[128];
    bot_loop_config c = {.symbols = "BTC-USD,ETH-USD,AAPL",
                         .seed = seed,
                         .rate = rate,
                         .pattern = pattern,
                         .start_us = 1700000000000000LL,
                         .heartbeat_us = 1000000,
                         .status_us = 5000000,
                         .count = count};
    bot_loop *L = bot_loop_new(&c, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(L);
    return L;
}

typedef struct sym_acc {
    char name[16];
    long fills; /* sum of signed trade quantities */
    long pos;   /* last position_update */
    double realized;
    int seen;
} sym_acc;

static sym_acc *acc_for(sym_acc *a, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(a[i].name, name))
            return &a[i];
    snprintf(a[*n].name, sizeof(a[*n].name), "%s", name);
    return &a[(*n)++];
}

/* A number / string member that must be there (asserted). */
static double num(const cJSON *o, const char *k)
{
    CU_ASSERT(cJSON_IsNumber(wjson_get(o, k)));
    return wjson_num(o, k, NAN);
}

static const char *str(const cJSON *o, const char *k)
{
    CU_ASSERT(cJSON_IsString(wjson_get(o, k)));
    return wjson_str(o, k, "");
}

static contract *load_contract(void)
{
    char err[256];
    contract *c = contract_load(NULL, err, sizeof(err));
    if (!c)
        fprintf(stderr, "contract_load: %s\n", err);
    return c;
}

static void test_loop_consistency(void)
{
    contract *ct = load_contract();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
    int invalid = 0;
    int64_t seq = 0;
    bot_loop *L = new_loop(7, 1000, BOT_PATTERN_STEADY, 30000);
    bot_event ev;
    sym_acc acc[8];
    memset(acc, 0, sizeof(acc));
    int nacc = 0;
    int counts[BOT_MSG_NUM_TYPES] = {0};
    int bad_equity = 0, bad_pos = 0, bad_realized = 0, bad_open = 0, bad_order = 0;
    int orders_new = 0;
    char known_orders[4096] = ",";
    int r;
    while ((r = bot_loop_step(L, &ev)) >= 0) {
        if (r == 0)
            continue;
        counts[ev.type]++;
        char err[256], env[2048];
        int el = envelope_encode_buf(env, sizeof(env), bot_msg_type_name(ev.type), "bot-1", ++seq,
                                     ev.ts_us, ev.data);
        cJSON *ej = el > 0 ? cJSON_Parse(env) : NULL;
        if (!ej || contract_check_envelope(ct, ej, err, sizeof(err)) != 0) {
            if (invalid++ < 3)
                fprintf(stderr, "invalid %s: %s: %s\n", bot_msg_type_name(ev.type), err, env);
        }
        cJSON_Delete(ej);
        cJSON *d = wjson_parse(ev.data, strlen(ev.data), 32, err, sizeof(err));
        CU_ASSERT_PTR_NOT_NULL(d);
        if (!d)
            continue;
        if (ev.type == BOT_MSG_TRADE_EXECUTED) {
            sym_acc *s = acc_for(acc, &nacc, str(d, "symbol"));
            long q = (long)num(d, "quantity");
            s->fills += strcmp(str(d, "side"), "buy") ? -q : q;
            char key[48];
            snprintf(key, sizeof(key), ",%s,", str(d, "order_id"));
            if (!strstr(known_orders, key) && strlen(known_orders) < 3000)
                bad_order++; /* a fill of an order never announced */
            CU_ASSERT(num(d, "price") > 0);
            CU_ASSERT(num(d, "fee") >= 0);
        } else if (ev.type == BOT_MSG_ORDER_UPDATE) {
            if (!strcmp(str(d, "status"), "new")) {
                orders_new++;
                size_t kl = strlen(known_orders);
                if (kl < 3000)
                    snprintf(known_orders + kl, sizeof(known_orders) - kl, "%s,",
                             str(d, "order_id"));
            }
            CU_ASSERT(num(d, "filled_quantity") <= num(d, "quantity"));
            if (!strcmp(str(d, "status"), "filled"))
                CU_ASSERT_EQUAL(num(d, "filled_quantity"), num(d, "quantity"));
        } else if (ev.type == BOT_MSG_POSITION_UPDATE) {
            sym_acc *s = acc_for(acc, &nacc, str(d, "symbol"));
            s->pos = (long)num(d, "quantity");
            s->realized = num(d, "realized_pnl");
            s->seen = 1;
            if (s->pos != s->fills)
                bad_pos++;
        } else if (ev.type == BOT_MSG_ACCOUNT_UPDATE) {
            double bal = num(d, "balance"), eq = num(d, "equity"), un = num(d, "unrealized_pnl");
            if (fabs(eq - (bal + un)) > 2e-6)
                bad_equity++;
            double rsum = 0;
            int open = 0;
            for (int i = 0; i < nacc; i++) {
                rsum += acc[i].realized;
                open += acc[i].pos != 0;
            }
            if (fabs(rsum - num(d, "realized_pnl")) > 1e-4)
                bad_realized++;
            if (open != (int)num(d, "open_positions"))
                bad_open++;
        }
        cJSON_Delete(d);
    }
    CU_ASSERT_EQUAL(bot_loop_trading_events(L), 30000);
    CU_ASSERT(bot_loop_finished(L));
    CU_ASSERT_EQUAL(bad_pos, 0);
    CU_ASSERT_EQUAL(bad_equity, 0);
    CU_ASSERT_EQUAL(bad_realized, 0);
    CU_ASSERT_EQUAL(bad_open, 0);
    CU_ASSERT_EQUAL(bad_order, 0);
    CU_ASSERT_EQUAL(invalid, 0); /* every message passes schemas/ */
    contract_free(ct);
    /* every kind of trading message shows up in a stream this long */
    for (int t = BOT_MSG_MARKET_DATA; t <= BOT_MSG_ACCOUNT_UPDATE; t++)
        CU_ASSERT(counts[t] > 0);
    CU_ASSERT(counts[BOT_MSG_HEARTBEAT] >= 29); /* 30 s of schedule time */
    CU_ASSERT(counts[BOT_MSG_BOT_STATUS] >= 6);
    CU_ASSERT(orders_new > 10);
    int with_pos = 0;
    for (int i = 0; i < nacc; i++)
        with_pos += acc[i].seen;
    CU_ASSERT(with_pos >= 2);
    bot_loop_free(L);
}

static void test_loop_deterministic(void)
{
    bot_loop *a = new_loop(42, 200, BOT_PATTERN_BURSTS, 5000);
    bot_loop *b = new_loop(42, 200, BOT_PATTERN_BURSTS, 5000);
    bot_loop *c = new_loop(43, 200, BOT_PATTERN_BURSTS, 5000);
    bot_event ea, eb, ec;
    int same = 1, differs = 0, n = 0;
    for (;;) {
        int ra = bot_loop_step(a, &ea), rb = bot_loop_step(b, &eb), rc = bot_loop_step(c, &ec);
        if (ra != rb) {
            same = 0;
            break;
        }
        if (ra < 0)
            break;
        if (ra == 1) {
            n++;
            if (ea.type != eb.type || ea.ts_us != eb.ts_us || strcmp(ea.data, eb.data))
                same = 0;
            if (rc == 1 && strcmp(ea.data, ec.data))
                differs = 1;
        }
    }
    CU_ASSERT(same);
    CU_ASSERT(differs);
    CU_ASSERT(n > 5000);
    bot_loop_free(a);
    bot_loop_free(b);
    bot_loop_free(c);
}

static void test_loop_schedule(void)
{
    /* steady: trading events exactly 1/rate apart, stamped with schedule time */
    bot_loop *L = new_loop(1, 100, BOT_PATTERN_STEADY, 300);
    bot_event ev;
    int64_t prev = -1;
    int ok = 1, r;
    while ((r = bot_loop_step(L, &ev)) >= 0) {
        if (r != 1 || !ev.trading)
            continue;
        if (prev >= 0 && ev.ts_us - prev != 10000)
            ok = 0;
        prev = ev.ts_us;
    }
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(prev, 1700000000000000LL + 299 * 10000);
    bot_loop_free(L);

    /* bursts: the same average rate, 3x inside the burst window */
    L = new_loop(1, 100, BOT_PATTERN_BURSTS, 0);
    int in_burst = 0, total = 0;
    while (bot_loop_next_due(L) < 4000000) {
        r = bot_loop_step(L, &ev);
        if (r == 1 && ev.trading) {
            total++;
            if ((ev.ts_us - 1700000000000000LL) % 2000000 < 500000)
                in_burst++;
        }
    }
    CU_ASSERT(total >= 395 && total <= 405);       /* 4 s at 100/s */
    CU_ASSERT(in_burst >= 295 && in_burst <= 305); /* 2 x 0.5 s at 300/s */
    bot_loop_free(L);
}

static void test_loop_pause_and_rate(void)
{
    bot_loop *L = new_loop(3, 100, BOT_PATTERN_STEADY, 0);
    bot_event ev;
    bot_loop_set_paused(L, 1);
    int trading = 0, hb = 0;
    while (bot_loop_next_due(L) < 2000000) {
        if (bot_loop_step(L, &ev) == 1) {
            if (ev.trading)
                trading++;
            if (ev.type == BOT_MSG_HEARTBEAT)
                hb++;
            if (ev.type == BOT_MSG_BOT_STATUS)
                CU_ASSERT(strstr(ev.data, "\"state\":\"paused\"") != NULL);
        }
    }
    CU_ASSERT_EQUAL(trading, 0);
    CU_ASSERT(hb >= 1);
    CU_ASSERT(bot_loop_iterations(L) >= 199); /* the loop keeps turning */
    bot_loop_set_paused(L, 0);
    CU_ASSERT_EQUAL(bot_loop_set_rate(L, -1), -1);
    CU_ASSERT_EQUAL(bot_loop_set_rate(L, 1000), 0);
    int64_t start = bot_loop_next_due(L);
    while (bot_loop_next_due(L) < start + 1000000) {
        if (bot_loop_step(L, &ev) == 1 && ev.trading)
            trading++;
    }
    /* the new rate applies from the last tick (10 ms before start) on */
    CU_ASSERT(trading >= 995 && trading <= 1011);
    bot_loop_free(L);
}

static void test_loop_rate_change_applies_at_once(void)
{
    /* at 0.1/s the next tick is 10 s away; set_rate(100) must not wait for it */
    bot_loop *L = new_loop(5, 0.1, BOT_PATTERN_STEADY, 0);
    bot_event ev;
    int r;
    do
        r = bot_loop_step(L, &ev);
    while (r != 1 || !ev.trading); /* the first tick, at offset 0 */
    CU_ASSERT_EQUAL(bot_loop_set_rate(L, 100), 0);
    do
        r = bot_loop_step(L, &ev);
    while (r != 1 || !ev.trading);
    CU_ASSERT_EQUAL(ev.ts_us - 1700000000000000LL, 10000);
    bot_loop_free(L);
}

static void test_loop_bad_config(void)
{
    char err[128];
    bot_loop_config c = {.symbols = "btc-usd", .seed = 1, .rate = 10};
    CU_ASSERT_PTR_NULL(bot_loop_new(&c, err, sizeof(err)));
    CU_ASSERT(strstr(err, "btc-usd") != NULL);
    c.symbols = "BTC-USD";
    c.rate = 0;
    CU_ASSERT_PTR_NULL(bot_loop_new(&c, err, sizeof(err)));
}

/* ---- the table ---------------------------------------------------------- */

/* ==== integration: wsb-bot against the real wsb-dashboard =================
 *
 * Self-contained helpers (no lws in the test thread): child processes with
 * their stdout on a pipe, a plain-socket HTTP GET and a small blocking
 * WebSocket client for the subscriber side. Every wait polls a condition
 * with a deadline; every child is killed at exit even when a test fails. */

#define SECRET BOT_TESTKIT_SECRET

/* Subscribes with a replay from 0 and reads every frame of bot-1 until
 * want_seq is seen or the timeout: checks order and counts; alerts'
 * queue_overflow counts are summed into *overflow. Returns the frames seen. */
typedef struct replay_result {
    int64_t frames, last_seq, out_of_order, duplicates, gap_frames, gap_messages, overflow, alerts;
} replay_result;

static void replay_from_zero(int port, int64_t want_seq, replay_result *r)
{
    memset(r, 0, sizeof(*r));
    char *tok = jwt_sign(SECRET, "test-subscriber", "subscriber", 600);
    bot_testkit_ws *w = tok ? bot_testkit_ws_open(port, "/ws/stream", tok) : NULL;
    free(tok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    const char *sub = "{\"type\":\"subscribe\",\"from\":{\"bot-1\":0}}";
    CU_ASSERT_EQUAL(bot_testkit_ws_send(w, 1, sub, strlen(sub)), 0);
    int64_t end = wclock_mono_ms() + 20000;
    char *m;
    while (r->last_seq < want_seq && wclock_mono_ms() < end) {
        int rc = bot_testkit_ws_recv(w, 1000, &m);
        if (rc < 0)
            break;
        if (rc == 0)
            continue;
        cJSON *j = cJSON_Parse(m);
        if (!j)
            continue;
        const char *type = wjson_str(j, "type", "");
        if (!strcmp(type, "gap")) {
            r->gap_frames++;
            r->gap_messages += wjson_int(j, "to", -1) - wjson_int(j, "from", -1) + 1;
        } else if (!strcmp(wjson_str(j, "source", ""), "bot-1")) {
            int64_t seq = wjson_int(j, "seq", -1);
            r->frames++;
            if (seq <= r->last_seq)
                r->duplicates++;
            else if (seq != r->last_seq + 1 && r->gap_frames == 0)
                r->out_of_order++;
            if (seq > r->last_seq)
                r->last_seq = seq;
            if (!strcmp(type, "alert")) {
                const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data");
                if (!strcmp(wjson_str(d, "code", ""), "queue_overflow")) {
                    r->alerts++;
                    r->overflow += wjson_int(d, "count", -1);
                }
            }
        }
        cJSON_Delete(j);
    }
    bot_testkit_ws_close(w);
}

/* A subscriber replaying everything sees 1..gen once each, in order. */
static void assert_clean_replay(int port, int64_t gen)
{
    replay_result r;
    replay_from_zero(port, gen, &r);
    CU_ASSERT_EQUAL(r.last_seq, gen);
    CU_ASSERT_EQUAL(r.frames, gen);
    CU_ASSERT_EQUAL(r.duplicates, 0);
    CU_ASSERT_EQUAL(r.out_of_order, 0);
    CU_ASSERT_EQUAL(r.gap_frames, 0);
}

/* Waits (30 s) for the bot's summary line, copies it into line and checks
 * that it says result=ok; no summary line ends the test. */
static void wait_summary_ok(spawn_proc *bot, char *line, size_t len)
{
    CU_ASSERT_FATAL(spawn_wait_line(bot, "wsb-bot summary", 30000));
    snprintf(line, len, "%s", bot->line);
    CU_ASSERT(strstr(line, "result=ok") != NULL);
}

/* ---- the integration tests ---- */

static void test_dashboard_absent_at_start(void)
{
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "absent-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "absent-bot");
    int port = bot_testkit_free_port();
    CU_ASSERT_FATAL(port > 0);
    static spawn_proc bot, dash;
    const char *extra[] = {"--rate",       "200",  "--count", "800",
                           "--queue-size", "5000", "--seed",  "11",
                           "--timeout",    "20",   NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    /* the bot trades and queues while nobody listens */
    int64_t g = bot_testkit_wait_status(sport, "generated", 200, 5000);
    CU_ASSERT(g >= 200);
    cJSON *st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(st, "connected")));
    CU_ASSERT_EQUAL(wjson_int(st, "sent", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(st, "last_seq", -1), 0); /* unnumbered until the first welcome */
    int64_t it1 = wjson_int(st, "loop_iterations", -1);
    cJSON_Delete(st);
    CU_ASSERT(bot_testkit_wait_status(sport, "loop_iterations", it1 + 20, 3000) >= it1 + 20);

    CU_ASSERT_FATAL(bot_testkit_start_dashboard(&dash, port, NULL, dlog) == port);
    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated");
    CU_ASSERT(gen >= 800);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "acked"), gen);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "dropped"), 0);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "last_seq"), gen);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);

    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), gen);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.received", -1), gen);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.invalid", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gaps", -1), 0);
    cJSON_Delete(ds);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_dashboard_killed_and_restarted(void)
{
    char dlog[256], blog[256], journal[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "restart-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "restart-bot");
    snprintf(journal, sizeof(journal), "/tmp/test-bot-%d-restart.journal", (int)getpid());
    unlink(journal);
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, journal, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate",       "300",  "--count", "1500",
                           "--queue-size", "5000", "--seed",  "12",
                           "--timeout",    "20",   NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 300, 10000) >= 300);

    spawn_stop(&dash, SIGKILL, 5000);                          /* mid-stream, no goodbye */
    int64_t q = bot_testkit_wait_status(sport, "queued", 100, 5000); /* trading goes on */
    CU_ASSERT(q >= 100);
    CU_ASSERT_FATAL(bot_testkit_start_dashboard(&dash, port, journal, dlog) == port);

    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated");
    CU_ASSERT(gen >= 1500);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "acked"), gen);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "dropped"), 0);
    CU_ASSERT(bot_testkit_summary_field(line, "reconnects") >= 1);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);

    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), gen);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.invalid", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gaps", -1), 0);
    cJSON_Delete(ds);

    /* a subscriber replaying everything sees 1..gen once each, in order */
    assert_clean_replay(port, gen);
    spawn_stop(&dash, SIGKILL, 5000);
    unlink(journal);
}

static void test_outage_longer_than_queue(void)
{
    char dlog[256], blog[256], journal[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "overflow-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "overflow-bot");
    snprintf(journal, sizeof(journal), "/tmp/test-bot-%d-overflow.journal", (int)getpid());
    unlink(journal);
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, journal, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate",       "300", "--count", "1500",
                           "--queue-size", "100", "--seed",  "13",
                           "--timeout",    "20",  NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 200, 10000) >= 200);
    spawn_stop(&dash, SIGKILL, 5000);
    /* longer than the queue: 100 messages at 300/s is a third of a second */
    CU_ASSERT(bot_testkit_wait_status(sport, "dropped", 200, 10000) >= 200);
    CU_ASSERT_FATAL(bot_testkit_start_dashboard(&dash, port, journal, dlog) == port);

    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated"),
              acked = bot_testkit_summary_field(line, "acked"),
              dropped = bot_testkit_summary_field(line, "dropped");
    CU_ASSERT(dropped >= 200);
    CU_ASSERT_EQUAL(acked + dropped, gen);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);

    /* the dashboard holds exactly what was acked, saw the drop as gaps, and the
     * alert it relays accounts for every dropped number */
    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    long long last = bot_testkit_summary_field(line, "last_seq");
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), last);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.invalid", -1), 0);
    CU_ASSERT(wjson_int(ds, "sources.bot-1.gaps", -1) >= 1);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gap_messages", -1), dropped);
    printf("\n    generated %lld, acked %lld, dropped %lld; dashboard: last_seq %lld, gaps %lld, "
           "gap messages %lld\n",
           gen, acked, dropped, (long long)wjson_int(ds, "sources.bot-1.last_seq", -1),
           (long long)wjson_int(ds, "sources.bot-1.gaps", -1),
           (long long)wjson_int(ds, "sources.bot-1.gap_messages", -1));
    cJSON_Delete(ds);
    replay_result r;
    replay_from_zero(port, last, &r);
    CU_ASSERT_EQUAL(r.last_seq, last);
    CU_ASSERT_EQUAL(r.frames, acked);
    CU_ASSERT_EQUAL(r.duplicates, 0);
    CU_ASSERT(r.alerts >= 1);
    CU_ASSERT_EQUAL(r.overflow, dropped);
    CU_ASSERT_EQUAL(r.gap_messages, dropped);
    spawn_stop(&dash, SIGKILL, 5000);
    unlink(journal);
}

static void test_partition_detected_by_ping(void)
{
    /* SIGSTOP keeps the dashboard's sockets open but silent, as a partition
     * does: only the ping/pong timeout can tell the bot */
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "partition-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "partition-bot");
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, NULL, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate",       "200",  "--count", "1200",
                           "--queue-size", "5000", "--seed",  "16",
                           "--timeout",    "20",   NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 200, 10000) >= 200);
    kill(dash.pid, SIGSTOP);
    int64_t t0 = wclock_mono_ms(), seen = 0;
    /* ping 0.5 s + pong 1 s should tell within ~2 s; 10 s is only the
     * bound of the wait (TCP alone would not tell for minutes) */
    while (wclock_mono_ms() - t0 < 10000 && !seen) {
        cJSON *st = bot_testkit_http_json(sport, "/status");
        if (st && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(st, "connected")) &&
            strstr(wjson_str(st, "last_error", ""), "pong timeout"))
            seen = wclock_mono_ms() - t0;
        cJSON_Delete(st);
        wclock_sleep_ms(50);
    }
    CU_ASSERT(seen > 0); /* detected by the pong timeout, connection marked down */
    printf("\n    partition detected after %lld ms\n", (long long)seen);
    kill(dash.pid, SIGCONT);

    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated");
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "dropped"), 0);
    CU_ASSERT(bot_testkit_summary_field(line, "reconnects") >= 1);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);
    /* what the stopped dashboard read late may arrive twice; it is
     * deduplicated, so subscribers still see each seq once, in order */
    assert_clean_replay(port, gen);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_bot_restart_continues_numbering(void)
{
    /* a new bot process numbers after what the dashboard holds, so nothing
     * it sends is deduplicated away */
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "renumber-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "renumber-bot");
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, NULL, dlog);
    CU_ASSERT_FATAL(port > 0);
    long long total = 0;
    for (int run = 0; run < 2; run++) {
        /* the queue holds the whole count: however slowly the bot connects
         * (sanitizers, a loaded machine), nothing is dropped before welcome */
        const char *extra[] = {"--rate", "500",  "--count",      "300",
                               "--seed", run ? "19" : "18", "--queue-size", "1000",
                               "--timeout", "10", NULL};
        CU_ASSERT_FATAL(bot_testkit_start_bot(&bot, port, blog, extra) > 0);
        CU_ASSERT_FATAL(spawn_wait_line(&bot, "wsb-bot summary", 20000));
        CU_ASSERT(strstr(bot.line, "result=ok") != NULL);
        long long gen = bot_testkit_summary_field(bot.line, "generated");
        total += gen;
        CU_ASSERT_EQUAL(bot_testkit_summary_field(bot.line, "last_seq"), total);
        CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);
    }
    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), total);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.received", -1), total);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gaps", -1), 0);
    cJSON_Delete(ds);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_gives_up_after_max_retries(void)
{
    char blog[256];
    bot_testkit_log_path(blog, sizeof(blog), "retries-bot");
    static spawn_proc bot;
    const char *extra[] = {"--rate",          "50",  "--seed", "17", "--max-retries", "2",
                           "--flush-timeout", "0.2", NULL};
    int sport = bot_testkit_start_bot(&bot, bot_testkit_free_port(), blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    int64_t t0 = wclock_mono_ms();
    int gave_up = 0;
    while (!gave_up && wclock_mono_ms() - t0 < 5000) {
        cJSON *st = bot_testkit_http_json(sport, "/status");
        gave_up = st && strstr(wjson_str(st, "last_error", ""), "gave up") != NULL &&
                  !strcmp(wjson_str(st, "state", ""), "degraded");
        cJSON_Delete(st);
        if (!gave_up)
            wclock_sleep_ms(50);
    }
    CU_ASSERT(gave_up);
    /* trading goes on regardless */
    int64_t it = bot_testkit_wait_status(sport, "loop_iterations", 0, 1000);
    CU_ASSERT(bot_testkit_wait_status(sport, "loop_iterations", it + 10, 3000) >= it + 10);
    spawn_signal(&bot, SIGTERM);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 3000), 0);
}

/* Sends a command from a subscriber and waits for its command_ack. */
static int command_round_trip(bot_testkit_ws *w, const char *id, const char *name,
                              const char *params, char *status, size_t cap, char *reason,
                              size_t rcap)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "{\"type\":\"command\",\"target\":\"bot-1\",\"command_id\":\"%s\","
             "\"name\":\"%s\",\"params\":%s}",
             id, name, params);
    if (bot_testkit_ws_send(w, 1, cmd, strlen(cmd)))
        return -1;
    int64_t end = wclock_mono_ms() + 5000;
    char *m;
    while (wclock_mono_ms() < end) {
        int rc = bot_testkit_ws_recv(w, 500, &m);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        cJSON *j = cJSON_Parse(m);
        if (!j)
            continue;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data");
        if (!strcmp(wjson_str(j, "type", ""), "command_ack") &&
            !strcmp(wjson_str(d, "command_id", ""), id)) {
            snprintf(status, cap, "%s", wjson_str(d, "status", ""));
            snprintf(reason, rcap, "%s", wjson_str(d, "reason", ""));
            cJSON_Delete(j);
            return 0;
        }
        cJSON_Delete(j);
    }
    return -1;
}

static void test_command_round_trip(void)
{
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "command-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "command-bot");
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, NULL, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate", "50", "--seed", "14", "--flush-timeout", "3", NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 10, 10000) >= 10);

    char *tok = jwt_sign(SECRET, "test-commander", "subscriber", 600);
    bot_testkit_ws *w = tok ? bot_testkit_ws_open(port, "/ws/stream", tok) : NULL;
    free(tok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    const char *sub = "{\"type\":\"subscribe\",\"types\":[\"command_ack\"]}";
    CU_ASSERT_EQUAL(bot_testkit_ws_send(w, 1, sub, strlen(sub)), 0);

    char status[32], reason[256];
    CU_ASSERT_EQUAL(
        command_round_trip(w, "c-1", "pause", "{}", status, sizeof(status), reason, sizeof(reason)),
        0);
    CU_ASSERT_STRING_EQUAL(status, "done");
    cJSON *st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_STRING_EQUAL(wjson_str(st, "state", ""), "paused");
    int64_t it = wjson_int(st, "loop_iterations", -1);
    cJSON_Delete(st);
    /* paused: the loop keeps turning */
    CU_ASSERT(bot_testkit_wait_status(sport, "loop_iterations", it + 10, 3000) >= it + 10);

    CU_ASSERT_EQUAL(command_round_trip(w, "c-2", "explode", "{}", status, sizeof(status), reason,
                                       sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "rejected");
    CU_ASSERT(strstr(reason, "explode") != NULL);

    CU_ASSERT_EQUAL(command_round_trip(w, "c-3", "set_rate", "{\"rate\":123}", status,
                                       sizeof(status), reason, sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "done");
    CU_ASSERT_EQUAL(command_round_trip(w, "c-4", "set_rate", "{\"rate\":-1}", status,
                                       sizeof(status), reason, sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "rejected");
    CU_ASSERT_EQUAL(command_round_trip(w, "c-5", "resume", "{}", status, sizeof(status), reason,
                                       sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "done");
    st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_STRING_EQUAL(wjson_str(st, "state", ""), "running");
    CU_ASSERT(fabs(cJSON_GetObjectItemCaseSensitive(st, "rate")->valuedouble - 123) < 1e-9);
    cJSON_Delete(st);
    bot_testkit_ws_close(w);

    /* SIGTERM: a last bot_status "stopping" is flushed, then exit 0, quickly */
    tok = jwt_sign(SECRET, "test-watcher", "subscriber", 600);
    w = tok ? bot_testkit_ws_open(port, "/ws/stream", tok) : NULL;
    free(tok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    /* the replay from 0 brings the first bot_status ("starting"): once it is
     * here the subscription is live */
    const char *sub2 = "{\"type\":\"subscribe\",\"types\":[\"bot_status\"],\"from\":{\"bot-1\":0}}";
    CU_ASSERT_EQUAL(bot_testkit_ws_send(w, 1, sub2, strlen(sub2)), 0);
    char *m;
    int live = 0;
    int64_t t1 = wclock_mono_ms();
    while (!live && wclock_mono_ms() - t1 < 5000)
        live = bot_testkit_ws_recv(w, 500, &m) == 1 && strstr(m, "\"state\":\"starting\"");
    CU_ASSERT_FATAL(live);
    int64_t t0 = wclock_mono_ms();
    spawn_signal(&bot, SIGTERM);
    int stopping = 0;
    while (!stopping && wclock_mono_ms() - t0 < 5000) {
        int rc = bot_testkit_ws_recv(w, 500, &m);
        if (rc < 0)
            break;
        if (rc == 1 && strstr(m, "\"state\":\"stopping\""))
            stopping = 1;
    }
    CU_ASSERT(stopping);
    bot_testkit_ws_close(w);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 6000), 0);
    CU_ASSERT(wclock_mono_ms() - t0 < 5000);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_status_endpoints(void)
{
    char blog[256];
    bot_testkit_log_path(blog, sizeof(blog), "status-bot");
    static spawn_proc bot;
    const char *extra[] = {"--rate", "20", "--seed", "15", "--flush-timeout", "0.2", NULL};
    int sport = bot_testkit_start_bot(&bot, bot_testkit_free_port(), blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    cJSON *h = bot_testkit_http_json(sport, "/health");
    CU_ASSERT_PTR_NOT_NULL(h);
    CU_ASSERT_STRING_EQUAL(wjson_str(h, "status", ""), "ok");
    cJSON_Delete(h);
    cJSON *st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const char *keys[] = {"service",         "source",    "state",      "connected",
                          "loop_iterations", "generated", "sent",       "acked",
                          "acked_seq",       "last_seq",  "queued",     "dropped",
                          "reconnects",      "rate",      "last_error", NULL};
    for (int i = 0; keys[i]; i++)
        CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItemCaseSensitive(st, keys[i]));
    CU_ASSERT_EQUAL(wjson_int(st, "generated", -1), wjson_int(st, "acked", -1) +
                                                           wjson_int(st, "queued", -1) +
                                                           wjson_int(st, "dropped", -1));
    contract *ct = load_contract();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
    char err[256] = "";
    int rc = contract_check(ct, "status/bot", st, err, sizeof(err));
    if (rc)
        fprintf(stderr, "status/bot: %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    contract_free(ct);
    cJSON_Delete(st);
    /* /metrics: Prometheus text with the agreed names */
    int fd = bot_testkit_tcp_connect(sport, 2000);
    CU_ASSERT_FATAL(fd >= 0);
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    CU_ASSERT(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    char buf[8192];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)r;
        buf[len] = 0;
        if (strstr(buf, "wsbridge_bot_connected "))
            break;
    }
    buf[len] = 0;
    close(fd);
    const char *names[] = {"wsbridge_bot_loop_iterations_total",
                           "wsbridge_bot_generated_total",
                           "wsbridge_bot_sent_total",
                           "wsbridge_bot_acked_total",
                           "wsbridge_bot_queued",
                           "wsbridge_bot_dropped_total",
                           "wsbridge_bot_reconnects_total",
                           "wsbridge_bot_connected",
                           NULL};
    for (int i = 0; names[i]; i++) {
        char want[96];
        snprintf(want, sizeof(want), "\n%s ", names[i]);
        CU_ASSERT(strstr(buf, want) != NULL);
    }
    spawn_signal(&bot, SIGTERM);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 3000), 0);
}

static int integration_init(void)
{
    char bin[256];
    if (access(testkit_bin_path("wsb-bot", bin, sizeof(bin)), X_OK) ||
        access(testkit_bin_path("wsb-dashboard", bin, sizeof(bin)), X_OK)) {
        fprintf(stderr, "test_bot: %s missing (build first; BUILD=%s)\n", bin, testkit_build_dir());
        return 1; /* the suite fails: CUnit counts it */
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static CU_TestInfo integration_tests[] = {
    {"status endpoints", test_status_endpoints},
    {"dashboard absent at start", test_dashboard_absent_at_start},
    {"dashboard killed and restarted mid-stream", test_dashboard_killed_and_restarted},
    {"outage longer than the queue", test_outage_longer_than_queue},
    {"partition detected by ping/pong", test_partition_detected_by_ping},
    {"command round trip", test_command_round_trip},
    {"a restarted bot continues the numbering", test_bot_restart_continues_numbering},
    {"gives up after max retries, keeps trading", test_gives_up_after_max_retries},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo unit_tests[] = {
    {"queue numbering and acks", test_queue_numbering_and_acks},
    {"queue overflow before the first welcome", test_queue_overflow_before_welcome},
    {"queue outage after welcome", test_queue_outage_after_welcome},
    {"queue sent-then-dropped acked later", test_queue_sent_drop_acked_later},
    {"queue drop-newest policy", test_queue_drop_newest},
    {"queue dashboard ahead of us", test_queue_dashboard_ahead},
    {"loop consistency (positions, equity, orders)", test_loop_consistency},
    {"loop deterministic per seed", test_loop_deterministic},
    {"loop schedule (steady, bursts)", test_loop_schedule},
    {"loop pause and set_rate", test_loop_pause_and_rate},
    {"loop set_rate applies from the last tick", test_loop_rate_change_applies_at_once},
    {"loop bad config", test_loop_bad_config},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"bot_unit", NULL, NULL, NULL, NULL, unit_tests},
    {"bot_integration", integration_init, NULL, NULL, NULL, integration_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
