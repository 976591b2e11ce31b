/* histogram: log-linear latency histograms (see histogram.h for the layout
 * and the JSON format). Counting is O(1) per value: the bucket is found from
 * the position of the value's highest set bit. */
#include "histogram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wjson.h"

#define SUB_COUNT (1 << HISTOGRAM_SUB_BUCKET_BITS)        /* 2048 */
#define SUB_HALF (SUB_COUNT / 2)                          /* 1024 */
#define BUCKET_COUNT (36 - HISTOGRAM_SUB_BUCKET_BITS + 1) /* octaves up to 2^36 */
#define COUNTS_LEN ((BUCKET_COUNT + 1) * SUB_HALF)

struct histogram {
    uint64_t total;
    uint64_t clamped;
    int64_t min;
    int64_t max;
    double sum;
    uint64_t counts[COUNTS_LEN];
};

histogram *histogram_new(void)
{
    histogram *h = calloc(1, sizeof(*h));
    return h;
}

void histogram_free(histogram *h)
{
    free(h);
}

void histogram_reset(histogram *h)
{
    memset(h, 0, sizeof(*h));
}

static int bucket_of(int64_t v)
{
    /* pow2 ceiling of (v | (SUB_COUNT-1)) minus the sub-bucket bits */
    uint64_t x = (uint64_t)v | (SUB_COUNT - 1);
    return (64 - __builtin_clzll(x)) - HISTOGRAM_SUB_BUCKET_BITS;
}

static size_t index_of(int64_t v)
{
    int b = bucket_of(v);
    int64_t sub = v >> b;
    return ((size_t)(b + 1) << 10) + (size_t)(sub - SUB_HALF);
}

static int64_t value_of(size_t idx, int64_t *width)
{
    int b = (int)(idx >> 10) - 1;
    int64_t sub = (int64_t)(idx & (SUB_HALF - 1)) + SUB_HALF;
    if (b < 0) {
        sub -= SUB_HALF;
        b = 0;
    }
    if (width)
        *width = (int64_t)1 << b;
    return sub << b;
}

int64_t histogram_lowest_equivalent(int64_t v)
{
    if (v < 0)
        v = 0;
    if (v > HISTOGRAM_MAX_TRACKABLE)
        v = HISTOGRAM_MAX_TRACKABLE;
    return value_of(index_of(v), NULL);
}

int64_t histogram_highest_equivalent(int64_t v)
{
    int64_t w;
    if (v < 0)
        v = 0;
    if (v > HISTOGRAM_MAX_TRACKABLE)
        v = HISTOGRAM_MAX_TRACKABLE;
    int64_t lo = value_of(index_of(v), &w);
    return lo + w - 1;
}

void histogram_record_n(histogram *h, int64_t ns, uint64_t n)
{
    if (n == 0)
        return;
    if (ns < 0) {
        ns = 0;
        h->clamped += n;
    } else if (ns > HISTOGRAM_MAX_NS) {
        ns = HISTOGRAM_MAX_NS;
        h->clamped += n;
    }
    h->counts[index_of(ns)] += n;
    if (h->total == 0 || ns < h->min)
        h->min = ns;
    if (h->total == 0 || ns > h->max)
        h->max = ns;
    h->total += n;
    h->sum += (double)ns * (double)n;
}

void histogram_record(histogram *h, int64_t ns)
{
    histogram_record_n(h, ns, 1);
}

void histogram_record_us(histogram *h, double us)
{
    double ns = us * 1000.0;
    if (ns > (double)HISTOGRAM_MAX_TRACKABLE)
        ns = (double)HISTOGRAM_MAX_TRACKABLE;
    histogram_record(h, (int64_t)llround(ns));
}

