/* connectivity: the connectivity suite.
 *
 * Handshake; authentication accepted and each refusal (no token, malformed,
 * alg none, bad signature, expired -> 401; wrong role -> 403) on both
 * endpoints, each case on its own connection; a message exchange
 * through the dashboard as a test publisher with its own source; ping/pong
 * round trips; many concurrent connections with connect-time statistics; a
 * capacity ramp; close codes (the server's answer 1000 to our 1000, 1001
 * when the server shuts down). The message-size limit is in
 * connectivity_limits.c.
 *
 * Budgets are thresholds (threshold.h) judged at the end of the test that
 * measures them: ping_rtt (ping_pong), connect_time and conn_target
 * (concurrent), capacity_success (capacity_ramp).
 *
 * Every check is a function returning PASS/FAIL/SKIP/BREACH with a message
 * (see connectivity.h); the CUnit tests at the bottom only wrap them. */
#include "connectivity.h"
#include "connectivity_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "flowcheck.h"
#include "jwt.h"
#include "threshold.h"
#include "wclock.h"

/* The test publisher's own source, distinct from the bot's. */
void connectivity_test_source(char *buf, size_t len)
{
    snprintf(buf, len, "conn-test-%d", (int)getpid());
}

check_result connectivity_check_handshake(const suite_ctx *ctx, char *msg, size_t len)
{
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %s", err);
    check_result r = CHECK_PASS;
    const char *paths[2] = {BRIDGE_SUBSCRIBER_PATH, BRIDGE_PUBLISHER_PATH};
    const char *roles[2] = {"subscriber", "publisher"};
    char sub[64];
    connectivity_test_source(sub, sizeof(sub));
    for (int i = 0; i < 2 && r == CHECK_PASS; i++) {
        char url[300];
        bridge_url(ctx, paths[i], url, sizeof(url));
        char *tok = bridge_token(ctx, roles[i], sub, 120);
        if (!tok) {
            r = bridge_skip(msg, len, "no %s token (give --jwt-secret or --%s-token)", roles[i],
                             roles[i]);
            break;
        }
        wsconn_opts o = {.url = url, .token = tok, .name = url};
        wsconn *k = wsclient_connect(c, &o, err, sizeof(err));
        if (!k || wsconn_wait_open(c, k, OPEN_TIMEOUT_MS, err, sizeof(err)) < 0) {
            r = bridge_fail(msg, len, "handshake with %s failed: %s", url, err);
        } else if (wsconn_http_status(k) != 101) {
            r = bridge_fail(msg, len, "handshake with %s: HTTP %d, want 101", url,
                             wsconn_http_status(k));
        } else {
            char name[64];
            snprintf(name, sizeof(name), "handshake_%s_ms", roles[i]);
            suite_metric(name, (double)wsconn_connect_us(k) / 1000.0, "ms");
        }
        if (k)
            wsconn_free(c, k);
        free(tok);
    }
    if (r == CHECK_PASS)
        snprintf(msg, len, "subscriber and publisher endpoints upgraded (HTTP 101)");
    wsclient_free(c);
    return r;
}

/* A token whose header says alg "none" and whose claims are the given
 * token's (no signature): malloc'd, or NULL. */
