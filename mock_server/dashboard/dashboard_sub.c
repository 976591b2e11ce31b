/* dashboard_sub: subscribers of the mock dashboard.
 *
 * A subscriber is a read position in the history ring (see dashboard.h):
 * fan-out costs one flag and one lws_callback_on_writable per subscriber per
 * message, and each writable callback copies every frame it may send (its
 * private control frames first, then ring frames that pass its filters) into
 * one buffer written once. Items older than the subscribe ("start") are sent
 * only to replay a source named in "from"; per source the highest seq sent
 * is kept, so replay then live never repeats or skips a message.
 *
 * Slow consumers: before a push, a subscriber that lags more than the queue
 * limit behind the live head, or would lose the oldest ring item, is either
 * closed with 1013 (policy disconnect) or jumped to the head with one gap
 * notice per source (policy drop).
 *
 * Commands relayed to a bot are bounded twice: per subscriber by
 * --command-rate (error "rate"), and per bot by the frames already queued for
 * it (error "busy"), so a flood never costs the bot its connection. A "from"
 * map finds each source's oldest held item in O(1) (dashboard_source_first). */
#include "dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wjson.h"
#include "wlog.h"

#define WJSON_ERR 160

static dashboard_subpos *sub_pos(dashboard *d, dashboard_conn *c, uint32_t src)
{
    if (src >= c->npos) {
        /* geometric: a "from" map adding 1,024 sources one by one must not
         * copy the array 1,024 times */
        size_t n = d->nsources > src + 1 ? d->nsources : src + 1;
        if (n < 2 * c->npos)
            n = 2 * c->npos;
        dashboard_subpos *p = realloc(c->pos, n * sizeof(*p));
        if (!p)
            return NULL;
        memset(p + c->npos, 0, (n - c->npos) * sizeof(*p));
        c->pos = p;
        c->npos = n;
    }
    return &c->pos[src];
}

size_t dashboard_sub_depth(const dashboard *d, const dashboard_conn *c)
{
    if (!c->subscribed || c->cursor >= d->head)
        return 0;
    uint64_t from = c->cursor > c->start ? c->cursor : c->start;
    return from < d->head ? (size_t)(d->head - from) : 0;
}

/* Would subscriber c send ring item it at index idx? */
static int item_wanted(dashboard *d, dashboard_conn *c, uint64_t idx, const dashboard_item *it)
{
    dashboard_subpos *p = sub_pos(d, c, it->src);
    if (!p)
        return 0;
    if (idx < c->start && !p->in_from)
        return 0;
    if (it->seq <= p->delivered)
        return 0;
    if (it->type < 0)
        return 1; /* gap notices pass every filter */
    if (c->type_mask && !(c->type_mask & (1u << it->type)))
        return 0;
    if (c->nsymbols && it->symbol[0]) {
        for (size_t i = 0; i < c->nsymbols; i++)
            if (!strcmp(c->symbols[i], it->symbol))
                return 1;
        return 0;
    }
    return 1;
}

static void send_gap(dashboard *d, dashboard_conn *c, const char *source, int64_t from,
                     int64_t to, const char *reason)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf,
                     "{\"type\":\"gap\",\"source\":\"%s\",\"from\":%lld,\"to\":%lld,"
                     "\"reason\":\"%s\"}",
                     source, (long long)from, (long long)to, reason);
    dashboard_conn_send(d, c, buf, (size_t)n);
}