void histogram_merge(histogram *dst, const histogram *src)
{
    if (src->total == 0)
        return;
    for (size_t i = 0; i < COUNTS_LEN; i++)
        dst->counts[i] += src->counts[i];
    if (dst->total == 0 || src->min < dst->min)
        dst->min = src->min;
    if (dst->total == 0 || src->max > dst->max)
        dst->max = src->max;
    dst->total += src->total;
    dst->clamped += src->clamped;
    dst->sum += src->sum;
}

uint64_t histogram_count(const histogram *h)
{
    return h->total;
}

uint64_t histogram_clamped(const histogram *h)
{
    return h->clamped;
}

int64_t histogram_min(const histogram *h)
{
    return h->total ? h->min : 0;
}

int64_t histogram_max(const histogram *h)
{
    return h->total ? h->max : 0;
}

double histogram_mean(const histogram *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}

int64_t histogram_percentile(const histogram *h, double p)
{
    if (h->total == 0)
        return 0;
    if (p >= 100.0)
        return h->max;
    if (p < 0.0)
        p = 0.0;
    /* the rank of the p-th value, 1-based, at least 1 */
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < COUNTS_LEN; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            int64_t w;
            int64_t v = value_of(i, &w) + w - 1;
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

uint64_t histogram_count_below(const histogram *h, int64_t ns)
{
    if (ns <= 0)
        return 0;
    if (ns > HISTOGRAM_MAX_TRACKABLE)
        return h->total;
    size_t end = index_of(ns);
    uint64_t n = 0;
    for (size_t i = 0; i < end && i < COUNTS_LEN; i++)
        n += h->counts[i];
    return n;
}

cJSON *histogram_to_json(const histogram *h)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    cJSON_AddStringToObject(j, "format", "wsb-histogram");
    cJSON_AddNumberToObject(j, "version", HISTOGRAM_FORMAT_VERSION);
    cJSON_AddStringToObject(j, "unit", "ns");
    cJSON_AddNumberToObject(j, "sub_bucket_bits", HISTOGRAM_SUB_BUCKET_BITS);
    cJSON_AddNumberToObject(j, "max_trackable", (double)HISTOGRAM_MAX_TRACKABLE);
    cJSON_AddNumberToObject(j, "count", (double)h->total);
    cJSON_AddNumberToObject(j, "clamped", (double)h->clamped);
    cJSON_AddNumberToObject(j, "min", (double)histogram_min(h));
    cJSON_AddNumberToObject(j, "max", (double)histogram_max(h));
    cJSON_AddNumberToObject(j, "sum", h->sum);
    cJSON *s = cJSON_AddObjectToObject(j, "summary");
    cJSON_AddNumberToObject(s, "p50", (double)histogram_percentile(h, 50));
    cJSON_AddNumberToObject(s, "p90", (double)histogram_percentile(h, 90));
    cJSON_AddNumberToObject(s, "p99", (double)histogram_percentile(h, 99));
    cJSON_AddNumberToObject(s, "p99.9", (double)histogram_percentile(h, 99.9));
    cJSON_AddNumberToObject(s, "max", (double)histogram_max(h));
    cJSON_AddNumberToObject(s, "mean", histogram_mean(h));
    cJSON *b = cJSON_AddArrayToObject(j, "buckets");
    for (size_t i = 0; i < COUNTS_LEN; i++) {
        if (!h->counts[i])
            continue;
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)i));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)h->counts[i]));
        cJSON_AddItemToArray(b, pair);
    }
    return j;
}

char *histogram_to_text(const histogram *h)
{
    cJSON *j = histogram_to_json(h);
    if (!j)
        return NULL;
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

static int get_int(const cJSON *j, const char *key, int64_t *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v || !wjson_get_int64(v, out) || *out < 0) {
        snprintf(err, errlen, "histogram: /%s: must be a non-negative integer", key);
        return -1;
    }
    return 0;
}

