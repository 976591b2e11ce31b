/* test_bot_live: the mock bot's integration tests, part of test-bot:
 * build/bin/wsb-bot against the real build/bin/wsb-dashboard on free ports
 * (status endpoints, the dashboard absent at start, killed and restarted,
 * an outage longer than the queue, a partition seen by ping/pong, commands,
 * a restarted bot's numbering, giving up after max retries). */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bot_loop.h"
#include "bot_queue.h"
#include "bot_testkit.h"
#include "contract.h"
#include "envelope.h"
#include "jwt.h"
#include "wclock.h"
#include "wjson.h"
#include "testkit.h"
#include "test_bot_live.h"

/* ==== integration: wsb-bot against the real wsb-dashboard =================
 *
 * Self-contained helpers (no lws in the test thread): child processes with
 * their stdout on a pipe, a plain-socket HTTP GET and a small blocking
 * WebSocket client for the subscriber side. Every wait polls a condition
 * with a deadline; every child is killed at exit even when a test fails. */

#define SECRET BOT_TESTKIT_SECRET

/* Subscribes with a replay from 0 and reads every frame of bot-1 until
 * want_seq is seen or the timeout: checks order and counts; alerts'
 * queue_overflow counts are summed into *overflow. Returns the frames seen. */
typedef struct replay_result {
    int64_t frames, last_seq, out_of_order, duplicates, gap_frames, gap_messages, overflow, alerts;
} replay_result;

