/* procstat: readers of /proc/PID/stat and /proc/PID/status (see procstat.h). */
#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The fields of /proc/PID/stat after the command name (from the state on)
 * into buf; NULL when unreadable. */
static const char *procstat_stat_fields(pid_t pid, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
    return p && p[1] == ' ' ? p + 2 : NULL;
}

long long procstat_cpu_ticks(pid_t pid)
{
    char buf[2048];
    const char *p = procstat_stat_fields(pid, buf, sizeof(buf));
    unsigned long long ut = 0, st = 0;
    /* state is field 3 of the line; utime is field 14, stime 15 */
    if (!p || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

double procstat_cpu_seconds(pid_t pid)
{
    long long ticks = procstat_cpu_ticks(pid);
    long hz = sysconf(_SC_CLK_TCK);
    if (ticks < 0)
        return -1;
    return (double)ticks / (double)(hz > 0 ? hz : 100);
}

long long procstat_rss_bytes(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    long long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
            break;
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

long procstat_open_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The parent's pid (which 0) or the process group (which 1), or -1. */
static pid_t procstat_id(pid_t pid, int which)
{
    char buf[2048];
    const char *p = procstat_stat_fields(pid, buf, sizeof(buf));
    int ids[2];
    if (!p || sscanf(p, "%*c %d %d", &ids[0], &ids[1]) != 2)
        return -1;
    return (pid_t)ids[which];
}

pid_t procstat_ppid(pid_t pid)
{
    return procstat_id(pid, 0);
}

pid_t procstat_pgrp(pid_t pid)
{
    return procstat_id(pid, 1);
}

char procstat_state(pid_t pid)
{
    char buf[2048];
    const char *p = procstat_stat_fields(pid, buf, sizeof(buf));
    return p ? p[0] : 0;
}
