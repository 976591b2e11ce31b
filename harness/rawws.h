/* rawws: a raw-socket WebSocket client for hostile tests (the security suite).
 *
 * Unlike wsclient (libwebsockets, which only sends well-formed frames), rawws
 * sends whatever bytes it is told: a handshake with chosen or missing
 * headers, frames with any mask bit, opcode, RSV bits or length field, or
 * plain bytes. It reads what the server answers: an HTTP status, server
 * frames (a close frame and its code), or the connection closing. Written
 * from RFC 6455 alone. Every connect, read and write has a deadline; a
 * blocking socket per connection, no threads, not thread-safe.
 *
 * wss:// (and https://) URLs go over TLS (OpenSSL): the certificate is
 * verified against the CA of rawws_set_ca_file() (else the system's store)
 * and the URL's host; the bytes chosen are then sent inside TLS. A refused
 * TLS handshake fails rawws_connect with what OpenSSL said (a certificate
 * verification error by name). rawws_connect_tls chooses the CA and the
 * highest TLS version per connection (the TLS refusal tests). */
#ifndef WSB_RAWWS_H
#define WSB_RAWWS_H

#include <stddef.h>
#include <stdint.h>

#define RAWWS_OP_CONT 0x0
#define RAWWS_OP_TEXT 0x1
#define RAWWS_OP_BINARY 0x2
#define RAWWS_OP_CLOSE 0x8
#define RAWWS_OP_PING 0x9
#define RAWWS_OP_PONG 0xA

/* rawws_read results */
#define RAWWS_FRAME 1    /* a frame was read */
#define RAWWS_TIMEOUT 0  /* nothing complete within the deadline */
#define RAWWS_EOF (-1)   /* the peer closed (or reset) the connection */

typedef struct rawws rawws;

/* Connects to the host and port of a ws:// or wss:// URL (any path ignored)
 * within timeout_ms (the TLS handshake included). NULL with err. Free with
 * rawws_close. */
rawws *rawws_connect(const char *ws_url, int timeout_ms, char *err, size_t errlen);

#define RAWWS_TLS1_0 0x0301 /* rawws_tls.max_version values (the protocol's numbers) */
#define RAWWS_TLS1_1 0x0302
#define RAWWS_TLS1_2 0x0303

/* How a wss:// connection is made (rawws_connect_tls). */
typedef struct rawws_tls {
    const char *ca_file; /* the CA to trust; NULL: rawws_set_ca_file's, else the system's */
    int max_version;     /* 0: any; else the highest version offered (RAWWS_TLS1_1:
                            TLS 1.0 and 1.1 only, at OpenSSL security level 0 so that the
                            client itself allows them: a refusal is the server's) */
} rawws_tls;

/* rawws_connect with these TLS settings for a wss:// URL (tls may be NULL). */
rawws *rawws_connect_tls(const char *ws_url, int timeout_ms, const rawws_tls *tls, char *err,
                         size_t errlen);
/* The CA every later wss:// connection trusts by default (copied; NULL or
 * "": the system's store). The harness sets --ca-file's. */
void rawws_set_ca_file(const char *path);
/* "TLSv1.3" etc. for a TLS connection, NULL for a plain one. */
const char *rawws_tls_version(const rawws *r);
void rawws_close(rawws *r);
int rawws_fd(const rawws *r);
/* "host:port" of the URL given to rawws_connect. */
const char *rawws_hostport(const rawws *r);

/* Writes bytes as they are (deadline: 5 s). 0, or -1 (peer closed, timeout). */
int rawws_send(rawws *r, const void *buf, size_t len);

/* Header lines a handshake leaves out (rawws_request's omit bits). */
#define RAWWS_OMIT_KEY 1u       /* Sec-WebSocket-Key */
#define RAWWS_OMIT_VERSION 2u   /* Sec-WebSocket-Version */
#define RAWWS_OMIT_UPGRADE 4u   /* Upgrade: websocket */
#define RAWWS_OMIT_CONNECTION 8u /* Connection: Upgrade */
#define RAWWS_OMIT_HOST 16u     /* Host */

/* Builds an upgrade request for path into buf (cap bytes): GET, Host, Upgrade,
 * Connection, a random Sec-WebSocket-Key, Sec-WebSocket-Version 13 (each
 * unless omitted), "Authorization: Bearer token" when token is not NULL,
 * then extra (header lines each ending in \r\n, may be NULL) and the blank
 * line. Returns the length, 0 when it does not fit. */
size_t rawws_request(rawws *r, char *buf, size_t cap, const char *path, const char *token,
                     const char *extra, unsigned omit);

/* Reads the server's HTTP answer head (up to the blank line) within
 * timeout_ms: its status (101, 400, 401...), 0 when the connection closed
 * without one, -1 on timeout. The status line goes into line (may be NULL).
 * Bytes after the head stay buffered for rawws_read. */
int rawws_read_status(rawws *r, int timeout_ms, char *line, size_t linelen);

/* A frame to build: every field as sent, however wrong. */
typedef struct rawws_frame {
    int fin;              /* 1: FIN set */
    unsigned rsv;         /* RSV1..3 as bits 4..6 of the first byte (0..7) */
    unsigned opcode;      /* 0..15 */
    int masked;           /* 1: MASK set and payload masked (a client's duty) */
    int len_override;     /* 1: put declared_len in the length field instead */
    uint64_t declared_len;
    const void *payload;
    size_t len;
} rawws_frame;

/* Encodes f into out (cap bytes): the size, 0 when it does not fit. */
size_t rawws_encode(const rawws_frame *f, uint8_t *out, size_t cap);
/* Encodes and sends f. 0 or -1. */
int rawws_send_frame(rawws *r, const rawws_frame *f);

/* Reads what has arrived so far without waiting (so a close frame is kept
 * even if a reset follows while the client is still sending). 0, or
 * RAWWS_EOF when the peer closed. */
int rawws_poll(rawws *r);

/* The next server frame within timeout_ms: RAWWS_FRAME with *opcode, *payload
 * (valid until the next call; NUL-terminated) and *len; RAWWS_TIMEOUT;
 * RAWWS_EOF. Fragments are returned as they come (no reassembly). */
int rawws_read(rawws *r, int timeout_ms, int *opcode, char **payload, size_t *len);

/* Reads frames until a close frame or EOF within timeout_ms, answering
 * nothing. RAWWS_FRAME with *code the close frame's status (1005 when it has
 * none), RAWWS_EOF when the connection ended without a close frame,
 * RAWWS_TIMEOUT. Other frames are skipped (counted in *skipped, may be NULL). */
int rawws_wait_close(rawws *r, int timeout_ms, int *code, int *skipped);

/* Sends a masked ping with payload and waits for its pong (other frames are
 * skipped): 1 answered, 0 timeout, -1 closed (*code the close code, 1006
 * without a close frame; code may be NULL). */
int rawws_ping(rawws *r, const char *payload, int timeout_ms, int *code);

#endif
