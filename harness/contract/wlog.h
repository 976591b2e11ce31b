/* wlog: one-line leveled logging shared by every wsbridge program.
 *
 * Each line: "2026-11-22T15:44:29.123456Z LEVEL prog: message". The level
 * comes from LOG_LEVEL (error, warn, info, debug; default info) unless
 * wlog_set_level() is called. Lines go to stderr, unbuffered per line.
 * The integration suite's log analysis (suites/integ_logs.c) reads service
 * logs by this format (time stamp, then ERROR or WARN): keep it. */
#ifndef WSB_WLOG_H
#define WSB_WLOG_H

#include <stddef.h>

enum wlog_level {
    WLOG_ERROR = 0,
    WLOG_WARN = 1,
    WLOG_INFO = 2,
    WLOG_DEBUG = 3,
};

/* Names the program in every line and reads LOG_LEVEL. */
void wlog_init(const char *prog);
void wlog_set_level(enum wlog_level level);
enum wlog_level wlog_get_level(void);
/* Parses "error", "warn"/"warning", "info", "debug" (any case); -1 when unknown. */
int wlog_parse_level(const char *name);
void wlog_msg(enum wlog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes a formatted one-line error into a caller's buffer (nothing when err
 * is NULL or errlen 0): the "char *err, size_t errlen" convention every
 * wsbridge module uses to hand error text to its caller. */
void wlog_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define wlog_error(...) wlog_msg(WLOG_ERROR, __VA_ARGS__)
#define wlog_warn(...) wlog_msg(WLOG_WARN, __VA_ARGS__)
#define wlog_info(...) wlog_msg(WLOG_INFO, __VA_ARGS__)
#define wlog_debug(...) wlog_msg(WLOG_DEBUG, __VA_ARGS__)

#endif
