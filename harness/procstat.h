/* procstat: what Linux's /proc tells about a process, for the native
 * environment driver's stats, the benches and the tests.
 *
 * Each reader opens the file once and returns -1 when it cannot be read or
 * parsed (the process is gone, or not Linux). The command name in
 * /proc/PID/stat may hold spaces and parentheses: fields are counted after
 * its last ')'. Nothing is cached or allocated. */
#ifndef WSB_PROCSTAT_H
#define WSB_PROCSTAT_H

#include <sys/types.h>

/* utime + stime of pid in clock ticks (sysconf(_SC_CLK_TCK) per second), or -1. */
long long procstat_cpu_ticks(pid_t pid);
/* The same in seconds, or -1. */
double procstat_cpu_seconds(pid_t pid);
/* Resident set size (VmRSS of /proc/PID/status) in bytes, or -1. */
long long procstat_rss_bytes(pid_t pid);
/* Open file descriptors (entries of /proc/PID/fd), or -1. */
long procstat_open_fds(pid_t pid);
/* The parent's pid, or -1. */
pid_t procstat_ppid(pid_t pid);
/* The process group, or -1. */
pid_t procstat_pgrp(pid_t pid);
/* The state letter ('R', 'S', 'T', 'Z' for a zombie...), or 0. */
char procstat_state(pid_t pid);

#endif
