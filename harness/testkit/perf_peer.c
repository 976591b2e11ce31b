/* perf_peer: stands in for wsb-dashboard or wsb-bot and makes the real one
 * slow, or its time stamps false, in a way the performance suite must catch.
 *
 * Test-only. test-perf-faulty links it into a temporary bin folder under the
 * names wsb-dashboard and wsb-bot (beside the real wsb-faultproxy) and runs
 * the native driver on that folder; this program looks at the name it was
 * started as, at WSB_PERF_PEER (the fault) and at WSB_FAULTY_REAL_BIN (where
 * the real programs are):
 *
 *   none            runs the real program unchanged
 *   delay_100th     (dashboard) stops the real dashboard (SIGSTOP) for 200 ms
 *                   once a second: at the bot's 100 msg/s every 100th message
 *                   waits 200 ms, and those behind it with it
 *   pause_1s        (dashboard) stops it once for 1 s, WSB_PERF_PEER_AT_MS
 *                   (default 3000) after it started
 *   stamp_at_send   (bot) the real bot with WSB_BOT_TEST_STAMP_AT_SEND=1:
 *                   ts_us is the send time, not the scheduled time
 *
 * For the dashboard faults it forks: the real dashboard is its child, in the
 * same process group (so the driver's signals reach both), and this process
 * keeps the stop/continue schedule and exits with the child's status. */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* The real dashboard as a child, stopped on the fault's schedule. */
static int supervise(char **av, int periodic, long stop_ms, long at_ms)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("perf_peer: fork");
        return 127;
    }
    if (pid == 0) {
        execv(av[0], av);
        fprintf(stderr, "perf_peer: exec %s: %s\n", av[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    long long next = now_ms() + at_ms;
    for (;;) {
        if (child_ended(pid, next - now_ms() > 0 ? (long)(next - now_ms()) : 0, &status))
            break;
        fprintf(stderr, "perf_peer: stopping the dashboard for %ld ms\n", stop_ms);
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
    (void)argc;
    const char *fault = getenv("WSB_PERF_PEER");
    const char *bin = getenv("WSB_FAULTY_REAL_BIN");
    if (!fault || !bin) {
        fprintf(stderr, "perf_peer: set WSB_PERF_PEER and WSB_FAULTY_REAL_BIN\n");
        return 2;
    }
    char self[4096], real[4096];
    snprintf(self, sizeof(self), "%s", argv[0]);
    const char *name = basename(self);
    snprintf(real, sizeof(real), "%s/%s", bin, name);
    int is_bot = strcmp(name, "wsb-bot") == 0;
    int is_dash = strcmp(name, "wsb-dashboard") == 0;
    argv[0] = real;
    if (is_dash && strcmp(fault, "delay_100th") == 0)
        return supervise(argv, 1, 200, 1000);
    if (is_dash && strcmp(fault, "pause_1s") == 0) {
        const char *at = getenv("WSB_PERF_PEER_AT_MS");
        return supervise(argv, 0, 1000, at ? atol(at) : 3000);
    }
    if (is_bot && strcmp(fault, "stamp_at_send") == 0)
        setenv("WSB_BOT_TEST_STAMP_AT_SEND", "1", 1);
    execv(real, argv);
    fprintf(stderr, "perf_peer: exec %s: %s\n", real, strerror(errno));
    return 127;
}
