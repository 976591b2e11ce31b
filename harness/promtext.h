/* promtext: the Prometheus text exposition format (what /metrics serves)
 * parsed into samples keyed "name{labels}" -> value.
 *
 * Comments and blank lines are ignored; each sample is
 * "name{l1="v1",l2="v2"} value [timestamp]" (the timestamp is ignored), the
 * value a number, +Inf, -Inf or NaN. httpc_get_metrics (httpc.h) GETs a URL
 * and parses its body with this. */
#ifndef WSB_PROMTEXT_H
#define WSB_PROMTEXT_H

#include <stddef.h>

typedef struct promtext promtext;

/* Parses exposition text. Labels are kept in sorted order, so a lookup key
 * does not depend on the order a server wrote them. NULL with err on a
 * malformed line ("line 7: ..."). Free with promtext_free. */
promtext *promtext_parse(const char *text, char *err, size_t errlen);
void promtext_free(promtext *m);

/* Looks up "name" or "name{a=\"x\",b=\"y\"}" (labels in any order). 0 and
 * *out set when found, -1 when absent. */
int promtext_get(const promtext *m, const char *key, double *out);
/* The sum over every label set of a metric name, and how many there were
 * (0: absent, *sum untouched). */
int promtext_sum(const promtext *m, const char *name, double *sum);
size_t promtext_count(const promtext *m);
/* The i-th sample's normalised key ("name{a=\"x\"}") and value. */
const char *promtext_key(const promtext *m, size_t i, double *value);

#endif
