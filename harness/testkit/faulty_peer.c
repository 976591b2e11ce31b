/* faulty_peer: stands in for wsb-dashboard or wsb-bot and makes the real one
 * misbehave in a way the fault-tolerance or the integration suite must catch.
 *
 * Test-only. test-fault-faulty (and test-integ-faulty) links it into a temporary bin folder under
 * the names wsb-dashboard and wsb-bot (beside a link to the real
 * wsb-faultproxy) and runs the native driver on that folder; this program
 * looks at the name it was started as, at WSB_FAULTY_PEER (the fault) and at
 * WSB_FAULTY_REAL_BIN (where the real programs are), and then:
 *
 *   none                   runs the real program unchanged
 *   lose_journal           (dashboard) deletes the --journal file at every
 *                          start but the first: the restarted dashboard has
 *                          forgotten everything it had acknowledged
 *   no_dead_link_detection (bot) pings only once an hour: a blackholed link
 *                          is never noticed
 *   half_rate              (bot) trades at half the --rate it was given:
 *                          the trading loop does not keep its schedule
 *   reuse_seq              (bot) the bot's test-only --test-fault reuse_seq:
 *                          a restarted bot numbers from 1 again, so the
 *                          dashboard deduplicates its fresh messages away
 *   silent_drop            (bot) the bot's test-only --test-fault silent_drop:
 *                          queue overflow drops without a queue_overflow alert
 *   block_loop             (bot) the bot's test-only --test-fault block_loop:
 *                          the trading loop waits while disconnected, then
 *                          catches up with a burst (the rate holds, the
 *                          schedule does not)
 *   bad_fills              (bot) the bot's test-only --test-fault bad_fills:
 *                          every 5th trade_executed reports one unit more than
 *                          the order, the position and the account take
 *   log_error              (dashboard) writes an ERROR line in wlog's format to
 *                          its log before it starts: an error nobody caused
 *   slow_unbounded         (dashboard) lets a subscriber lag by its whole history
 *                          (--queue-limit at the maximum, after whatever the
 *                          driver asked): a slow subscriber is never cut off
 *
 * A fault that does not concern the program started runs it unchanged. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *arg_after(int argc, char **argv, const char *flag)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return argv[i + 1];
    return NULL;
}

static void lose_journal(int argc, char **argv)
{
    const char *j = arg_after(argc, argv, "--journal");
    if (!j)
        return;
    char marker[4096];
    snprintf(marker, sizeof(marker), "%s.faulty-started", j);
    if (access(marker, F_OK) == 0) {
        fprintf(stderr, "faulty_peer: lose_journal: deleting %s\n", j);
        unlink(j);
    } else {
        FILE *f = fopen(marker, "w");
        if (f)
            fclose(f);
    }
}

/* One line as wsb-dashboard's wlog writes it, to stderr (the service's log). */
static void log_error(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%06ldZ ERROR wsb-dashboard: journal write failed: injected by faulty_peer\n",
            ts, (long)tv.tv_usec);
}

int main(int argc, char **argv)
{
    const char *fault = getenv("WSB_FAULTY_PEER");
    const char *bin = getenv("WSB_FAULTY_REAL_BIN");
    if (!fault || !bin) {
        fprintf(stderr, "faulty_peer: set WSB_FAULTY_PEER and WSB_FAULTY_REAL_BIN\n");
        return 2;
    }
    char self[4096], real[4096];
    snprintf(self, sizeof(self), "%s", argv[0]);
    const char *name = basename(self);
    snprintf(real, sizeof(real), "%s/%s", bin, name);
    int is_bot = strcmp(name, "wsb-bot") == 0;
    int is_dash = strcmp(name, "wsb-dashboard") == 0;
    if (is_dash && strcmp(fault, "lose_journal") == 0)
        lose_journal(argc, argv);
    if (is_dash && strcmp(fault, "log_error") == 0)
        log_error();
    char **av = calloc((size_t)argc + 5, sizeof(char *));
    if (!av)
        return 2;
    for (int i = 0; i < argc; i++)
        av[i] = argv[i];
    av[0] = real;
    int n = argc;
    if (is_bot && strcmp(fault, "no_dead_link_detection") == 0) {
        av[n++] = "--ping-interval";
        av[n++] = "3600";
        av[n++] = "--pong-timeout";
        av[n++] = "3600";
    }
    if (is_dash && strcmp(fault, "slow_unbounded") == 0) {
        av[n++] = "--queue-limit";
        av[n++] = "100000000";
    }
    if (is_bot && (strcmp(fault, "reuse_seq") == 0 || strcmp(fault, "silent_drop") == 0 ||
                   strcmp(fault, "block_loop") == 0 || strcmp(fault, "bad_fills") == 0)) {
        av[n++] = "--test-fault";
        av[n++] = (char *)fault;
    }
    if (is_bot && strcmp(fault, "half_rate") == 0) {
        static char half[32];
        for (int i = 1; i + 1 < n; i++)
            if (strcmp(av[i], "--rate") == 0) {
                snprintf(half, sizeof(half), "%g", atof(av[i + 1]) / 2);
                av[i + 1] = half;
            }
    }
    av[n] = NULL;
    execv(real, av);
    fprintf(stderr, "faulty_peer: exec %s: %s\n", real, strerror(errno));
    return 127;
}
