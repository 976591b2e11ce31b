/* dashboard_history: the per-source sequence state, the in-memory history
 * ring (which doubles as every subscriber's send queue) and the append-only
 * journal behind it.
 *
 * Journal format: one record per ring item, appended in ring order:
 *   'W' | u32 length (LE) | u32 crc32 of the payload (LE) | payload
 * where the payload is the stream frame's JSON text (an envelope with
 * relay_us, or a gap notice). Records are buffered and written + fdatasync'd
 * together every --fsync-ms; only then are the sequences they hold "durable"
 * and acked. On start the journal is replayed; a torn or corrupt tail (a
 * crash in the middle of a write) is cut off so appends continue cleanly. */
#include "dashboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wjson.h"
#include "wlog.h"

#define JOURNAL_MAGIC 'W'
#define JOURNAL_HDR 9
#define JOURNAL_WRITE_NOW (1024 * 1024) /* buffered bytes that trigger an early write() */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_buf(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int dashboard_history_init(dashboard *d, char *err, size_t errlen)
{
    crc_init();
    d->journal_fd = -1;
    d->ring_cap = d->cfg.history ? d->cfg.history : 1;
    d->ring = calloc(d->ring_cap, sizeof(*d->ring));
    if (!d->ring) {
        snprintf(err, errlen, "cannot allocate a history of %zu items", d->ring_cap);
        return -1;
    }
    return 0;
}

void dashboard_history_free(dashboard *d)
{
    if (d->ring) {
        for (size_t i = 0; i < d->ring_cap; i++)
            free(d->ring[i].frame);
        free(d->ring);
        d->ring = NULL;
    }
    free(d->sources);
    d->sources = NULL;
    d->nsources = 0;
    free(d->source_index);
    d->source_index = NULL;
    d->source_index_cap = 0;
    free(d->jbuf);
    d->jbuf = NULL;
    if (d->journal_fd >= 0)
        close(d->journal_fd);
    d->journal_fd = -1;
}

static size_t name_hash(const char *name)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h;
}

/* The source_index slot of name: where it is, or the empty one it would take. */
static size_t index_slot(const dashboard *d, const char *name)
{
    size_t mask = d->source_index_cap - 1, i = name_hash(name) & mask;
    while (d->source_index[i] && strcmp(d->sources[d->source_index[i] - 1].name, name))
        i = (i + 1) & mask;
    return i;
}

/* Keeps the index at least twice the sources: O(1) lookups, so a "from"
 * map of 1,024 names costs 1,024 probes, not 1,024 scans of the table. */
static int index_grow(dashboard *d)
{
    if (d->source_index_cap >= 2 * (d->nsources + 1))
        return 0;
    size_t cap = d->source_index_cap ? d->source_index_cap * 2 : 64;
    int *idx = calloc(cap, sizeof(*idx));
    if (!idx)
        return -1;
    free(d->source_index);
    d->source_index = idx;
    d->source_index_cap = cap;
    for (size_t k = 0; k < d->nsources; k++)
        d->source_index[index_slot(d, d->sources[k].name)] = (int)k + 1;
    return 0;
}

int dashboard_source_find(const dashboard *d, const char *name)
{
    if (!d->source_index_cap)
        return -1;
    int v = d->source_index[index_slot(d, name)];
    return v ? v - 1 : -1;
}

int dashboard_source_get(dashboard *d, const char *name)
{
    int i = dashboard_source_find(d, name);
    if (i >= 0)
        return i;
    if (strlen(name) >= DASHBOARD_NAME_MAX || index_grow(d))
        return -1;
    if (d->nsources == d->sources_cap) {
        size_t cap = d->sources_cap ? d->sources_cap * 2 : 16;
        dashboard_source *s = realloc(d->sources, cap * sizeof(*s));
        if (!s)
            return -1;
        d->sources = s;
        d->sources_cap = cap;
    }
    dashboard_source *s = &d->sources[d->nsources];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    d->source_index[index_slot(d, name)] = (int)d->nsources + 1;
    return (int)d->nsources++;
}

uint64_t dashboard_ring_tail(const dashboard *d)
{
    return d->head > d->ring_cap ? d->head - d->ring_cap : 0;
}

