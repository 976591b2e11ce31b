/* bench_contract: parse+validate throughput of the contract code on one core.
 *
 * Prints messages/s for (1) a typical trade_executed envelope through
 * wjson_parse + contract_check_envelope, with the parse and validate shares
 * measured apart, (2) a 64 KiB envelope (a large order book in data) through
 * wjson_parse + the envelope schema, and (3) envelope_peek_fields on the
 * typical frame. Each loop is bounded by a count and by ~1 s of wall time;
 * rates are per second of the thread's CPU time (one core). Figures only:
 * nothing is asserted. Schemas come from $WSB_SCHEMAS or schemas/. */
#include "contract.h"
#include "envelope.h"
#include "jsonschema.h"
#include "wjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SECONDS 1.0
#define BENCH_MAX_ITERS 20000000L

static const char TRADE[] =
    "{\"v\":1,\"type\":\"trade_executed\",\"source\":\"bot-1\",\"seq\":42,"
    "\"ts_us\":1763822739818918,\"data\":{\"trade_id\":\"t-000042\",\"order_id\":\"o-000017\","
    "\"symbol\":\"BTC-USD\",\"side\":\"buy\",\"quantity\":0.25,\"price\":64000.5,\"fee\":1.6}}";

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef int (*bench_fn)(void *arg);

/* Runs fn until BENCH_SECONDS of wall time or BENCH_MAX_ITERS; returns calls
 * per second of this thread's CPU time, so that other processes sharing the
 * core do not lower the figure. */
static double bench_run(bench_fn fn, void *arg, long *iters_out, int *failures)
{
    double wall0 = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    long iters = 0;

    *failures = 0;
    while (iters < BENCH_MAX_ITERS) {
        for (int k = 0; k < 256; k++, iters++)
            if (fn(arg) != 0)
                (*failures)++;
        if (now_s(CLOCK_MONOTONIC) - wall0 >= BENCH_SECONDS)
            break;
    }
    *iters_out = iters;
    return (double)iters / (now_s(CLOCK_THREAD_CPUTIME_ID) - cpu0);
}

typedef struct bench_ctx {
    const contract *c;
    const char *text;
    size_t len;
    const char *schema;        /* NULL: contract_check_envelope */
    cJSON *tree;               /* for validate-only */
} bench_ctx;

static int bench_parse_validate(void *arg)
{
    bench_ctx *b = arg;
    char err[256];
    cJSON *j = wjson_parse(b->text, b->len, 0, err, sizeof(err));
    int r;

    if (j == NULL)
        return -1;
    r = b->schema ? contract_check(b->c, b->schema, j, err, sizeof(err))
                  : contract_check_envelope(b->c, j, err, sizeof(err));
    cJSON_Delete(j);
    return r;
}

static int bench_parse_only(void *arg)
{
    bench_ctx *b = arg;
    char err[256];
    cJSON *j = wjson_parse(b->text, b->len, 0, err, sizeof(err));

    if (j == NULL)
        return -1;
    cJSON_Delete(j);
    return 0;
}

static int bench_cjson_only(void *arg)
{
    bench_ctx *b = arg;
    cJSON *j = cJSON_ParseWithLength(b->text, b->len);

    if (j == NULL)
        return -1;
    cJSON_Delete(j);
    return 0;
}

static int bench_validate_only(void *arg)
{
    bench_ctx *b = arg;
    char err[256];

    return b->schema ? contract_check(b->c, b->schema, b->tree, err, sizeof(err))
                     : contract_check_envelope(b->c, b->tree, err, sizeof(err));
}

static int bench_peek(void *arg)
{
    bench_ctx *b = arg;
    envelope_peek p;

    return envelope_peek_fields(b->text, b->len, &p) == 0 && p.seq == 42 ? 0 : -1;
}