static char *alg_none_token(const char *from)
{
    const char *dot = from ? strchr(from, '.') : NULL;
    const char *end = dot ? strchr(dot + 1, '.') : NULL;
    if (!end)
        return NULL;
    char *t = NULL; /* {"alg":"none","typ":"JWT"} */
    if (asprintf(&t, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%.*s.", (int)(end - dot - 1), dot + 1) <
        0)
        return NULL;
    return t;
}

check_result connectivity_check_auth(const suite_ctx *ctx, char *msg, size_t len)
{
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %s", err);
    const char *secret = ctx->jwt_secret && ctx->jwt_secret[0] ? ctx->jwt_secret : NULL;
    static const struct {
        const char *path, *role, *other_role, *sub;
    } ends[] = {
        {BRIDGE_SUBSCRIBER_PATH, "subscriber", "publisher", "conn-auth"},
        {BRIDGE_PUBLISHER_PATH, "publisher", "subscriber", "conn-auth-pub"},
    };
    size_t off = 0;
    int bad = 0, tried = 0;
    msg[0] = '\0';
    /* every case on both endpoints, each on its own connection */
    for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++) {
        char *good = bridge_token(ctx, ends[e].role, ends[e].sub, 120);
        char *badsig = NULL, *expired = NULL, *wrongrole = NULL, *none = alg_none_token(good);
        if (secret) {
            char other[512];
            snprintf(other, sizeof(other), "%s-not-the-secret", secret);
            badsig = jwt_sign(other, ends[e].sub, ends[e].role, 120);
            expired = jwt_sign(secret, ends[e].sub, ends[e].role, -120);
            wrongrole = jwt_sign(secret, ends[e].sub, ends[e].other_role, 120);
        }
        struct {
            const char *what, *token;
            int want;
        } cases[] = {
            {"no token", NULL, 401},
            {"malformed token", "not-a.jwt", 401},
            {"alg none (unsigned)", none, 401},
            {"bad signature", badsig, 401},
            {"expired token", expired, 401},
            {"wrong role", wrongrole, 403},
            {"valid token", good, 101},
        };
        char url[300];
        bridge_url(ctx, ends[e].path, url, sizeof(url));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            if (i >= 2 && !cases[i].token)
                continue; /* needs the secret (or, for the valid one, a token) */
            tried++;
            wsconn_opts o = {.url = url, .token = cases[i].token, .name = cases[i].what};
            wsconn *k = wsclient_connect(c, &o, err, sizeof(err));
            int status = 0;
            if (k) {
                wsconn_wait_open(c, k, OPEN_TIMEOUT_MS, err, sizeof(err));
                status = wsconn_http_status(k);
            }
            if (status != cases[i].want) {
                bad++;
                int w;
                if (status == 101)
                    w = snprintf(msg + off, len - off, "%s%s on %s: accepted (HTTP 101), want %d",
                                 off ? "; " : "", cases[i].what, ends[e].path, cases[i].want);
                else
                    w = snprintf(msg + off, len - off, "%s%s on %s: HTTP %d, want %d (%s)",
                                 off ? "; " : "", cases[i].what, ends[e].path, status,
                                 cases[i].want, k ? wsconn_error(k) : err);
                if (w > 0 && off + (size_t)w < len)
                    off += (size_t)w;
            }
            if (k)
                wsconn_free(c, k);
        }
        free(good);
        free(none);
        free(badsig);
        free(expired);
        free(wrongrole);
    }
    wsclient_free(c);
    suite_metric("auth_cases", tried, "cases");
    if (bad)
        return CHECK_FAIL;
    if (!secret)
        return bridge_skip(msg, len,
                            "only no-token, malformed and alg-none refusals tried (on /ws and "
                            "/ws/stream): bad signature, expired and wrong role need --jwt-secret");
    snprintf(msg, len, "%d cases on /ws and /ws/stream answered as expected", tried);
    return CHECK_PASS;
}

