/* bot_testkit: test and bench helpers for wsb-bot against wsb-dashboard.
 *
 * Children are started through spawn (harness/spawn.h) with stdout on a
 * pipe (their ready line, e.g. "status on port N", and the bot's summary
 * line are read from it with spawn_wait_line) and stderr appended to a log
 * file; each gets SIGKILL when the test process dies (PR_SET_PDEATHSIG) and
 * is stopped at exit. Every wait has a timeout. Not thread-safe. */
#ifndef WSB_BOT_TESTKIT_H
#define WSB_BOT_TESTKIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#include "spawn.h"

#define BOT_TESTKIT_SECRET "test-bot-secret" /* the JWT secret of test runs */

typedef struct testws bot_testkit_ws; /* mock_server/tests/testws.h */

/* A port free on 127.0.0.1 right now (-1 on failure). */
int bot_testkit_free_port(void);
int bot_testkit_tcp_connect(int port, int timeout_ms);
/* GET http://127.0.0.1:port/path; the parsed JSON of a 200 answer (caller
 * frees), NULL otherwise. */
cJSON *bot_testkit_http_json(int port, const char *path);
/* Polls the bot's /status until field >= min; the last value read. */
int64_t bot_testkit_wait_status(int port, const char *field, int64_t min, int timeout_ms);

/* Subscriber-side WebSocket client: thin calls into testws (masked frames; answers pings). */
bot_testkit_ws *bot_testkit_ws_open(int port, const char *path, const char *token);
int bot_testkit_ws_send(bot_testkit_ws *w, int opcode, const char *p, size_t n);
/* 1 with *out (valid until the next call), 0 on timeout, -1 on close/error. */
int bot_testkit_ws_recv(bot_testkit_ws *w, int timeout_ms, char **out);
void bot_testkit_ws_close(bot_testkit_ws *w);

/* wsb-dashboard on port (0: any) with BOT_TESTKIT_SECRET; returns its port
 * or -1 (the reason on stderr). d must stay in place (static) while it runs. */
int bot_testkit_start_dashboard(spawn_proc *d, int port, const char *journal, const char *log);
/* wsb-bot to ws://127.0.0.1:dash_port/ws with test defaults plus extra flags
 * (NULL-terminated); returns its status port or -1, as above. */
int bot_testkit_start_bot(spawn_proc *b, int dash_port, const char *log,
                          const char *const *extra);
/* /tmp/test-bot-<pid>-<name>.log */
void bot_testkit_log_path(char *buf, size_t cap, const char *name);
/* The value of " key=" in the bot's summary line; -1 when absent. */
long long bot_testkit_summary_field(const char *line, const char *key);

#endif
