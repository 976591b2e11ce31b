/* test_histogram: CUnit tests of harness/histogram.c: precision (3
 * significant digits from 1 us to 60 s), percentiles against a sorted
 * reference, merging, the JSON round trip, and the refusals of the parser. */
#include "histogram.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wjson.h"
#include "testkit.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* a log-uniform value between 1 us and 60 s, in ns */
static int64_t log_uniform(void)
{
    double u = (double)(rng() >> 11) / 9007199254740992.0;
    return (int64_t)exp(log(1e3) + u * (log(6e10) - log(1e3)));
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_precision(void)
{
    /* every value from 1 us to 60 s lands in a bucket narrower than 0.1 % of it */
    for (int i = 0; i < 200000; i++) {
        int64_t v = log_uniform();
        int64_t lo = histogram_lowest_equivalent(v), hi = histogram_highest_equivalent(v);
        CU_ASSERT_FATAL(lo <= v && v <= hi);
        CU_ASSERT_FATAL((double)(hi - lo + 1) / (double)v <= 0.001);
    }
    /* below 2048 ns values are exact */
    for (int64_t v = 0; v < 2048; v++)
        CU_ASSERT_EQUAL_FATAL(histogram_highest_equivalent(v), v);
    CU_ASSERT_EQUAL(histogram_lowest_equivalent(HISTOGRAM_MAX_NS) <= HISTOGRAM_MAX_NS, 1);
}

static void test_percentiles_against_sorted(void)
{
    histogram *h = histogram_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    enum { N = 100000 };
    int64_t *vals = malloc(N * sizeof(int64_t));
    for (int i = 0; i < N; i++) {
        vals[i] = log_uniform();
        histogram_record(h, vals[i]);
    }
    qsort(vals, N, sizeof(int64_t), cmp64);
    const double ps[] = {50, 90, 99, 99.9};
    for (size_t k = 0; k < 4; k++) {
        size_t rank = (size_t)ceil(ps[k] / 100.0 * N);
        int64_t exact = vals[rank - 1];
        int64_t got = histogram_percentile(h, ps[k]);
        double rel = fabs((double)(got - exact)) / (double)exact;
        if (rel > 0.001)
            printf("\np%g: got %lld exact %lld rel %g\n", ps[k], (long long)got, (long long)exact,
                   rel);
        CU_ASSERT(rel <= 0.001);
    }
    CU_ASSERT_EQUAL(histogram_percentile(h, 100), vals[N - 1]);
    CU_ASSERT_EQUAL(histogram_max(h), vals[N - 1]);
    CU_ASSERT_EQUAL(histogram_min(h), vals[0]);
    CU_ASSERT_EQUAL(histogram_count(h), N);
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += (double)vals[i];
    CU_ASSERT(fabs(histogram_mean(h) - sum / N) / (sum / N) < 1e-9);
    free(vals);
    histogram_free(h);
}

static void test_small_known(void)
{
    histogram *h = histogram_new();
    CU_ASSERT_EQUAL(histogram_percentile(h, 50), 0);
    CU_ASSERT_EQUAL(histogram_count(h), 0);
    for (int i = 1; i <= 100; i++)
        histogram_record_us(h, i); /* 1..100 us */
    /* the 50th of 100 values is 50 us, the 99th 99 us */
    CU_ASSERT(llabs(histogram_percentile(h, 50) - 50000) <= 50);
    CU_ASSERT(llabs(histogram_percentile(h, 99) - 99000) <= 99);
    CU_ASSERT_EQUAL(histogram_percentile(h, 100), 100000);
    CU_ASSERT_EQUAL(histogram_min(h), 1000);
    /* out of range values are clamped and counted */
    histogram_record(h, -5);
    histogram_record(h, 2 * HISTOGRAM_MAX_NS);
    CU_ASSERT_EQUAL(histogram_clamped(h), 2);
    CU_ASSERT_EQUAL(histogram_max(h), HISTOGRAM_MAX_NS);
    CU_ASSERT_EQUAL(histogram_min(h), 0);
    histogram_free(h);
}

static void test_merge(void)
{
    histogram *a = histogram_new(), *b = histogram_new(), *all = histogram_new();
    for (int i = 0; i < 50000; i++) {
        int64_t v = log_uniform();
        histogram_record((i & 1) ? a : b, v);
        histogram_record(all, v);
    }
    histogram_merge(a, b);
    CU_ASSERT_EQUAL(histogram_count(a), histogram_count(all));
    CU_ASSERT_EQUAL(histogram_min(a), histogram_min(all));
    CU_ASSERT_EQUAL(histogram_max(a), histogram_max(all));
    const double ps[] = {1, 50, 90, 99, 99.9, 100};
    for (size_t k = 0; k < 6; k++)
        CU_ASSERT_EQUAL(histogram_percentile(a, ps[k]), histogram_percentile(all, ps[k]));
    /* merging an empty one changes nothing */
    histogram_reset(b);
    histogram_merge(a, b);
    CU_ASSERT_EQUAL(histogram_count(a), histogram_count(all));
    histogram_free(a);
    histogram_free(b);
    histogram_free(all);
}

static void test_json_roundtrip(void)
{
    histogram *h = histogram_new();
    for (int i = 0; i < 20000; i++)
        histogram_record(h, log_uniform());
    char *text = histogram_to_text(h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    char err[256];
    cJSON *j = wjson_parse(text, strlen(text), 32, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "version")->valueint, HISTOGRAM_FORMAT_VERSION);
    int vrc = testkit_schema_check("harness/results/schemas/histogram.json", text, err, sizeof(err));
    if (vrc)
        printf("\nschema: %s\n", err);
    CU_ASSERT_EQUAL(vrc, 0);
    histogram *back = histogram_from_json(j, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(histogram_count(back), histogram_count(h));
    CU_ASSERT_EQUAL(histogram_max(back), histogram_max(h));
    CU_ASSERT_EQUAL(histogram_min(back), histogram_min(h));
    for (double p = 0.5; p < 100; p += 7.25)
        CU_ASSERT_EQUAL(histogram_percentile(back, p), histogram_percentile(h, p));
    cJSON_Delete(j);

    /* through a file too */
    char path[] = "/tmp/wsb-hist-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    CU_ASSERT_EQUAL(histogram_write_file(h, path, err, sizeof(err)), 0);
    histogram *f = histogram_read_file(path, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(histogram_percentile(f, 99.9), histogram_percentile(h, 99.9));
    unlink(path);
    histogram_free(f);
    histogram_free(back);
    histogram_free(h);
    free(text);
}

static histogram *parse_text(const char *t, char *err, size_t errlen)
{
    cJSON *j = wjson_parse(t, strlen(t), 32, err, errlen);
    if (!j)
        return NULL;
    histogram *h = histogram_from_json(j, err, errlen);
    cJSON_Delete(j);
    return h;
}

static void test_json_refusals(void)
{
    char err[256];
    const char *base = "{\"format\":\"wsb-histogram\",\"version\":%d,\"unit\":\"ns\","
                       "\"sub_bucket_bits\":%d,\"max_trackable\":68719476735,\"count\":%d,"
                       "\"clamped\":0,\"min\":5,\"max\":5,\"sum\":5,\"buckets\":[[5,1]]}";
    char t[512];
    snprintf(t, sizeof(t), base, 1, 11, 1);
    histogram *ok = parse_text(t, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(ok);
    if (ok)
        CU_ASSERT_EQUAL(histogram_percentile(ok, 50), 5);
    histogram_free(ok);

    snprintf(t, sizeof(t), base, 2, 11, 1);
    CU_ASSERT_PTR_NULL(parse_text(t, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "version"));

    snprintf(t, sizeof(t), base, 1, 10, 1);
    CU_ASSERT_PTR_NULL(parse_text(t, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "parameters"));

    snprintf(t, sizeof(t), base, 1, 11, 2);
    CU_ASSERT_PTR_NULL(parse_text(t, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "add up"));

    CU_ASSERT_PTR_NULL(parse_text("{\"format\":\"other\"}", err, sizeof(err)));
    CU_ASSERT_PTR_NULL(parse_text("{\"format\":\"wsb-histogram\",\"version\":1,\"unit\":\"ns\","
                                  "\"sub_bucket_bits\":11,\"max_trackable\":68719476735,"
                                  "\"count\":1,\"clamped\":0,\"min\":1,\"max\":1,\"sum\":1,"
                                  "\"buckets\":[[99999999,1]]}",
                                  err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/buckets/0"));
}

static CU_TestInfo tests[] = {
    {"precision", test_precision},
    {"percentiles_against_sorted", test_percentiles_against_sorted},
    {"small_known", test_small_known},
    {"merge", test_merge},
    {"json_roundtrip", test_json_roundtrip},
    {"json_refusals", test_json_refusals},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"histogram", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
