/* test_loadframe: the load engine's frame parser and field scan: many frames
 * in one buffer, every split point of a stream, masked frames, fragmented
 * messages, control frames between fragments, oversize and broken input, and
 * top-level fields that nested ones must not shadow. */
#include "loadframe.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

typedef struct got {
    int n;
    int ops[64];
    char text[64][200];
    size_t lens[64];
} got;

static int collect(void *user, int op, uint8_t *p, size_t n)
{
    got *g = user;
    if (g->n < 64) {
        g->ops[g->n] = op;
        g->lens[g->n] = n;
        memcpy(g->text[g->n], p, n < 199 ? n : 199);
        g->text[g->n][n < 199 ? n : 199] = '\0';
    }
    g->n++;
    return 0;
}

/* A frame with FIN and masking chosen by the caller (encode sets FIN). */
static size_t frame(uint8_t *out, int fin, int op, const char *s, int masked, uint32_t key)
{
    size_t n = loadframe_encode(out, 4096, op, s, strlen(s), masked, key);
    if (!fin)
        out[0] &= 0x7f;
    return n;
}

static void test_many_frames_one_read(void)
{
    uint8_t buf[4096];
    size_t off = 0;
    char s[32];
    for (int i = 0; i < 20; i++) {
        snprintf(s, sizeof s, "{\"seq\":%d}", i + 1);
        off += frame(buf + off, 1, LOADFRAME_OP_TEXT, s, 0, 0);
    }
    loadframe_rx rx = {0};
    got g = {0};
    CU_ASSERT_EQUAL(loadframe_feed(&rx, buf, off, 65536, collect, &g), 20);
    CU_ASSERT_EQUAL(g.n, 20);
    CU_ASSERT_STRING_EQUAL(g.text[19], "{\"seq\":20}");
    CU_ASSERT_EQUAL(rx.part_len, 0);
    loadframe_rx_free(&rx);
}

/* The same stream cut at every point gives the same messages. */
static void test_every_split(void)
{
    uint8_t ref[8192];
    size_t len = 0;
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    len += frame(ref + len, 1, LOADFRAME_OP_TEXT, "{\"a\":1}", 1, 0x11223344);
    len += frame(ref + len, 1, LOADFRAME_OP_TEXT, big, 0, 0); /* 16-bit length */
    len += frame(ref + len, 0, LOADFRAME_OP_TEXT, "frag-", 1, 0xdeadbeef);
    len += frame(ref + len, 1, LOADFRAME_OP_PING, "p", 1, 0x01020304);
    len += frame(ref + len, 1, LOADFRAME_OP_CONT, "end", 0, 0);
    for (size_t cut = 0; cut <= len; cut++) {
        uint8_t b[8192];
        memcpy(b, ref, len);
        loadframe_rx rx = {0};
        got g = {0};
        long a = loadframe_feed(&rx, b, cut, 65536, collect, &g);
        long c = loadframe_feed(&rx, b + cut, len - cut, 65536, collect, &g);
        CU_ASSERT_TRUE(a >= 0 && c >= 0);
        CU_ASSERT_EQUAL_FATAL(g.n, 4);
        CU_ASSERT_STRING_EQUAL(g.text[0], "{\"a\":1}");
        CU_ASSERT_EQUAL(g.lens[1], sizeof big - 1);
        CU_ASSERT_EQUAL(g.ops[2], LOADFRAME_OP_PING);
        CU_ASSERT_STRING_EQUAL(g.text[2], "p");
        CU_ASSERT_EQUAL(g.ops[3], LOADFRAME_OP_TEXT);
        CU_ASSERT_STRING_EQUAL(g.text[3], "frag-end");
        CU_ASSERT_EQUAL(rx.part_len, 0);
        loadframe_rx_free(&rx);
    }
    /* and byte by byte */
    uint8_t b[8192];
    memcpy(b, ref, len);
    loadframe_rx rx = {0};
    got g = {0};
    for (size_t i = 0; i < len; i++)
        CU_ASSERT_TRUE(loadframe_feed(&rx, b + i, 1, 65536, collect, &g) >= 0);
    CU_ASSERT_EQUAL(g.n, 4);
    CU_ASSERT_STRING_EQUAL(g.text[3], "frag-end");
    loadframe_rx_free(&rx);
}

static void test_mask_phases(void)
{
    uint8_t a[37], b[37];
    for (int i = 0; i < 37; i++)
        a[i] = b[i] = (uint8_t)(i * 7);
    loadframe_mask(a, 37, 0xa1b2c3d4, 0);
    static const uint8_t k[4] = {0xa1, 0xb2, 0xc3, 0xd4};
    for (int i = 0; i < 37; i++)
        CU_ASSERT_EQUAL(a[i], b[i] ^ k[i & 3]);
    memcpy(a, b, 37);
    loadframe_mask(a, 37, 0xa1b2c3d4, 3);
    for (int i = 0; i < 37; i++)
        CU_ASSERT_EQUAL(a[i], b[i] ^ k[(i + 3) & 3]);
}

