/* dashtk: the helpers the dashboard's test programs share (test_dashboard,
 * test_dashboard_hostile). A test program calls dashtk_init() once (the
 * contract, a temporary folder for logs and journals) and dashtk_done() at
 * the end; servers are wsb-dashboard processes on free ports, driven with
 * testws. Every wait is bounded (DASHTK_WAIT_MS unless a timeout is given). */
#ifndef WSB_DASHTK_H
#define WSB_DASHTK_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "contract.h"
#include "spawn.h"
#include "testws.h"

#define DASHTK_SECRET "test-secret-h3"
#define DASHTK_WAIT_MS 3000

typedef spawn_proc server; /* .port: where it listens */

extern char dashtk_tmpdir[128]; /* logs and journals of this run */
extern contract *dashtk_contract;

/* Loads the contract and makes dashtk_tmpdir ("/tmp/<stem>-XXXXXX"). 0 or -1. */
int dashtk_init(const char *stem);
void dashtk_done(void);

/* Starts wsb-dashboard on 127.0.0.1, a free port, with the extra flags
 * (NULL-terminated) and journal (NULL: none); 0 on success. */
int dashtk_server_start(server *s, const char *journal, ...);
/* The log file (stdout and stderr) of the server started last. */
extern char dashtk_server_log[300];
/* 1 when frame j passes the schema (name as for contract_check; "stream"
 * for envelopes); prints why not. */
int dashtk_conforms(const char *name, const cJSON *j);
/* A token for role and sub (malloc'd). */
char *dashtk_token(const char *role, const char *sub);
/* A connection on the endpoint of role, upgraded (NULL, said on stderr, if not). */
testws *dashtk_connect_as(server *s, const char *role, const char *sub);
/* Status code of a handshake (101 when upgraded). */
int dashtk_handshake_status(server *s, const char *path, const char *tok);
/* Next text frame parsed as JSON (caller deletes), NULL on timeout/close. */
cJSON *dashtk_recv_json(testws *c, int timeout_ms);
/* A valid market_data envelope. */
void dashtk_envelope_text(char *buf, size_t cap, const char *src, long long seq,
                          const char *symbol);
int dashtk_publish(testws *p, const char *src, long long seq, const char *symbol);
/* Reads frames until an ack with seq >= want (1) or an error/timeout (0). */
int dashtk_wait_ack_ms(testws *p, long long want, int timeout_ms);
int dashtk_wait_ack(testws *p, long long want);
/* The welcome: returns last_seq, -1 when the first frame is not a welcome. */
long long dashtk_read_welcome(testws *p);
/* GET /api/websocket/status parsed (caller deletes), NULL on failure. */
cJSON *dashtk_get_status(server *s);
/* A number at a path like "refused.auth" or "sources.bot-1.last_seq" (b, c may be NULL); -1. */
long long dashtk_status_num(server *s, const char *a, const char *b, const char *c);
/* Polls the status until the value equals want (1), 0 after DASHTK_WAIT_MS. */
int dashtk_status_wait(server *s, const char *a, const char *b, const char *c, long long want);
/* A subscriber that sent frame. */
testws *dashtk_subscribe(server *s, const char *name, const char *frame);
/* Returns once the dashboard has applied every frame sub sent before (1), or
 * 0 on timeout or when any other frame comes first (see dashtk.c). */
int dashtk_sub_sync(testws *sub);

#endif
