/* dashboard_main: wsb-dashboard's command line, signals and service loop.
 * Flags fall back to DASHBOARD_* environment variables (see --help).
 * SIGTERM/SIGINT close every connection with 1001, flush the journal and
 * exit 0 within --shutdown-ms. */
#include "dashboard.h"

#include <float.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "wparse.h"
#include "wjson.h"
#include "wlog.h"

static struct lws_context *signal_ctx;

static void on_signal(int sig)
{
    (void)sig;
    dashboard_stop_requested = 1;
    if (signal_ctx)
        lws_cancel_service(signal_ctx); /* a write() to lws's wake-up pipe */
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsb-dashboard [options]\n"
            "The mock dashboard: publishers on ws://HOST:PORT/ws, subscribers on /ws/stream,\n"
            "GET /health, /api/websocket/status, /metrics; the live view at GET /?token=JWT\n"
            "(a subscriber token).\n\n"
            "  --host H              listen address (default 0.0.0.0)       [DASHBOARD_HOST]\n"
            "  --port N              port; 0 picks a free one and prints\n"
            "                        \"listening on port N\" (default 8000)  [DASHBOARD_PORT]\n"
            "  --jwt-secret S        HS256 secret for the bearer tokens     [DASHBOARD_JWT_SECRET]\n"
            "  --journal PATH        append-only journal (default: none;\n"
            "                        then acks are sent at once)            [DASHBOARD_JOURNAL]\n"
            "  --history N           history ring capacity (default 100000) [DASHBOARD_HISTORY]\n"
            "  --max-message-bytes N largest frame, else close 1009 (65536) [DASHBOARD_MAX_MESSAGE_BYTES]\n"
            "  --schemas DIR         schema directory (default $WSB_SCHEMAS or schemas)\n"
            "  --fsync-ms N          journal write+fsync batch interval (5) [DASHBOARD_FSYNC_MS]\n"
            "  --slow-policy P       disconnect (close 1013) | drop (gap notice) (disconnect)\n"
            "                                                               [DASHBOARD_SLOW_POLICY]\n"
            "  --max-connections N   ws connections, else 503 (20000)       [DASHBOARD_MAX_CONNECTIONS]\n"
            "  --queue-limit N       frames a subscriber may lag behind (10000) [DASHBOARD_QUEUE_LIMIT]\n"
            "  --rate-limit R        messages/s per connection, 0 = none (0), else error\n"
            "                        \"rate\" and close 1008                  [DASHBOARD_RATE_LIMIT]\n"
            "  --idle-timeout S      close (1001) connections silent for S s; pinged at S/2;\n"
            "                        0 = never (120)                        [DASHBOARD_IDLE_TIMEOUT]\n"
            "  --max-depth N         JSON nesting limit (32)                [DASHBOARD_MAX_DEPTH]\n"
            "  --shutdown-ms N       bound on the SIGTERM drain (3000)\n"
            "  --max-seq-jump N      numbers a seq may skip (told as a gap); a larger jump\n"
            "                        is refused, error \"seq_jump\"; 0 = any (1000000)\n"
            "                                                               [DASHBOARD_MAX_SEQ_JUMP]\n"
            "  --command-rate R      commands/s a subscriber may send to bots, 0 = none\n"
            "                        (100), else error \"rate\"             [DASHBOARD_COMMAND_RATE]\n"
            "  --journal-buffer-max N bytes buffered while journal writes fail; then\n"
            "                        messages are refused, error \"store\" (67108864)\n"
            "                                                               [DASHBOARD_JOURNAL_BUFFER_MAX]\n"
            "  --message-timeout S   a started message must complete within S s, else\n"
            "                        close 1008; 0 = never (30)            [DASHBOARD_MESSAGE_TIMEOUT]\n"
            "  --handshake-timeout S a handshake must complete within S s (5)\n"
            "                                                               [DASHBOARD_HANDSHAKE_TIMEOUT]\n"
            "  --allowed-origins L   comma-separated Origins a browser may upgrade from;\n"
            "                        another Origin gets 403, none passes (any)\n"
            "                                                               [DASHBOARD_ALLOWED_ORIGINS]\n"
            "  --tls-cert FILE       serve TLS (wss://, https://) with this PEM certificate\n"
            "                        (chain); TLS 1.2 and later only; plain ws/http on the\n"
            "                        port is refused (handshake fails)        [DASHBOARD_TLS_CERT]\n"
            "  --tls-key FILE        its private key (PEM)                  [DASHBOARD_TLS_KEY]\n"
            "  --event-loop L        libev (epoll, needs libwebsockets-evlib-ev) | poll\n"
            "                        (libev, falling back to poll)          [DASHBOARD_EVENT_LOOP]\n"
            "  --help                this text\n"
            "Environment: LOG_LEVEL (error|warn|info|debug), WSB_SCHEMAS.\n\n"
            "Handshake: token in \"Authorization: Bearer\" or ?token=; 401 missing/invalid/\n"
            "expired/alg not HS256, 403 role does not fit the path, 503 too many connections\n"
            "or stopping. Close codes: 1009 too big, 1007 invalid UTF-8, 1003 binary frame,\n"
            "1008 rate limit, a message not completed in time or a subscriber's first frame\n"
            "not subscribe/resume, 1002 an unmasked client frame, 1013 slow consumer, 1001\n"
            "idle (no complete message or pong) or shutting down. Deeper JSON than --max-depth: an error\n"
            "frame (code json); the connection stays.\n");
}

