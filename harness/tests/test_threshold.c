/* test_threshold: CUnit tests of harness/threshold.c: parsing k6's "METRIC:
 * EXPR" (aggregations, operators, units, percentages), the refusals with
 * their reasons, the defaults and how a user's threshold replaces them, the
 * WSB_THRESHOLDS list, the aggregates and verdicts on known samples, and the
 * same judged on a latency histogram (recorded through suitekit). */
#include "threshold.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "histogram.h"
#include "suitekit.h"
#include "testkit.h"

static void test_parse(void)
{
    threshold t;
    char err[300];
    CU_ASSERT_EQUAL_FATAL(threshold_parse(" e2e_latency : p(99) < 100ms ", &t, err, sizeof(err)),
                          0);
    CU_ASSERT_STRING_EQUAL(t.metric, "e2e_latency");
    CU_ASSERT_STRING_EQUAL(t.expr, "p(99)<100ms");
    CU_ASSERT_EQUAL(t.agg, THRESHOLD_PCT);
    CU_ASSERT_DOUBLE_EQUAL(t.pct, 99, 1e-9);
    CU_ASSERT_EQUAL(t.op, THRESHOLD_LT);
    CU_ASSERT_DOUBLE_EQUAL(t.limit, 100000, 1e-6); /* microseconds */
    CU_ASSERT_EQUAL(threshold_parse("ping_rtt: p(99.9)<=250us", &t, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(t.op, THRESHOLD_LE);
    CU_ASSERT_DOUBLE_EQUAL(t.limit, 250, 1e-9);
    CU_ASSERT_EQUAL(threshold_parse("connect_time: avg<1s", &t, err, sizeof(err)), 0);
    CU_ASSERT_DOUBLE_EQUAL(t.limit, 1e6, 1e-6);
    CU_ASSERT_EQUAL(threshold_parse("connect_time: med<20", &t, err, sizeof(err)), 0);
    CU_ASSERT_DOUBLE_EQUAL(t.limit, 20000, 1e-6); /* a bare number is ms */
    CU_ASSERT_EQUAL(threshold_parse("capacity_success: rate>=90%", &t, err, sizeof(err)), 0);
    CU_ASSERT_DOUBLE_EQUAL(t.limit, 0.9, 1e-9);
    CU_ASSERT_EQUAL(t.op, THRESHOLD_GE);
    CU_ASSERT_EQUAL(threshold_parse("conn_target: rate!=0", &t, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(t.op, THRESHOLD_NE);
    CU_ASSERT_EQUAL(threshold_parse("ping_rtt: max>0", &t, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(t.op, THRESHOLD_GT);
}

/* Each malformed expression is refused, the reason naming what is wrong. */
static void test_refusals(void)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"e2e_latency p(99)<100ms", "METRIC: EXPRESSION"},
        {": p(99)<100ms", "no metric"},
        {"e2e_latancy: p(99)<100ms", "unknown metric \"e2e_latancy\""},
        {"e2e_latency:", "no expression"},
        {"e2e_latency: p99<100ms", "unknown aggregation"},
        {"e2e_latency: p(101)<100ms", "0..100"},
        {"e2e_latency: p(99)=100ms", "comparison"},
        {"e2e_latency: p(99)<fast", "expected a number"},
        {"e2e_latency: p(99)<100min", "unknown unit \"min\""},
        {"e2e_latency: rate>0.9", "trend"},
        {"capacity_success: avg<1s", "rate"},
        {"capacity_success: rate>=1.5", "between 0 and 1"},
        {"capacity_success: rate>=0.9ms", "fraction or a percentage"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        threshold t;
        char err[300] = "";
        int rc = threshold_parse(bad[i].text, &t, err, sizeof(err));
        char m[600];
        snprintf(m, sizeof(m), "\"%s\" -> %d \"%s\", want a refusal naming \"%s\"", bad[i].text,
                 rc, err, bad[i].why);
        CU_assertImplementation(rc == -1 && strstr(err, bad[i].why) != NULL, __LINE__, m,
                                __FILE__, "", CU_FALSE);
    }
}

static const threshold *find(const threshold_set *s, const char *metric, size_t nth)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->t[i].metric, metric) && nth-- == 0)
            return &s->t[i];
    return NULL;
}

static void test_defaults_and_layers(void)
{
    threshold_set s;
    char err[300];
    threshold_set_defaults(&s);
    CU_ASSERT_EQUAL(s.n, threshold_nmetrics); /* every metric has a default today */
    const threshold *e = find(&s, "e2e_latency", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->expr, "p(99)<100ms");
    CU_ASSERT_STRING_EQUAL(find(&s, "connect_time", 0)->expr, "avg<1s");
    CU_ASSERT_STRING_EQUAL(find(&s, "capacity_success", 0)->expr, "rate>=0.9");
    CU_ASSERT_STRING_EQUAL(find(&s, "conn_target", 0)->expr, "rate>=0.9");
    /* WSB_THRESHOLDS: two on one metric replace its default, both kept */
    CU_ASSERT_EQUAL(threshold_set_add_list(&s, "e2e_latency: p(99)<250ms;\n e2e_latency: max<1s ; ",
                                           err, sizeof(err)),
                    0);
    CU_ASSERT_STRING_EQUAL(find(&s, "e2e_latency", 0)->expr, "p(99)<250ms");
    CU_ASSERT_STRING_EQUAL(find(&s, "e2e_latency", 1)->expr, "max<1s");
    CU_ASSERT_PTR_NULL(find(&s, "e2e_latency", 2));
    threshold_set_freeze(&s);
    /* --threshold replaces the list's thresholds of that metric */
    CU_ASSERT_EQUAL(threshold_set_add(&s, "e2e_latency: p(50)<5ms", err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(find(&s, "e2e_latency", 0)->expr, "p(50)<5ms");
    CU_ASSERT_PTR_NULL(find(&s, "e2e_latency", 1));
    CU_ASSERT_STRING_EQUAL(find(&s, "ping_rtt", 0)->expr, "p(99)<50ms"); /* untouched */
    /* a bad item is named */
    CU_ASSERT_EQUAL(threshold_set_add_list(&s, "ping_rtt: p(99)<1ms; ping_rtt: fast", err,
                                           sizeof(err)),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"ping_rtt: fast\""));
}

static void test_values_and_verdicts(void)
{
    threshold t;
    double v[100];
    for (int i = 0; i < 100; i++)
        v[i] = (double)(100 - i) * 1000.0; /* 1..100 ms, unsorted */
    CU_ASSERT_EQUAL_FATAL(threshold_parse("e2e_latency: avg<50ms", &t, NULL, 0), 0);
    CU_ASSERT_DOUBLE_EQUAL(threshold_value(&t, v, 100, 0, 0, 0), 50500, 1e-6);
    CU_ASSERT_FALSE(threshold_met(&t, threshold_value(&t, v, 100, 0, 0, 0)));
    CU_ASSERT_EQUAL_FATAL(threshold_parse("e2e_latency: min>=1ms", &t, NULL, 0), 0);
    CU_ASSERT_DOUBLE_EQUAL(threshold_value(&t, v, 100, 0, 0, 0), 1000, 1e-6);
    CU_ASSERT_TRUE(threshold_met(&t, 1000));
    CU_ASSERT_EQUAL_FATAL(threshold_parse("e2e_latency: max<100ms", &t, NULL, 0), 0);
    CU_ASSERT_DOUBLE_EQUAL(threshold_value(&t, v, 100, 0, 0, 0), 100000, 1e-6);
    CU_ASSERT_FALSE(threshold_met(&t, 100000)); /* < is strict */
    CU_ASSERT_EQUAL_FATAL(threshold_parse("e2e_latency: med<=50.5ms", &t, NULL, 0), 0);
    CU_ASSERT_DOUBLE_EQUAL(threshold_value(&t, v, 100, 0, 0, 0), 50500, 1e-6);
    CU_ASSERT_TRUE(threshold_met(&t, 50500));
    CU_ASSERT_EQUAL_FATAL(threshold_parse("e2e_latency: p(99)<100ms", &t, NULL, 0), 0);
    CU_ASSERT_DOUBLE_EQUAL(threshold_value(&t, v, 100, 0, 0, 0), 99010, 1e-6);
    /* nothing measured is a breach, never a pass */
    CU_ASSERT_TRUE(isnan(threshold_value(&t, v, 0, 0, 0, 0)));
    CU_ASSERT_FALSE(threshold_met(&t, NAN));
    CU_ASSERT_EQUAL_FATAL(threshold_parse("capacity_success: rate>=0.9", &t, NULL, 0), 0);
    CU_ASSERT_DOUBLE_EQUAL(threshold_value(&t, NULL, 0, 150, 200, 0), 0.75, 1e-12);
    CU_ASSERT_FALSE(threshold_met(&t, 0.75));
    CU_ASSERT_TRUE(threshold_met(&t, 0.9));
    CU_ASSERT_TRUE(isnan(threshold_value(&t, NULL, 0, 0, 0, 0)));
    char buf[40];
    CU_ASSERT_STRING_EQUAL(threshold_format(&t, 0.75, buf, sizeof(buf)), "0.75");
    CU_ASSERT_EQUAL_FATAL(threshold_parse("ping_rtt: p(99)<50ms", &t, NULL, 0), 0);
    CU_ASSERT_STRING_EQUAL(threshold_format(&t, 152300, buf, sizeof(buf)), "152.3ms");
    CU_ASSERT_STRING_EQUAL(threshold_format(&t, NAN, buf, sizeof(buf)), "none");
}

static void test_histogram_judge(void)
{
    threshold_set s;
    threshold_set_defaults(&s);
    char buf[160], why[300];
    CU_ASSERT_STRING_EQUAL(threshold_describe(&s, "perf_e2e_latency", buf, sizeof(buf)),
                           "p(99)<100ms");
    histogram *h = histogram_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    /* nothing recorded: a breach, never a pass */
    CU_ASSERT_FALSE(threshold_met_histogram(&s, "perf_e2e_latency", h));
    for (int i = 1; i <= 1000; i++)
        histogram_record_us(h, i <= 985 ? 2000.0 : 150000.0); /* p(99) is 150 ms */
    CU_ASSERT_FALSE(threshold_met_histogram(&s, "perf_e2e_latency", h));
    CU_ASSERT_EQUAL(threshold_judge_histogram(&s, "perf_e2e_latency", h, why, sizeof(why)), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "perf_e2e_latency: p(99)<100ms breached: p(99)=15"));
    /* a user's budget replaces the default; both expressions are judged */
    CU_ASSERT_EQUAL(threshold_set_add(&s, "perf_e2e_latency: p(99)<250ms", NULL, 0), 0);
    CU_ASSERT_EQUAL(threshold_set_add(&s, "perf_e2e_latency: med<=3ms", NULL, 0), 0);
    CU_ASSERT_STRING_EQUAL(threshold_describe(&s, "perf_e2e_latency", buf, sizeof(buf)),
                           "p(99)<250ms and med<=3ms");
    CU_ASSERT_TRUE(threshold_met_histogram(&s, "perf_e2e_latency", h));
    CU_ASSERT_EQUAL(threshold_judge_histogram(&s, "perf_e2e_latency", h, why, sizeof(why)), 0);
    CU_ASSERT_STRING_EQUAL(threshold_describe(&s, "no_such_metric", buf, sizeof(buf)), "none");
    histogram_free(h);
}

static CU_TestInfo tests[] = {
    {"parse", test_parse},
    {"refusals", test_refusals},
    {"defaults_and_layers", test_defaults_and_layers},
    {"values_and_verdicts", test_values_and_verdicts},
    {"histogram_judge", test_histogram_judge},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"threshold", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
