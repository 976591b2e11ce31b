/* runner_wire: the records between a suite child and the runner parent (see
 * runner_int.h for the format): whole reads and writes on a descriptor, one
 * record per write on the child's side, reassembly into records on the
 * parent's, and the clock both sides time with. */
#include "runner_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wclock.h"

int runner_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int runner_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return -1;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}


int runner_wire_send(int fd, uint32_t type, int test, const void *payload, size_t len)
{
    if (len > EV_MAX_PAYLOAD)
        len = EV_MAX_PAYLOAD;
    runner_ev_header h = {type, test, (uint32_t)len};
    /* one write per record keeps records whole even with several threads */
    char buf[sizeof(h) + EV_MAX_PAYLOAD];
    memcpy(buf, &h, sizeof(h));
    if (len)
        memcpy(buf + sizeof(h), payload, len);
    return runner_write_all(fd, buf, sizeof(h) + len);
}

int runner_evbuf_init(runner_evbuf *b)
{
    b->len = 0;
    b->buf = malloc(sizeof(runner_ev_header) + EV_MAX_PAYLOAD + 1);
    return b->buf ? 0 : -1;
}

void runner_evbuf_free(runner_evbuf *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
}

ssize_t runner_wire_read(int fd, runner_evbuf *b, runner_ev_fn fn, void *ud)
{
    char *ebuf = b->buf;
    ssize_t r;
    do
        r = read(fd, ebuf + b->len, sizeof(runner_ev_header) + EV_MAX_PAYLOAD - b->len);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return r;
    b->len += (size_t)r;
    while (b->len >= sizeof(runner_ev_header)) {
        runner_ev_header h;
        memcpy(&h, ebuf, sizeof(h));
        if (h.len > EV_MAX_PAYLOAD) {
            static const char corrupt[] = "runner: corrupt event stream";
            runner_ev_header m = {EV_SUITE_MSG, -1, sizeof(corrupt) - 1};
            fn(ud, &m, corrupt);
            b->len = 0;
            break;
        }
        if (b->len < sizeof(h) + h.len)
            break;
        char save = ebuf[sizeof(h) + h.len];
        ebuf[sizeof(h) + h.len] = 0; /* payload as a string */
        fn(ud, &h, ebuf + sizeof(h));
        ebuf[sizeof(h) + h.len] = save;
        memmove(ebuf, ebuf + sizeof(h) + h.len, b->len - sizeof(h) - h.len);
        b->len -= sizeof(h) + h.len;
    }
    return r;
}
