/* procstat: readers of /proc/PID/stat, /proc/PID/status, /proc/PID/fd, and
 * a process's TCP byte counts through sock_diag (see procstat.h). */
#include "procstat.h"

#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define PROCSTAT_MAX_SOCKETS 65536 /* more socket fds than this: the rest are not counted */

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

/* ---- network bytes ------------------------------------------------------------------ */

static int cmp_ino(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

/* The socket inodes of pid's fds, sorted, malloc'd into *out; their count or -1. */
static long socket_inodes(pid_t pid, unsigned long **out)
{
    char path[64], link[64], target[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long n = 0, cap = 0;
    unsigned long *v = NULL;
    struct dirent *e;
    while ((e = readdir(d)) && n < PROCSTAT_MAX_SOCKETS) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof(link), "%.20s/%.20s", path, e->d_name);
        ssize_t l = readlink(link, target, sizeof(target) - 1);
        unsigned long ino;
        if (l <= 0)
            continue;
        target[l] = 0;
        if (sscanf(target, "socket:[%lu]", &ino) != 1)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            unsigned long *nv = realloc(v, (size_t)cap * sizeof(*v));
            if (!nv) {
                free(v);
                closedir(d);
                return -1;
            }
            v = nv;
        }
        v[n++] = ino;
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof(*v), cmp_ino);
    *out = v;
    return n;
}

/* One dump of family's TCP sockets; adds the byte counts of those in ino[]. */
static int dump_tcp(int fd, int family, const unsigned long *ino, long n, long long *rx,
                    long long *tx)
{
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 r;
    } req;
    memset(&req, 0, sizeof(req));
    req.nh.nlmsg_len = sizeof(req);
    req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = (uint32_t)family;
    req.r.sdiag_family = (uint8_t)family;
    req.r.sdiag_protocol = IPPROTO_TCP;
    req.r.idiag_states = ~0u;
    req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
    struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
        return -1;
    static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t got = recv(fd, buf, sizeof(buf), 0);
        if (got <= 0)
            return -1;
        int len = (int)got;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (h->nlmsg_type == NLMSG_ERROR)
                return -1;
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                continue;
            struct inet_diag_msg *m = NLMSG_DATA(h);
            unsigned long key = m->idiag_inode;
            if (!key || !bsearch(&key, ino, (size_t)n, sizeof(*ino), cmp_ino))
                continue;
            int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
            for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, alen);
                 a = RTA_NEXT(a, alen)) {
                if (a->rta_type != INET_DIAG_INFO)
                    continue;
                const struct tcp_info *ti = RTA_DATA(a);
                size_t have = RTA_PAYLOAD(a);
                if (have >= offsetof(struct tcp_info, tcpi_bytes_received) +
                                sizeof(ti->tcpi_bytes_received)) {
                    *tx += (long long)ti->tcpi_bytes_acked;
                    *rx += (long long)ti->tcpi_bytes_received;
                }
            }
        }
    }
}

int procstat_net_bytes(pid_t pid, long long *rx, long long *tx)
{
    unsigned long *ino = NULL;
    long n = socket_inodes(pid, &ino);
    if (n < 0)
        return -1;
    long long r = 0, t = 0;
    int rc = 0;
    if (n > 0) {
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        struct timeval tv = {.tv_sec = 2}; /* a dump never takes this long; no hang */
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            dump_tcp(fd, AF_INET, ino, n, &r, &t) < 0 || dump_tcp(fd, AF_INET6, ino, n, &r, &t) < 0)
            rc = -1;
        if (fd >= 0)
            close(fd);
    }
    free(ino);
    if (rc == 0) {
        *rx = r;
        *tx = t;
    }
    return rc;
}
