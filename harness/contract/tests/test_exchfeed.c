/* test_exchfeed: the strict Binance bookTicker/trade decoder and the quote
 * invariants: every documented variant read, every deviation refused by name. */
#include <CUnit/Basic.h>
#include <string.h>

#include "exchfeed.h"
#include "testkit.h"

static char err[300];

static int dec(const char *text, exchfeed_rec *r)
{
    err[0] = 0;
    return exchfeed_decode(text, strlen(text), r, err, sizeof(err));
}

/* The text is refused with words in the reason. */
static void refused(const char *text, const char *words)
{
    exchfeed_rec r;
    CU_ASSERT_EQUAL(dec(text, &r), -1);
    if (!strstr(err, words)) {
        fprintf(stderr, "\n  %s\n  expected \"%s\" in: %s\n", text, words, err);
        CU_FAIL("the refusal does not name the problem");
    }
}

static void test_book_ticker(void)
{
    exchfeed_rec r;
    CU_ASSERT_EQUAL_FATAL(dec("{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":"
                              "\"31.21000000\",\"a\":\"25.36520000\",\"A\":\"40.66000000\"}",
                              &r),
                          0);
    CU_ASSERT_EQUAL(r.kind, EXCHFEED_BOOK_TICKER);
    CU_ASSERT_STRING_EQUAL(r.symbol, "BNBUSDT");
    CU_ASSERT_EQUAL(r.id, 400900217);
    CU_ASSERT_EQUAL(r.event_ms, 0);
    CU_ASSERT_DOUBLE_EQUAL(r.bid, 25.3519, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(r.ask_qty, 40.66, 1e-9);
    CU_ASSERT_EQUAL(exchfeed_check(&r, err, sizeof(err)), 0);
    /* the futures variant, and a combined stream's wrapper */
    CU_ASSERT_EQUAL_FATAL(dec("{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"e\":\"bookTicker\","
                              "\"u\":7,\"E\":1764547200009,\"T\":1764547200007,\"s\":\"BTCUSDT\","
                              "\"b\":\"1.5\",\"B\":\"2\",\"a\":\"1.6\",\"A\":\"3\"}}",
                              &r),
                          0);
    CU_ASSERT_EQUAL(r.event_ms, 1764547200009LL);
    CU_ASSERT_EQUAL(r.time_ms, 1764547200007LL);
}

static void test_trade(void)
{
    exchfeed_rec r;
    CU_ASSERT_EQUAL_FATAL(dec("{\"e\":\"trade\",\"E\":123456789,\"s\":\"BNBBTC\",\"t\":12345,\"p\":"
                              "\"0.001\",\"q\":\"100\",\"T\":123456785,\"m\":true,\"M\":true}",
                              &r),
                          0);
    CU_ASSERT_EQUAL(r.kind, EXCHFEED_TRADE);
    CU_ASSERT_EQUAL(r.id, 12345);
    CU_ASSERT_EQUAL(r.event_ms, 123456789);
    CU_ASSERT_DOUBLE_EQUAL(r.price, 0.001, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.qty, 100, 1e-12);
    CU_ASSERT_EQUAL(r.buyer_maker, 1);
    /* older streams carry the two order ids */
    CU_ASSERT_EQUAL(dec("{\"e\":\"trade\",\"E\":1,\"s\":\"ETHBTC\",\"t\":2,\"p\":\"0.1\",\"q\":"
                        "\"1\",\"b\":88,\"a\":50,\"T\":1,\"m\":false,\"M\":true}",
                        &r),
                    0);
}

static void test_refusals(void)
{
    refused("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\"}", "missing field \"A\"");
    refused("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\",\"x\":1}",
            "unknown field \"x\"");
    refused("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":1.5,\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
            "\"b\": not a decimal string");
    refused("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"1e5\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
            "is not a decimal string");
    refused("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"-1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
            "is not a decimal string");
    refused("{\"u\":\"1\",\"s\":\"BNBUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
            "\"u\": not a non-negative integer");
    refused("{\"u\":1,\"s\":\"bnbusdt\",\"b\":\"1\",\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}",
            "not an upper-case symbol");
    refused("{\"e\":\"bookTicker\",\"E\":5,\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"1\",\"B\":\"1\",\"a\":"
            "\"2\",\"A\":\"1\"}",
            "missing field \"T\"");
    refused("{\"e\":\"trade\",\"E\":1,\"s\":\"X1\",\"t\":2,\"p\":\"0.1\",\"T\":1,\"m\":false,"
            "\"M\":true}",
            "missing field \"q\"");
    refused("{\"e\":\"trade\",\"E\":1,\"s\":\"X1\",\"t\":2,\"p\":\"0.1\",\"q\":\"1\",\"T\":1,\"m\":"
            "\"yes\",\"M\":true}",
            "\"m\": not a boolean");
    refused("{\"e\":\"trade\",\"E\":1,\"s\":\"X1\",\"t\":2,\"p\":\"0.1\",\"q\":\"1\",\"b\":3,\"T\":"
            "1,\"m\":false,\"M\":true}",
            "missing field \"a\"");
    refused("{\"e\":\"aggTrade\",\"E\":1}", "neither bookTicker nor trade");
    refused("{\"stream\":\"x\",\"data\":{},\"extra\":1}", "combined-stream wrapper");
    refused("[1]", "not a JSON object");
    refused("{\"u\":1,\"u\":2}", "duplicate key");
}

static void test_invariants(void)
{
    exchfeed_rec r;
    CU_ASSERT_EQUAL_FATAL(
        dec("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"2.5\",\"B\":\"1\",\"a\":\"2.4\",\"A\":\"1\"}", &r), 0);
    CU_ASSERT_EQUAL(exchfeed_check(&r, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bid 2.5 > ask 2.4"));
    CU_ASSERT_EQUAL_FATAL(
        dec("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"0\",\"B\":\"1\",\"a\":\"2.4\",\"A\":\"1\"}", &r), 0);
    CU_ASSERT_EQUAL(exchfeed_check(&r, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "prices must be positive"));
    CU_ASSERT_EQUAL_FATAL(
        dec("{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"1\",\"B\":\"0.0\",\"a\":\"2.4\",\"A\":\"1\"}", &r), 0);
    CU_ASSERT_EQUAL(exchfeed_check(&r, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "sizes must be positive"));
    CU_ASSERT_EQUAL_FATAL(dec("{\"e\":\"trade\",\"E\":1,\"s\":\"X1\",\"t\":2,\"p\":\"0.1\",\"q\":"
                              "\"0\",\"T\":1,\"m\":false,\"M\":true}",
                              &r),
                          0);
    CU_ASSERT_EQUAL(exchfeed_check(&r, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "trade quantity 0 is not positive"));
}

static CU_TestInfo tests[] = {
    {"book_ticker", test_book_ticker},
    {"trade", test_trade},
    {"refusals", test_refusals},
    {"invariants", test_invariants},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"exchfeed", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
