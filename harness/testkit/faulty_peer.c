/* faulty_peer: stands in for wsb-dashboard or wsb-bot and makes the real one
 * misbehave in a way the fault-tolerance, performance or integration suite
 * must catch.
 *
 * Test-only. suitekit_faulty_native() links it into a temporary bin folder
 * under the names wsb-dashboard and wsb-bot (beside a link to the real
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
 *   lose_state             (bot) --test-fault lose_state: a restarted bot
 *                          ignores its --state-file (as if it were lost) and
 *                          numbers after the dashboard's last_seq, reusing
 *                          the numbers the killed one held unacked
 *   wrong_loss             (bot) --test-fault wrong_loss: the restart_loss
 *                          alert names a range one short of what was lost
 *   silent_drop            (bot) --test-fault silent_drop: queue overflow
 *                          drops without a queue_overflow alert
 *   block_loop             (bot) --test-fault block_loop: the trading loop
 *                          waits while disconnected, then catches up with a
 *                          burst (the rate holds, the schedule does not)
 *   stamp_at_send          (bot) --test-fault stamp_at_send: ts_us is the
 *                          send time, not the scheduled time
 *   bad_fills              (bot) --test-fault bad_fills: every 5th
 *                          trade_executed reports one unit more than the
 *                          order, the position and the account take
 *   log_error              (dashboard) writes an ERROR line in wlog's format
 *                          to its log before it starts: an error nobody caused
 *   slow_unbounded         (dashboard) lets a subscriber lag by its whole
 *                          history (--queue-limit at the maximum, after
 *                          whatever the driver asked): a slow subscriber is
 *                          never cut off
 *   slow_blocks            (dashboard) --test-fault slow_blocks: waits 5 ms
 *                          at each message while a subscriber lags, so one
 *                          slow subscriber slows every other one
 *   delay_100th            (dashboard) stops the real dashboard (SIGSTOP) for
 *                          200 ms once a second: at the bot's 100 msg/s every
 *                          100th message waits 200 ms, and those behind it
 *   pause_1s               (dashboard) stops it once for 1 s,
 *                          WSB_FAULTY_PEER_AT_MS (default 3000) after it started
 *   replay_dup             (dashboard) --test-fault replay_dup: a resuming
 *                          subscriber gets the message before its "from" again
 *   leak_fd                (dashboard) --test-fault leak_fd: a file left open
 *                          each time a connection closes
 *
 * For the stopping faults it forks: the real dashboard is its child, in the
 * same process group (so the driver's signals reach both), and this process
 * keeps the stop/continue schedule and exits with the child's status.
 * A fault that does not concern the program started runs it unchanged. */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum peer_kind {
    PEER_TEST_FAULT,     /* the program's own test-only --test-fault NAME */
    PEER_ARGS,           /* extra arguments appended */
    PEER_HALF_RATE,
    PEER_LOSE_JOURNAL,
    PEER_LOG_ERROR,
    PEER_STOP_PERIODIC, /* SIGSTOP 200 ms each second */
    PEER_STOP_ONCE,     /* SIGSTOP once for 1 s */
};

typedef struct peer_fault {
    const char *name;
    const char *program; /* "wsb-bot" | "wsb-dashboard" */
    enum peer_kind kind;
    const char *args[5]; /* PEER_ARGS, NULL-terminated */
} peer_fault;

