/* loadcmd: command round trips in batches, each tracked from submission to
 * its command_ack "done", with the bot's queue depth sampled alongside (see
 * loadcmd.h). Built on wsclient (one connection: the rate is the bot's, not
 * the reader's) and httpc for the status document. */
#include "loadcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpc.h"
#include "wclock.h"
#include "wjson.h"
#include "wsclient.h"

enum { CMD_PENDING, CMD_DONE, CMD_REJECTED };

typedef struct cmdrun {
    const loadcmd_cfg *cfg;
    loadcmd_result *r;
    int64_t *sent_us;   /* by command number: when it was queued (monotonic) */
    uint8_t *state;     /* CMD_* by command number */
    long pending;       /* commands of the current batch not answered yet */
    long batch_first;   /* the current batch's first command number */
    int64_t last_answer_us;
    char prefix[48];
    size_t plen;
} cmdrun;

static void note_error(loadcmd_result *r, const char *fmt, const char *a, const char *b)
{
    if (!r->first_error[0])
        snprintf(r->first_error, sizeof r->first_error, fmt, a, b);
}

/* Command number from "<prefix>-<n>"; -1 for our prefix with a number this
 * run never sent; -2 for another client's id (left alone). */
static long cmd_number(const cmdrun *k, const char *id)
{
    if (strncmp(id, k->prefix, k->plen) || id[k->plen] != '-')
        return -2;
    char *end;
    long n = strtol(id + k->plen + 1, &end, 10);
    return *end || n < 0 || n >= k->r->submitted ? -1 : n;
}

static void on_message(wsconn *conn, const wsmsg *m, void *arg)
{
    (void)conn;
    cmdrun *k = arg;
    loadcmd_result *r = k->r;
    cJSON *root = wjson_parse(m->text, m->len, WJSON_DEFAULT_MAX_DEPTH, NULL, 0);
    if (!root)
        return;
    const char *type = wjson_str(root, "type", "");
    if (!strcmp(type, "error")) {
        r->dashboard_errors++;
        note_error(r, "dashboard error %s: %s", wjson_str(root, "code", "?"),
                   wjson_str(root, "reason", "?"));
    } else if (!strcmp(type, "command_ack")) {
        const char *id = wjson_str(root, "data.command_id", "");
        const char *status = wjson_str(root, "data.status", "");
        long n = cmd_number(k, id);
        if (n == -1) {
            r->unknown_acks++;
        } else if (n < 0) {
            /* another client's command */
        } else if (k->state[n] != CMD_PENDING && strcmp(status, "accepted")) {
            r->dup_acks++;
        } else if (k->state[n] == CMD_PENDING && !strcmp(status, "done")) {
            k->state[n] = CMD_DONE;
            r->done++;
            k->pending -= n >= k->batch_first; /* a late answer from an earlier batch: no */
            histogram_record(r->rtt, (m->rx_mono_us - k->sent_us[n]) * 1000);
            k->last_answer_us = m->rx_mono_us;
        } else if (k->state[n] == CMD_PENDING && !strcmp(status, "rejected")) {
            k->state[n] = CMD_REJECTED;
            r->rejected++;
            k->pending -= n >= k->batch_first;
            k->last_answer_us = m->rx_mono_us;
            note_error(r, "command %s rejected: %s", id, wjson_str(root, "data.reason", "?"));
        }
        /* "accepted" (and a repeat of an answered id) changes nothing */
    }
    cJSON_Delete(root);
}

static int batch_answered(void *arg)
{
    return ((cmdrun *)arg)->pending == 0;
}

static void sample(const cmdrun *k, int64_t t0)
{
    loadcmd_result *r = k->r;
    if (!k->cfg->status_url || r->nsamples >= LOADCMD_MAX_SAMPLES)
        return;
    loadcmd_sample *s = &r->samples[r->nsamples++];
    s->t_s = (double)(wclock_mono_us() - t0) / 1e6;
    s->queued = -1;
    cJSON *st = httpc_get_json(k->cfg->status_url, 1000, NULL, 0);
    int64_t q;
    if (st && wjson_get_int64(cJSON_GetObjectItemCaseSensitive(st, "queued"), &q)) {
        s->queued = q;
        if (q > r->queue_max)
            r->queue_max = q;
    }
    cJSON_Delete(st);
}

/* Services until the batch is answered or its deadline, sampling the status. */
static void await_batch(wsclient *c, cmdrun *k, int64_t t0, int64_t *next_sample)
{
    int sample_ms = k->cfg->sample_ms > 0 ? k->cfg->sample_ms : 200;
    double bound = k->cfg->batch_timeout_s > 0 ? k->cfg->batch_timeout_s : 10;
    int64_t deadline = wclock_mono_us() + (int64_t)(bound * 1e6);
    while (k->pending > 0) {
        int64_t now = wclock_mono_us();
        if (now >= deadline)
            break;
        if (now >= *next_sample) {
            sample(k, t0);
            *next_sample = now + sample_ms * 1000LL;
        }
        int64_t until = *next_sample < deadline ? *next_sample : deadline;
        int ms = (int)((until - now) / 1000) + 1;
        wsclient_run_until(c, batch_answered, k, ms);
    }
}

static int start(const loadcmd_cfg *cfg, char *err, size_t errlen)
{
    if (!cfg->url || !cfg->target || !cfg->target[0])
        snprintf(err, errlen, "commands need a URL and a target bot");
    else if (cfg->count <= 0 || cfg->batch <= 0)
        snprintf(err, errlen, "commands need a count and a batch size above 0");
    else if (cfg->count > 10000000)
        snprintf(err, errlen, "at most 10,000,000 commands in one run");
    else
        return 0;
    return -1;
}

