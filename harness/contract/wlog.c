/* wlog: one-line leveled logging shared by every wsbridge program (see wlog.h). */
#include "wlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static const char *wlog_prog = "wsb";
static enum wlog_level wlog_level_now = WLOG_INFO;
static const char *const wlog_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

int wlog_parse_level(const char *name)
{
    if (!name)
        return -1;
    if (!strcasecmp(name, "error") || !strcasecmp(name, "critical"))
        return WLOG_ERROR;
    if (!strcasecmp(name, "warn") || !strcasecmp(name, "warning"))
        return WLOG_WARN;
    if (!strcasecmp(name, "info"))
        return WLOG_INFO;
    if (!strcasecmp(name, "debug") || !strcasecmp(name, "trace"))
        return WLOG_DEBUG;
    return -1;
}

void wlog_init(const char *prog)
{
    const char *env = getenv("LOG_LEVEL");
    int lvl = wlog_parse_level(env);

    if (prog)
        wlog_prog = prog;
    if (lvl >= 0)
        wlog_level_now = (enum wlog_level)lvl;
}

void wlog_set_level(enum wlog_level level)
{
    wlog_level_now = level;
}

enum wlog_level wlog_get_level(void)
{
    return wlog_level_now;
}

void wlog_msg(enum wlog_level level, const char *fmt, ...)
{
    char line[2048], stamp[32];
    struct timeval tv;
    struct tm tm;
    va_list ap;
    int n;

    if (level > wlog_level_now)
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line, sizeof(line), "%s.%06ldZ %s %s: ", stamp, (long)tv.tv_usec,
                 wlog_names[level], wlog_prog);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    n = (int)strlen(line);
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    fprintf(stderr, "%s\n", line);
}

void wlog_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
