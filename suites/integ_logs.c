/* integ_logs: the integration suite's log analysis. Every service log of the
 * run so far (the environment driver's save_log: the native driver's
 * services/<name>.log, a container's log through the Engine API) is scanned:
 *
 *   - a line in wlog's format (harness/contract/wlog.h:
 *     "2026-11-22T15:44:29.123456Z LEVEL prog: message") of level ERROR or
 *     WARN is a problem unless its time falls in an allowed window;
 *   - a line of the native driver ("=== <time>Z wsb-harness: <prog> stopped:
 *     <how> ===") where a service ended other than "exited with status 0" is
 *     a crash, a problem unless in an allowed window;
 *   - a sanitizer report or crash text (AddressSanitizer, LeakSanitizer,
 *     "runtime error:", "Segmentation fault", "core dumped", ...) is always a
 *     problem: no test causes one.
 *
 * The allowed windows are the faults tests injected, from one second before
 * the fault to WINDOW_AFTER_S after it was healed (reconnects, queue drops
 * reported late): every "environment:" line of the suite logs
 * (<results>/<suite>.log: "==== <time>Z environment: dashboard stop(5000) ->
 * ok ====") pairs a fault operation (stop, kill, pause, disconnect, toxic
 * add, link off) with the next healing one on the same target (start,
 * unpause, reconnect, toxic remove, link on), and metrics/faults.json's
 * inject/heal events do the same per scenario, a "recovered" after the heal
 * extending the window to WINDOW_AFTER_S after the recovery. */
#include "integration.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "wclock.h"
#include "wjson.h"

#define WINDOW_BEFORE_US 1e6
#define WINDOW_AFTER_S 15.0
#define MAX_WINDOWS 4096
#define MAX_TARGETS 16
#define QUOTE_MAX 5

/* "2026-12-01T06:00:47.730Z" or with microseconds -> real microseconds; -1. */
static double iso_us(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    double frac = 0;
    if (*p == '.') {
        char *end;
        frac = strtod(p, &end);
        p = end;
    }
    if (*p != 'Z')
        return -1;
    return ((double)timegm(&tm) + frac) * 1e6;
}

typedef struct windows {
    integ_window w[MAX_WINDOWS];
    int n;
    char target[MAX_TARGETS][48];
    double open[MAX_TARGETS]; /* 0: not open */
    int ntargets;
} windows;

static void win_add(windows *ws, double from, double to)
{
    if (ws->n < MAX_WINDOWS)
        ws->w[ws->n++] = (integ_window){from - WINDOW_BEFORE_US, to + WINDOW_AFTER_S * 1e6};
}

/* A fault (fault 1) or a heal (fault 0) on target at t. */
static void win_event(windows *ws, const char *target, int fault, double t)
{
    int i;
    for (i = 0; i < ws->ntargets && strcmp(ws->target[i], target); i++)
        ;
    if (i == ws->ntargets) {
        if (i == MAX_TARGETS)
            return;
        snprintf(ws->target[i], sizeof(ws->target[i]), "%s", target);
        ws->open[i] = 0;
        ws->ntargets++;
    }
    if (fault && ws->open[i] == 0)
        ws->open[i] = t;
    else if (!fault) {
        win_add(ws, ws->open[i] ? ws->open[i] : t, t);
        ws->open[i] = 0;
    }
}

static void win_close_all(windows *ws)
{
    for (int i = 0; i < ws->ntargets; i++)
        if (ws->open[i])
            win_add(ws, ws->open[i], 1e18);
    ws->ntargets = 0;
}

/* The "environment:" lines of one suite log. */
static void windows_from_suite_log(windows *ws, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[2048];
    static const char *const faults[] = {" stop(", " kill(", " pause ->", " disconnect ->",
                                         "toxic add(", "link enable(off)"};
    static const char *const heals[] = {" start ->", " unpause ->", " reconnect ->",
                                        "toxic remove(", "link enable(on)"};
    while (fgets(line, sizeof(line), f)) {
        const char *e = strstr(line, " environment: ");
        if (strncmp(line, "==== ", 5) || !e || !strstr(e, "-> ok"))
            continue;
        double t = iso_us(line + 5);
        if (t < 0)
            continue;
        const char *what = e + 14;
        char target[48];
        int words = strncmp(strchr(what, ' ') ? strchr(what, ' ') : "", " link ", 6) ? 1 : 2;
        size_t n = 0;
        for (int w = 0; what[n] && n < sizeof(target) - 1; n++)
            if (what[n] == ' ' && ++w == words)
                break;
        snprintf(target, sizeof(target), "%.*s", (int)n, what);
        for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
            if (strstr(what, faults[i]))
                win_event(ws, target, 1, t);
        for (size_t i = 0; i < sizeof(heals) / sizeof(heals[0]); i++)
            if (strstr(what, heals[i]))
                win_event(ws, target, 0, t);
    }
    fclose(f);
    win_close_all(ws);
}

