/* wparse: reading a command-line flag's or an environment variable's value,
 * with one error text for every program.
 *
 * Each parser takes the whole string (no trailing text, no empty value),
 * checks the range, and on failure leaves *out alone and writes a one-line
 * reason into err (when err is not NULL), quoting the value:
 *   "12x": expected an integer in 0..65535
 *   "fast": expected a number in 0.001..3600    (">= 0" when hi is DBL_MAX)
 *   "maybe": expected true or false
 * The caller puts the flag's name in front. Nothing here allocates. */
#ifndef WSB_WPARSE_H
#define WSB_WPARSE_H

#include <stddef.h>

/* A decimal integer in lo..hi (leading blanks and a sign allowed; LLONG_MIN
 * and LLONG_MAX as bounds mean none). 0 or -1. */
int wparse_long(const char *v, long long lo, long long hi, long long *out, char *err,
                size_t errlen);

/* A finite number in lo..hi (strtod syntax; -DBL_MAX and DBL_MAX as bounds
 * mean none). 0 or -1. */
int wparse_double(const char *v, double lo, double hi, double *out, char *err, size_t errlen);

/* 1, true, yes, on, y -> 1; 0, false, no, off, n -> 0 (any case). 0 or -1. */
int wparse_bool(const char *v, int *out, char *err, size_t errlen);

#endif