check_result connectivity_check_exchange(const suite_ctx *ctx, char *msg, size_t len)
{
    check_result r = CHECK_PASS;
    wsclient *c = bridge_publishing_client(ctx, msg, len, &r);
    if (!c)
        return r;
    char err[512], mysrc[64];
    connectivity_test_source(mysrc, sizeof(mysrc));
    flowcheck *f = NULL;
    char **sent = calloc(CONTRACT_NUM_TYPES, sizeof(*sent));
    size_t sentlen[CONTRACT_NUM_TYPES];
    wsconn *sub = NULL, *pub = NULL;
    int64_t last = 0;
    if ((r = bridge_test_pair(c, ctx, NULL, mysrc, sizeof(mysrc), &sub, &pub, &last,
                              OPEN_TIMEOUT_MS, msg, len)) != CHECK_PASS)
        goto out;
    /* one message of every type, each acked, each relayed unchanged */
    for (int i = 0; i < CONTRACT_NUM_TYPES && r == CHECK_PASS; i++) {
        int64_t seq = last + 1 + i;
        sent[i] = bridge_envelope(i, mysrc, seq, 0, &sentlen[i]);
        int pr = bridge_publish(c, pub, sent[i], sentlen[i], seq, 5000, err, sizeof(err));
        if (pr != 0) {
            r = bridge_fail(msg, len, "publish of a valid %s (seq %lld) %s: %s", contract_types[i],
                             (long long)seq, pr > 0 ? "refused" : "not acked", err);
            break;
        }
        bridge_srcseq w = {mysrc, seq};
        wsconn_set_cursor(sub, 0);
        const wsmsg *m = wsconn_expect(c, sub, bridge_is_srcseq, &w, 5000, NULL, err,
                                       sizeof(err));
        if (!m) {
            r = bridge_fail(msg, len, "%s#%lld (%s) never reached the subscriber (lost): %s",
                             mysrc, (long long)seq, contract_types[i], err);
            break;
        }
        if (flowcheck_same_envelope(sent[i], sentlen[i], m->text, m->len, err,
                                    sizeof(err)) < 0) {
            r = bridge_fail(msg, len, "%s#%lld (%s): %s", mysrc, (long long)seq, contract_types[i],
                             err);
            break;
        }
    }
    if (r != CHECK_PASS)
        goto out;
    /* let anything still in flight arrive, then judge all our frames together */
    wsconn_ping(c, sub, 2000, NULL, err, sizeof(err));
    wsclient_run_for(c, 200);
    f = flowcheck_new(ctx->contract, FLOWCHECK_SCHEMA);
    flowcheck_expect_from(f, mysrc, last);
    char needle[96];
    snprintf(needle, sizeof(needle), "\"%s\"", mysrc);
    for (size_t i = 0; i < wsconn_count(sub); i++) {
        const wsmsg *m = wsconn_msg(sub, i);
        if (strstr(m->text, needle))
            flowcheck_feed(f, m->text, m->len);
    }
    char probs[1024];
    if (flowcheck_problems(f, probs, sizeof(probs)))
        r = bridge_fail(msg, len, "subscriber stream of %s: %s", mysrc, probs);
    else if (flowcheck_unique(f, mysrc) != CONTRACT_NUM_TYPES)
        r = bridge_fail(msg, len, "subscriber got %llu distinct messages of %s, want %d",
                         (unsigned long long)flowcheck_unique(f, mysrc), mysrc, CONTRACT_NUM_TYPES);
    else
        snprintf(msg, len, "%d messages published, acked and relayed unchanged",
                 CONTRACT_NUM_TYPES);
out:
    for (int i = 0; i < CONTRACT_NUM_TYPES; i++)
        free(sent[i]);
    free(sent);
    flowcheck_free(f);
    wsclient_free(c);
    return r;
}

check_result connectivity_check_ping_pong(const suite_ctx *ctx, char *msg, size_t len)
{
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %s", err);
    check_result r = CHECK_PASS;
    enum { N = 100 };
    double rtt[N];
    wsconn_opts keep_none = {.keep_messages = -1};
    wsconn *k = bridge_subscriber(c, ctx, NULL, &keep_none, OPEN_TIMEOUT_MS, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %s", err);
        goto out;
    }
    for (int i = 0; i < N; i++) {
        int64_t us = 0;
        if (wsconn_ping(c, k, 2000, &us, err, sizeof(err)) < 0) {
            r = bridge_fail(msg, len, "ping %d of %d: %s", i + 1, N, err);
            goto out;
        }
        rtt[i] = (double)us;
    }
    double p50 = bridge_percentile(rtt, N, 50), p99 = bridge_percentile(rtt, N, 99);
    suite_metric("ping_rtt_p50_us", p50, "us");
    suite_metric("ping_rtt_p99_us", p99, "us");
    suite_metric("ping_rtt_max_us", rtt[N - 1], "us");
    char why[300];
    if (threshold_judge_trend(ctx->thresholds, "ping_rtt", rtt, N, why, sizeof(why)))
        r = bridge_breach(msg, len, "%s (%d pings: p50 %.0f us, max %.0f us)", why, N, p50,
                          rtt[N - 1]);
    else
        snprintf(msg, len, "%d pings: p50 %.0f us, p99 %.0f us", N, p50, p99);
out:
    wsclient_free(c);
    return r;
}

/* Per concurrent connection: when it opened, its first message, how many. */
typedef struct conn_rec {
    int64_t first_us;
    int n;
} conn_rec;

/* Counts real envelopes only (a source and a seq): error and gap frames do
 * not bring a connection nearer its target. */