static void replay_from_zero(int port, int64_t want_seq, replay_result *r)
{
    memset(r, 0, sizeof(*r));
    char *tok = jwt_sign(SECRET, "test-subscriber", "subscriber", 600);
    bot_testkit_ws *w = tok ? bot_testkit_ws_open(port, "/ws/stream", tok) : NULL;
    free(tok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    const char *sub = "{\"type\":\"subscribe\",\"from\":{\"bot-1\":0}}";
    CU_ASSERT_EQUAL(bot_testkit_ws_send(w, 1, sub, strlen(sub)), 0);
    int64_t end = wclock_mono_ms() + 20000;
    char *m;
    while (r->last_seq < want_seq && wclock_mono_ms() < end) {
        int rc = bot_testkit_ws_recv(w, 1000, &m);
        if (rc < 0)
            break;
        if (rc == 0)
            continue;
        cJSON *j = cJSON_Parse(m);
        if (!j)
            continue;
        const char *type = wjson_str(j, "type", "");
        if (!strcmp(type, "gap")) {
            r->gap_frames++;
            r->gap_messages += wjson_int(j, "to", -1) - wjson_int(j, "from", -1) + 1;
        } else if (!strcmp(wjson_str(j, "source", ""), "bot-1")) {
            int64_t seq = wjson_int(j, "seq", -1);
            r->frames++;
            if (seq <= r->last_seq)
                r->duplicates++;
            else if (seq != r->last_seq + 1 && r->gap_frames == 0)
                r->out_of_order++;
            if (seq > r->last_seq)
                r->last_seq = seq;
            if (!strcmp(type, "alert")) {
                const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data");
                if (!strcmp(wjson_str(d, "code", ""), "queue_overflow")) {
                    r->alerts++;
                    r->overflow += wjson_int(d, "count", -1);
                }
            }
        }
        cJSON_Delete(j);
    }
    bot_testkit_ws_close(w);
}

/* A subscriber replaying everything sees 1..gen once each, in order. */
static void assert_clean_replay(int port, int64_t gen)
{
    replay_result r;
    replay_from_zero(port, gen, &r);
    CU_ASSERT_EQUAL(r.last_seq, gen);
    CU_ASSERT_EQUAL(r.frames, gen);
    CU_ASSERT_EQUAL(r.duplicates, 0);
    CU_ASSERT_EQUAL(r.out_of_order, 0);
    CU_ASSERT_EQUAL(r.gap_frames, 0);
}

/* Waits (30 s) for the bot's summary line, copies it into line and checks
 * that it says result=ok; no summary line ends the test. */
static void wait_summary_ok(spawn_proc *bot, char *line, size_t len)
{
    CU_ASSERT_FATAL(spawn_wait_line(bot, "wsb-bot summary", 30000));
    snprintf(line, len, "%s", bot->line);
    CU_ASSERT(strstr(line, "result=ok") != NULL);
}

/* ---- the integration tests ---- */

static void test_dashboard_absent_at_start(void)
{
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "absent-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "absent-bot");
    int port = bot_testkit_free_port();
    CU_ASSERT_FATAL(port > 0);
    static spawn_proc bot, dash;
    const char *extra[] = {"--rate",       "200",  "--count", "800",
                           "--queue-size", "5000", "--seed",  "11",
                           "--timeout",    "20",   NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    /* the bot trades and queues while nobody listens */
    int64_t g = bot_testkit_wait_status(sport, "generated", 200, 5000);
    CU_ASSERT(g >= 200);
    cJSON *st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(st, "connected")));
    CU_ASSERT_EQUAL(wjson_int(st, "sent", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(st, "last_seq", -1), 0); /* unnumbered until the first welcome */
    int64_t it1 = wjson_int(st, "loop_iterations", -1);
    cJSON_Delete(st);
    CU_ASSERT(bot_testkit_wait_status(sport, "loop_iterations", it1 + 20, 3000) >= it1 + 20);

    CU_ASSERT_FATAL(bot_testkit_start_dashboard(&dash, port, NULL, dlog) == port);
    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated");
    CU_ASSERT(gen >= 800);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "acked"), gen);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "dropped"), 0);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "last_seq"), gen);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);

    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), gen);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.received", -1), gen);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.invalid", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gaps", -1), 0);
    cJSON_Delete(ds);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_dashboard_killed_and_restarted(void)
{
    char dlog[256], blog[256], journal[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "restart-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "restart-bot");
    snprintf(journal, sizeof(journal), "/tmp/test-bot-%d-restart.journal", (int)getpid());
    unlink(journal);
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, journal, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate",       "300",  "--count", "1500",
                           "--queue-size", "5000", "--seed",  "12",
                           "--timeout",    "20",   NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 300, 10000) >= 300);

    spawn_stop(&dash, SIGKILL, 5000);                          /* mid-stream, no goodbye */
    int64_t q = bot_testkit_wait_status(sport, "queued", 100, 5000); /* trading goes on */
    CU_ASSERT(q >= 100);
    CU_ASSERT_FATAL(bot_testkit_start_dashboard(&dash, port, journal, dlog) == port);

    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated");
    CU_ASSERT(gen >= 1500);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "acked"), gen);
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "dropped"), 0);
    CU_ASSERT(bot_testkit_summary_field(line, "reconnects") >= 1);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);

    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), gen);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.invalid", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gaps", -1), 0);
    cJSON_Delete(ds);

    /* a subscriber replaying everything sees 1..gen once each, in order */
    assert_clean_replay(port, gen);
    spawn_stop(&dash, SIGKILL, 5000);
    unlink(journal);
}

