/* wsbload_http: the /metrics endpoint of wsb-load (see wsbload_http.h). */
#include "wsbload_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct {
    int fd, stop, running;
    pthread_t th;
    pthread_mutex_t mu;
    char *text;
    size_t len;
} h = {.fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void answer(int fd)
{
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char req[2048] = "";
    size_t got = 0;
    while (got < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        ssize_t r = read(fd, req + got, sizeof req - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        req[got] = 0;
    }
    req[got] = 0;
    char head[256];
    const char *status = "200 OK";
    if (strncmp(req, "GET ", 4))
        status = "405 Method Not Allowed";
    else if (strncmp(req + 4, "/metrics ", 9) && strncmp(req + 4, "/metrics?", 9))
        status = "404 Not Found";
    pthread_mutex_lock(&h.mu);
    int ok = status[0] == '2';
    size_t n = ok ? h.len : 0;
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      status, n);
    write_all(fd, head, (size_t)hl);
    if (ok && h.text)
        write_all(fd, h.text, n);
    pthread_mutex_unlock(&h.mu);
}

static void *serve(void *arg)
{
    (void)arg;
    while (!h.stop) {
        struct pollfd p = {.fd = h.fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = accept(h.fd, NULL, NULL);
        if (c < 0)
            continue;
        answer(c);
        close(c);
    }
    return NULL;
}

int wsbload_http_start(const char *host, int port, char *err, size_t errlen)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        snprintf(err, errlen, "metrics: %s is not an IPv4 address", host);
        return -1;
    }
    h.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t al = sizeof a;
    if (h.fd < 0 || setsockopt(h.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(h.fd, (struct sockaddr *)&a, sizeof a) || listen(h.fd, 16) ||
        getsockname(h.fd, (struct sockaddr *)&a, &al)) {
        snprintf(err, errlen, "metrics: port %d: %s", port, strerror(errno));
        if (h.fd >= 0)
            close(h.fd);
        h.fd = -1;
        return -1;
    }
    h.stop = 0;
    if (pthread_create(&h.th, NULL, serve, NULL)) {
        snprintf(err, errlen, "metrics: cannot start its thread");
        close(h.fd);
        h.fd = -1;
        return -1;
    }
    h.running = 1;
    return ntohs(a.sin_port);
}

void wsbload_http_set(const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, text, len);
    copy[len] = 0;
    pthread_mutex_lock(&h.mu);
    free(h.text);
    h.text = copy;
    h.len = len;
    pthread_mutex_unlock(&h.mu);
}

void wsbload_http_stop(void)
{
    if (h.running) {
        h.stop = 1;
        pthread_join(h.th, NULL);
        h.running = 0;
    }
    if (h.fd >= 0)
        close(h.fd);
    h.fd = -1;
    free(h.text);
    h.text = NULL;
}
