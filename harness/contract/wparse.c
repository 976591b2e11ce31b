/* wparse: whole-string integer, number and boolean parsing with a range and
 * one error text (see wparse.h). */
#include "wparse.h"
#include "wlog.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* "in lo..hi", ">= lo", "<= hi" or "" (no bound), for the error text. */
static void wparse_range(char *buf, size_t cap, int has_lo, int has_hi, const char *lo,
                         const char *hi)
{
    if (has_lo && has_hi)
        snprintf(buf, cap, " in %s..%s", lo, hi);
    else if (has_lo)
        snprintf(buf, cap, " >= %s", lo);
    else if (has_hi)
        snprintf(buf, cap, " <= %s", hi);
    else
        buf[0] = 0;
}

int wparse_long(const char *v, long long lo, long long hi, long long *out, char *err, size_t errlen)
{
    char *end;
    long long n;

    errno = 0;
    n = v ? strtoll(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || n < lo || n > hi) {
        char a[24], b[24], range[64];
        snprintf(a, sizeof a, "%lld", lo);
        snprintf(b, sizeof b, "%lld", hi);
        wparse_range(range, sizeof range, lo != LLONG_MIN, hi != LLONG_MAX, a, b);
        wlog_seterr(err, errlen, "\"%s\": expected an integer%s", v ? v : "", range);
        return -1;
    }
    *out = n;
    return 0;
}

int wparse_double(const char *v, double lo, double hi, double *out, char *err, size_t errlen)
{
    char *end;
    double d;

    errno = 0;
    d = v ? strtod(v, &end) : 0;
    if (!v || errno || end == v || *end || !isfinite(d) || !(d >= lo) || !(d <= hi)) {
        char a[32], b[32], range[72];
        snprintf(a, sizeof a, "%g", lo);
        snprintf(b, sizeof b, "%g", hi);
        wparse_range(range, sizeof range, lo > -DBL_MAX, hi < DBL_MAX, a, b);
        wlog_seterr(err, errlen, "\"%s\": expected a number%s", v ? v : "", range);
        return -1;
    }
    *out = d;
    return 0;
}

int wparse_bool(const char *v, int *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"1", "true", "yes", "on", "y"};
    static const char *const no[] = {"0", "false", "no", "off", "n"};

    for (size_t i = 0; v && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    wlog_seterr(err, errlen, "\"%s\": expected true or false", v ? v : "");
    return -1;
}