static void count_cb(wsconn *k, const wsmsg *m, void *arg)
{
    (void)arg;
    conn_rec *r = wsconn_get_user(k);
    if (!r || m->binary || !strstr(m->text, "\"seq\"") || !strstr(m->text, "\"source\""))
        return;
    cJSON *j = cJSON_ParseWithLength(m->text, m->len);
    const cJSON *seq = j ? cJSON_GetObjectItemCaseSensitive(j, "seq") : NULL;
    const cJSON *ty = j ? cJSON_GetObjectItemCaseSensitive(j, "type") : NULL;
    int envelope = cJSON_IsNumber(seq) && cJSON_IsString(ty) &&
                   contract_type_index(ty->valuestring) >= 0;
    cJSON_Delete(j);
    if (envelope && !r->n++)
        r->first_us = m->rx_mono_us - wsconn_opened_mono_us(k);
}

typedef struct target_arg {
    wsconn **v;
    conn_rec *rec;
    int n, target;
} target_arg;

static int all_have_target(void *arg)
{
    target_arg *a = arg;
    for (int i = 0; i < a->n; i++)
        if (a->v[i] && wsconn_get_state(a->v[i]) == WSCONN_OPEN && a->rec[i].n < a->target)
            return 0;
    return 1;
}

#define TARGET_MESSAGES 5     /* messages each concurrent connection must receive */
#define TARGET_TIMEOUT_MS 10000

check_result connectivity_check_concurrent(const suite_ctx *ctx, char *msg, size_t len)
{
    int n = ctx->profile.concurrent_conns > 0 ? ctx->profile.concurrent_conns : 500;
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %.400s", err);
    char url[300];
    bridge_url(ctx, BRIDGE_SUBSCRIBER_PATH, url, sizeof(url));
    char *tok = bridge_token(ctx, "subscriber", "conn-many", 600);
    wsconn_opts o = {.url = url, .token = tok, .name = "concurrent", .keep_messages = -1,
                     .on_message = count_cb};
    wsconn **v = calloc((size_t)n, sizeof(*v));
    conn_rec *rec = calloc((size_t)n, sizeof(*rec));
    double *t = calloc((size_t)n, sizeof(*t));
    check_result r = CHECK_PASS;
    if (!v || !rec || !t) {
        r = bridge_fail(msg, len, "out of memory");
        goto out;
    }
    int64_t t0 = wclock_mono_us();
    /* start them all, then service: the connect times overlap */
    for (int i = 0; i < n; i++) {
        v[i] = wsclient_connect(c, &o, NULL, 0);
        if (v[i])
            wsconn_set_user(v[i], &rec[i]);
    }
    int open = 0, nt = 0;
    int64_t deadline = t0 + 30 * 1000000LL;
    for (;;) {
        int pending = 0;
        for (int i = 0; i < n; i++)
            pending += v[i] && wsconn_get_state(v[i]) == WSCONN_CONNECTING;
        if (!pending || wclock_mono_us() > deadline)
            break;
        wsclient_service(c, 20);
    }
    double wall = (double)(wclock_mono_us() - t0) / 1000.0;
    char first[512] = "";
    for (int i = 0; i < n; i++) {
        if (v[i] && wsconn_get_state(v[i]) == WSCONN_OPEN) {
            open++;
            t[nt++] = (double)wsconn_connect_us(v[i]); /* us until the judging */
        } else if (!first[0]) {
            snprintf(first, sizeof(first), "%.400s",
                     v[i] ? (wsconn_error(v[i])[0] ? wsconn_error(v[i])
                                                   : wsconn_state_name(wsconn_get_state(v[i])))
                          : "could not start");
        }
    }
    double rate = 100.0 * open / n;
    suite_metric("concurrent_connections", n, "conns");
    suite_metric("concurrent_success_rate", rate, "%");
    suite_metric("concurrent_wall_ms", wall, "ms");
    char breach[600] = "", why[300];
    if (nt) {
        double sum = 0;
        for (int i = 0; i < nt; i++)
            sum += t[i];
        suite_metric("connect_ms_avg", sum / nt / 1000.0, "ms");
        suite_metric("connect_ms_p50", bridge_percentile(t, (size_t)nt, 50) / 1000.0, "ms");
        suite_metric("connect_ms_p95", bridge_percentile(t, (size_t)nt, 95) / 1000.0, "ms");
        suite_metric("connect_ms_p99", bridge_percentile(t, (size_t)nt, 99) / 1000.0, "ms");
        suite_metric("connect_ms_min", t[0] / 1000.0, "ms");
        suite_metric("connect_ms_max", t[nt - 1] / 1000.0, "ms");
    }
    if (open < n) {
        r = bridge_fail(msg, len,
                         "%d of %d concurrent connections failed (success %.1f%%); first: %s",
                         n - open, n, rate, first);
        goto out;
    }
    if (threshold_judge_trend(ctx->thresholds, "connect_time", t, (size_t)nt, why, sizeof(why)))
        snprintf(breach, sizeof(breach), "%s", why);
    size_t off = (size_t)snprintf(msg, len, "%d/%d open, connect p50 %.1f ms, max %.1f ms",
                                  open, n, bridge_percentile(t, (size_t)nt, 50) / 1000.0,
                                  t[nt - 1] / 1000.0);
    /* each connection gets its target of envelopes: whatever publishes on the
       wire (the bot, or any other source) is enough, no status endpoint needed */
    const char *sj = "{\"type\":\"subscribe\"}";
    for (int i = 0; i < n; i++)
        wsconn_send_text(c, v[i], sj, strlen(sj), NULL, 0);
    target_arg ta = {v, rec, n, TARGET_MESSAGES};
    wsclient_run_until(c, all_have_target, &ta, TARGET_TIMEOUT_MS);
    int reached = 0, none = 0;
    nt = 0;
    for (int i = 0; i < n; i++) {
        reached += rec[i].n >= TARGET_MESSAGES;
        none += rec[i].n == 0;
        if (rec[i].n)
            t[nt++] = (double)rec[i].first_us / 1000.0;
    }
    suite_metric("connections_reaching_target", reached, "conns");
    if (nt) {
        suite_metric("first_message_ms_p50", bridge_percentile(t, (size_t)nt, 50), "ms");
        suite_metric("first_message_ms_p99", bridge_percentile(t, (size_t)nt, 99), "ms");
    }
    if (none == n) {
        r = bridge_fail(msg, len,
                         "none of the %d connections received an envelope within %d s: nothing "
                         "is published on the wire, so messages per connection cannot be "
                         "measured",
                         n, TARGET_TIMEOUT_MS / 1000);
        goto out;
    }
    if (threshold_judge_rate(ctx->thresholds, "conn_target", reached, n, why, sizeof(why))) {
        size_t b = strlen(breach);
        snprintf(breach + b, sizeof(breach) - b,
                 "%s%s: %d of %d connections got fewer than %d envelopes within %d s (%d got "
                 "none)",
                 b ? "; " : "", why, n - reached, n, TARGET_MESSAGES, TARGET_TIMEOUT_MS / 1000,
                 none);
    }
    if (breach[0])
        r = bridge_breach(msg, len, "%s", breach);
    else if (off < len)
        snprintf(msg + off, len - off, "; %d of %d got %d envelopes, first after p50 %.1f ms",
                 reached, n, TARGET_MESSAGES, bridge_percentile(t, (size_t)nt, 50));
out:
    free(v);
    free(rec);
    free(t);
    free(tok);
    wsclient_free(c);
    return r;
}

