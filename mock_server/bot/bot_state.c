/* bot_state: the bot's last assigned sequence number in a file (see
 * bot_state.h). The file holds one decimal number padded to a fixed width
 * and a newline, rewritten in place, so a reader never sees a torn length. */
#include "bot_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wlog.h"

#define BOT_STATE_WIDTH 20 /* digits: any int64 */

struct bot_state {
    int fd;
    int warned;
};

bot_state *bot_state_open(const char *path, int64_t *last, char *err, size_t errlen)
{
    *last = 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        wlog_seterr(err, errlen, "state file %s: %s", path, strerror(errno));
        return NULL;
    }
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0) {
        wlog_seterr(err, errlen, "state file %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    buf[n] = '\0';
    if (n > 0) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno || end == buf || v < 0 || (*end && *end != '\n')) {
            wlog_seterr(err, errlen, "state file %s: not a sequence number", path);
            close(fd);
            return NULL;
        }
        *last = v;
    }
    bot_state *s = calloc(1, sizeof(*s));
    if (!s) {
        wlog_seterr(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    s->fd = fd;
    return s;
}

void bot_state_save(void *state, int64_t seq)
{
    bot_state *s = state;
    char buf[BOT_STATE_WIDTH + 2];
    int n = snprintf(buf, sizeof(buf), "%0*" PRId64 "\n", BOT_STATE_WIDTH, seq);
    if (pwrite(s->fd, buf, (size_t)n, 0) != n && !s->warned) {
        s->warned = 1; /* once: the loop must not log at its rate */
        wlog_error("state file: write failed (%s): a restart may reuse numbers",
                   strerror(errno));
    }
}

void bot_state_close(bot_state *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s);
}
