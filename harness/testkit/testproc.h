/* testproc: start a server program for a test and learn its port.
 *
 * The child runs with its stdout on a pipe; testproc_start reads lines until
 * one names the port ("PORT 41234", "listening on port 41234", "port=41234")
 * or the timeout passes. stderr (and the rest of stdout) go to a log file.
 * The child gets SIGKILL if the test program dies (PR_SET_PDEATHSIG), and
 * testproc_stop_all() (registered with atexit by the first start) stops any
 * still running, so a failing test leaves no process behind. */
#ifndef WSB_TESTPROC_H
#define WSB_TESTPROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct testproc {
    pid_t pid;
    int port;
    int out_fd;        /* read end of the child's stdout, -1 once closed */
    char log_path[256];
} testproc;

/* argv[0] is the program path. 0, or -1 with err. */
int testproc_start(testproc *p, char *const argv[], const char *log_path, int timeout_ms,
                   char *err, size_t errlen);
/* SIGTERM, wait up to timeout_ms, then SIGKILL. Returns the exit status (or -1). */
int testproc_stop(testproc *p, int timeout_ms);
void testproc_stop_all(void);
/* Deletes the log files of every process started (call when all passed;
 * after a failure keep them for the reader). */
void testproc_remove_logs(void);
/* 1 while the process runs. */
int testproc_alive(testproc *p);

#endif
