/* test_bot: CUnit tests of the mock trading bot.
 *
 * Unit tests (no network): the queue's exact accounting (numbering at the
 * first welcome, acks, overflow before and after it, sent-then-dropped
 * messages the dashboard turns out to hold, drop-newest), and the trading
 * loop's consistency (position = sum of signed fills, equity = balance +
 * unrealised PnL, order lifecycle), determinism per seed, schedule and pause.
 *
 * Integration tests run build/bin/wsb-bot against the real mock dashboard
 * build/bin/wsb-dashboard on free ports: test_bot_live.c. */
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
#include "bot_state.h"
#include "bot_testkit.h"
#include "contract.h"
#include "envelope.h"
#include "jwt.h"
#include "wclock.h"
#include "wjson.h"
#include "testkit.h"
#include "test_bot_live.h"

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

static void note_seq(void *ud, int64_t seq)
{
    *(int64_t *)ud = seq;
}

static void test_queue_restart_after_kill(void)
{
    /* the killed predecessor numbered up to 40, the dashboard holds 30 */
    char path[] = "/tmp/wsb-bot-state-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, "40\n", 3), 3);
    close(fd);
    char err[128];
    int64_t last = -1, noted = 0;
    bot_state *st = bot_state_open(path, &last, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_EQUAL(last, 40);
    bot_queue *q = bot_queue_new(10, BOT_DROP_OLDEST);
    bot_queue_set_floor(q, last);
    bot_queue_on_number(q, note_seq, &noted);
    push_n(q, 2); /* unnumbered until the welcome */
    CU_ASSERT_EQUAL(noted, 0);
    bot_queue_welcome(q, 30);
    CU_ASSERT_EQUAL(noted, 42); /* after 40, not after 30: no number reused */
    int64_t from = 0, to = 0;
    CU_ASSERT_EQUAL(bot_queue_take_restart_loss(q, &from, &to), 1);
    CU_ASSERT_EQUAL(from, 31);
    CU_ASSERT_EQUAL(to, 40);
    CU_ASSERT_EQUAL(bot_queue_take_restart_loss(q, &from, &to), 0); /* once */
    bot_queue_stats qs;
    bot_queue_get_stats(q, &qs);
    CU_ASSERT_EQUAL(qs.restored_seq, 40);
    CU_ASSERT_EQUAL(qs.lost_at_source, 10);
    /* the file follows every number, and a new process reads it back */
    bot_queue_on_number(q, bot_state_save, st);
    push_n(q, 1); /* 43 */
    bot_state_close(st);
    st = bot_state_open(path, &last, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(st);
    CU_ASSERT_EQUAL(last, 43);
    bot_state_close(st);
    check_invariant(q);
    bot_queue_free(q);
    /* a dashboard ahead of the file: nothing lost */
    q = bot_queue_new(10, BOT_DROP_OLDEST);
    bot_queue_set_floor(q, 20);
    bot_queue_welcome(q, 30);
    CU_ASSERT_EQUAL(bot_queue_take_restart_loss(q, &from, &to), 0);
    bot_queue_free(q);
    /* a file that holds something else is refused */
    fd = open(path, O_WRONLY | O_TRUNC);
    CU_ASSERT_EQUAL(write(fd, "x1", 2), 2);
    close(fd);
    CU_ASSERT_PTR_NULL(bot_state_open(path, &last, err, sizeof(err)));
    unlink(path);
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

contract *test_bot_load_contract(void)
{
    char err[256];
    contract *c = contract_load(NULL, err, sizeof(err));
    if (!c)
        fprintf(stderr, "contract_load: %s\n", err);
    return c;
}

static void test_loop_consistency(void)
{
    contract *ct = test_bot_load_contract();
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

static CU_TestInfo unit_tests[] = {
    {"queue numbering and acks", test_queue_numbering_and_acks},
    {"queue overflow before the first welcome", test_queue_overflow_before_welcome},
    {"queue outage after welcome", test_queue_outage_after_welcome},
    {"queue sent-then-dropped acked later", test_queue_sent_drop_acked_later},
    {"queue drop-newest policy", test_queue_drop_newest},
    {"queue dashboard ahead of us", test_queue_dashboard_ahead},
    {"queue and state file after a kill", test_queue_restart_after_kill},
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
    {"bot_integration", test_bot_live_init, NULL, NULL, NULL, test_bot_live_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