dashboard_item *dashboard_ring_at(dashboard *d, uint64_t idx)
{
    return &d->ring[idx % d->ring_cap];
}

uint64_t dashboard_source_first(const dashboard *d, int src)
{
    const dashboard_source *s = &d->sources[src];
    return s->held ? s->first_idx : DASHBOARD_NO_ITEM;
}

static uint8_t *frame_make(const char *payload, size_t len, uint32_t *flen)
{
    uint8_t hdr[10];
    size_t hl = dashboard_frame_header(hdr, len, 1);
    uint8_t *frame = malloc(hl + len);
    if (!frame)
        return NULL;
    memcpy(frame, hdr, hl);
    memcpy(frame + hl, payload, len);
    *flen = (uint32_t)(hl + len);
    return frame;
}

/* Puts a framed item (frame: owned from here) at the head, freeing the one it
 * replaces; keeps each source's chain of items, so its oldest is at hand. */
static void ring_commit(dashboard *d, int src, int type, int64_t seq, int64_t gap_from,
                        const char *symbol, uint8_t *frame, uint32_t flen)
{
    dashboard_item *it = dashboard_ring_at(d, d->head);
    if (it->frame) {
        /* the item overwritten is the oldest of the ring, so of its source */
        dashboard_source *old = &d->sources[it->src];
        old->held--;
        old->first_idx = it->next_same;
        free(it->frame);
    }
    it->frame = frame;
    it->frame_len = flen;
    it->src = (uint32_t)src;
    it->type = type;
    it->seq = seq;
    it->gap_from = gap_from;
    it->next_same = DASHBOARD_NO_ITEM;
    snprintf(it->symbol, sizeof(it->symbol), "%s", symbol ? symbol : "");
    dashboard_source *s = &d->sources[src];
    if (s->held)
        dashboard_ring_at(d, s->last_idx)->next_same = d->head;
    else
        s->first_idx = d->head;
    s->last_idx = d->head;
    s->held++;
    d->head++;
}

static int ring_insert(dashboard *d, int src, int type, int64_t seq, int64_t gap_from,
                       const char *symbol, const char *payload, size_t len)
{
    uint32_t flen;
    uint8_t *frame = frame_make(payload, len, &flen);
    if (!frame)
        return -1;
    ring_commit(d, src, type, seq, gap_from, symbol, frame, flen);
    return 0;
}

static void fsync_cb(lws_sorted_usec_list_t *sul)
{
    dashboard *d = lws_container_of(sul, dashboard, sul_fsync);
    d->fsync_scheduled = 0;
    dashboard_journal_flush(d, 1);
}

static void fsync_schedule(dashboard *d)
{
    if (!d->fsync_scheduled && d->ctx) {
        d->fsync_scheduled = 1;
        lws_sul_schedule(d->ctx, 0, &d->sul_fsync, fsync_cb,
                         (lws_usec_t)(d->cfg.fsync_ms > 0 ? d->cfg.fsync_ms : 0) * 1000);
    }
}

/* Makes room for a record of len bytes in the journal buffer, which never
 * grows past --journal-buffer-max: 0, -1 (no memory) or PUSH_JOURNAL_FULL. */
static int journal_reserve(dashboard *d, size_t len)
{
    size_t need = d->jbuf_len + JOURNAL_HDR + len;
    if (need > d->cfg.journal_buffer_max && d->jbuf_len) {
        dashboard_journal_flush(d, 0); /* the disk may be back */
        need = d->jbuf_len + JOURNAL_HDR + len;
    }
    if (need > d->cfg.journal_buffer_max) {
        fsync_schedule(d); /* keep retrying while refusing */
        return DASHBOARD_PUSH_JOURNAL_FULL;
    }
    if (need > d->jbuf_cap) {
        size_t cap = d->jbuf_cap ? d->jbuf_cap : 64 * 1024;
        while (cap < need)
            cap *= 2;
        if (cap > d->cfg.journal_buffer_max)
            cap = d->cfg.journal_buffer_max;
        uint8_t *b = realloc(d->jbuf, cap);
        if (!b)
            return -1;
        d->jbuf = b;
        d->jbuf_cap = cap;
    }
    return 0;
}