check_result connectivity_check_capacity_ramp(const suite_ctx *ctx, char *msg, size_t len)
{
    int step = ctx->profile.ramp_step > 0 ? ctx->profile.ramp_step : 100;
    int ceiling = ctx->profile.ramp_ceiling > 0 ? ctx->profile.ramp_ceiling : 2000;
    char err[512];
    /* our own descriptor limit must not be what the ramp measures: raise
     * the soft limit to the hard one (lws sizes its table at context creation) */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)ceiling + 64 > rl.rlim_cur) {
        suite_log("capacity ramp: the harness may open only %llu files; the ramp is capped there",
                  (unsigned long long)rl.rlim_cur);
        suite_metric("client_fd_limit", (double)rl.rlim_cur, "fds");
    }
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %.400s", err);
    char url[300];
    bridge_url(ctx, BRIDGE_SUBSCRIBER_PATH, url, sizeof(url));
    char *tok = bridge_token(ctx, "subscriber", "conn-ramp", 600);
    wsconn_opts o = {.url = url, .token = tok, .name = "ramp", .keep_messages = -1};
    wsconn **v = calloc((size_t)ceiling + (size_t)step, sizeof(*v));
    int last_good = 0, level = 0, have = 0, worst_open = 0, worst_level = 0;
    double rate = 100.0, worst = 2.0;
    char first[512] = "";
    /* Step up to the ceiling (the expected capacity) while holding what is
     * open: each level adds step connections (so the ramp costs ceiling
     * connections, not the sum of all levels) and counts how many of all of
     * them are open. The first step below the capacity_success floor is the
     * knee: the ramp stops there and the threshold judges that step. */
    while (v && level + step <= ceiling) {
        level += step;
        wsclient_connect_many(c, &o, step, v + have, 20000);
        have += step;
        int open = 0;
        for (int i = 0; i < have; i++) {
            if (v[i] && wsconn_get_state(v[i]) == WSCONN_OPEN)
                open++;
            else if (!first[0])
                snprintf(first, sizeof(first), "%.400s",
                         v[i] ? (wsconn_error(v[i])[0] ? wsconn_error(v[i])
                                                       : wsconn_state_name(wsconn_get_state(v[i])))
                              : "could not start");
        }
        double frac = (double)open / level;
        rate = 100.0 * frac;
        suite_log("capacity ramp: %d connections held, %.1f%% open", level, rate);
        if (frac < worst) {
            worst = frac;
            worst_open = open;
            worst_level = level;
        }
        if (!threshold_met_all(ctx->thresholds, "capacity_success", frac))
            break;
        last_good = level;
    }
    for (int i = 0; v && i < have; i++)
        if (v[i])
            wsconn_close(c, v[i], 1000, NULL);
    for (int i = 0; v && i < have; i++)
        if (v[i])
            wsconn_wait_closed(c, v[i], 3000, NULL, 0);
    free(v);
    free(tok);
    wsclient_free(c);
    suite_metric("capacity_last_good", last_good, "conns");
    suite_metric("capacity_ceiling", ceiling, "conns");
    suite_metric("capacity_knee", last_good, "conns");
    if (!worst_level)
        return bridge_fail(msg, len, "the ramp did not run (step %d, ceiling %d)", step, ceiling);
    char why[300];
    if (threshold_judge_rate(ctx->thresholds, "capacity_success", worst_open, worst_level, why,
                             sizeof(why)))
        return bridge_breach(msg, len,
                             "%s: at %d connections only %d were open (%.1f%%), before the "
                             "expected capacity %d; the knee (last good level) is %d; first "
                             "refusal: %s",
                             why, worst_level, worst_open, 100.0 * worst, ceiling, last_good,
                             first);
    snprintf(msg, len, "every step up to %d (the expected capacity) held; the lowest success "
                       "rate was %.1f%% at %d",
             last_good, 100.0 * worst, worst_level);
    return CHECK_PASS;
}

