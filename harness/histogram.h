/* histogram: latency histograms with log-linear buckets (HdrHistogram's
 * layout), mergeable across workers and serialisable to a versioned JSON.
 *
 * Values are integer nanoseconds. Buckets have fixed parameters: values below
 * 2048 ns are exact; above, each power of two is split into 1024 linear
 * sub-buckets, so every recorded value is kept to better than 0.1 % (3
 * significant digits) from 1 us up to HISTOGRAM_MAX_NS (60 s; larger values
 * are clamped to it and counted in `clamped`, as are negative ones, which
 * count as 0). Because the parameters are fixed, any two histograms merge
 * by adding their counts: workers write their own and a merge step adds them.
 *
 * JSON (HISTOGRAM_FORMAT_VERSION 1):
 *   {"format":"wsb-histogram","version":1,"unit":"ns","sub_bucket_bits":11,
 *    "max_trackable":68719476735,"count":N,"clamped":0,"min":..,"max":..,
 *    "sum":..,"summary":{"p50":..,"p90":..,"p99":..,"p99.9":..,"max":..,
 *    "mean":..},"buckets":[[index,count],...]}
 * Only non-zero buckets are written; "summary" is for readers and ignored by
 * histogram_from_json(). Not thread-safe: one histogram per thread, merge. */
#ifndef WSB_HISTOGRAM_H
#define WSB_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define HISTOGRAM_FORMAT_VERSION 1
#define HISTOGRAM_SUB_BUCKET_BITS 11              /* 2048 exact values, then 1024 per octave */
#define HISTOGRAM_MAX_NS 60000000000LL            /* 60 s: the range promised */
#define HISTOGRAM_MAX_TRACKABLE ((1LL << 36) - 1) /* what the buckets actually cover */

typedef struct histogram histogram;

/* A new, empty histogram (NULL on allocation failure). Free with histogram_free. */
histogram *histogram_new(void);
void histogram_free(histogram *h);
void histogram_reset(histogram *h);

/* Records one value (n values) in nanoseconds. */
void histogram_record(histogram *h, int64_t ns);
void histogram_record_n(histogram *h, int64_t ns, uint64_t n);
/* Convenience: records microseconds (as the contract's ts_us). */
void histogram_record_us(histogram *h, double us);

/* Adds src's counts into dst. */
void histogram_merge(histogram *dst, const histogram *src);

uint64_t histogram_count(const histogram *h);
uint64_t histogram_clamped(const histogram *h); /* values out of range (clamped) */
int64_t histogram_min(const histogram *h);      /* exact; 0 when empty */
int64_t histogram_max(const histogram *h);      /* exact; 0 when empty */
double histogram_mean(const histogram *h);      /* exact (from the sum); 0 when empty */
/* The value at percentile p (0..100): the highest value equivalent to the
 * bucket holding the p-th value, never above the exact max; 0 when empty.
 * p >= 100 gives the exact max. */
int64_t histogram_percentile(const histogram *h, double p);

/* How many recorded values lie in buckets below the one holding ns (the
 * values under ns, to the buckets' precision): a distribution's bins are
 * differences of two of these. */
uint64_t histogram_count_below(const histogram *h, int64_t ns);

/* Serialises to the JSON above (caller frees with cJSON_Delete / free). */
cJSON *histogram_to_json(const histogram *h);
char *histogram_to_text(const histogram *h);
/* Parses the JSON; refuses another format, version or parameters. Caller
 * frees the result; NULL with err on failure. */
histogram *histogram_from_json(const cJSON *j, char *err, size_t errlen);
/* Writes/reads a file holding the JSON. 0 / -1 with err. */
int histogram_write_file(const histogram *h, const char *path, char *err, size_t errlen);
histogram *histogram_read_file(const char *path, char *err, size_t errlen);

/* The lowest and highest values that share v's bucket (for tests and docs). */
int64_t histogram_lowest_equivalent(int64_t v);
int64_t histogram_highest_equivalent(int64_t v);

#endif