/* Appends a record into the room journal_reserve made. */
static void journal_append(dashboard *d, const char *payload, size_t len)
{
    uint8_t *p = d->jbuf + d->jbuf_len;
    p[0] = JOURNAL_MAGIC;
    put_u32(p + 1, (uint32_t)len);
    put_u32(p + 5, crc32_buf((const uint8_t *)payload, len));
    memcpy(p + JOURNAL_HDR, payload, len);
    d->jbuf_len += JOURNAL_HDR + len;
    d->journal_records++;
    if (d->jbuf_len >= JOURNAL_WRITE_NOW)
        dashboard_journal_flush(d, 0);
    fsync_schedule(d);
}

int dashboard_history_push(dashboard *d, int src, int type, int64_t seq, int64_t gap_from,
                           const char *symbol, const char *payload, size_t len)
{
    /* everything that can fail comes first: a refused push changes nothing */
    if (d->journal_fd >= 0) {
        int rc = journal_reserve(d, len);
        if (rc) {
            wlog_debug("source %s: seq %lld not stored (%s)", d->sources[src].name,
                      (long long)seq, rc == -1 ? "out of memory" : "journal buffer full");
            return rc;
        }
    }
    uint32_t flen;
    uint8_t *frame = frame_make(payload, len, &flen);
    if (!frame)
        return -1;
    /* subscribers that would lose the oldest item, or lag past the queue
     * limit, are dealt with while that item can still be read */
    dashboard_sub_before_push(d);
    ring_commit(d, src, type, seq, gap_from, symbol, frame, flen);
    if (d->journal_fd >= 0)
        journal_append(d, payload, len);
    return 0;
}

void dashboard_journal_flush(dashboard *d, int sync)
{
    if (d->journal_fd < 0)
        return;
    size_t off = 0;
    while (off < d->jbuf_len) {
        ssize_t n = write(d->journal_fd, d->jbuf + off, d->jbuf_len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* logged once per run of failures, counted every time */
            if (!d->st.journal_failing)
                wlog_error("journal write: %s (buffering up to %zu bytes, then refusing)",
                           strerror(errno), d->cfg.journal_buffer_max);
            d->st.journal_failing = 1;
            d->st.journal_write_errors++;
            break;
        }
        off += (size_t)n;
    }
    d->journal_bytes += off;
    if (off == d->jbuf_len && d->st.journal_failing) {
        wlog_info("journal writes succeed again");
        d->st.journal_failing = 0;
    }
    if (off < d->jbuf_len) {
        memmove(d->jbuf, d->jbuf + off, d->jbuf_len - off);
        d->jbuf_len -= off;
        return; /* nothing becomes durable while records are missing */
    }
    d->jbuf_len = 0;
    if (!sync)
        return;
    if (fdatasync(d->journal_fd) != 0) {
        wlog_error("journal fdatasync: %s", strerror(errno));
        return;
    }
    /* everything accepted so far is in the file: it is durable */
    for (size_t i = 0; i < d->nsources; i++)
        d->sources[i].durable_seq = d->sources[i].last_seq;
    for (dashboard_conn *c = d->publishers; c; c = c->next)
        if (c->src >= 0 && d->sources[c->src].durable_seq > c->acked_sent)
            dashboard_request_write(c);
}