/* Drop policy: skip [cursor, head), one gap notice per source skipped. */
static void drop_behind(dashboard *d, dashboard_conn *c)
{
    size_t ns = d->nsources;
    int64_t *lo = calloc(ns ? ns : 1, sizeof(int64_t)), *hi = calloc(ns ? ns : 1, sizeof(int64_t));
    uint64_t dropped = 0;
    int replay = c->cursor < c->start;
    if (!lo || !hi) {
        free(lo);
        free(hi);
        c->cursor = d->head;
        return;
    }
    for (uint64_t i = c->cursor; i < d->head; i++) {
        dashboard_item *it = dashboard_ring_at(d, i);
        if (!item_wanted(d, c, i, it))
            continue;
        int64_t from = it->type < 0 ? it->gap_from : it->seq;
        if (!lo[it->src] || from < lo[it->src])
            lo[it->src] = from;
        if (it->seq > hi[it->src])
            hi[it->src] = it->seq;
        if (it->type >= 0)
            dropped++;
    }
    c->cursor = d->head;
    for (size_t s = 0; s < ns; s++) {
        if (!hi[s])
            continue;
        dashboard_subpos *p = sub_pos(d, c, (uint32_t)s);
        if (p && p->delivered >= lo[s])
            lo[s] = p->delivered + 1;
        send_gap(d, c, d->sources[s].name, lo[s], hi[s],
                 replay ? "history" : "slow_consumer");
        if (p)
            p->delivered = hi[s];
    }
    d->st.slow_dropped += dropped;
    wlog_debug("subscriber %s: slow, dropped %llu messages", c->name,
               (unsigned long long)dropped);
    free(lo);
    free(hi);
}

/* A subscriber replaying history (within the queue limit of the live head)
 * whose cursor is at the oldest item, which the push is about to overwrite:
 * that is history running out under the replay, not a slow consumer. An item
 * it would not send is simply stepped past; one it would send is told as a
 * "history" gap (counted with the dropped messages). */
static void skip_oldest(dashboard *d, dashboard_conn *c, uint64_t tail)
{
    dashboard_item *it = dashboard_ring_at(d, tail);
    if (item_wanted(d, c, tail, it)) {
        dashboard_subpos *p = sub_pos(d, c, it->src);
        int64_t from = it->type < 0 ? it->gap_from : it->seq;
        if (p && p->delivered >= from)
            from = p->delivered + 1;
        send_gap(d, c, d->sources[it->src].name, from, it->seq, "history");
        if (p)
            p->delivered = it->seq;
        if (it->type >= 0)
            d->st.slow_dropped++;
    }
    c->cursor = tail + 1;
}

