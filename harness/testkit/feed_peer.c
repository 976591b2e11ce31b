/* feed-peer: a small WebSocket server on libwebsockets, loopback only, for
 * the tests and benchmarks of the performance suite (test-only; never
 * shipped).
 *
 *   feed-peer --feed FILE [--rate N] [--restamp]
 *                                      streams FILE's lines to every client
 *                                      as text frames, N a second (default
 *                                      2000), from the first line, then
 *                                      keeps the connection open: an
 *                                      exchange's market stream for
 *                                      performance.live_feed's tests
 *   --restamp                          moves every "E" and "T" (event and
 *                                      trade times, ms) so that the first
 *                                      line's "E" is the moment its
 *                                      client's stream began: a recording
 *                                      looks live, and its stale lines
 *                                      stay stale by as much
 *   feed-peer --echo                   sends every message back as it came:
 *                                      the C echo bench-echo measures the
 *                                      harness's round trip against
 *
 * Prints "listening on port N" when ready; exits after 300 s at most. */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wclock.h"

#define FEED_MAX_LINES 200000
#define FEED_MAX_MESSAGE 65536
#define FEED_LIFETIME_S 300

static char **lines;
static size_t nlines;
static double rate = 2000;
static int echo, restamp;

typedef struct session {
    size_t next;          /* feed: the next line */
    int64_t start_us;     /* feed: when the stream began */
    int64_t shift_ms;     /* feed --restamp: added to "E" and "T" */
    unsigned char *buf;   /* echo: the message being assembled / sent back */
    size_t len;
    int binary, pending;
} session;

static int load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t l;
    lines = calloc(FEED_MAX_LINES, sizeof(*lines));
    while (lines && nlines < FEED_MAX_LINES && (l = getline(&line, &cap, f)) > 0) {
        while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = 0;
        if (l)
            lines[nlines++] = strdup(line);
    }
    free(line);
    fclose(f);
    return lines && nlines ? 0 : -1;
}

/* The first "E" of a line, or 0. */
static long long event_ms(const char *line)
{
    const char *e = strstr(line, "\"E\":");
    return e ? strtoll(e + 4, NULL, 10) : 0;
}

/* line with shift added to its "E" and "T" numbers, into out. */
static size_t shifted(const char *line, long long shift, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = line; *p && o + 24 < cap;) {
        if ((!strncmp(p, "\"E\":", 4) || !strncmp(p, "\"T\":", 4)) && p[4] >= '0' && p[4] <= '9') {
            char *end;
            long long v = strtoll(p + 4, &end, 10);
            o += (size_t)snprintf(out + o, cap - o, "%.4s%lld", p, v + shift);
            p = end;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
    return o;
}

static int write_frame(struct lws *wsi, const void *p, size_t n, int binary)
{
    unsigned char *b = malloc(LWS_PRE + n + 1);
    if (!b)
        return -1;
    memcpy(b + LWS_PRE, p, n);
    int w = lws_write(wsi, b + LWS_PRE, n, binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    free(b);
    return w < (int)n ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    session *s = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(s, 0, sizeof(*s));
        s->start_us = wclock_mono_us();
        s->shift_ms = restamp && nlines ? wclock_real_us() / 1000 - event_ms(lines[0]) : 0;
        if (!echo)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_RECEIVE:
        if (!echo)
            break;
        if (s->pending || s->len + len > FEED_MAX_MESSAGE)
            return -1; /* a client of the echo sends one message at a time */
        if (lws_is_first_fragment(wsi))
            s->len = 0;
        unsigned char *nb = realloc(s->buf, s->len + len + 1);
        if (!nb)
            return -1;
        s->buf = nb;
        memcpy(s->buf + s->len, in, len);
        s->len += len;
        s->binary = lws_frame_is_binary(wsi);
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            s->pending = 1;
            lws_callback_on_writable(wsi);
        }
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (echo) {
            if (s->pending && write_frame(wsi, s->buf, s->len, s->binary) < 0)
                return -1;
            s->pending = 0;
            break;
        }
        /* what is due goes out (a few lines per turn), then a timer for the next */
        for (int k = 0; k < 64 && s->next < nlines; k++) {
            int64_t due = s->start_us + (int64_t)((double)s->next * 1e6 / rate);
            int64_t now = wclock_mono_us();
            if (now < due) {
                lws_set_timer_usecs(wsi, due - now);
                return 0;
            }
            char out[FEED_MAX_MESSAGE];
            size_t n = shifted(lines[s->next], s->shift_ms, out, sizeof(out));
            if (write_frame(wsi, out, n, 0) < 0)
                return -1;
            s->next++;
            if (lws_send_pipe_choked(wsi))
                break;
        }
        if (s->next < nlines)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_TIMER:
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLOSED:
        free(s->buf);
        s->buf = NULL;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"feed", callback, sizeof(session), FEED_MAX_MESSAGE, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    const char *feed = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--echo"))
            echo = 1;
        else if (!strcmp(argv[i], "--feed") && i + 1 < argc)
            feed = argv[++i];
        else if (!strcmp(argv[i], "--restamp"))
            restamp = 1;
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: feed-peer --feed FILE [--rate N] [--restamp] | --echo\n");
            return 2;
        }
    }
    if (echo == !!feed || rate <= 0 || (feed && load(feed) < 0)) {
        fprintf(stderr, "feed-peer: give --echo or --feed FILE (readable, not empty), rate > 0\n");
        return 2;
    }
    lws_set_log_level(LLL_ERR, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = 0;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    struct lws_context *ctx = lws_create_context(&info);
    struct lws_vhost *vh = ctx ? lws_get_vhost_by_name(ctx, "default") : NULL;
    if (!vh) {
        fprintf(stderr, "feed-peer: cannot listen\n");
        return 1;
    }
    printf("listening on port %d\n", lws_get_vhost_listen_port(vh));
    fflush(stdout);
    int64_t end = wclock_mono_us() + FEED_LIFETIME_S * 1000000LL;
    while (wclock_mono_us() < end && lws_service(ctx, 0) >= 0)
        ;
    lws_context_destroy(ctx);
    for (size_t i = 0; i < nlines; i++)
        free(lines[i]);
    free(lines);
    return 0;
}