/* A 64 KiB envelope: market data with an order book. Caller frees. */
static char *make_big(size_t target, size_t *len)
{
    char *buf = malloc(target + 256);
    size_t n = 0;
    int level = 0;

    if (buf == NULL)
        return NULL;
    n += (size_t)sprintf(buf, "{\"v\":1,\"type\":\"market_data\",\"source\":\"bot-1\",\"seq\":42,"
                              "\"ts_us\":1763822739818918,\"data\":{\"symbol\":\"BTC-USD\","
                              "\"book\":[");
    while (n + 120 < target) {
        n += (size_t)sprintf(buf + n, "%s{\"price\":%.2f,\"qty\":%.4f,\"side\":\"%s\"}",
                             level ? "," : "", 64000.0 + level * 0.5, 0.001 * (level % 97 + 1),
                             level % 2 ? "ask" : "bid");
        level++;
    }
    n += (size_t)sprintf(buf + n, "]}}");
    while (n < target - 1)
        buf[n++] = ' ';
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void report(const char *what, double rate, long iters, int failures, size_t bytes)
{
    printf("  %-44s %12.0f msg/s  (%ld runs, %.1f MB/s%s)\n", what, rate, iters,
           rate * (double)bytes / 1e6, failures ? ", FAILURES: check the schemas" : "");
}

int main(int argc, char **argv)
{
    char err[512];
    const char *dir = contract_default_dir(argc > 1 ? argv[1] : NULL);
    contract *c = contract_load(dir, err, sizeof(err));
    bench_ctx b;
    long iters;
    int failures;
    double rate;

    if (c == NULL) {
        fprintf(stderr, "bench-contract: contract_load(%s): %s\n", dir, err);
        return 1;
    }
    printf("bench-contract: one thread, ~%.1f s per figure, rates per CPU-second, schemas from "
           "%s\n",
           BENCH_SECONDS, dir);

    memset(&b, 0, sizeof(b));
    b.c = c;
    b.text = TRADE;
    b.len = strlen(TRADE);
    printf("typical trade_executed envelope (%zu bytes):\n", b.len);
    if (bench_parse_validate(&b) != 0) {
        fprintf(stderr, "bench-contract: the typical message does not validate\n");
        contract_free(c);
        return 1;
    }
    rate = bench_run(bench_parse_validate, &b, &iters, &failures);
    report("parse + validate (wjson + contract)", rate, iters, failures, b.len);
    rate = bench_run(bench_parse_only, &b, &iters, &failures);
    report("  strict parse only (wjson_parse)", rate, iters, failures, b.len);
    rate = bench_run(bench_cjson_only, &b, &iters, &failures);
    report("  plain cJSON_Parse, for comparison", rate, iters, failures, b.len);
    b.tree = wjson_parse(b.text, b.len, 0, err, sizeof(err));
    rate = bench_run(bench_validate_only, &b, &iters, &failures);
    report("  validate only (parsed once)", rate, iters, failures, b.len);
    cJSON_Delete(b.tree);
    b.tree = NULL;
    rate = bench_run(bench_peek, &b, &iters, &failures);
    report("envelope_peek_fields (no tree)", rate, iters, failures, b.len);

    size_t big_len = 0;
    char *big = make_big(CONTRACT_MAX_MESSAGE_BYTES, &big_len);
    if (big == NULL) {
        contract_free(c);
        return 1;
    }
    b.text = big;
    b.len = big_len;
    b.schema = "envelope";
    printf("64 KiB envelope (%zu bytes, order book in data, envelope.json):\n", big_len);
    if (bench_parse_validate(&b) != 0)
        fprintf(stderr, "bench-contract: the 64 KiB message does not validate\n");
    rate = bench_run(bench_parse_validate, &b, &iters, &failures);
    report("parse + validate", rate, iters, failures, b.len);
    rate = bench_run(bench_parse_only, &b, &iters, &failures);
    report("  strict parse only", rate, iters, failures, b.len);
    free(big);
    contract_free(c);
    return 0;
}
