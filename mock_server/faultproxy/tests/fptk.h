/* fptk: what wsb-faultproxy's tests share: the proxy under test
 * (build/bin/wsb-faultproxy --port 0, under valgrind when WSB_VALGRIND is set)
 * with an echo server in a thread as its upstream, sockets with deadlines,
 * and the API spoken as raw HTTP/1.1 (so bad bodies reach it as sent).
 * One test thread: the last answer is a global. */
#ifndef WSB_FPTK_H
#define WSB_FPTK_H

#include <stddef.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#define FPTK_IO_TIMEOUT_MS 5000

/* CUnit suite init/clean: start the echo server and the proxy; stop both
 * (a clean SIGTERM stop is exit 0, else the clean step fails). */
int fptk_init(void);
int fptk_clean(void);
int fptk_proxy_pid(void);
/* The echo server as host:port, an upstream for new proxies. */
const char *fptk_upstream(void);

/* How much a lower time bound loosens (valgrind delays this program). */
double fptk_slack_ms(void);

/* A blocking loopback connection to port (TCP_NODELAY, sends time out after
 * FPTK_IO_TIMEOUT_MS); -1 on failure. */
int fptk_connect(int port);
/* One recv within timeout_ms: bytes, 0 EOF, -1 error (errno), -2 timeout. */
ssize_t fptk_recv_wait(int fd, void *buf, size_t cap, int timeout_ms);
/* Exactly n bytes before the deadline (timeout_ms from now): the count received. */
size_t fptk_recv_n(int fd, char *buf, size_t n, int timeout_ms);
int fptk_send_all(int fd, const void *buf, size_t n);
/* One echo round trip of 16 bytes in ms; -1 when it fails or times out. */
double fptk_rtt_ms(int fd);
/* The median of n (<= 16) round trips. */
double fptk_median_rtt(int fd, int n);

typedef struct fptk_reply {
    int status;
    char body[65536];
    cJSON *json; /* parsed body (NULL when none or not JSON) */
} fptk_reply;
extern fptk_reply fptk_last; /* the last answer */

/* One API request; the status (fptk_last holds the answer) or -1. */
int fptk_api(const char *method, const char *path, const char *body);
const char *fptk_jstr(const cJSON *o, const char *k); /* "" when absent */
double fptk_jnum(const cJSON *o, const char *k);      /* -1 when absent */
/* Asserts the last answer is Toxiproxy's error shape with status and text. */
void fptk_expect_error(int status, const char *contains);
/* Creates proxy name -> the echo server; its listening port or -1. */
int fptk_make_proxy(const char *name);
int fptk_add_toxic(const char *proxy_name, const char *json);
int fptk_del(const char *path);

#endif
