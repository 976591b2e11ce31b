/* test_wjson: CUnit tests of strict JSON reading (harness/wjson.c): what it
 * accepts, and each hostile input it must refuse with a reason (bad UTF-8,
 * NUL bytes and \u0000, duplicate keys, deep nesting, bad numbers, trailing
 * text), exact integer reading beyond INT_MAX, and the path getters. */
#include "wjson.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testkit.h"

/* Parses s; expects failure with a reason containing want (NULL: expects success). */
static void expect(const char *s, size_t len, const char *want)
{
    char err[256] = "";
    cJSON *j = wjson_parse(s, len, 0, err, sizeof(err));

    if (want == NULL) {
        if (j == NULL)
            fprintf(stderr, "\n  unexpected refusal of [%.*s]: %s\n", (int)len, s, err);
        CU_ASSERT_PTR_NOT_NULL(j);
    } else {
        if (j != NULL || strstr(err, want) == NULL)
            fprintf(stderr, "\n  [%.*s]: want \"%s\", got %s \"%s\"\n", (int)len, s, want,
                    j ? "success" : "error", err);
        CU_ASSERT_PTR_NULL(j);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    }
    cJSON_Delete(j);
}

#define EXPECT(lit, want) expect(lit, sizeof(lit) - 1, want)

static void test_accepts(void)
{
    EXPECT("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\\u00e9\\ud83d\\ude00\"}", NULL);
    EXPECT("  [1, -0, 0.5, 1e10, -2.5E-3]  \n", NULL);
    EXPECT("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", NULL);
    EXPECT("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", NULL); /* same key in different objects */
    EXPECT("\"\\\\u0000\"", NULL); /* an escaped backslash, then text u0000 */
    EXPECT("42", NULL);
}

static void test_utf8(void)
{
    EXPECT("\"\xff\"", "invalid UTF-8");
    EXPECT("\"\xc0\xaf\"", "invalid UTF-8");       /* overlong '/' */
    EXPECT("\"\xe0\x80\xaf\"", "invalid UTF-8");   /* overlong */
    EXPECT("\"\xed\xa0\x80\"", "invalid UTF-8");   /* surrogate */
    EXPECT("\"\xf4\x90\x80\x80\"", "invalid UTF-8"); /* > U+10FFFF */
    EXPECT("\"\xe2\x82\"", "invalid UTF-8");       /* truncated */
    EXPECT("{\"a\":1}\xff", "invalid UTF-8");
    CU_ASSERT_TRUE(wjson_utf8_valid("h\xc3\xa9llo", 6));
    CU_ASSERT_FALSE(wjson_utf8_valid("\x80", 1));
    CU_ASSERT_TRUE(wjson_utf8_valid("", 0));
}

static void test_nul(void)
{
    EXPECT("{\"a\":\"x\\u0000y\"}", "\\u0000");
    EXPECT("{\"a\\u0000b\":1}", "\\u0000");
    EXPECT("{\"a\":\"x\0y\"}", "NUL byte");
    EXPECT("{\"a\":1}\0", "NUL byte");
    EXPECT("\"tab\there\"", "control character");
    EXPECT("\"\\u00zz\"", "malformed \\u escape");
}

static void test_duplicates(void)
{
    EXPECT("{\"seq\":1,\"seq\":2}", "duplicate key \"seq\"");
    EXPECT("{\"d\":{\"x\":1,\"y\":2,\"x\":3}}", "duplicate key \"x\"");
    EXPECT("[{\"a\":1},{\"b\":1,\"b\":1}]", "duplicate key \"b\"");
    /* A large object takes the sorted path. */
    char big[4096];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "{");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k%d\":%d,", i, i);
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k77\":0}");
    expect(big, n, "duplicate key \"k77\"");
    big[n - 5] = '8'; /* "k78": unique again? no: k78 exists too */
    expect(big, n, "duplicate key \"k78\"");
    big[n - 7] = 'z';
    expect(big, n, NULL);
}

static void test_depth(void)
{
    char buf[200];
    size_t n;

    for (n = 0; n < 32; n++)
        buf[n] = '[';
    for (size_t i = 0; i < 32; i++)
        buf[n++] = ']';
    expect(buf, n, NULL);
    for (n = 0; n < 33; n++)
        buf[n] = '[';
    for (size_t i = 0; i < 33; i++)
        buf[n++] = ']';
    expect(buf, n, "nesting deeper than 32");
    /* Brackets inside strings do not count. */
    EXPECT("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]", NULL);
    char err[128];
    cJSON *j = wjson_parse("[[[1]]]", 7, 2, err, sizeof(err));
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nesting deeper than 2"));
    /* A hostile 100,000-deep input is refused without recursion. */
    size_t deep = 100000;
    char *d = malloc(deep);
    memset(d, '[', deep);
    j = wjson_parse(d, deep, 0, err, sizeof(err));
    CU_ASSERT_PTR_NULL(j);
    free(d);
}

static void test_malformed(void)
{
    EXPECT("{\"a\":1", "malformed JSON");
    EXPECT("{\"a\":1}}", "malformed JSON");
    EXPECT("{\"a\":1} x", "malformed JSON");
    EXPECT("{a:1}", "malformed JSON");
    EXPECT("[1,]", "malformed JSON");
    EXPECT("01", "malformed number");
    EXPECT("1.", "malformed number");
    EXPECT("-", "malformed number");
    EXPECT("1e", "malformed number");
    EXPECT(".5", "malformed JSON");
    EXPECT("NaN", "malformed JSON");
    EXPECT("1e999", "out of range");
    EXPECT("\"abc", "unterminated string");
    EXPECT("", "malformed JSON");
    CU_ASSERT_PTR_NULL(wjson_parse(NULL, 0, 0, NULL, 0));
}

