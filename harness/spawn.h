/* spawn: start a helper program as a child process and learn when it is ready.
 *
 * One way to run the services for the native environment driver and the
 * servers of the tests and benches: spawn_start forks and executes argv[0]
 * with stdin on /dev/null, stderr into a log file (appended, or written
 * afresh), and stdout either on a pipe that the caller reads lines from or
 * into the same log (a child that writes much to a pipe nobody reads would
 * block: servers print their ready line there and log to stderr). The
 * child starts with default signal dispositions and an empty signal mask,
 * gets SIGKILL when the process that started it dies
 * (PR_SET_PDEATHSIG), may lead its own process group (then every signal goes
 * to the whole group), and gets extra environment entries without touching
 * ours. spawn_wait_port waits for the line that names the port the program
 * listens on ("listening on port N"), from the pipe or from where this start
 * began in the log. Every wait is bounded; a child that dies meanwhile is
 * reported with how it ended and the last lines of its log.
 *
 * A spawn_proc belongs to its caller, who keeps it in place while the child
 * runs. Children started with stop_at_exit are also stopped when this
 * process exits (never by a forked copy of it). Not thread-safe. */
#ifndef WSB_SPAWN_H
#define WSB_SPAWN_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct spawn_opts {
    const char *log_path;   /* stderr goes here; NULL: /dev/null */
    int log_truncate;       /* 1: the log is emptied first; 0: appended to */
    int stdout_to_log;      /* 1: stdout into the log too (lines are read from there);
                               0: stdout on a pipe (lines are read from it) */
    int own_group;          /* the child leads a new process group; signals go to the group */
    int stop_at_exit;       /* stopped (spawn_stop_all) when this process exits */
    const char *const *env; /* NULL-terminated "NAME=value" entries for the child, or NULL */
} spawn_opts;

typedef struct spawn_proc {
    pid_t pid; /* > 0 from the start until the child is reaped, then 0 */
    int ended; /* reaped: status holds its wait status (-1 when unknown) */
    int status;
    int own_group;
    int out_fd;    /* read end of the stdout pipe, -1 when none */
    int port;      /* what spawn_wait_port read, 0 before */
    char name[64]; /* argv[0]'s last component, for messages */
    char log_path[PATH_MAX];
    off_t log_from; /* where this start's output begins in the log */
    off_t log_pos;  /* how far the log has been read for lines */
    char buf[4096]; /* output read and not yet split into lines */
    size_t blen;
    char line[512]; /* the line the last successful spawn_wait_line matched */
} spawn_proc;

/* Starts argv[0] (a path) with argv. 0, or -1 with err (nothing is left running). */
int spawn_start(spawn_proc *p, char *const argv[], const spawn_opts *o, char *err, size_t errlen);

/* Reads the child's output lines until one contains want (copied to p->line,
 * without its newline): 1, or 0 when timeout_ms passed, the output ended or
 * the child ended first. */
int spawn_wait_line(spawn_proc *p, const char *want, int timeout_ms);

/* Waits for a line "...<prefix>N" and returns N (1..65535, also kept in
 * p->port), or -1 with err:
 * "<name> exited with status 1 at start-up (log: <last lines>)", or
 * "<name> printed no "<prefix>N" line within <timeout_ms> ms (see <log>)".
 * A child that fails is left as it is (the caller stops it). */
int spawn_wait_port(spawn_proc *p, const char *prefix, int timeout_ms, char *err, size_t errlen);

/* Reaps the child if it has ended: 1 when it has (now or before), 0 while it
 * runs. With why, an ended child is described there: "<name> <how>[ <when>]
 * (log: <last lines>)", <how> as spawn_describe. */
int spawn_ended(spawn_proc *p, const char *when, char *why, size_t whylen);

/* Waits up to timeout_ms for the child to end: 1 when it has, 0 otherwise. */
int spawn_wait(spawn_proc *p, int timeout_ms);

/* Sends sig to the child (its group with own_group). 0, or -1 when it is
 * not running or kill() failed (errno set). */
int spawn_signal(spawn_proc *p, int sig);

/* Stops the child: sends sig (none when 0; SIGCONT follows, so a paused
 * child can act on it), waits up to timeout_ms, then SIGKILL and a bounded
 * wait; with own_group, anything left in the group gets SIGKILL too. Closes
 * the pipe. Returns the exit code as spawn_exit_code, or -1 when the child
 * had not ended within timeout_ms (or was never started). */
int spawn_stop(spawn_proc *p, int sig, int timeout_ms);

/* The ended child's exit code as a shell reports it: its exit status, or
 * 128 + the signal that killed it; -1 while it runs or when unknown. */
int spawn_exit_code(const spawn_proc *p);

/* "exited with status 2", "killed by signal 9 (Killed)" for a wait status. */
void spawn_describe(int status, char *buf, size_t len);

/* Stops every child started with stop_at_exit by this process: SIGTERM
 * (and SIGCONT), up to timeout_ms for all of them, then SIGKILL. */
void spawn_stop_all(int timeout_ms);

#endif
