/* procstat: what Linux's /proc tells about a process, for the native
 * environment driver's stats, the benches and the tests.
 *
 * Each reader opens the file once and returns -1 when it cannot be read or
 * parsed (the process is gone, or not Linux). The command name in
 * /proc/PID/stat may hold spaces and parentheses: fields are counted after
 * its last ')'. Nothing is cached; procstat_net_bytes allocates a little and
 * frees it.
 *
 * Network bytes natively: /proc/PID/net/dev counts the whole network
 * namespace (every service on loopback shares it), so procstat_net_bytes
 * asks the kernel's sock_diag netlink interface for every TCP socket (IPv4
 * and IPv6) with its struct tcp_info, and sums tcpi_bytes_received and
 * tcpi_bytes_acked over those whose inode is one of /proc/PID/fd's
 * "socket:[N]" links. The figure covers the sockets open now (a closed
 * connection's bytes leave the sum) and TCP only. */
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
/* Bytes pid's open TCP sockets received (*rx) and sent and had acknowledged
 * (*tx), summed over them; 0, or -1 when /proc/PID/fd or sock_diag cannot
 * be read (rx, tx untouched). */
int procstat_net_bytes(pid_t pid, long long *rx, long long *tx);
/* The parent's pid, or -1. */
pid_t procstat_ppid(pid_t pid);
/* The process group, or -1. */
pid_t procstat_pgrp(pid_t pid);
/* The state letter ('R', 'S', 'T', 'Z' for a zombie...), or 0. */
char procstat_state(pid_t pid);

#endif