static const peer_fault faults[] = {
    {"lose_journal", "wsb-dashboard", PEER_LOSE_JOURNAL, {NULL}},
    {"no_dead_link_detection",
     "wsb-bot",
     PEER_ARGS,
     {"--ping-interval", "3600", "--pong-timeout", "3600", NULL}},
    {"half_rate", "wsb-bot", PEER_HALF_RATE, {NULL}},
    {"reuse_seq", "wsb-bot", PEER_TEST_FAULT, {NULL}},
    {"lose_state", "wsb-bot", PEER_TEST_FAULT, {NULL}},
    {"wrong_loss", "wsb-bot", PEER_TEST_FAULT, {NULL}},
    {"silent_drop", "wsb-bot", PEER_TEST_FAULT, {NULL}},
    {"block_loop", "wsb-bot", PEER_TEST_FAULT, {NULL}},
    {"stamp_at_send", "wsb-bot", PEER_TEST_FAULT, {NULL}},
    {"bad_fills", "wsb-bot", PEER_TEST_FAULT, {NULL}},
    {"log_error", "wsb-dashboard", PEER_LOG_ERROR, {NULL}},
    {"slow_unbounded", "wsb-dashboard", PEER_ARGS, {"--queue-limit", "100000000", NULL}},
    {"delay_100th", "wsb-dashboard", PEER_STOP_PERIODIC, {NULL}},
    {"pause_1s", "wsb-dashboard", PEER_STOP_ONCE, {NULL}},
    {"replay_dup", "wsb-dashboard", PEER_TEST_FAULT, {NULL}},
    {"leak_fd", "wsb-dashboard", PEER_TEST_FAULT, {NULL}},
    {"slow_blocks", "wsb-dashboard", PEER_TEST_FAULT, {NULL}},
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

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

/* Waits for the child for up to ms; 1 when it ended (*status set). */
static int child_ended(pid_t pid, long ms, int *status)
{
    long long end = now_ms() + ms;
    do {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return 1;
        sleep_ms(5);
    } while (now_ms() < end);
    return 0;
}

/* The real dashboard as a child, stopped for stop_ms at_ms after the start
 * and then (periodic) once a second. */
static int supervise(char **av, int periodic, long stop_ms, long at_ms)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("faulty_peer: fork");
        return 127;
    }
    if (pid == 0) {
        execv(av[0], av);
        fprintf(stderr, "faulty_peer: exec %s: %s\n", av[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    long long next = now_ms() + at_ms;
    for (;;) {
        if (child_ended(pid, next - now_ms() > 0 ? (long)(next - now_ms()) : 0, &status))
            break;
        fprintf(stderr, "faulty_peer: stopping the dashboard for %ld ms\n", stop_ms);
        kill(pid, SIGSTOP);
        sleep_ms(stop_ms);
        kill(pid, SIGCONT);
        if (!periodic) {
            waitpid(pid, &status, 0);
            break;
        }
        next += 1000;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
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

    const peer_fault *f = NULL;
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
        if (!strcmp(faults[i].name, fault))
            f = &faults[i];
    if (!f && strcmp(fault, "none")) {
        fprintf(stderr, "faulty_peer: unknown fault \"%s\"\n", fault);
        return 2;
    }
    if (f && strcmp(f->program, name))
        f = NULL; /* not this program's fault: run it unchanged */

    char **av = calloc((size_t)argc + 8, sizeof(char *));
    if (!av)
        return 2;
    for (int i = 0; i < argc; i++)
        av[i] = argv[i];
    av[0] = real;
    int n = argc;
    static char half[32];
    switch (f ? f->kind : PEER_ARGS) {
    case PEER_TEST_FAULT:
        av[n++] = "--test-fault";
        av[n++] = (char *)f->name;
        break;
    case PEER_ARGS:
        for (int i = 0; f && f->args[i]; i++)
            av[n++] = (char *)f->args[i];
        break;
    case PEER_HALF_RATE:
        for (int i = 1; i + 1 < n; i++)
            if (strcmp(av[i], "--rate") == 0) {
                snprintf(half, sizeof(half), "%g", atof(av[i + 1]) / 2);
                av[i + 1] = half;
            }
        break;
    case PEER_LOSE_JOURNAL:
        lose_journal(argc, argv);
        break;
    case PEER_LOG_ERROR:
        log_error();
        break;
    case PEER_STOP_PERIODIC:
        return supervise(av, 1, 200, 1000);
    case PEER_STOP_ONCE: {
        const char *at = getenv("WSB_FAULTY_PEER_AT_MS");
        return supervise(av, 0, 1000, at ? atol(at) : 3000);
    }
    }
    av[n] = NULL;
    execv(real, av);
    fprintf(stderr, "faulty_peer: exec %s: %s\n", real, strerror(errno));
    return 127;
}
