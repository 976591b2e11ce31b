/* integ_ledger: follows one bot's trading cycle in its stream and says where
 * fills, orders, positions and the account do not add up (see integ_ledger.h). */
#include "integ_ledger.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wjson.h"

#define MAX_SYMBOLS 32
#define MAX_LIVE 256    /* orders open at once */
#define PROBLEMS_MAX 3  /* problems quoted */

typedef struct sym {
    char name[32];
    int known;          /* position state known */
    long pos;
    double avg, realized;
    double price;
    int price_known;
    char last_signal[8]; /* "buy", "sell", "hold", "" */
} sym;

typedef struct order {
    char id[48];
    long num; /* N of "o-N", -1 when not of that form */
    char symbol[32];
    char side[8];
    long qty;
    long traded; /* sum of its trade_executed */
} order;

struct integ_ledger {
    char source[128];
    int fresh;          /* the segment began at the bot's start */
    int64_t last_seq;
    sym syms[MAX_SYMBOLS];
    int nsym;
    order live[MAX_LIVE];
    int nlive;
    long first_new;     /* lowest order number seen new/rejected in the segment, -1 none */
    long last_finished; /* highest order number finished in the segment */
    int acct_known;
    double balance, realized_total;
    int64_t fill_pending; /* fills applied, waiting for their position+account update */
    integ_ledger_stats st;
    char problems[2048];
    int nquoted;
};

integ_ledger *integ_ledger_new(const char *source)
{
    integ_ledger *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    snprintf(l->source, sizeof(l->source), "%s", source);
    l->first_new = -1;
    return l;
}

void integ_ledger_free(integ_ledger *l)
{
    free(l);
}

void integ_ledger_stats_get(const integ_ledger *l, integ_ledger_stats *out)
{
    *out = l->st;
    out->last_seq = l->last_seq;
}

const char *integ_ledger_problems(const integ_ledger *l)
{
    return l->problems;
}

__attribute__((format(printf, 3, 4))) static void problem(integ_ledger *l, int64_t seq,
                                                          const char *fmt, ...)
{
    l->st.problems++;
    if (l->nquoted >= PROBLEMS_MAX)
        return;
    l->nquoted++;
    size_t off = strlen(l->problems);
    if (off + 64 >= sizeof(l->problems))
        return;
    off += (size_t)snprintf(l->problems + off, sizeof(l->problems) - off, "%sseq %lld: ",
                            off ? "; " : "", (long long)seq);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->problems + off, sizeof(l->problems) - off, fmt, ap);
    va_end(ap);
}

/* A new segment: fresh (the bot started) or anchoring (after a gap). */
static void segment(integ_ledger *l, int fresh)
{
    for (int i = 0; i < l->nsym; i++) {
        sym *s = &l->syms[i];
        s->known = fresh;
        s->pos = 0;
        s->avg = s->realized = 0;
        s->last_signal[0] = '\0';
        s->price_known = 0; /* a gap may have hidden price moves too */
    }
    l->fresh = fresh;
    l->nlive = 0;
    l->first_new = -1;
    l->last_finished = -1;
    l->acct_known = 0; /* the first account_update gives the balance */
    l->fill_pending = 0;
    l->st.segments++;
}

static sym *sym_of(integ_ledger *l, const char *name)
{
    for (int i = 0; i < l->nsym; i++)
        if (!strcmp(l->syms[i].name, name))
            return &l->syms[i];
    if (l->nsym == MAX_SYMBOLS || strlen(name) >= sizeof(l->syms[0].name))
        return NULL;
    sym *s = &l->syms[l->nsym++];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->known = l->fresh; /* a fresh bot holds nothing of a symbol it never traded */
    return s;
}

static long order_num(const char *id)
{
    if (strncmp(id, "o-", 2) || !id[2])
        return -1;
    char *end;
    long n = strtol(id + 2, &end, 10);
    return *end ? -1 : n;
}