static void test_outage_longer_than_queue(void)
{
    char dlog[256], blog[256], journal[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "overflow-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "overflow-bot");
    snprintf(journal, sizeof(journal), "/tmp/test-bot-%d-overflow.journal", (int)getpid());
    unlink(journal);
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, journal, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate",       "300", "--count", "1500",
                           "--queue-size", "100", "--seed",  "13",
                           "--timeout",    "20",  NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 200, 10000) >= 200);
    spawn_stop(&dash, SIGKILL, 5000);
    /* longer than the queue: 100 messages at 300/s is a third of a second */
    CU_ASSERT(bot_testkit_wait_status(sport, "dropped", 200, 10000) >= 200);
    CU_ASSERT_FATAL(bot_testkit_start_dashboard(&dash, port, journal, dlog) == port);

    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated"),
              acked = bot_testkit_summary_field(line, "acked"),
              dropped = bot_testkit_summary_field(line, "dropped");
    CU_ASSERT(dropped >= 200);
    CU_ASSERT_EQUAL(acked + dropped, gen);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);

    /* the dashboard holds exactly what was acked, saw the drop as gaps, and the
     * alert it relays accounts for every dropped number */
    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    long long last = bot_testkit_summary_field(line, "last_seq");
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), last);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.invalid", -1), 0);
    CU_ASSERT(wjson_int(ds, "sources.bot-1.gaps", -1) >= 1);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gap_messages", -1), dropped);
    printf("\n    generated %lld, acked %lld, dropped %lld; dashboard: last_seq %lld, gaps %lld, "
           "gap messages %lld\n",
           gen, acked, dropped, (long long)wjson_int(ds, "sources.bot-1.last_seq", -1),
           (long long)wjson_int(ds, "sources.bot-1.gaps", -1),
           (long long)wjson_int(ds, "sources.bot-1.gap_messages", -1));
    cJSON_Delete(ds);
    replay_result r;
    replay_from_zero(port, last, &r);
    CU_ASSERT_EQUAL(r.last_seq, last);
    CU_ASSERT_EQUAL(r.frames, acked);
    CU_ASSERT_EQUAL(r.duplicates, 0);
    CU_ASSERT(r.alerts >= 1);
    CU_ASSERT_EQUAL(r.overflow, dropped);
    CU_ASSERT_EQUAL(r.gap_messages, dropped);
    spawn_stop(&dash, SIGKILL, 5000);
    unlink(journal);
}

static void test_partition_detected_by_ping(void)
{
    /* SIGSTOP keeps the dashboard's sockets open but silent, as a partition
     * does: only the ping/pong timeout can tell the bot */
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "partition-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "partition-bot");
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, NULL, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate",       "200",  "--count", "1200",
                           "--queue-size", "5000", "--seed",  "16",
                           "--timeout",    "20",   NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 200, 10000) >= 200);
    kill(dash.pid, SIGSTOP);
    int64_t t0 = wclock_mono_ms(), seen = 0;
    /* ping 0.5 s + pong 1 s should tell within ~2 s; 10 s is only the
     * bound of the wait (TCP alone would not tell for minutes) */
    while (wclock_mono_ms() - t0 < 10000 && !seen) {
        cJSON *st = bot_testkit_http_json(sport, "/status");
        if (st && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(st, "connected")) &&
            strstr(wjson_str(st, "last_error", ""), "pong timeout"))
            seen = wclock_mono_ms() - t0;
        cJSON_Delete(st);
        wclock_sleep_ms(50);
    }
    CU_ASSERT(seen > 0); /* detected by the pong timeout, connection marked down */
    printf("\n    partition detected after %lld ms\n", (long long)seen);
    kill(dash.pid, SIGCONT);

    char line[512];
    wait_summary_ok(&bot, line, sizeof(line));
    long long gen = bot_testkit_summary_field(line, "generated");
    CU_ASSERT_EQUAL(bot_testkit_summary_field(line, "dropped"), 0);
    CU_ASSERT(bot_testkit_summary_field(line, "reconnects") >= 1);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);
    /* what the stopped dashboard read late may arrive twice; it is
     * deduplicated, so subscribers still see each seq once, in order */
    assert_clean_replay(port, gen);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_bot_restart_continues_numbering(void)
{
    /* a new bot process numbers after what the dashboard holds, so nothing
     * it sends is deduplicated away */
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "renumber-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "renumber-bot");
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, NULL, dlog);
    CU_ASSERT_FATAL(port > 0);
    long long total = 0;
    for (int run = 0; run < 2; run++) {
        /* the queue holds the whole count: however slowly the bot connects
         * (sanitizers, a loaded machine), nothing is dropped before welcome */
        const char *extra[] = {"--rate", "500",  "--count",      "300",
                               "--seed", run ? "19" : "18", "--queue-size", "1000",
                               "--timeout", "10", NULL};
        CU_ASSERT_FATAL(bot_testkit_start_bot(&bot, port, blog, extra) > 0);
        CU_ASSERT_FATAL(spawn_wait_line(&bot, "wsb-bot summary", 20000));
        CU_ASSERT(strstr(bot.line, "result=ok") != NULL);
        long long gen = bot_testkit_summary_field(bot.line, "generated");
        total += gen;
        CU_ASSERT_EQUAL(bot_testkit_summary_field(bot.line, "last_seq"), total);
        CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 5000), 0);
    }
    cJSON *ds = bot_testkit_http_json(port, "/api/websocket/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.last_seq", -1), total);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.received", -1), total);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.duplicates", -1), 0);
    CU_ASSERT_EQUAL(wjson_int(ds, "sources.bot-1.gaps", -1), 0);
    cJSON_Delete(ds);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_gives_up_after_max_retries(void)
{
    char blog[256];
    bot_testkit_log_path(blog, sizeof(blog), "retries-bot");
    static spawn_proc bot;
    const char *extra[] = {"--rate",          "50",  "--seed", "17", "--max-retries", "2",
                           "--flush-timeout", "0.2", NULL};
    int sport = bot_testkit_start_bot(&bot, bot_testkit_free_port(), blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    int64_t t0 = wclock_mono_ms();
    int gave_up = 0;
    while (!gave_up && wclock_mono_ms() - t0 < 5000) {
        cJSON *st = bot_testkit_http_json(sport, "/status");
        gave_up = st && strstr(wjson_str(st, "last_error", ""), "gave up") != NULL &&
                  !strcmp(wjson_str(st, "state", ""), "degraded");
        cJSON_Delete(st);
        if (!gave_up)
            wclock_sleep_ms(50);
    }
    CU_ASSERT(gave_up);
    /* trading goes on regardless */
    int64_t it = bot_testkit_wait_status(sport, "loop_iterations", 0, 1000);
    CU_ASSERT(bot_testkit_wait_status(sport, "loop_iterations", it + 10, 3000) >= it + 10);
    spawn_signal(&bot, SIGTERM);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 3000), 0);
}

