/* wsb-exchgen: writes a deterministic market stream in Binance's bookTicker
 * (the variant with "e", "E" and "T") and trade formats, one JSON record a
 * line, for the performance suite's exchange replay. The same seed gives the
 * same bytes: suites/replay/binance_sample.jsonl is its default output, and
 * the test that replays it checks the file still equals it. Two symbols take
 * random walks on integer ticks (no floating point in the output), a record
 * every 2-16 ms of exchange time, about a third of them trades.
 *
 * --fault KIND spoils the first record of the needed kind at or after line
 * --at N, so that the replay's checks have inputs that must fail them:
 *   bid_over_ask   a bookTicker whose bid is above its ask (a crossed book)
 *   missing_field  a bookTicker without "A"
 *   unknown_field  a bookTicker with an extra "x"
 *   stale          a record whose event and trade times lie 30 s in the past */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wparse.h"

#define EXCHGEN_START_MS 1764547200000LL /* 2025-12-01T00:00:00Z */
#define EXCHGEN_STALE_MS 30000

typedef struct sym {
    const char *name;
    long long mid;   /* in ticks */
    int decimals;    /* of a tick */
    long long trade_id, update_id;
} sym;

static uint64_t state;

static uint32_t rnd(uint32_t n)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(state >> 33) % n;
}

/* ticks with decimals (1..8) as a decimal string */
static const char *dec(char *buf, size_t len, long long ticks, int decimals)
{
    char frac[24];
    long long p = 1;
    for (int i = 0; i < decimals; i++)
        p *= 10;
    snprintf(frac, sizeof(frac), "%lld", p + ticks % p); /* "1" and the digits */
    snprintf(buf, len, "%lld.%s", ticks / p, frac + 1);
    return buf;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: wsb-exchgen [--records N] [--seed S] [--fault KIND --at LINE]\n"
               "  writes a deterministic Binance bookTicker/trade stream to stdout\n"
               "  --records N   lines (default 3000)\n"
               "  --seed S      the random walk's seed (default 13)\n"
               "  --fault KIND  bid_over_ask | missing_field | unknown_field | stale\n"
               "  --at LINE     the first line the fault may spoil (default 100)\n");
}

int main(int argc, char **argv)
{
    long long records = 3000, seed = 13, at = 100;
    const char *fault = NULL;
    static const struct option opts[] = {{"records", required_argument, NULL, 'n'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"fault", required_argument, NULL, 'f'},
                                         {"at", required_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    char why[128];
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        long long *dst = o == 'n' ? &records : o == 's' ? &seed : o == 'a' ? &at : NULL;
        if (dst && wparse_long(optarg, 1, 10000000, dst, why, sizeof(why)) < 0) {
            fprintf(stderr, "wsb-exchgen: --%s: %s\n", o == 'n' ? "records" : o == 's' ? "seed" : "at",
                    why);
            return 2;
        }
        if (o == 'f')
            fault = optarg;
        else if (o == 'h') {
            usage(stdout);
            return 0;
        } else if (!dst) {
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc ||
        (fault && strcmp(fault, "bid_over_ask") && strcmp(fault, "missing_field") &&
         strcmp(fault, "unknown_field") && strcmp(fault, "stale"))) {
        usage(stderr);
        return 2;
    }
    state = (uint64_t)seed;
    sym syms[2] = {{"BNBUSDT", 6001234, 4, 500000000, 900000000},
                   {"BTCUSDT", 9712345, 2, 4100000000LL, 7200000000LL}};
    long long now = EXCHGEN_START_MS;
    int spoiled = 0;
    for (long long line = 1; line <= records; line++) {
        sym *s = &syms[rnd(2)];
        int trade = rnd(3) == 0;
        now += 2 + rnd(15);
        s->mid += (long long)rnd(9) - 4;
        if (s->mid < 1000)
            s->mid = 1000;
        long long ev = now, tt = now - 1 - rnd(3);
        int spoil = fault && !spoiled && line >= at && (!trade || !strcmp(fault, "stale"));
        if (spoil) {
            spoiled = 1;
            if (!strcmp(fault, "stale")) {
                ev -= EXCHGEN_STALE_MS;
                tt -= EXCHGEN_STALE_MS;
            }
        }
        char a[48], b[48], c[48], d[48];
        if (trade) {
            long long px = s->mid + (long long)rnd(5) - 2, qty = 1 + rnd(200000);
            printf("{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%lld,\"p\":\"%s\",\"q\":\"%s\","
                   "\"T\":%lld,\"m\":%s,\"M\":true}\n",
                   ev, s->name, ++s->trade_id, dec(a, sizeof(a), px, s->decimals),
                   dec(b, sizeof(b), qty, 5), tt, rnd(2) ? "true" : "false");
            continue;
        }
        long long half = 1 + rnd(3);
        long long bid = s->mid - half, ask = s->mid + half;
        long long bq = 1 + rnd(5000000), aq = 1 + rnd(5000000);
        if (spoil && !strcmp(fault, "bid_over_ask")) {
            long long t = bid;
            bid = ask;
            ask = t;
        }
        printf("{\"e\":\"bookTicker\",\"u\":%lld,\"s\":\"%s\",\"b\":\"%s\",\"B\":\"%s\",\"a\":\"%s\"",
               ++s->update_id, s->name, dec(a, sizeof(a), bid, s->decimals),
               dec(b, sizeof(b), bq, 5), dec(c, sizeof(c), ask, s->decimals));
        if (!(spoil && !strcmp(fault, "missing_field")))
            printf(",\"A\":\"%s\"", dec(d, sizeof(d), aq, 5));
        if (spoil && !strcmp(fault, "unknown_field"))
            printf(",\"x\":1");
        printf(",\"T\":%lld,\"E\":%lld}\n", tt, ev);
    }
    if (fault && !spoiled) {
        fprintf(stderr, "wsb-exchgen: no line at or after %lld to spoil with %s\n", at, fault);
        return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