static order *live_of(integ_ledger *l, const char *id)
{
    for (int i = 0; i < l->nlive; i++)
        if (!strcmp(l->live[i].id, id))
            return &l->live[i];
    return NULL;
}

static void finish(integ_ledger *l, order *o)
{
    if (o->num > l->last_finished)
        l->last_finished = o->num;
    l->st.orders_checked++;
    *o = l->live[--l->nlive];
}

/* An event naming an order that is not open: judged unless the order began
 * before an anchoring segment. 1 when it is a problem (reported). */
static int unknown_order(integ_ledger *l, int64_t seq, const char *id, const char *what)
{
    long n = order_num(id);
    if (!l->fresh && (l->first_new < 0 || (n >= 0 && n < l->first_new)))
        return 0; /* opened before this segment: not judged */
    problem(l, seq, "%s for order %s, which is unknown or already finished", what, id);
    return 1;
}

static int money_eq(double a, double b)
{
    return fabs(a - b) <= INTEG_MONEY_TOL;
}

/* ---- the events ------------------------------------------------------------- */

static void on_order(integ_ledger *l, int64_t seq, const cJSON *d)
{
    const char *id = wjson_str(d, "order_id", "");
    const char *status = wjson_str(d, "status", "");
    const char *symn = wjson_str(d, "symbol", "");
    const char *side = wjson_str(d, "side", "");
    long qty = (long)wjson_int(d, "quantity", -1);
    long filled = (long)wjson_int(d, "filled_quantity", -1);
    order *o = live_of(l, id);
    long n = order_num(id);
    if (!strcmp(status, "new") || !strcmp(status, "rejected")) {
        if (o || (n >= 0 && n <= l->last_finished && l->first_new >= 0 && n >= l->first_new)) {
            problem(l, seq, "order %s is %s again (order ids must not be reused)", id, status);
            return;
        }
        sym *s = sym_of(l, symn);
        if (s && s->last_signal[0] && strcmp(s->last_signal, side))
            problem(l, seq, "order %s (%s %s) follows a %s signal on %s", id, side, symn,
                    s->last_signal, symn);
        else if (s && !s->last_signal[0] && l->fresh)
            problem(l, seq, "order %s (%s %s) without a signal before it", id, side, symn);
        if (s)
            s->last_signal[0] = '\0'; /* one signal, one order */
        if (filled != 0)
            problem(l, seq, "order %s is %s with filled_quantity %ld", id, status, filled);
        if (n >= 0 && (l->first_new < 0 || n < l->first_new))
            l->first_new = n;
        if (!strcmp(status, "rejected")) {
            if (n > l->last_finished)
                l->last_finished = n;
            l->st.orders_checked++;
            return;
        }
        if (l->nlive == MAX_LIVE) {
            problem(l, seq, "more than %d orders open at once", MAX_LIVE);
            return;
        }
        o = &l->live[l->nlive++];
        memset(o, 0, sizeof(*o));
        snprintf(o->id, sizeof(o->id), "%s", id);
        o->num = n;
        snprintf(o->symbol, sizeof(o->symbol), "%s", symn);
        snprintf(o->side, sizeof(o->side), "%s", side);
        o->qty = qty;
        return;
    }
    int partial = !strcmp(status, "partially_filled"), full = !strcmp(status, "filled");
    int cancelled = !strcmp(status, "cancelled");
    if (!partial && !full && !cancelled) {
        problem(l, seq, "order %s has an unknown status \"%s\"", id, status);
        return;
    }
    if (!o) {
        unknown_order(l, seq, id, status);
        return;
    }
    if (qty != o->qty || strcmp(symn, o->symbol) || strcmp(side, o->side))
        problem(l, seq, "order %s changed: %s %ld %s, was %s %ld %s", id, side, qty, symn,
                o->side, o->qty, o->symbol);
    if (filled != o->traded)
        problem(l, seq,
                "order %s says filled_quantity %ld (%s) but its trade_executed add up to %ld: "
                "the fills do not add up",
                id, filled, status, o->traded);
    else if (partial && !(filled > 0 && filled < qty))
        problem(l, seq, "order %s is partially_filled with %ld of %ld", id, filled, qty);
    else if (full && filled != qty)
        problem(l, seq, "order %s is filled with %ld of %ld", id, filled, qty);
    if (full || cancelled)
        finish(l, o);
}

