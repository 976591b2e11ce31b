/* tws: a tiny blocking WebSocket client for the dashboard's tests and bench.
 * Written from RFC 6455 alone (not lws), so the server is judged by a client
 * that shares no code with it. One connection per tws; not thread-safe.
 * Frames it sends are masked; it reads many frames per read() and hands them
 * out one at a time. */
#ifndef WSB_TWS_H
#define WSB_TWS_H

#include <stddef.h>
#include <stdint.h>

#define TWS_OP_CONT 0x0
#define TWS_OP_TEXT 0x1
#define TWS_OP_BINARY 0x2
#define TWS_OP_CLOSE 0x8
#define TWS_OP_PING 0x9
#define TWS_OP_PONG 0xA

typedef struct tws tws;

/* Connects to 127.0.0.1:port and upgrades on path. token (may be NULL) goes
 * in "Authorization: Bearer"; a path may carry ?token= itself. On refusal
 * returns NULL with *http_status set (401, 403, 503...; 0 when no HTTP answer)
 * and err holding the status line. The caller frees with tws_close(). */
tws *tws_connect(int port, const char *path, const char *token, int timeout_ms, int *http_status,
                 char *err, size_t errlen);
/* As tws_connect but only sends the request; tws_finish_handshake() reads the answer. */
tws *tws_start(int port, const char *path, const char *token, char *err, size_t errlen);
int tws_finish_handshake(tws *t, int timeout_ms, int *http_status, char *err, size_t errlen);

/* Reads what a just started server prints on fd (its stdout) until the line
 * "... listening on port N" or timeout_ms: N, or 0 when it never came. */
int tws_read_port(int fd, int timeout_ms);

int tws_fd(const tws *t);
/* Sends one masked frame (fin set unless fin == 0). 0 or -1. */
int tws_send_frame(tws *t, int opcode, int fin, const void *payload, size_t len);
int tws_send_text(tws *t, const char *text);
/* Appends a masked text frame to out (cap bytes); returns its size or 0 if it does not fit. */
size_t tws_encode_text(uint8_t *out, size_t cap, const char *text, size_t len);
int tws_send_raw(tws *t, const void *buf, size_t len);

/* Next frame within timeout_ms: 1 with opcode, payload and len set (payload
 * valid until the next call, NUL-terminated), 0 on timeout, -1 on EOF/error.
 * Pings are answered automatically; neither pings nor pongs are returned. For a close frame,
 * *close_code holds its status (1005 when none). */
int tws_recv(tws *t, int timeout_ms, int *opcode, char **payload, size_t *len);
int tws_close_code(const tws *t);
/* Reads until a close frame or EOF: returns the close code, 1006 on EOF
 * without one, -1 on timeout. */
int tws_wait_close(tws *t, int timeout_ms);
/* Next text frame; skips nothing else: returns -1 when the next frame is not
 * text (close...), 0 on timeout. */
int tws_recv_text(tws *t, int timeout_ms, char **payload, size_t *len);
void tws_close(tws *t);

/* One HTTP GET to 127.0.0.1:port; returns the status, the body malloc'd in *body. */
int tws_http_get(int port, const char *path, char **body, int timeout_ms);

#endif
