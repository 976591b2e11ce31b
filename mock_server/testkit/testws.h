/* testws: a tiny blocking WebSocket client for the dashboard's tests and bench.
 * Written from RFC 6455 alone (not lws), so the server is judged by a client
 * that shares no code with it. One connection per testws; not thread-safe.
 * Frames it sends are masked; it reads many frames per read() and hands them
 * out one at a time. */
#ifndef WSB_TESTWS_H
#define WSB_TESTWS_H

#include <stddef.h>
#include <stdint.h>

#define TESTWS_OP_CONT 0x0
#define TESTWS_OP_TEXT 0x1
#define TESTWS_OP_BINARY 0x2
#define TESTWS_OP_CLOSE 0x8
#define TESTWS_OP_PING 0x9
#define TESTWS_OP_PONG 0xA

typedef struct testws testws;

/* Connects to 127.0.0.1:port and upgrades on path. token (may be NULL) goes
 * in "Authorization: Bearer"; a path may carry ?token= itself. On refusal
 * returns NULL with *http_status set (401, 403, 503...; 0 when no HTTP answer)
 * and err holding the status line. The caller frees with testws_close(). */
testws *testws_connect(int port, const char *path, const char *token, int timeout_ms, int *http_status,
                 char *err, size_t errlen);
/* As testws_connect but only sends the request; testws_finish_handshake() reads the answer. */
testws *testws_start(int port, const char *path, const char *token, char *err, size_t errlen);
int testws_finish_handshake(testws *t, int timeout_ms, int *http_status, char *err, size_t errlen);

int testws_fd(const testws *t);
/* Sends one masked frame (fin set unless fin == 0). 0 or -1. */
int testws_send_frame(testws *t, int opcode, int fin, const void *payload, size_t len);
int testws_send_text(testws *t, const char *text);
/* Appends a masked text frame to out (cap bytes); returns its size or 0 if it does not fit. */
size_t testws_encode_text(uint8_t *out, size_t cap, const char *text, size_t len);
int testws_send_raw(testws *t, const void *buf, size_t len);

/* Next frame within timeout_ms: 1 with opcode, payload and len set (payload
 * valid until the next call, NUL-terminated), 0 on timeout, -1 on EOF/error.
 * Pings are answered automatically; neither pings nor pongs are returned. For a close frame,
 * *close_code holds its status (1005 when none). */
int testws_recv(testws *t, int timeout_ms, int *opcode, char **payload, size_t *len);
int testws_close_code(const testws *t);
/* Reads until a close frame or EOF: returns the close code, 1006 on EOF
 * without one, -1 on timeout. */
int testws_wait_close(testws *t, int timeout_ms);
/* Next text frame; skips nothing else: returns -1 when the next frame is not
 * text (close...), 0 on timeout. */
int testws_recv_text(testws *t, int timeout_ms, char **payload, size_t *len);
void testws_close(testws *t);

/* One HTTP GET to 127.0.0.1:port; returns the status, the body malloc'd in *body. */
int testws_http_get(int port, const char *path, char **body, int timeout_ms);

#endif