static void on_trade(integ_ledger *l, int64_t seq, const cJSON *d)
{
    const char *id = wjson_str(d, "order_id", "");
    const char *symn = wjson_str(d, "symbol", "");
    const char *side = wjson_str(d, "side", "");
    long qty = (long)wjson_int(d, "quantity", 0);
    double price = wjson_num(d, "price", 0), fee = wjson_num(d, "fee", 0);
    l->st.fills_seen++;
    order *o = live_of(l, id);
    int judged = 1;
    if (!o) {
        judged = 0;
        unknown_order(l, seq, id, "trade_executed");
    } else {
        if (strcmp(symn, o->symbol) || strcmp(side, o->side))
            problem(l, seq, "trade of order %s is %s %s, the order is %s %s", id, side, symn,
                    o->side, o->symbol);
        o->traded += qty;
        if (o->traded > o->qty)
            problem(l, seq, "order %s of %ld is filled %ld: the fills do not add up", id, o->qty,
                    o->traded);
    }
    sym *s = sym_of(l, symn);
    if (!s || !s->known) {
        l->acct_known = 0; /* the realised PnL is not known: re-anchor the account */
        return;
    }
    long signed_qty = strcmp(side, "sell") ? qty : -qty;
    double pnl = 0;
    long pos = s->pos;
    if (pos == 0 || (pos > 0) == (signed_qty > 0)) {
        long npos = pos + signed_qty;
        s->avg = npos ? (labs(pos) * s->avg + labs(signed_qty) * price) / (double)labs(npos) : 0;
        s->pos = npos;
    } else {
        long closed = labs(signed_qty) < labs(pos) ? labs(signed_qty) : labs(pos);
        pnl = (double)closed * (price - s->avg) * (pos > 0 ? 1.0 : -1.0);
        s->realized += pnl;
        long npos = pos + signed_qty;
        if (npos == 0)
            s->avg = 0;
        else if ((npos > 0) != (pos > 0))
            s->avg = price;
        s->pos = npos;
    }
    if (l->acct_known) {
        l->balance += pnl - fee;
        l->realized_total += pnl;
    }
    if (judged)
        l->fill_pending++;
}

static void on_position(integ_ledger *l, int64_t seq, const cJSON *d)
{
    sym *s = sym_of(l, wjson_str(d, "symbol", ""));
    if (!s)
        return;
    long qty = (long)wjson_int(d, "quantity", 0);
    double avg = wjson_num(d, "avg_price", 0), realized = wjson_num(d, "realized_pnl", 0);
    double unreal = wjson_num(d, "unrealized_pnl", 0);
    if (!s->known) { /* the anchor */
        s->known = 1;
        s->pos = qty;
        s->avg = avg;
        s->realized = realized;
        return;
    }
    l->st.positions_checked++;
    if (qty != s->pos)
        problem(l, seq,
                "position of %s says %ld units but the fills add up to %ld: the fills do not "
                "add up",
                s->name, qty, s->pos);
    else if (!money_eq(avg, s->avg) || !money_eq(realized, s->realized))
        problem(l, seq,
                "position of %s says avg_price %.6f realized_pnl %.6f, the fills give %.6f and "
                "%.6f",
                s->name, avg, realized, s->avg, s->realized);
    else if (s->price_known && !money_eq(unreal, (double)qty * (s->price - avg)))
        problem(l, seq, "position of %s says unrealized_pnl %.6f, at price %.2f it is %.6f",
                s->name, unreal, s->price, (double)qty * (s->price - avg));
    s->pos = qty; /* one problem, not one per later fill */
}