/* The value of a flag: the command line's, else the environment's. */
static const char *envor(const char *v, const char *env)
{
    if (v)
        return v;
    const char *e = getenv(env);
    return e && *e ? e : NULL;
}

int main(int argc, char **argv)
{
    enum { O_HOST = 1, O_PORT, O_SECRET, O_JOURNAL, O_HISTORY, O_MAXMSG, O_SCHEMAS, O_FSYNC,
           O_SLOW, O_MAXCONN, O_QUEUE, O_RATE, O_IDLE, O_DEPTH, O_SHUTDOWN, O_LOOP, O_SEQJUMP, O_CMDRATE, O_JBUF, O_MSGTO, O_HSTO, O_TESTFAULT, O_ORIGINS, O_TLSCERT, O_TLSKEY, O_HELP,
           O_N };
    static const struct option opts[] = {
        {"host", required_argument, NULL, O_HOST},
        {"port", required_argument, NULL, O_PORT},
        {"jwt-secret", required_argument, NULL, O_SECRET},
        {"journal", required_argument, NULL, O_JOURNAL},
        {"history", required_argument, NULL, O_HISTORY},
        {"max-message-bytes", required_argument, NULL, O_MAXMSG},
        {"schemas", required_argument, NULL, O_SCHEMAS},
        {"fsync-ms", required_argument, NULL, O_FSYNC},
        {"slow-policy", required_argument, NULL, O_SLOW},
        {"max-connections", required_argument, NULL, O_MAXCONN},
        {"queue-limit", required_argument, NULL, O_QUEUE},
        {"rate-limit", required_argument, NULL, O_RATE},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"max-depth", required_argument, NULL, O_DEPTH},
        {"shutdown-ms", required_argument, NULL, O_SHUTDOWN},
        {"event-loop", required_argument, NULL, O_LOOP},
        {"max-seq-jump", required_argument, NULL, O_SEQJUMP},
        {"command-rate", required_argument, NULL, O_CMDRATE},
        {"journal-buffer-max", required_argument, NULL, O_JBUF},
        {"message-timeout", required_argument, NULL, O_MSGTO},
        {"handshake-timeout", required_argument, NULL, O_HSTO},
        {"test-fault", required_argument, NULL, O_TESTFAULT}, /* test-only, not in --help */
        {"allowed-origins", required_argument, NULL, O_ORIGINS},
        {"tls-cert", required_argument, NULL, O_TLSCERT},
        {"tls-key", required_argument, NULL, O_TLSKEY},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    const char *val[O_N] = {0};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == O_HELP || c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c <= 0 || c >= O_N) {
            usage(stderr);
            return 2;
        }
        val[c] = optarg;
    }
    if (optind < argc) {
        fprintf(stderr, "wsb-dashboard: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    wlog_init("wsb-dashboard");

    static dashboard d;
    dashboard_config *cfg = &d.cfg;
    long long v;
    char perr[160];
    cfg->host = envor(val[O_HOST], "DASHBOARD_HOST");
    cfg->jwt_secret = envor(val[O_SECRET], "DASHBOARD_JWT_SECRET");
    cfg->journal = envor(val[O_JOURNAL], "DASHBOARD_JOURNAL");
    cfg->allowed_origins = envor(val[O_ORIGINS], "DASHBOARD_ALLOWED_ORIGINS");
    cfg->schemas = contract_default_dir(val[O_SCHEMAS]);
    cfg->tls_cert = envor(val[O_TLSCERT], "DASHBOARD_TLS_CERT");
    cfg->tls_key = envor(val[O_TLSKEY], "DASHBOARD_TLS_KEY");
    if (!cfg->tls_cert != !cfg->tls_key) {
        fprintf(stderr, "wsb-dashboard: --tls-cert and --tls-key go together\n");
        return 2;
    }
#define NUMFLAG(idx, env, name, def, lo, hi, dst)                                              \
    do {                                                                                       \
        const char *s_ = envor(val[idx], env);                                                 \
        v = def;                                                                               \
        if (s_ && wparse_long(s_, lo, hi, &v, perr, sizeof perr)) {                            \
            fprintf(stderr, "wsb-dashboard: %s: %s\n", name, perr);                            \
            return 2;                                                                          \
        }                                                                                      \
        dst = v;                                                                               \
    } while (0)
    NUMFLAG(O_PORT, "DASHBOARD_PORT", "--port", 8000, 0, 65535, cfg->port);
    NUMFLAG(O_HISTORY, "DASHBOARD_HISTORY", "--history", 100000, 1, 100000000, cfg->history);
    NUMFLAG(O_MAXMSG, "DASHBOARD_MAX_MESSAGE_BYTES", "--max-message-bytes",
            CONTRACT_MAX_MESSAGE_BYTES, 64, 64L * 1024 * 1024, cfg->max_message);
    NUMFLAG(O_FSYNC, "DASHBOARD_FSYNC_MS", "--fsync-ms", 5, 0, 60000, cfg->fsync_ms);
    NUMFLAG(O_MAXCONN, "DASHBOARD_MAX_CONNECTIONS", "--max-connections", 20000, 1, 10000000,
            cfg->max_connections);
    NUMFLAG(O_QUEUE, "DASHBOARD_QUEUE_LIMIT", "--queue-limit", 10000, 1, 100000000,
            cfg->queue_limit);
    NUMFLAG(O_IDLE, "DASHBOARD_IDLE_TIMEOUT", "--idle-timeout", 120, 0, 86400 * 365,
            cfg->idle_timeout_s);
    NUMFLAG(O_DEPTH, "DASHBOARD_MAX_DEPTH", "--max-depth", WJSON_DEFAULT_MAX_DEPTH, 1, 10000,
            cfg->max_depth);
    NUMFLAG(O_SHUTDOWN, "DASHBOARD_SHUTDOWN_MS", "--shutdown-ms", 3000, 0, 600000,
            cfg->shutdown_ms);
    NUMFLAG(O_SEQJUMP, "DASHBOARD_MAX_SEQ_JUMP", "--max-seq-jump", 1000000, 0,
            9007199254740992LL, cfg->max_seq_jump);
    NUMFLAG(O_JBUF, "DASHBOARD_JOURNAL_BUFFER_MAX", "--journal-buffer-max", 64L * 1024 * 1024,
            4096, 1L << 40, cfg->journal_buffer_max);
    NUMFLAG(O_MSGTO, "DASHBOARD_MESSAGE_TIMEOUT", "--message-timeout", 30, 0, 86400,
            cfg->message_timeout_s);
    NUMFLAG(O_HSTO, "DASHBOARD_HANDSHAKE_TIMEOUT", "--handshake-timeout", 5, 1, 3600,
            cfg->handshake_timeout_s);
#undef NUMFLAG
    const char *rate = envor(val[O_RATE], "DASHBOARD_RATE_LIMIT");
    if (rate && wparse_double(rate, 0, DBL_MAX, &cfg->rate_limit, perr, sizeof perr)) {
        fprintf(stderr, "wsb-dashboard: --rate-limit: %s\n", perr);
        return 2;
    }
    cfg->command_rate = 100;
    const char *crate = envor(val[O_CMDRATE], "DASHBOARD_COMMAND_RATE");
    if (crate && wparse_double(crate, 0, DBL_MAX, &cfg->command_rate, perr, sizeof perr)) {
        fprintf(stderr, "wsb-dashboard: --command-rate: %s\n", perr);
        return 2;
    }
    const char *slow = envor(val[O_SLOW], "DASHBOARD_SLOW_POLICY");
    if (!slow || !strcmp(slow, "disconnect"))
        cfg->slow_policy = DASHBOARD_SLOW_DISCONNECT;
    else if (!strcmp(slow, "drop"))
        cfg->slow_policy = DASHBOARD_SLOW_DROP;
    else {
        fprintf(stderr, "wsb-dashboard: --slow-policy must be disconnect or drop\n");
        return 2;
    }
    const char *loop = envor(val[O_LOOP], "DASHBOARD_EVENT_LOOP");
    if (!loop || !strcmp(loop, "libev"))
        cfg->use_libev = 1;
    else if (strcmp(loop, "poll")) {
        fprintf(stderr, "wsb-dashboard: --event-loop must be libev or poll\n");
        return 2;
    }
    cfg->test_fault = val[O_TESTFAULT];
    if (cfg->test_fault && strcmp(cfg->test_fault, "replay_dup") &&
        strcmp(cfg->test_fault, "leak_fd") && strcmp(cfg->test_fault, "tls1") &&
        strcmp(cfg->test_fault, "tls_plain") && strcmp(cfg->test_fault, "slow_blocks")) {
        fprintf(stderr, "wsb-dashboard: --test-fault: unknown fault \"%s\"\n", cfg->test_fault);
        return 2;
    }
    if (!cfg->jwt_secret) {
        fprintf(stderr, "wsb-dashboard: --jwt-secret or DASHBOARD_JWT_SECRET is required\n");
        return 2;
    }
    if (cfg->journal_buffer_max < 2 * (cfg->max_message + 64))
        cfg->journal_buffer_max = 2 * (cfg->max_message + 64); /* a largest message always fits */
    if (cfg->queue_limit >= cfg->history && cfg->history > 1)
        cfg->queue_limit = cfg->history - 1; /* the ring is the queue */

    char err[256];
    if (dashboard_start(&d, err, sizeof err) != 0) {
        wlog_error("%s", err);
        dashboard_destroy(&d);
        return 1;
    }
    signal_ctx = d.ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    if (!d.evlib)
        sigaction(SIGINT, &sa, NULL); /* with libev, its SIGINT watcher does this */
    signal(SIGPIPE, SIG_IGN);

    printf("listening on port %d\n", d.port);
    fflush(stdout);
    wlog_info("listening on %s:%d (%s%s loop, history %zu, journal %s, max message %zu, "
              "slow policy %s)",
              cfg->host ? cfg->host : "0.0.0.0", d.port, cfg->tls_cert ? "TLS, " : "",
              d.evlib ? "libev" : "poll", cfg->history,
              cfg->journal ? cfg->journal : "none", cfg->max_message,
              cfg->slow_policy == DASHBOARD_SLOW_DROP ? "drop" : "disconnect");

    dashboard_run(&d);
    int left = dashboard_conn_count(&d);
    signal_ctx = NULL;
    dashboard_destroy(&d);
    wlog_info("stopped (%d connections were still open at the deadline)", left);
    return 0;
}
