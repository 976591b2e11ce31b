/* test_envelope: CUnit tests of harness/envelope.c: decode of good and
 * mistyped envelopes, encode/decode round trips (integers beyond 2^31,
 * escaping, relay_us), the fixed-buffer encoder's overflow refusal, and the
 * tree-less peek on reordered, nested and hostile frames. */
#include "envelope.h"
#include "wjson.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"

static const char *GOOD = "{\"v\":1,\"type\":\"trade_executed\",\"source\":\"bot-1\",\"seq\":42,"
                          "\"ts_us\":1763822739818918,\"data\":{\"trade_id\":\"t-1\",\"price\":"
                          "101.5}}";

static cJSON *parse(const char *s)
{
    char err[128];
    cJSON *j = wjson_parse(s, strlen(s), 0, err, sizeof(err));
    if (j == NULL)
        fprintf(stderr, "\n  parse failed: %s\n", err);
    return j;
}

static void test_decode(void)
{
    cJSON *j = parse(GOOD);
    envelope e;
    char err[128];

    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(envelope_decode(j, &e, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(e.v, 1);
    CU_ASSERT_STRING_EQUAL(e.type, "trade_executed");
    CU_ASSERT_STRING_EQUAL(e.source, "bot-1");
    CU_ASSERT_EQUAL(e.seq, 42);
    CU_ASSERT_EQUAL(e.ts_us, 1763822739818918LL);
    CU_ASSERT_EQUAL(e.relay_us, 0);
    CU_ASSERT_PTR_NOT_NULL(e.data);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(e.data, "price")->valuedouble, 101.5);
    cJSON_Delete(j);
}

static void decode_fails(const char *text, const char *want)
{
    cJSON *j = parse(text);
    envelope e;
    char err[128] = "";

    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(envelope_decode(j, &e, err, sizeof(err)), -1);
    if (strstr(err, want) == NULL)
        fprintf(stderr, "\n  %s: want \"%s\", got \"%s\"\n", text, want, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    cJSON_Delete(j);
}

static void test_decode_bad(void)
{
    decode_fails("[]", "/: must be an object");
    decode_fails("{\"v\":1,\"type\":\"x\",\"source\":\"b\",\"ts_us\":1,\"data\":{}}",
                 "missing required property \"seq\"");
    decode_fails("{\"v\":1,\"type\":\"x\",\"source\":\"b\",\"seq\":1.5,\"ts_us\":1,\"data\":{}}",
                 "/seq: must be an integer");
    decode_fails("{\"v\":1,\"type\":\"x\",\"source\":\"b\",\"seq\":\"1\",\"ts_us\":1,\"data\":{}}",
                 "/seq: must be an integer");
    decode_fails("{\"v\":1,\"type\":\"x\",\"source\":\"b\",\"seq\":1e300,\"ts_us\":1,\"data\":{}}",
                 "/seq: must be an integer");
    decode_fails("{\"v\":2,\"type\":\"x\",\"source\":\"b\",\"seq\":1,\"ts_us\":1,\"data\":{}}",
                 "/v: must be 1");
    decode_fails("{\"v\":1,\"type\":7,\"source\":\"b\",\"seq\":1,\"ts_us\":1,\"data\":{}}",
                 "/type: must be a string");
    decode_fails("{\"v\":1,\"type\":\"x\",\"source\":\"b\",\"seq\":1,\"ts_us\":1,\"data\":[]}",
                 "/data: must be an object");
    decode_fails("{\"v\":1,\"type\":\"x\",\"source\":\"b\",\"seq\":1,\"ts_us\":1}",
                 "missing required property \"data\"");
    decode_fails("{\"v\":1,\"type\":\"x\",\"source\":\"b\",\"seq\":1,\"ts_us\":1,\"data\":{},"
                 "\"relay_us\":\"no\"}",
                 "/relay_us: must be an integer");
    decode_fails("{\"v\":1,\"type\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"source\":\"b\","
                 "\"seq\":1,\"ts_us\":1,\"data\":{}}",
                 "/type: length must be");
}

static void test_roundtrip(void)
{
    envelope e, d;
    char err[128];
    cJSON *data = parse("{\"symbol\":\"BTC-USD\",\"price\":64000.25,\"n\":[1,2]}");
    char *text;
    cJSON *back;

    memset(&e, 0, sizeof(e));
    strcpy(e.type, "market_data");
    strcpy(e.source, "bot\"q\\x");
    e.seq = 9007199254740000LL;
    e.ts_us = 1763822739818918LL;
    e.relay_us = 1763822739819000LL;
    e.data = data;
    text = envelope_encode(&e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    back = parse(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(envelope_decode(back, &d, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(d.v, 1);
    CU_ASSERT_STRING_EQUAL(d.type, "market_data");
    CU_ASSERT_STRING_EQUAL(d.source, "bot\"q\\x");
    CU_ASSERT_EQUAL(d.seq, 9007199254740000LL);
    CU_ASSERT_EQUAL(d.ts_us, 1763822739818918LL);
    CU_ASSERT_EQUAL(d.relay_us, 1763822739819000LL);
    CU_ASSERT_TRUE(cJSON_Compare(d.data, data, 1));
    /* relay_us comes last, as the dashboard appends it. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, ",\"relay_us\":1763822739819000}"));
    cJSON_Delete(back);
    free(text);

    e.data = NULL;
    e.relay_us = 0;
    text = envelope_encode(&e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"data\":{}}"));
    CU_ASSERT_PTR_NULL(strstr(text, "relay_us"));
    free(text);
    cJSON_Delete(data);
}

static void test_encode_buf(void)
{
    char buf[256];
    int n = envelope_encode_buf(buf, sizeof(buf), "heartbeat", "bot-1", 7, 1763822739818918LL,
                                "{\"loop_iterations\":3}");
    const char *want = "{\"v\":1,\"type\":\"heartbeat\",\"source\":\"bot-1\",\"seq\":7,"
                       "\"ts_us\":1763822739818918,\"data\":{\"loop_iterations\":3}}";

    CU_ASSERT_EQUAL(n, (int)strlen(want));
    CU_ASSERT_STRING_EQUAL(buf, want);
    /* Exactly fitting (with its NUL) works; one byte less does not. */
    CU_ASSERT_EQUAL(envelope_encode_buf(buf, strlen(want) + 1, "heartbeat", "bot-1", 7,
                                        1763822739818918LL, "{\"loop_iterations\":3}"),
                    n);
    CU_ASSERT_EQUAL(envelope_encode_buf(buf, strlen(want), "heartbeat", "bot-1", 7,
                                        1763822739818918LL, "{\"loop_iterations\":3}"),
                    -1);
    int shortlen = envelope_encode_buf(buf, sizeof(buf), "heartbeat", "bot-1", 7, 1, NULL);
    CU_ASSERT_TRUE(shortlen > 0);
    for (size_t cap = 1; cap <= (size_t)shortlen; cap += 3)
        CU_ASSERT_EQUAL(envelope_encode_buf(buf, cap, "heartbeat", "bot-1", 7, 1, NULL), -1);
    n = envelope_encode_buf(buf, sizeof(buf), "alert", "b", 1, 2, NULL);
    CU_ASSERT_STRING_EQUAL(buf, "{\"v\":1,\"type\":\"alert\",\"source\":\"b\",\"seq\":1,"
                                "\"ts_us\":2,\"data\":{}}");
    CU_ASSERT_EQUAL(envelope_encode_buf(NULL, 10, "a", "b", 1, 2, NULL), -1);
}

static int peek(const char *s, envelope_peek *p)
{
    return envelope_peek_fields(s, strlen(s), p);
}

static void test_peek(void)
{
    envelope_peek p;

    CU_ASSERT_EQUAL(peek(GOOD, &p), 0);
    CU_ASSERT_STRING_EQUAL(p.type, "trade_executed");
    CU_ASSERT_STRING_EQUAL(p.source, "bot-1");
    CU_ASSERT_EQUAL(p.seq, 42);
    CU_ASSERT_EQUAL(p.ts_us, 1763822739818918LL);
    CU_ASSERT_EQUAL(p.relay_us, 0);

    /* Any order; nested "seq" keys and strings with braces are skipped. */
    CU_ASSERT_EQUAL(peek(" { \"data\" : {\"seq\":99,\"s\":\"}{\\\"]\",\"a\":[{\"seq\":5}]} ,"
                         "\"relay_us\":17,\"seq\" : 3,\"ts_us\":-4,\"x\":null,\"y\":1.5e3,"
                         "\"source\":\"a\\/b\",\"type\":\"alert\"}\n",
                         &p),
                    0);
    CU_ASSERT_EQUAL(p.seq, 3);
    CU_ASSERT_EQUAL(p.relay_us, 17);
    CU_ASSERT_EQUAL(p.ts_us, -4);
    CU_ASSERT_STRING_EQUAL(p.source, "a/b");
    CU_ASSERT_STRING_EQUAL(p.type, "alert");

    CU_ASSERT_EQUAL(peek("{}", &p), 0);
    CU_ASSERT_EQUAL(p.seq, 0);
    CU_ASSERT_STRING_EQUAL(p.source, "");

    /* Integers printed with a fraction or an exponent (cJSON prints
     * 1763822739818900 as 1.7638227398189e+15) are read when exact. */
    CU_ASSERT_EQUAL(peek("{\"relay_us\":1.7638227398189e+15,\"seq\":3.0,\"ts_us\":-2E1}", &p), 0);
    CU_ASSERT_EQUAL(p.relay_us, 1763822739818900LL);
    CU_ASSERT_EQUAL(p.seq, 3);
    CU_ASSERT_EQUAL(p.ts_us, -20);
    CU_ASSERT_EQUAL(peek("{\"seq\":1e400}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"seq\":2.5e0}", &p), -1);

    CU_ASSERT_EQUAL(peek("[1]", &p), -1);
    CU_ASSERT_EQUAL(peek("", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"seq\":1.5}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"seq\":\"1\"}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"seq\":99999999999999999999}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"source\":5}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"source\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaa\"}",
                         &p),
                    -1);
    CU_ASSERT_EQUAL(peek("{\"seq\":1", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"data\":{\"a\":[1,2}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"data\":\"unterminated}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"seq\" 1}", &p), -1);
    CU_ASSERT_EQUAL(peek("{\"seq\":1 \"ts_us\":2}", &p), -1);
    CU_ASSERT_EQUAL(envelope_peek_fields(NULL, 0, &p), -1);
    /* A frame cut anywhere never reads past its length. */
    for (size_t n = 0; n < strlen(GOOD); n++) {
        char *cut = malloc(n ? n : 1);
        memcpy(cut, GOOD, n);
        CU_ASSERT_EQUAL(envelope_peek_fields(cut, n, &p), -1);
        free(cut);
    }
}

/* Deterministic mutations of a good frame (bounded count): strict parse,
 * decode and peek must never crash, and whenever both the full decode and
 * the peek accept a frame they must agree on the fields. */
static void test_mutations(void)
{
    static const char alphabet[] = "{}[]\":,.-+eE0123456789 \\untrfalsebot\x01\xc3\xa9\xff";
    size_t base_len = strlen(GOOD);
    unsigned long long rng = 0x9E3779B97F4A7C15ULL;
    int both = 0, parsed = 0;
    char *buf = malloc(base_len + 64);

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = base_len;
        memcpy(buf, GOOD, base_len);
        int edits = 1 + (int)(iter % 4);
        for (int e = 0; e < edits; e++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            size_t pos = (size_t)(rng % (len ? len : 1));
            char ch = alphabet[(rng >> 20) % (sizeof(alphabet) - 1)];
            switch ((rng >> 40) % 3) {
            case 0: /* replace */
                buf[pos] = ch;
                break;
            case 1: /* insert */
                if (len + 1 < base_len + 64) {
                    memmove(buf + pos + 1, buf + pos, len - pos);
                    buf[pos] = ch;
                    len++;
                }
                break;
            default: /* delete */
                if (len > 1) {
                    memmove(buf + pos, buf + pos + 1, len - pos - 1);
                    len--;
                }
            }
        }
        char err[128];
        envelope e;
        envelope_peek p;
        cJSON *j = wjson_parse(buf, len, 0, err, sizeof(err));
        int peek_ok = envelope_peek_fields(buf, len, &p) == 0;
        if (j == NULL)
            continue;
        parsed++;
        if (envelope_decode(j, &e, err, sizeof(err)) == 0 && peek_ok) {
            both++;
            CU_ASSERT_EQUAL(e.seq, p.seq);
            CU_ASSERT_EQUAL(e.ts_us, p.ts_us);
            CU_ASSERT_STRING_EQUAL(e.type, p.type);
            CU_ASSERT_STRING_EQUAL(e.source, p.source);
        }
        cJSON_Delete(j);
    }
    free(buf);
    printf(" (%d parsed, %d decoded and peeked) ", parsed, both);
    CU_ASSERT_TRUE(both > 0);
}

static void test_source_ok(void)
{
    char max[66];

    CU_ASSERT(envelope_source_ok("bot-1"));
    CU_ASSERT(envelope_source_ok("A"));
    CU_ASSERT(envelope_source_ok("eu.bot_2-x"));
    CU_ASSERT(!envelope_source_ok(""));
    CU_ASSERT(!envelope_source_ok(NULL));
    CU_ASSERT(!envelope_source_ok("-bot"));
    CU_ASSERT(!envelope_source_ok("bot 1"));
    CU_ASSERT(!envelope_source_ok("bot/1"));
    memset(max, 'a', 64);
    max[64] = '\0';
    CU_ASSERT(envelope_source_ok(max)); /* ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ */
    max[64] = 'a';
    max[65] = '\0';
    CU_ASSERT(!envelope_source_ok(max));
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"decodes a good envelope", test_decode},
        {"refuses mistyped envelopes", test_decode_bad},
        {"encode/decode round trip", test_roundtrip},
        {"encode_buf fills or refuses", test_encode_buf},
        {"peek picks fields without a tree", test_peek},
        {"mutated frames: no crash, peek agrees", test_mutations},
        {"source names follow the schema's pattern", test_source_ok},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"envelope", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