check_result connectivity_check_close_normal(const suite_ctx *ctx, char *msg, size_t len)
{
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %s", err);
    check_result r = CHECK_PASS;
    wsconn_opts keep_none = {.keep_messages = -1};
    wsconn *k = bridge_subscriber(c, ctx, NULL, &keep_none, OPEN_TIMEOUT_MS, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %s", err);
        goto out;
    }
    int64_t t0 = wclock_mono_us();
    wsconn_close(c, k, 1000, "normal closure");
    /* the engine writes our close frame itself, so the server's answer is
     * seen: a close frame with 1000, not a dropped TCP connection */
    if (wsconn_wait_closed(c, k, (WSCLIENT_CLOSE_WAIT_S + 2) * 1000, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "close 1000 not completed within %d s: %s",
                        WSCLIENT_CLOSE_WAIT_S + 2, err);
        goto out;
    }
    double ms = (double)(wclock_mono_us() - t0) / 1000.0;
    int code = wsconn_close_code(k);
    if (code == WSCLIENT_CLOSE_ABNORMAL) {
        r = bridge_fail(msg, len,
                        "the server answered our close 1000 with no close frame: it %s after "
                        "%.0f ms (1006), want its close frame with 1000",
                        ms >= WSCLIENT_CLOSE_WAIT_S * 1000.0 ? "never answered and we gave up"
                                                             : "dropped the TCP connection",
                        ms);
        goto out;
    }
    if (code != 1000) {
        r = bridge_fail(msg, len,
                        "the server answered our close 1000 with close code %d \"%s\", want "
                        "1000",
                        code, wsconn_close_reason(k));
        goto out;
    }
    suite_metric("close_handshake_ms", ms, "ms");
    snprintf(msg, len, "close 1000 answered by the server's close frame with 1000 in %.1f ms",
             ms);
out:
    wsclient_free(c);
    return r;
}