/* metrics/faults.json: per scenario, inject opens and heal closes. */
static void windows_from_faults(windows *ws, const char *path)
{
    cJSON *j = wjson_parse_file(path, WJSON_DEFAULT_MAX_DEPTH, NULL, 0);
    const cJSON *sc;
    cJSON_ArrayForEach(sc, cJSON_GetObjectItemCaseSensitive(j, "scenarios"))
    {
        const cJSON *ev;
        cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(sc, "timeline"))
        {
            const char *e = wjson_str(ev, "event", "");
            double t = wjson_num(ev, "real_us", -1);
            if (t > 0 && !strcmp(e, "inject"))
                win_event(ws, "scenario", 1, t);
            else if (t > 0 && !strcmp(e, "heal"))
                win_event(ws, "scenario", 0, t);
            else if (t > 0 && !strcmp(e, "recovered") && ws->n > 0 &&
                     ws->w[ws->n - 1].to_us < t + WINDOW_AFTER_S * 1e6)
                ws->w[ws->n - 1].to_us = t + WINDOW_AFTER_S * 1e6; /* recovery took longer */
        }
        win_close_all(ws);
    }
    cJSON_Delete(j);
}

static int allowed(const integ_window *w, int n, double t)
{
    for (int i = 0; i < n; i++)
        if (t >= w[i].from_us && t <= w[i].to_us)
            return 1;
    return 0;
}

int integ_logs_scan(const char *service, const char *text, const integ_window *w, int n,
                    char *out, size_t outlen)
{
    static const char *const always[] = {"AddressSanitizer", "LeakSanitizer",
                                         "ThreadSanitizer",  "UndefinedBehaviorSanitizer",
                                         "runtime error:",   "Segmentation fault",
                                         "core dumped",      "stack smashing detected",
                                         "double free",      "Assertion `"};
    int bad = 0, quoted = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) - 1 ? len : sizeof(line) - 1),
                 p);
        int problem = 0;
        for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
            if (strstr(line, always[i]))
                problem = 1;
        if (!problem) {
            double t = -1;
            if (!strncmp(line, "=== ", 4) && strstr(line, " stopped: ") &&
                !strstr(line, "exited with status 0"))
                t = iso_us(line + 4);
            else if ((strstr(line, "Z ERROR ") || strstr(line, "Z WARN ")) && line[0] >= '0' &&
                     line[0] <= '9')
                t = iso_us(line);
            problem = t >= 0 && !allowed(w, n, t);
        }
        if (problem) {
            bad++;
            size_t off = strlen(out);
            if (quoted++ < QUOTE_MAX && off + 32 < outlen)
                snprintf(out + off, outlen - off, "%s%s.log: \"%.300s\"", off ? "; " : "",
                         service, line);
        }
        p += len + (nl ? 1 : 0);
    }
    return bad;
}

check_result integration_check_logs(const suite_ctx *ctx, char *msg, size_t len)
{
    if (!ctx->results_dir)
        return bridge_skip(msg, len, "no result directory");
    static windows ws; /* large: not on the stack */
    memset(&ws, 0, sizeof(ws));
    char path[1200], dir[1024], err[512];
    DIR *d = opendir(ctx->results_dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 4 && !strcmp(de->d_name + n - 4, ".log")) {
            snprintf(path, sizeof(path), "%s/%s", ctx->results_dir, de->d_name);
            windows_from_suite_log(&ws, path);
        }
    }
    if (d)
        closedir(d);
    snprintf(path, sizeof(path), "%s/metrics/faults.json", ctx->results_dir);
    windows_from_faults(&ws, path);
    snprintf(dir, sizeof(dir), "%s/integration_logs", ctx->results_dir);
    mkdir(dir, 0777);
    static char quoted[4096];
    quoted[0] = '\0';
    int bad = 0, scanned = 0;
    long long lines = 0;
    char skipped[512] = "";
    for (int s = 0; s < ENV_NUM_SERVICES; s++) {
        if (s == ENV_BOT && !envdriver_has(ctx->env, ENV_CAP_BOT))
            continue;
        if (s == ENV_PROXY && !*envdriver_proxy_api(ctx->env))
            continue;
        const char *name = envdriver_service_name((env_service)s);
        snprintf(path, sizeof(path), "%s/%s.log", dir, name);
        if (envdriver_save_log(ctx->env, (env_service)s, path, err, sizeof(err)) < 0) {
            if (strstr(err, "not supported"))
                return bridge_skip(msg, len, "the environment cannot read service logs: %.300s",
                                   err);
            size_t off = strlen(skipped);
            snprintf(skipped + off, sizeof(skipped) - off, "%s%s: %.120s", off ? "; " : "", name,
                     err);
            continue;
        }
        char *text = wjson_read_file(path, NULL, err, sizeof(err));
        if (!text)
            return bridge_fail(msg, len, "%s log: %.300s", name, err);
        for (const char *c = text; *c; c++)
            lines += *c == '\n';
        bad += integ_logs_scan(name, text, ws.w, ws.n, quoted, sizeof(quoted));
        free(text);
        scanned++;
    }
    suite_metric("log_lines_scanned", (double)lines, "lines");
    suite_metric("log_fault_windows", ws.n, "windows");
    if (*skipped)
        suite_log("logs: not read: %s", skipped);
    if (scanned == 0)
        return bridge_fail(msg, len, "no service log could be read: %s", skipped);
    if (bad)
        return bridge_fail(msg, len,
                           "%d error, warning, sanitizer or crash lines that no injected fault "
                           "explains: %s",
                           bad, quoted);
    snprintf(msg, len,
             "%d service logs, %lld lines: no error, warning, sanitizer report or crash outside "
             "the %d windows of injected faults",
             scanned, lines, ws.n);
    return CHECK_PASS;
}
