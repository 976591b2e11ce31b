/* faulty_dashboard_judge: the faulty dashboard's misbehaviours that prove
 * the stricter connectivity and message-flow checks fail, naming the
 * problem: the message-size limit (relay_oversize, limit_off_by_one), the
 * close handshake (close_drop, close_wrong_code), filters (over_filter,
 * foreign_leak), gap frames for envelopes (gap_instead), replay
 * (resume_skip, resume_ignore, pause_away), subscribers' streams that
 * differ (diverge) and a collapse at N connections (collapse). Each is a
 * no-op unless its --fault is chosen; faulty_dashboard.c calls them. */
#include <stdlib.h>
#include <string.h>

#include "faulty_dashboard_int.h"
#include "wclock.h"

/* The filter faults' own part: over_filter drops what has no symbol. */
int faulty_over_filtered(const pss *p, const hmsg *m)
{
    return fd.fault == F_OVER_FILTER && p->nsymbols && !m->symbol[0];
}

/* foreign_leak: what a filtered subscriber is sent at its subscribe besides
 * its stream (a foreign source's alert, which no type filter passes, and a
 * gap frame nothing was lost for). */
void faulty_foreign_leak(pss *p)
{
    if (fd.fault != F_FOREIGN_LEAK || (!p->types_mask && !p->nsymbols))
        return;
    faulty_send_json(p, "{\"v\":1,\"type\":\"alert\",\"source\":\"stranger-9\",\"seq\":1,"
                 "\"ts_us\":%lld,\"data\":%s}",
              (long long)wclock_real_us(), contract_sample_data(8));
    faulty_send_json(p, "{\"type\":\"gap\",\"source\":\"stranger-9\",\"from\":1,\"to\":1,"
                 "\"reason\":\"history\"}");
}



/* diverge: m with ts_us one microsecond later to odd connections. 1 when sent. */
int faulty_diverged(pss *p, const hmsg *m)
{
    if (fd.fault != F_DIVERGE || !(p->id & 1))
        return 0;
    cJSON *root = cJSON_ParseWithLength(m->text, m->len);
    cJSON *ts = root ? cJSON_GetObjectItemCaseSensitive(root, "ts_us") : NULL;
    if (cJSON_IsNumber(ts))
        cJSON_SetNumberValue(ts, ts->valuedouble + 1);
    char *t = root ? cJSON_PrintUnformatted(root) : NULL;
    if (t)
        faulty_q_push(p, t, strlen(t));
    free(t);
    cJSON_Delete(root);
    fd.delivered++;
    return 1;
}


int faulty_gap_instead(pss *p, const hmsg *m)
{
    if (fd.fault != F_GAP_INSTEAD || !(p->id & 1))
        return 0;
    faulty_send_json(p, "{\"type\":\"gap\",\"source\":\"%s\",\"from\":%lld,\"to\":%lld,"
                 "\"reason\":\"slow_consumer\"}",
              m->source, m->seq, m->seq);
    return 1;
}


/* The replay faults: where a replay asked after seq n starts (after the
 * returned seq; -1: none at all). A subscribe with "from" also ends a
 * pause_away pause. */
int64_t faulty_replay_from(int64_t n)
{
    if (fd.fault == F_PAUSE_AWAY)
        fd.gen_paused = 0;
    if (fd.fault == F_RESUME_SKIP)
        return n + 3;
    if (fd.fault == F_RESUME_IGNORE)
        return -1;
    return n;
}


/* The size faults: the limit a frame is held to as it arrives, and whether
 * one over it is still handled (relay_oversize: before its close 1009). */
size_t faulty_size_limit(void)
{
    return fd.fault == F_LIMIT_OFF_BY_ONE ? MAX_MSG - 1 : MAX_MSG;
}

int faulty_size_let_in(void)
{
    return fd.fault == F_NO_1009 || fd.fault == F_RELAY_OVERSIZE;
}

int faulty_close_too_large(struct lws *wsi)
{
    fd.refused_too_large++;
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"message too large",
                     17);
    return -1;
}


/* A client's close frame: answered as asked (lws echoes its code), or by
 * the close faults. Returning -1 without a reason closes without a frame. */
int faulty_peer_close(struct lws *wsi)
{
    if (fd.fault == F_CLOSE_DROP)
        return -1;
    if (fd.fault == F_CLOSE_WRONG_CODE) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, (unsigned char *)"wrong", 5);
        return -1;
    }
    return 0;
}


/* collapse: at --fault-at open connections, every one is dropped (no close
 * frame) and the dashboard refuses upgrades from then on. 1 when collapsed. */
int faulty_collapse(void)
{
    static int collapsed;
    if (fd.fault != F_COLLAPSE)
        return 0;
    long long open = 0;
    for (pss *q = fd.conns; q; q = q->next)
        open++;
    if (!collapsed && open >= fd.fault_at) {
        collapsed = 1;
        for (pss *q = fd.conns; q; q = q->next)
            lws_set_timeout(q->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    return collapsed;
}