static void on_account(integ_ledger *l, int64_t seq, const cJSON *d)
{
    double bal = wjson_num(d, "balance", 0), eq = wjson_num(d, "equity", 0);
    double unreal = wjson_num(d, "unrealized_pnl", 0), realized = wjson_num(d, "realized_pnl", 0);
    long open = (long)wjson_int(d, "open_positions", -1);
    if (!money_eq(eq, bal + unreal))
        problem(l, seq, "account equity %.6f is not balance %.6f + unrealized_pnl %.6f", eq, bal,
                unreal);
    if (!l->acct_known) { /* the anchor */
        l->acct_known = 1;
        l->balance = bal;
        l->realized_total = realized;
        l->fill_pending = 0;
        return;
    }
    l->st.accounts_checked++;
    if (!money_eq(bal, l->balance) || !money_eq(realized, l->realized_total)) {
        problem(l, seq,
                "account says balance %.6f realized_pnl %.6f, the fills and fees give %.6f and "
                "%.6f: the fills do not add up",
                bal, realized, l->balance, l->realized_total);
        l->balance = bal;
        l->realized_total = realized;
    }
    /* unrealised and open positions: only when every symbol is known and priced */
    double sum = 0;
    long nopen = 0;
    int all = 1;
    for (int i = 0; i < l->nsym; i++) {
        const sym *s = &l->syms[i];
        if (!s->known || (s->pos != 0 && !s->price_known)) {
            all = 0;
            break;
        }
        sum += (double)s->pos * (s->price - s->avg);
        nopen += s->pos != 0;
    }
    if (all && (!money_eq(unreal, sum) || open != nopen))
        problem(l, seq,
                "account says unrealized_pnl %.6f over %ld open positions, the positions give "
                "%.6f over %ld",
                unreal, open, sum, nopen);
    l->st.fills_checked += l->fill_pending;
    l->fill_pending = 0;
}

void integ_ledger_feed(integ_ledger *l, const char *text, size_t len)
{
    cJSON *root = wjson_parse(text, len, WJSON_DEFAULT_MAX_DEPTH, NULL, 0);
    if (!root)
        return;
    const char *type = wjson_str(root, "type", "");
    const char *src = wjson_str(root, "source", "");
    if (strcmp(src, l->source)) {
        cJSON_Delete(root);
        return;
    }
    if (!strcmp(type, "gap")) { /* history or a jump: what follows is re-anchored */
        segment(l, 0);
        int64_t to = wjson_int(root, "to", 0);
        if (to > l->last_seq)
            l->last_seq = to;
        cJSON_Delete(root);
        return;
    }
    int64_t seq = wjson_int(root, "seq", -1);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (seq <= 0 || !cJSON_IsObject(d) || (l->last_seq > 0 && seq <= l->last_seq)) {
        cJSON_Delete(root); /* not an envelope, or a repeat */
        return;
    }
    if (l->st.messages == 0 || seq != l->last_seq + 1)
        segment(l, 0);
    l->last_seq = seq;
    l->st.messages++;
    if (!strcmp(type, "bot_status") && !strcmp(wjson_str(d, "state", ""), "starting")) {
        segment(l, 1);
    } else if (!strcmp(type, "market_data")) {
        sym *s = sym_of(l, wjson_str(d, "symbol", ""));
        if (s) {
            s->price = wjson_num(d, "price", 0);
            s->price_known = 1;
        }
    } else if (!strcmp(type, "signal")) {
        sym *s = sym_of(l, wjson_str(d, "symbol", ""));
        if (s)
            snprintf(s->last_signal, sizeof(s->last_signal), "%s", wjson_str(d, "action", ""));
    } else if (!strcmp(type, "order_update")) {
        on_order(l, seq, d);
    } else if (!strcmp(type, "trade_executed")) {
        on_trade(l, seq, d);
    } else if (!strcmp(type, "position_update")) {
        on_position(l, seq, d);
    } else if (!strcmp(type, "account_update")) {
        on_account(l, seq, d);
    }
    cJSON_Delete(root);
}
