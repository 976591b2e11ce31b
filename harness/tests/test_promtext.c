/* test_promtext: CUnit tests of the Prometheus text parser in
 * harness/promtext.c (label order, escapes, special values, comments,
 * malformed lines, the cost of a line with very many labels). */
#include "promtext.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"
#include "wclock.h"

static const char *sample = "# HELP wsb_messages_total Messages received\n"
                            "# TYPE wsb_messages_total counter\n"
                            "wsb_messages_total{source=\"bot-1\",type=\"trade_executed\"} 42\n"
                            "wsb_messages_total{type=\"heartbeat\",source=\"bot-1\"} 8\n"
                            "wsb_connections 3\n"
                            "\n"
                            "wsb_latency_seconds_bucket{le=\"+Inf\"} 1.5e3 1700000000000\n"
                            "wsb_odd{path=\"a\\\"b\\\\c\\nd\"} -Inf\n"
                            "wsb_nan NaN\r\n";

static void test_parse(void)
{
    char err[256];
    promtext *m = promtext_parse(sample, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(promtext_count(m), 6);
    double v = 0;
    /* labels in any order find the same sample */
    CU_ASSERT_EQUAL(promtext_get(m,
                                 "wsb_messages_total{type=\"trade_executed\","
                                 "source=\"bot-1\"}",
                                 &v),
                    0);
    CU_ASSERT_DOUBLE_EQUAL(v, 42, 0);
    CU_ASSERT_EQUAL(promtext_get(m,
                                 "wsb_messages_total{source=\"bot-1\","
                                 "type=\"heartbeat\"}",
                                 &v),
                    0);
    CU_ASSERT_DOUBLE_EQUAL(v, 8, 0);
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_connections", &v), 0);
    CU_ASSERT_DOUBLE_EQUAL(v, 3, 0);
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_connections{x=\"1\"}", &v), -1);
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_latency_seconds_bucket{le=\"+Inf\"}", &v), 0);
    CU_ASSERT_DOUBLE_EQUAL(v, 1500, 0);
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_odd{path=\"a\\\"b\\\\c\\nd\"}", &v), 0);
    CU_ASSERT_TRUE(isinf(v) && v < 0);
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_nan", &v), 0);
    CU_ASSERT_TRUE(isnan(v));
    double sum = 0;
    CU_ASSERT_EQUAL(promtext_sum(m, "wsb_messages_total", &sum), 2);
    CU_ASSERT_DOUBLE_EQUAL(sum, 50, 0);
    CU_ASSERT_EQUAL(promtext_sum(m, "wsb_messages", &sum), 0); /* a prefix is not a name */
    double kv;
    CU_ASSERT_STRING_EQUAL(promtext_key(m, 1, &kv),
                           "wsb_messages_total{source=\"bot-1\",type=\"heartbeat\"}");
    promtext_free(m);
}

static void test_malformed(void)
{
    char err[256];
    CU_ASSERT_PTR_NULL(promtext_parse("ok 1\nbad{x=\"1\" 2\n", err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 2"));
    CU_ASSERT_PTR_NULL(promtext_parse("name notanumber\n", err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 1"));
    CU_ASSERT_PTR_NULL(promtext_parse("9name 1\n", err, sizeof(err)));
    CU_ASSERT_PTR_NULL(promtext_parse("n{x=\"unterminated} 1\n", err, sizeof(err)));
    promtext *m = promtext_parse("", err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(promtext_count(m), 0);
    promtext_free(m);
}

/* Parses one line of n empty labels: the seconds it took, or -1 when the
 * parse failed or read the line wrong. */
static double parse_wide(int n)
{
    char *text = malloc((size_t)n * 16 + 64), *p = text, err[256];
    if (!text)
        return -1;
    p += sprintf(p, "wide{");
    for (int i = 0; i < n; i++)
        p += sprintf(p, "l%d=\"\",", i);
    sprintf(p, "} 7\n");
    int64_t t0 = wclock_mono_us();
    promtext *m = promtext_parse(text, err, sizeof(err));
    double s = (double)(wclock_mono_us() - t0) / 1e6;
    double v = 0;
    if (!m || promtext_count(m) != 1 || promtext_sum(m, "wide", &v) != 1 || v != 7)
        s = -1;
    promtext_free(m);
    free(text);
    return s;
}

/* A /metrics body comes from the system under test. Each label value used to
 * get a buffer as long as the rest of its line, and the label array grew one
 * entry at a time: a 1 MB line of 100,000 empty labels took over 20 s and
 * hundreds of MB (400 s under ASan, whose realloc always copies). Found while
 * writing fuzz-promtext (harness/fuzz/). Judged by growth, not by the clock:
 * 4x the labels must cost well under the 16x of a quadratic parse (best of 3
 * each, so a descheduled run does not decide); sizes are smaller under
 * valgrind, which is slow. */
static void test_many_labels_linear(void)
{
    int n = getenv("WSB_VALGRIND") ? 2500 : 25000;
    double small = 1e9, big = 1e9;
    for (int i = 0; i < 3; i++) {
        double a = parse_wide(n), b = parse_wide(4 * n);
        CU_ASSERT_FATAL(a >= 0 && b >= 0);
        if (a < small)
            small = a;
        if (b < big)
            big = b;
    }
    double ratio = big / (small > 1e-4 ? small : 1e-4);
    fprintf(stderr, "\n  %d labels %.4f s, %d labels %.4f s: x%.1f\n", n, small, 4 * n, big,
            ratio);
    CU_ASSERT(ratio < 10);
}

static CU_TestInfo tests[] = {
    {"parse", test_parse},
    {"malformed", test_malformed},
    {"a line of 100,000 labels parses in linear time", test_many_labels_linear},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"promtext", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