static void test_oversize_and_broken(void)
{
    uint8_t b[8192];
    char big[2000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    loadframe_rx rx = {0};
    got g = {0};
    size_t n = frame(b, 1, LOADFRAME_OP_TEXT, big, 0, 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, n, 1000, collect, &g), LOADFRAME_ERR_TOO_BIG);
    loadframe_rx_free(&rx);
    /* oversize known from a split header alone */
    memset(&rx, 0, sizeof rx);
    n = frame(b, 1, LOADFRAME_OP_TEXT, big, 0, 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, 3, 1000, collect, &g), 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b + 3, 1, 1000, collect, &g), LOADFRAME_ERR_TOO_BIG);
    loadframe_rx_free(&rx);
    /* fragments that add up past the bound */
    memset(&rx, 0, sizeof rx);
    size_t off = frame(b, 0, LOADFRAME_OP_TEXT, big + 1200, 0, 0);
    off += frame(b + off, 1, LOADFRAME_OP_CONT, big + 1200, 0, 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, off, 1000, collect, &g), LOADFRAME_ERR_TOO_BIG);
    loadframe_rx_free(&rx);
    /* a continuation with nothing to continue; reserved bits; a 200-byte ping */
    memset(&rx, 0, sizeof rx);
    n = frame(b, 1, LOADFRAME_OP_CONT, "x", 0, 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, n, 1000, collect, &g), LOADFRAME_ERR_PROTO);
    loadframe_rx_free(&rx);
    memset(&rx, 0, sizeof rx);
    n = frame(b, 1, LOADFRAME_OP_TEXT, "x", 0, 0);
    b[0] |= 0x40;
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, n, 1000, collect, &g), LOADFRAME_ERR_PROTO);
    loadframe_rx_free(&rx);
    memset(&rx, 0, sizeof rx);
    n = frame(b, 1, LOADFRAME_OP_PING, big + 1799, 0, 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, n, 1000, collect, &g), LOADFRAME_ERR_PROTO);
    loadframe_rx_free(&rx);
    /* a new message inside a fragmented one */
    memset(&rx, 0, sizeof rx);
    off = frame(b, 0, LOADFRAME_OP_TEXT, "a", 0, 0);
    off += frame(b + off, 1, LOADFRAME_OP_TEXT, "b", 0, 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, off, 1000, collect, &g), LOADFRAME_ERR_PROTO);
    loadframe_rx_free(&rx);
    /* nothing is parsed after a close frame */
    memset(&rx, 0, sizeof rx);
    got g2 = {0};
    off = frame(b, 1, LOADFRAME_OP_CLOSE, "", 0, 0);
    off += frame(b + off, 1, LOADFRAME_OP_TEXT, "late", 0, 0);
    CU_ASSERT_EQUAL(loadframe_feed(&rx, b, off, 1000, collect, &g2), 1);
    CU_ASSERT_EQUAL(g2.n, 1);
    CU_ASSERT_TRUE(rx.closed);
    loadframe_rx_free(&rx);
}

static void test_fields(void)
{
    loadframe_fields f;
    const char *s = "{\"v\":1,\"data\":{\"seq\":999,\"type\":\"inner\",\"x\":[1,{\"source\":\"no\"}],"
                    "\"s\":\"a\\\"}\"},\"type\":\"market_data\",\"source\":\"bot-1\",\"seq\":42,"
                    "\"ts_us\":1763822739819918, \"relay_us\" : 1763822739820000 }";
    CU_ASSERT_EQUAL_FATAL(loadframe_fields_parse(s, strlen(s), &f), 0);
    CU_ASSERT_EQUAL(f.have, LOADFRAME_F_TYPE | LOADFRAME_F_SOURCE | LOADFRAME_F_SEQ |
                                LOADFRAME_F_TS | LOADFRAME_F_RELAY);
    CU_ASSERT_EQUAL(f.seq, 42);
    CU_ASSERT_EQUAL(f.ts_us, 1763822739819918LL);
    CU_ASSERT_EQUAL(f.relay_us, 1763822739820000LL);
    CU_ASSERT_TRUE(f.type_len == 11 && !memcmp(f.type, "market_data", 11));
    CU_ASSERT_TRUE(f.source_len == 5 && !memcmp(f.source, "bot-1", 5));
    const char *ctl = "{\"type\":\"ack\",\"seq\":7}";
    CU_ASSERT_EQUAL(loadframe_fields_parse(ctl, strlen(ctl), &f), 0);
    CU_ASSERT_EQUAL(f.have, LOADFRAME_F_TYPE | LOADFRAME_F_SEQ);
    const char *frac = "{\"seq\":4.5,\"ts_us\":\"12\",\"relay_us\":1e400}";
    CU_ASSERT_EQUAL(loadframe_fields_parse(frac, strlen(frac), &f), 0);
    CU_ASSERT_EQUAL(f.have, 0);
    /* integers as cJSON prints some of them */
    const char *cj = "{\"seq\":42.0,\"ts_us\":1.76456123456789e+15,\"relay_us\":-3}";
    CU_ASSERT_EQUAL(loadframe_fields_parse(cj, strlen(cj), &f), 0);
    CU_ASSERT_EQUAL(f.have, LOADFRAME_F_SEQ | LOADFRAME_F_TS | LOADFRAME_F_RELAY);
    CU_ASSERT_EQUAL(f.seq, 42);
    CU_ASSERT_EQUAL(f.ts_us, 1764561234567890LL);
    CU_ASSERT_EQUAL(f.relay_us, -3);
    static const char *bad[] = {"", "[]", "{", "{\"a\":1", "{\"a\":\"x}", "{\"a\":{}}x",
                                "{\"a\" 1}", "{\"a\":[1,2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(loadframe_fields_parse(bad[i], strlen(bad[i]), &f), -1);
    CU_ASSERT_EQUAL(loadframe_fields_parse("{}", 2, &f), 0);
}

static CU_TestInfo tests[] = {
    {"many frames in one read", test_many_frames_one_read},
    {"a stream split at every byte", test_every_split},
    {"masks at every phase", test_mask_phases},
    {"oversize and broken frames", test_oversize_and_broken},
    {"top-level fields only", test_fields},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"loadframe", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