static void test_int64(void)
{
    char err[64];
    const char *text = "[1763822739818918, 9007199254740992, 9007199254740994, 1.5, 3.0, -7, "
                       "\"1\", 2147483648]";
    cJSON *j = wjson_parse(text, strlen(text), 0, err, sizeof(err));
    int64_t v = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_TRUE(wjson_get_int64(cJSON_GetArrayItem(j, 0), &v));
    CU_ASSERT_EQUAL(v, 1763822739818918LL);
    CU_ASSERT_TRUE(wjson_get_int64(cJSON_GetArrayItem(j, 1), &v));
    CU_ASSERT_EQUAL(v, 9007199254740992LL);
    CU_ASSERT_FALSE(wjson_get_int64(cJSON_GetArrayItem(j, 2), &v));
    CU_ASSERT_FALSE(wjson_get_int64(cJSON_GetArrayItem(j, 3), &v));
    CU_ASSERT_TRUE(wjson_get_int64(cJSON_GetArrayItem(j, 4), &v));
    CU_ASSERT_EQUAL(v, 3);
    CU_ASSERT_TRUE(wjson_get_int64(cJSON_GetArrayItem(j, 5), &v));
    CU_ASSERT_EQUAL(v, -7);
    CU_ASSERT_FALSE(wjson_get_int64(cJSON_GetArrayItem(j, 6), &v));
    CU_ASSERT_TRUE(wjson_get_int64(cJSON_GetArrayItem(j, 7), &v));
    CU_ASSERT_EQUAL(v, 2147483648LL);
    CU_ASSERT_FALSE(wjson_get_int64(NULL, &v));
    cJSON_Delete(j);
}

static void test_files(void)
{
    char err[256];
    char path[] = "/tmp/wsb-test-wjson-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    cJSON *j;
    size_t len = 0;
    char *text;

    CU_ASSERT_FATAL(fd >= 0);
    f = fdopen(fd, "w");
    fputs("{\"x\": [1, 2]}\n", f);
    fclose(f);
    text = wjson_read_file(path, &len, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(text);
    CU_ASSERT_EQUAL(len, 14);
    free(text);
    j = wjson_parse_file(path, 0, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(j);
    cJSON_Delete(j);
    f = fopen(path, "w");
    fputs("{\"x\": [1, 2}\n", f);
    fclose(f);
    j = wjson_parse_file(path, 0, err, sizeof(err));
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed JSON"));
    unlink(path);
    j = wjson_parse_file(path, 0, err, sizeof(err));
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
}

static void test_getters(void)
{
    char err[256];
    static const char text[] = "{\"type\":\"ack\",\"seq\":42,\"rate\":2.5,\"big\":1e300,"
                               "\"sources\":{\"bot-1\":{\"last_seq\":7},\"a.b\":{\"n\":3}},"
                               "\"list\":[1],\"Seq\":1}";
    cJSON *j = wjson_parse(text, sizeof(text) - 1, 0, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);

    CU_ASSERT_PTR_EQUAL(wjson_get(j, ""), j);
    CU_ASSERT_PTR_EQUAL(wjson_get(j, NULL), j);
    CU_ASSERT_PTR_NULL(wjson_get(NULL, "seq"));
    CU_ASSERT_PTR_NULL(wjson_get(j, "missing"));
    CU_ASSERT_PTR_NULL(wjson_get(j, "seq.x"));  /* not an object */
    CU_ASSERT_PTR_NULL(wjson_get(j, "list.0")); /* arrays are not walked */
    CU_ASSERT_PTR_NULL(wjson_get(j, "se"));     /* whole names only */
    CU_ASSERT_EQUAL(wjson_int(j, "sources.bot-1.last_seq", -1), 7);
    CU_ASSERT_EQUAL(wjson_int(j, "Seq", -1), 1); /* case-sensitive */
    CU_ASSERT_EQUAL(wjson_int(j, "seq", -1), 42);
    CU_ASSERT_EQUAL(wjson_int(j, "rate", -1), -1); /* not an exact integer */
    CU_ASSERT_EQUAL(wjson_int(j, "big", -1), -1);
    CU_ASSERT_EQUAL(wjson_int(j, "type", -1), -1);
    CU_ASSERT_EQUAL(wjson_num(j, "rate", 0), 2.5);
    CU_ASSERT_EQUAL(wjson_num(j, "type", -3), -3);
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "type", NULL), "ack");
    CU_ASSERT_PTR_NULL(wjson_str(j, "seq", NULL));
    CU_ASSERT_STRING_EQUAL(wjson_str(j, "nope", ""), "");
    /* a name holding '.' through wjson_getv */
    CU_ASSERT_PTR_NULL(wjson_get(j, "sources.a.b.n"));
    int64_t n = 0;
    CU_ASSERT_TRUE(wjson_get_int64(wjson_getv(j, "sources", "a.b", "n", NULL), &n));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_PTR_EQUAL(wjson_getv(j, NULL), j);
    CU_ASSERT_PTR_NULL(wjson_getv(j, "sources", "nope", "n", NULL));
    CU_ASSERT_PTR_NULL(wjson_getv(NULL, "sources", NULL));
    cJSON_Delete(j);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"accepts valid JSON", test_accepts},
        {"refuses bad UTF-8", test_utf8},
        {"refuses NUL, \\u0000, control chars", test_nul},
        {"refuses duplicate keys", test_duplicates},
        {"limits nesting depth", test_depth},
        {"refuses malformed text", test_malformed},
        {"reads exact integers", test_int64},
        {"reads files", test_files},
        {"gets values at paths", test_getters},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"wjson", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