check_result connectivity_check_close_shutdown(const suite_ctx *ctx, char *msg, size_t len)
{
    if (!ctx->env || !envdriver_has(ctx->env, ENV_CAP_PROCESS))
        return bridge_skip(msg, len,
                            "needs process control of the dashboard (the %s driver has none)",
                            ctx->env ? envdriver_name(ctx->env) : "missing");
    char err[512];
    wsclient *c = bridge_client(ctx, err, sizeof(err));
    if (!c)
        return bridge_fail(msg, len, "client: %s", err);
    check_result r = CHECK_PASS;
    wsconn_opts keep_none = {.keep_messages = -1};
    wsconn *k = bridge_subscriber(c, ctx, NULL, &keep_none, OPEN_TIMEOUT_MS, err, sizeof(err));
    if (!k) {
        r = bridge_fail(msg, len, "subscriber: %s", err);
        goto out;
    }
    if (envdriver_stop(ctx->env, ENV_DASHBOARD, 10000, err, sizeof(err)) < 0) {
        r = bridge_fail(msg, len, "stopping the dashboard: %s", err);
        goto restart;
    }
    if (wsconn_wait_closed(c, k, 5000, err, sizeof(err)) < 0)
        r = bridge_fail(msg, len, "connection still open after the dashboard stopped: %s", err);
    else if (wsconn_close_code(k) != 1001)
        r = bridge_fail(msg, len,
                         "dashboard shutdown closed with %d \"%s\", want 1001 (going away)",
                         wsconn_close_code(k), wsconn_close_reason(k));
    else
        snprintf(msg, len, "shutdown closed with 1001 \"%s\"", wsconn_close_reason(k));
restart:
    if (envdriver_start(ctx->env, ENV_DASHBOARD, err, sizeof(err)) < 0 ||
        envdriver_wait_healthy(ctx->env, ENV_DASHBOARD, 20000, err, sizeof(err)) < 0) {
        if (r == CHECK_PASS)
            r = bridge_fail(msg, len, "restarting the dashboard: %s", err);
        else {
            size_t l = strlen(msg);
            snprintf(msg + l, len - l, "; restarting the dashboard: %s", err);
        }
    } else if (envdriver_has(ctx->env, ENV_CAP_BOT)) {
        /* leave the system as found: wait (bounded) for the bot to reconnect */
        int64_t until = wclock_mono_us() + 20 * 1000000LL;
        while (wclock_mono_us() < until) {
            int absent = 0;
            cJSON *bs = bridge_bot_status(ctx, &absent, err, sizeof(err));
            const cJSON *cn = bs ? cJSON_GetObjectItemCaseSensitive(bs, "connected") : NULL;
            int up = cJSON_IsTrue(cn);
            cJSON_Delete(bs);
            if (up || absent)
                break;
            wsclient_run_for(c, 200);
        }
    }
out:
    wsclient_free(c);
    return r;
}

/* ---- CUnit wrappers --------------------------------------------------------- */

BRIDGE_TEST(connectivity, handshake)
BRIDGE_TEST(connectivity, auth)
BRIDGE_TEST(connectivity, exchange)
BRIDGE_TEST(connectivity, ping_pong)
BRIDGE_TEST(connectivity, concurrent)
BRIDGE_TEST(connectivity, capacity_ramp)
BRIDGE_TEST(connectivity, large_messages)
BRIDGE_TEST(connectivity, close_normal)
BRIDGE_TEST(connectivity, close_shutdown)

static CU_TestInfo tests[] = {
    {"handshake", test_handshake},
    {"auth", test_auth},
    {"exchange", test_exchange},
    {"ping_pong", test_ping_pong},
    {"concurrent", test_concurrent},
    {"capacity_ramp", test_capacity_ramp},
    {"large_messages", test_large_messages},
    {"close_normal", test_close_normal},
    {"close_shutdown", test_close_shutdown},
    CU_TEST_INFO_NULL,
};

const suite_def suite_connectivity = {
    .name = "connectivity",
    .description = "handshake, auth, exchange, ping/pong, concurrency, capacity, sizes, close codes",
    .init = NULL,
    .cleanup = NULL,
    .tests = tests,
};