/* Sends a command from a subscriber and waits for its final command_ack (done or
 * rejected); a known command must have been acked "accepted" before its done. */
static int command_round_trip(bot_testkit_ws *w, const char *id, const char *name,
                              const char *params, char *status, size_t cap, char *reason,
                              size_t rcap)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             "{\"type\":\"command\",\"target\":\"bot-1\",\"command_id\":\"%s\","
             "\"name\":\"%s\",\"params\":%s}",
             id, name, params);
    if (bot_testkit_ws_send(w, 1, cmd, strlen(cmd)))
        return -1;
    int64_t end = wclock_mono_ms() + 5000;
    char *m;
    int accepted = 0;
    while (wclock_mono_ms() < end) {
        int rc = bot_testkit_ws_recv(w, 500, &m);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        cJSON *j = cJSON_Parse(m);
        if (!j)
            continue;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data");
        if (!strcmp(wjson_str(j, "type", ""), "command_ack") &&
            !strcmp(wjson_str(d, "command_id", ""), id)) {
            snprintf(status, cap, "%s", wjson_str(d, "status", ""));
            snprintf(reason, rcap, "%s", wjson_str(d, "reason", ""));
            cJSON_Delete(j);
            if (!strcmp(status, "accepted")) {
                accepted = 1;
                continue;
            }
            if (!strcmp(status, "done") && !accepted)
                snprintf(status, cap, "done without accepted");
            return 0;
        }
        cJSON_Delete(j);
    }
    return -1;
}