/* Rebuilds one ring item (and the source's state) from a journal payload. */
static int replay_record(dashboard *d, const char *payload, size_t len)
{
    char err[160];
    /* the record passed the ingress limits of the run that wrote it, which
     * may have allowed deeper JSON than this one */
    int depth = d->cfg.max_depth > WJSON_DEFAULT_MAX_DEPTH ? d->cfg.max_depth
                                                           : WJSON_DEFAULT_MAX_DEPTH;
    cJSON *root = wjson_parse(payload, len, depth, err, sizeof err);
    if (!root)
        return -1;
    int rc = -1;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(root, "source");
    if (!cJSON_IsString(type) || !cJSON_IsString(source))
        goto out;
    int src = dashboard_source_get(d, source->valuestring);
    if (src < 0)
        goto out;
    dashboard_source *s = &d->sources[src];
    s->seen = 1;
    if (!strcmp(type->valuestring, "gap")) {
        int64_t from, to;
        if (!wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "from"), &from) ||
            !wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "to"), &to))
            goto out;
        rc = ring_insert(d, src, -1, to, from, NULL, payload, len);
        if (to > s->last_seq)
            s->last_seq = to;
        /* the gaps of the held stream survive a restart, as its last_seq
         * does: status and subscribers' gap frames keep agreeing */
        if (from >= 1 && to >= from) {
            s->gaps++;
            s->gap_messages += (uint64_t)(to - from + 1);
        }
    } else {
        int64_t seq;
        int ti = contract_type_index(type->valuestring);
        if (ti < 0 || !wjson_get_int64(cJSON_GetObjectItemCaseSensitive(root, "seq"), &seq))
            goto out;
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
        const cJSON *sym = cJSON_GetObjectItemCaseSensitive(data, "symbol");
        rc = ring_insert(d, src, ti, seq, 0, cJSON_IsString(sym) ? sym->valuestring : NULL,
                         payload, len);
        if (seq > s->last_seq)
            s->last_seq = seq;
    }
    s->durable_seq = s->last_seq;
out:
    cJSON_Delete(root);
    return rc;
}

int dashboard_journal_open(dashboard *d, char *err, size_t errlen)
{
    if (!d->cfg.journal)
        return 0;
    int fd = open(d->cfg.journal, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "journal %s: %s", d->cfg.journal, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "journal %s: %s", d->cfg.journal, strerror(errno));
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size, off = 0, good = 0;
    uint8_t *buf = NULL;
    if (size) {
        buf = malloc(size);
        if (!buf) {
            snprintf(err, errlen, "journal %s: cannot read %zu bytes", d->cfg.journal, size);
            close(fd);
            return -1;
        }
        size_t got = 0;
        while (got < size) {
            ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
            if (n <= 0) {
                if (n < 0 && errno == EINTR)
                    continue;
                break;
            }
            got += (size_t)n;
        }
        size = got;
    }
    uint64_t records = 0, skipped = 0;
    while (off + JOURNAL_HDR <= size) {
        uint32_t len = get_u32(buf + off + 1);
        if (buf[off] != JOURNAL_MAGIC || len > size - off - JOURNAL_HDR)
            break;
        const uint8_t *p = buf + off + JOURNAL_HDR;
        if (crc32_buf(p, len) != get_u32(buf + off + 5))
            break;
        /* a complete record (its checksum holds) is not a torn tail: one
         * this run cannot replay is skipped, never cut with all after it */
        if (replay_record(d, (const char *)p, len) != 0) {
            skipped++;
            wlog_warn("journal %s: record at byte %zu cannot be replayed: skipped",
                      d->cfg.journal, off);
        }
        off += JOURNAL_HDR + len;
        good = off;
        records++;
    }
    /* A crash can only leave a prefix of a record (or zeros) where a record
     * starts; anything else means the path names some other file: refuse it
     * rather than truncate it. */
    int foreign = good == 0 && size > 0 && buf[0] != JOURNAL_MAGIC && buf[0] != 0;
    free(buf);
    if (foreign) {
        snprintf(err, errlen, "journal %s: not a wsb-dashboard journal (refusing to truncate it)",
                 d->cfg.journal);
        close(fd);
        return -1;
    }
    if (good < (size_t)st.st_size) {
        wlog_warn("journal %s: cutting a torn or corrupt tail at byte %zu of %lld",
                  d->cfg.journal, good, (long long)st.st_size);
        if (ftruncate(fd, (off_t)good) != 0) {
            snprintf(err, errlen, "journal %s: truncate: %s", d->cfg.journal, strerror(errno));
            close(fd);
            return -1;
        }
    }
    if (lseek(fd, (off_t)good, SEEK_SET) < 0) {
        snprintf(err, errlen, "journal %s: seek: %s", d->cfg.journal, strerror(errno));
        close(fd);
        return -1;
    }
    d->journal_fd = fd;
    d->journal_bytes = good;
    d->journal_records = records;
    wlog_info("journal %s: replayed %llu records (%llu skipped, %zu bytes), %zu sources",
              d->cfg.journal, (unsigned long long)(records - skipped),
              (unsigned long long)skipped, good, d->nsources);
    return 0;
}