void dashboard_sub_before_push(dashboard *d)
{
    uint64_t tail = dashboard_ring_tail(d);
    int full = d->head >= d->ring_cap; /* the push overwrites the item at tail */
    size_t limit = d->cfg.queue_limit;
    for (dashboard_conn *c = d->subscribers; c; c = c->next) {
        if (!c->subscribed || c->close_code)
            continue;
        int lose_oldest = full && c->cursor <= tail;
        size_t depth = dashboard_sub_depth(d, c);
        if (depth >= limit / 4 && d->cfg.test_fault && !strcmp(d->cfg.test_fault, "slow_blocks")) {
            /* test-only: wait for the slow one, and so make everyone wait */
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (depth < limit) {
            /* within the limit, the cursor can be at the tail only while
             * replaying (items before start): not a slow consumer */
            if (lose_oldest)
                skip_oldest(d, c, tail);
            continue;
        }
        if (d->cfg.slow_policy == DASHBOARD_SLOW_DISCONNECT) {
            d->st.slow_disconnected++;
            wlog_info("subscriber %s: slow consumer (%zu behind), closing 1013", c->name,
                      dashboard_sub_depth(d, c));
            c->cursor = d->head + 1; /* holds nothing; it is closing */
            dashboard_conn_close(c, 1013, "slow consumer");
        } else {
            drop_behind(d, c);
        }
    }
}

void dashboard_sub_after_push(dashboard *d)
{
    for (dashboard_conn *c = d->subscribers; c; c = c->next)
        if (c->subscribed && !c->writable_pending && !c->close_code)
            dashboard_request_write(c);
}

size_t dashboard_sub_fill(dashboard *d, dashboard_conn *c, uint8_t *buf, size_t cap, int *more)
{
    size_t n = dashboard_out_fill(c, buf, cap, more);
    if (*more)
        return n;
    if (!c->subscribed)
        return n;
    uint64_t tail = dashboard_ring_tail(d);
    if (c->cursor < tail)
        c->cursor = tail; /* cannot happen: before_push keeps cursors inside */
    while (c->cursor < d->head) {
        dashboard_item *it = dashboard_ring_at(d, c->cursor);
        if (item_wanted(d, c, c->cursor, it)) {
            if (n && n + it->frame_len > cap) {
                *more = 1;
                return n;
            }
            memcpy(buf + n, it->frame, it->frame_len);
            n += it->frame_len;
            c->pos[it->src].delivered = it->seq;
            if (it->type >= 0) {
                c->delivered_count++;
                d->st.delivered++;
            }
        }
        c->cursor++;
    }
    return n;
}

void dashboard_sub_free(dashboard_conn *c)
{
    free(c->pos);
    c->pos = NULL;
    c->npos = 0;
    free(c->symbols);
    c->symbols = NULL;
    c->nsymbols = 0;
}

/* Sends a "history" gap when the ring no longer holds what "from" asks for. */
static void history_gap(dashboard *d, dashboard_conn *c, int src, int64_t n)
{
    dashboard_source *s = &d->sources[src];
    int64_t first = 0;
    uint64_t idx = dashboard_source_first(d, src); /* O(1): one "from" map may name 1,024 */
    if (idx != DASHBOARD_NO_ITEM) {
        const dashboard_item *it = dashboard_ring_at(d, idx);
        first = it->type < 0 ? it->gap_from : it->seq;
    }
    dashboard_subpos *p = sub_pos(d, c, (uint32_t)src);
    if (first && first > n + 1) {
        send_gap(d, c, s->name, n + 1, first - 1, "history");
        if (p)
            p->delivered = first - 1;
    } else if (!first && s->last_seq > n) {
        send_gap(d, c, s->name, n + 1, s->last_seq, "history");
        if (p)
            p->delivered = s->last_seq;
    }
}

static void apply_subscribe(dashboard *d, dashboard_conn *c, const cJSON *root)
{
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(root, "types");
    const cJSON *symbols = cJSON_GetObjectItemCaseSensitive(root, "symbols");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(root, "from");
    const cJSON *e;

    c->type_mask = 0;
    if (cJSON_IsArray(types)) {
        cJSON_ArrayForEach(e, types)
        {
            int ti = cJSON_IsString(e) ? contract_type_index(e->valuestring) : -1;
            if (ti >= 0)
                c->type_mask |= 1u << ti;
        }
        if (!c->type_mask)
            c->type_mask = 1u << 31; /* an empty list passes no envelope */
    }
    free(c->symbols);
    c->symbols = NULL;
    c->nsymbols = 0;
    if (cJSON_IsArray(symbols)) {
        int n = cJSON_GetArraySize(symbols);
        c->symbols = calloc(n ? (size_t)n : 1, sizeof(*c->symbols));
        if (c->symbols) {
            cJSON_ArrayForEach(e, symbols)
            {
                if (cJSON_IsString(e))
                    snprintf(c->symbols[c->nsymbols++], DASHBOARD_SYMBOL_MAX, "%s",
                             e->valuestring);
            }
        }
        if (!c->nsymbols) {
            /* an empty list passes only messages without a symbol */
            free(c->symbols);
            c->symbols = calloc(1, sizeof(*c->symbols));
            if (c->symbols) {
                snprintf(c->symbols[0], DASHBOARD_SYMBOL_MAX, "%s", "\x01");
                c->nsymbols = 1;
            }
        }
    }

    if (cJSON_IsObject(from) && from->child) {
        /* replay: start over from the oldest item for the named sources */
        for (size_t i = 0; i < c->npos; i++)
            c->pos[i].in_from = 0;
        cJSON_ArrayForEach(e, from)
        {
            int64_t n = 0;
            wjson_get_int64(e, &n);
            /* names nobody published yet are remembered, within a bound:
             * subscribers must not grow the source table without end */
            int src = d->nsources < DASHBOARD_MAX_SOURCES ? dashboard_source_get(d, e->string)
                                                          : dashboard_source_find(d, e->string);
            dashboard_subpos *p = src >= 0 ? sub_pos(d, c, (uint32_t)src) : NULL;
            if (!p)
                continue;
            p->delivered = n;
            if (d->cfg.test_fault && !strcmp(d->cfg.test_fault, "replay_dup") && n > 0)
                p->delivered = n - 1; /* the test fault: one message again */
            p->in_from = 1;
            history_gap(d, c, src, n);
        }
        if (!c->subscribed)
            c->start = d->head;
        c->cursor = dashboard_ring_tail(d);
    } else if (!c->subscribed) {
        c->start = d->head;
        c->cursor = d->head;
    }
    c->subscribed = 1;
    wlog_debug("subscriber %s: subscribed (types 0x%x, %zu symbols)", c->name, c->type_mask,
               c->nsymbols);
    dashboard_request_write(c);
}

static void relay_command(dashboard *d, dashboard_conn *c, const cJSON *root)
{
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(root, "target");
    int src = dashboard_source_find(d, target->valuestring);
    dashboard_conn *pub = src >= 0 ? d->sources[src].publisher : NULL;
    if (!pub) {
        char reason[128];
        snprintf(reason, sizeof reason, "no publisher %.64s is connected", target->valuestring);
        dashboard_conn_error(d, c, 0, "no_target", reason);
        return;
    }
    /* only what reaches a bot is limited (the no_target answer costs it nothing) */
    if (d->cfg.command_rate > 0 &&
        !dashboard_bucket_take(&c->cmd_tokens, &c->cmd_tokens_us, d->cfg.command_rate)) {
        d->st.refused_commands++;
        dashboard_conn_error(d, c, 0, "rate", "command rate limit exceeded (--command-rate)");
        return;
    }
    if (pub->out_count >= DASHBOARD_COMMANDS_QUEUED) {
        /* the publisher is not reading its frames fast enough: refusing the
         * command keeps the publisher's queue (and connection) whole */
        d->st.refused_commands++;
        char reason[128];
        snprintf(reason, sizeof reason, "%.64s has %d frames queued: command not relayed",
                 target->valuestring, DASHBOARD_COMMANDS_QUEUED);
        dashboard_conn_error(d, c, 0, "busy", reason);
        return;
    }
    cJSON *out = cJSON_CreateObject();
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
    cJSON_AddStringToObject(out, "type", "command");
    cJSON_AddStringToObject(out, "command_id",
                            cJSON_GetObjectItemCaseSensitive(root, "command_id")->valuestring);
    cJSON_AddStringToObject(out, "name", cJSON_GetObjectItemCaseSensitive(root, "name")->valuestring);
    cJSON_AddItemToObject(out, "params",
                          params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject());
    cJSON_AddStringToObject(out, "from", c->name);
    char *txt = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    if (txt) {
        dashboard_conn_send(d, pub, txt, strlen(txt));
        free(txt);
    }
    wlog_debug("command from %s relayed to %s", c->name, pub->name);
}

void dashboard_sub_message(dashboard *d, dashboard_conn *c, const char *text, size_t len)
{
    char err[WJSON_ERR];
    cJSON *root = wjson_parse(text, len, d->cfg.max_depth, err, sizeof err);
    if (!root) {
        if (strstr(err, "nesting"))
            d->st.refused_too_deep++;
        else
            d->st.refused_invalid++;
        dashboard_conn_error(d, c, 0, strstr(err, "duplicate key") ? "duplicate_key" : "json", err);
        if (!c->subscribed)
            dashboard_conn_close(c, 1008, "first frame must be subscribe or resume");
        return;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    const char *schema = !strcmp(t, "subscribe") ? "control/subscribe"
                         : !strcmp(t, "resume")  ? "control/resume"
                         : !strcmp(t, "command") ? "control/command"
                                                 : NULL;
    if (!schema || (!c->subscribed && strcmp(t, "subscribe") && strcmp(t, "resume"))) {
        d->st.refused_invalid++;
        dashboard_conn_error(d, c, 0, "protocol",
                             c->subscribed ? "expected subscribe, resume or command"
                                           : "first frame must be subscribe or resume");
        if (!c->subscribed)
            dashboard_conn_close(c, 1008, "first frame must be subscribe or resume");
        cJSON_Delete(root);
        return;
    }
    if (contract_check(d->contract, schema, root, err, sizeof err) != 0) {
        d->st.refused_invalid++;
        dashboard_conn_error(d, c, 0, "schema", err);
        if (!c->subscribed)
            dashboard_conn_close(c, 1008, "first frame must be a valid subscribe or resume");
        cJSON_Delete(root);
        return;
    }
    if (!strcmp(t, "command"))
        relay_command(d, c, root);
    else
        apply_subscribe(d, c, root);
    cJSON_Delete(root);
}