int loadcmd_run(const loadcmd_cfg *cfg, loadcmd_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    r->queue_max = -1;
    r->rtt = histogram_new();
    if (!r->rtt || start(cfg, err, errlen))
        return -1;
    cmdrun k = {.cfg = cfg, .r = r};
    if (cfg->id_prefix)
        snprintf(k.prefix, sizeof k.prefix, "%.47s", cfg->id_prefix);
    else
        snprintf(k.prefix, sizeof k.prefix, "load-%d", (int)getpid());
    k.plen = strlen(k.prefix);
    k.sent_us = calloc((size_t)cfg->count, sizeof *k.sent_us);
    k.state = calloc((size_t)cfg->count, 1);
    wsclient_opts co = {.ca_file = cfg->ca_file, .tls = !strncmp(cfg->url, "wss:", 4)};
    wsclient *c = k.sent_us && k.state ? wsclient_new(&co, err, errlen) : NULL;
    int rc = -1;
    if (!c)
        goto out;
    wsconn_opts o = {.url = cfg->url, .token = cfg->token, .name = "commands",
                     .keep_messages = -1, .on_message = on_message, .on_message_arg = &k};
    int cto = (int)((cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s : 10) * 1000);
    wsconn *conn = wsclient_open(c, &o, cto, err, errlen);
    if (!conn)
        goto out;
    static const char sub[] = "{\"type\":\"subscribe\",\"types\":[\"command_ack\"]}";
    /* the pong follows the subscribe: the filter is in effect after it */
    if (wsconn_send_text(c, conn, sub, sizeof sub - 1, err, errlen) ||
        wsconn_ping(c, conn, cto, NULL, err, errlen))
        goto out;
    const char *name = cfg->name ? cfg->name : "resume";
    const char *params = cfg->params ? cfg->params : "{}";
    int64_t t0 = wclock_mono_us(), next_sample = t0, submit_us = 0;
    k.last_answer_us = t0;
    for (long i = 0; i < cfg->count && wsconn_get_state(conn) == WSCONN_OPEN;) {
        if (cfg->rate > 0) { /* pacing: this batch's start on the schedule */
            int64_t at = t0 + (int64_t)((double)i / cfg->rate * 1e6);
            while (wclock_mono_us() < at && wsconn_get_state(conn) == WSCONN_OPEN)
                wsclient_run_for(c, (int)((at - wclock_mono_us()) / 1000) + 1);
        }
        long end = i + cfg->batch < cfg->count ? i + cfg->batch : cfg->count;
        k.batch_first = i;
        for (; i < end; i++) {
            char buf[1024];
            int n = snprintf(buf, sizeof buf,
                             "{\"type\":\"command\",\"target\":\"%s\",\"command_id\":\"%s-%ld\","
                             "\"name\":\"%s\",\"params\":%s}",
                             cfg->target, k.prefix, i, name, params);
            if (n <= 0 || (size_t)n >= sizeof buf) {
                snprintf(err, errlen, "a command's text is over %zu bytes", sizeof buf);
                goto out;
            }
            k.sent_us[i] = wclock_mono_us();
            if (wsconn_send_text(c, conn, buf, (size_t)n, NULL, 0))
                break;
            r->submitted++;
            k.pending++;
        }
        wsconn_flush(c, conn, cto, NULL, 0);
        submit_us = wclock_mono_us() - t0;
        await_batch(c, &k, t0, &next_sample);
        k.pending = 0; /* what is still pending stays lost */
    }
    sample(&k, t0); /* the depth once the last batch settled */
    r->submit_s = (double)submit_us / 1e6;
    r->elapsed_s = (double)(k.last_answer_us - t0) / 1e6;
    for (long i = 0; i < cfg->count; i++)
        if (i < r->submitted && k.state[i] == CMD_PENDING && !r->lost++)
            snprintf(r->first_lost, sizeof r->first_lost, "%s-%ld", k.prefix, i);
    if (r->submitted < cfg->count)
        snprintf(err, errlen, "the connection ended after %ld of %ld commands", r->submitted,
                 cfg->count);
    rc = 0;
out:
    if (c)
        wsclient_free(c);
    free(k.sent_us);
    free(k.state);
    return rc;
}

void loadcmd_result_free(loadcmd_result *r)
{
    histogram_free(r->rtt);
    r->rtt = NULL;
}

double loadcmd_submit_rate(const loadcmd_result *r)
{
    return r->submit_s > 0 ? (double)r->submitted / r->submit_s : 0;
}

double loadcmd_done_rate(const loadcmd_result *r)
{
    return r->elapsed_s > 0 ? (double)r->done / r->elapsed_s : 0;
}

const char *loadcmd_problems(const loadcmd_result *r, char *buf, size_t len)
{
    if (!r->submitted)
        snprintf(buf, len, "no command was submitted");
    else if (r->lost)
        snprintf(buf, len, "%ld of %ld commands never got a command_ack \"done\" (first: %s)%s%s",
                 r->lost, r->submitted, r->first_lost, r->first_error[0] ? "; " : "",
                 r->first_error);
    else if (r->rejected)
        snprintf(buf, len, "%ld of %ld commands rejected (%s)", r->rejected, r->submitted,
                 r->first_error);
    else if (r->unknown_acks)
        snprintf(buf, len, "%ld command_acks for command ids never sent", r->unknown_acks);
    else if (r->dup_acks)
        snprintf(buf, len, "%ld commands answered twice", r->dup_acks);
    else
        return NULL;
    return buf;
}