static void test_command_round_trip(void)
{
    char dlog[256], blog[256];
    bot_testkit_log_path(dlog, sizeof(dlog), "command-dashboard");
    bot_testkit_log_path(blog, sizeof(blog), "command-bot");
    static spawn_proc bot, dash;
    int port = bot_testkit_start_dashboard(&dash, 0, NULL, dlog);
    CU_ASSERT_FATAL(port > 0);
    const char *extra[] = {"--rate", "50", "--seed", "14", "--flush-timeout", "3", NULL};
    int sport = bot_testkit_start_bot(&bot, port, blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    CU_ASSERT(bot_testkit_wait_status(sport, "acked", 10, 10000) >= 10);

    char *tok = jwt_sign(SECRET, "test-commander", "subscriber", 600);
    bot_testkit_ws *w = tok ? bot_testkit_ws_open(port, "/ws/stream", tok) : NULL;
    free(tok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    const char *sub = "{\"type\":\"subscribe\",\"types\":[\"command_ack\"]}";
    CU_ASSERT_EQUAL(bot_testkit_ws_send(w, 1, sub, strlen(sub)), 0);

    char status[32], reason[256];
    CU_ASSERT_EQUAL(
        command_round_trip(w, "c-1", "pause", "{}", status, sizeof(status), reason, sizeof(reason)),
        0);
    CU_ASSERT_STRING_EQUAL(status, "done");
    cJSON *st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_STRING_EQUAL(wjson_str(st, "state", ""), "paused");
    int64_t it = wjson_int(st, "loop_iterations", -1);
    cJSON_Delete(st);
    /* paused: the loop keeps turning */
    CU_ASSERT(bot_testkit_wait_status(sport, "loop_iterations", it + 10, 3000) >= it + 10);

    CU_ASSERT_EQUAL(command_round_trip(w, "c-2", "explode", "{}", status, sizeof(status), reason,
                                       sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "rejected");
    CU_ASSERT(strstr(reason, "explode") != NULL);

    CU_ASSERT_EQUAL(command_round_trip(w, "c-3", "set_rate", "{\"rate\":123}", status,
                                       sizeof(status), reason, sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "done");
    CU_ASSERT_EQUAL(command_round_trip(w, "c-4", "set_rate", "{\"rate\":-1}", status,
                                       sizeof(status), reason, sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "rejected");
    CU_ASSERT_EQUAL(command_round_trip(w, "c-5", "resume", "{}", status, sizeof(status), reason,
                                       sizeof(reason)),
                    0);
    CU_ASSERT_STRING_EQUAL(status, "done");
    st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_STRING_EQUAL(wjson_str(st, "state", ""), "running");
    CU_ASSERT(fabs(cJSON_GetObjectItemCaseSensitive(st, "rate")->valuedouble - 123) < 1e-9);
    cJSON_Delete(st);
    bot_testkit_ws_close(w);

    /* SIGTERM: a last bot_status "stopping" is flushed, then exit 0, quickly */
    tok = jwt_sign(SECRET, "test-watcher", "subscriber", 600);
    w = tok ? bot_testkit_ws_open(port, "/ws/stream", tok) : NULL;
    free(tok);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    /* the replay from 0 brings the first bot_status ("starting"): once it is
     * here the subscription is live */
    const char *sub2 = "{\"type\":\"subscribe\",\"types\":[\"bot_status\"],\"from\":{\"bot-1\":0}}";
    CU_ASSERT_EQUAL(bot_testkit_ws_send(w, 1, sub2, strlen(sub2)), 0);
    char *m;
    int live = 0;
    int64_t t1 = wclock_mono_ms();
    while (!live && wclock_mono_ms() - t1 < 5000)
        live = bot_testkit_ws_recv(w, 500, &m) == 1 && strstr(m, "\"state\":\"starting\"");
    CU_ASSERT_FATAL(live);
    int64_t t0 = wclock_mono_ms();
    spawn_signal(&bot, SIGTERM);
    int stopping = 0;
    while (!stopping && wclock_mono_ms() - t0 < 5000) {
        int rc = bot_testkit_ws_recv(w, 500, &m);
        if (rc < 0)
            break;
        if (rc == 1 && strstr(m, "\"state\":\"stopping\""))
            stopping = 1;
    }
    CU_ASSERT(stopping);
    bot_testkit_ws_close(w);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 6000), 0);
    CU_ASSERT(wclock_mono_ms() - t0 < 5000);
    spawn_stop(&dash, SIGKILL, 5000);
}

static void test_status_endpoints(void)
{
    char blog[256];
    bot_testkit_log_path(blog, sizeof(blog), "status-bot");
    static spawn_proc bot;
    const char *extra[] = {"--rate", "20", "--seed", "15", "--flush-timeout", "0.2", NULL};
    int sport = bot_testkit_start_bot(&bot, bot_testkit_free_port(), blog, extra);
    CU_ASSERT_FATAL(sport > 0);
    cJSON *h = bot_testkit_http_json(sport, "/health");
    CU_ASSERT_PTR_NOT_NULL(h);
    CU_ASSERT_STRING_EQUAL(wjson_str(h, "status", ""), "ok");
    cJSON_Delete(h);
    cJSON *st = bot_testkit_http_json(sport, "/status");
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const char *keys[] = {"service",         "source",    "state",      "connected",
                          "loop_iterations", "generated", "sent",       "acked",
                          "acked_seq",       "last_seq",  "queued",     "dropped",
                          "reconnects",      "rate",      "last_error", NULL};
    for (int i = 0; keys[i]; i++)
        CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItemCaseSensitive(st, keys[i]));
    CU_ASSERT_EQUAL(wjson_int(st, "generated", -1), wjson_int(st, "acked", -1) +
                                                           wjson_int(st, "queued", -1) +
                                                           wjson_int(st, "dropped", -1));
    contract *ct = test_bot_load_contract();
    CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
    char err[256] = "";
    int rc = contract_check(ct, "status/bot", st, err, sizeof(err));
    if (rc)
        fprintf(stderr, "status/bot: %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    contract_free(ct);
    cJSON_Delete(st);
    /* /metrics: Prometheus text with the agreed names */
    int fd = bot_testkit_tcp_connect(sport, 2000);
    CU_ASSERT_FATAL(fd >= 0);
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    CU_ASSERT(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    char buf[8192];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)r;
        buf[len] = 0;
        if (strstr(buf, "wsbridge_bot_connected "))
            break;
    }
    buf[len] = 0;
    close(fd);
    const char *names[] = {"wsbridge_bot_loop_iterations_total",
                           "wsbridge_bot_generated_total",
                           "wsbridge_bot_sent_total",
                           "wsbridge_bot_acked_total",
                           "wsbridge_bot_queued",
                           "wsbridge_bot_dropped_total",
                           "wsbridge_bot_reconnects_total",
                           "wsbridge_bot_connected",
                           NULL};
    for (int i = 0; names[i]; i++) {
        char want[96];
        snprintf(want, sizeof(want), "\n%s ", names[i]);
        CU_ASSERT(strstr(buf, want) != NULL);
    }
    spawn_signal(&bot, SIGTERM);
    CU_ASSERT_EQUAL(spawn_stop(&bot, 0, 3000), 0);
}

int test_bot_live_init(void)
{
    char bin[256];
    if (access(testkit_bin_path("wsb-bot", bin, sizeof(bin)), X_OK) ||
        access(testkit_bin_path("wsb-dashboard", bin, sizeof(bin)), X_OK)) {
        fprintf(stderr, "test_bot: %s missing (build first; BUILD=%s)\n", bin, testkit_build_dir());
        return 1; /* the suite fails: CUnit counts it */
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

CU_TestInfo test_bot_live_tests[] = {
    {"status endpoints", test_status_endpoints},
    {"dashboard absent at start", test_dashboard_absent_at_start},
    {"dashboard killed and restarted mid-stream", test_dashboard_killed_and_restarted},
    {"outage longer than the queue", test_outage_longer_than_queue},
    {"partition detected by ping/pong", test_partition_detected_by_ping},
    {"command round trip", test_command_round_trip},
    {"a restarted bot continues the numbering", test_bot_restart_continues_numbering},
    {"gives up after max retries, keeps trading", test_gives_up_after_max_retries},
    CU_TEST_INFO_NULL,
};