histogram *histogram_from_json(const cJSON *j, char *err, size_t errlen)
{
    if (!cJSON_IsObject(j)) {
        snprintf(err, errlen, "histogram: not a JSON object");
        return NULL;
    }
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "wsb-histogram") != 0) {
        snprintf(err, errlen, "histogram: /format: expected \"wsb-histogram\"");
        return NULL;
    }
    int64_t version, bits, maxt, count, clamped, mn, mx;
    if (get_int(j, "version", &version, err, errlen) < 0)
        return NULL;
    if (version != HISTOGRAM_FORMAT_VERSION) {
        snprintf(err, errlen, "histogram: version %lld not supported (expected %d)",
                 (long long)version, HISTOGRAM_FORMAT_VERSION);
        return NULL;
    }
    const cJSON *unit = cJSON_GetObjectItemCaseSensitive(j, "unit");
    if (!cJSON_IsString(unit) || strcmp(unit->valuestring, "ns") != 0) {
        snprintf(err, errlen, "histogram: /unit: expected \"ns\"");
        return NULL;
    }
    if (get_int(j, "sub_bucket_bits", &bits, err, errlen) < 0 ||
        get_int(j, "max_trackable", &maxt, err, errlen) < 0 ||
        get_int(j, "count", &count, err, errlen) < 0 ||
        get_int(j, "clamped", &clamped, err, errlen) < 0 ||
        get_int(j, "min", &mn, err, errlen) < 0 || get_int(j, "max", &mx, err, errlen) < 0)
        return NULL;
    if (bits != HISTOGRAM_SUB_BUCKET_BITS || maxt != HISTOGRAM_MAX_TRACKABLE) {
        snprintf(err, errlen,
                 "histogram: bucket parameters differ (sub_bucket_bits %lld, "
                 "max_trackable %lld)",
                 (long long)bits, (long long)maxt);
        return NULL;
    }
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(j, "sum");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "buckets");
    if (!cJSON_IsNumber(sum) || !cJSON_IsArray(b)) {
        snprintf(err, errlen, "histogram: /sum must be a number and /buckets an array");
        return NULL;
    }
    histogram *h = histogram_new();
    if (!h) {
        snprintf(err, errlen, "histogram: out of memory");
        return NULL;
    }
    uint64_t total = 0;
    int k = 0;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, b)
    {
        int64_t idx, c;
        if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 ||
            !wjson_get_int64(cJSON_GetArrayItem(pair, 0), &idx) ||
            !wjson_get_int64(cJSON_GetArrayItem(pair, 1), &c) || idx < 0 || idx >= COUNTS_LEN ||
            c < 0) {
            snprintf(err, errlen, "histogram: /buckets/%d: expected [index < %d, count >= 0]", k,
                     COUNTS_LEN);
            histogram_free(h);
            return NULL;
        }
        h->counts[idx] += (uint64_t)c;
        total += (uint64_t)c;
        k++;
    }
    if (total != (uint64_t)count) {
        snprintf(err, errlen, "histogram: bucket counts add up to %llu, /count says %lld",
                 (unsigned long long)total, (long long)count);
        histogram_free(h);
        return NULL;
    }
    h->total = total;
    h->clamped = (uint64_t)clamped;
    h->min = mn;
    h->max = mx;
    h->sum = sum->valuedouble;
    return h;
}

int histogram_write_file(const histogram *h, const char *path, char *err, size_t errlen)
{
    cJSON *j = histogram_to_json(h);
    char *t = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!t) {
        snprintf(err, errlen, "histogram: out of memory");
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "histogram: cannot write %s: %m", path);
        free(t);
        return -1;
    }
    int ok = fputs(t, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    free(t);
    if (!ok) {
        snprintf(err, errlen, "histogram: write error on %s", path);
        return -1;
    }
    return 0;
}

histogram *histogram_read_file(const char *path, char *err, size_t errlen)
{
    cJSON *j = wjson_parse_file(path, WJSON_DEFAULT_MAX_DEPTH, err, errlen);
    if (!j)
        return NULL;
    histogram *h = histogram_from_json(j, err, errlen);
    cJSON_Delete(j);
    return h;
}
