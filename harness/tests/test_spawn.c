/* test_spawn: CUnit tests of child processes (harness/spawn.c) on small
 * /bin/sh scripts: the port line read from the pipe and from the log (only
 * what this start wrote), a child that dies at start-up named with its exit
 * status and its log's end, a program that cannot be executed, a port line
 * that never comes, extra environment entries, a stop that needs SIGKILL for
 * the whole process group, the exit codes, and spawn_stop_all. */
#include "spawn.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"
#include "testkit.h"
#include "wjson.h"

static char dir[64];

/* Processes of group pgid that are still running (not zombies), from /proc. */
static int running_in_group(pid_t pgid)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        pid_t pid = atoi(e->d_name);
        char st = pid > 0 && procstat_pgrp(pid) == pgid ? procstat_state(pid) : 0;
        if (st && st != 'Z')
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

static void sh_argv(char *argv[4], const char *script)
{
    argv[0] = "/bin/sh";
    argv[1] = "-c";
    argv[2] = (char *)script;
    argv[3] = NULL;
}

static void test_pipe(void)
{
    char *argv[4], err[512], log[128];
    sh_argv(argv, "echo hello; echo 'listening on port x'; echo 'listening on port 4242'; "
                  "echo 'after'; echo oops >&2; exec sleep 30");
    snprintf(log, sizeof(log), "%s/pipe.log", dir);
    spawn_proc p;
    spawn_opts o = {.log_path = log, .log_truncate = 1};
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(p.name, "sh");
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "listening on port ", 5000, err, sizeof(err)), 4242);
    CU_ASSERT_EQUAL(p.port, 4242);
    CU_ASSERT_EQUAL(spawn_wait_line(&p, "after", 5000), 1);
    CU_ASSERT_STRING_EQUAL(p.line, "after");
    CU_ASSERT_EQUAL(spawn_wait_line(&p, "never", 100), 0);
    CU_ASSERT_FALSE(spawn_ended(&p, NULL, NULL, 0));
    CU_ASSERT_EQUAL(spawn_stop(&p, SIGTERM, 3000), 128 + SIGTERM);
    CU_ASSERT_TRUE(p.ended);
    CU_ASSERT_EQUAL(p.pid, 0);
    CU_ASSERT_EQUAL(p.out_fd, -1);
    CU_ASSERT_EQUAL(spawn_signal(&p, SIGTERM), -1);
    CU_ASSERT_EQUAL(spawn_stop(&p, SIGTERM, 10), 128 + SIGTERM); /* again: the same answer */
    char *text = wjson_read_file(log, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "oops\n"); /* stderr only: stdout went to the pipe */
    free(text);
}

static void test_log(void)
{
    char *argv[4], err[512], log[128];
    snprintf(log, sizeof(log), "%s/svc.log", dir);
    testkit_write_file(log, "status on port 1\n"); /* an earlier run's line */
    sh_argv(argv, "echo starting >&2; echo 'status on port 5151'; exec sleep 30");
    spawn_proc p;
    spawn_opts o = {.log_path = log, .stdout_to_log = 1, .own_group = 1};
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "status on port ", 5000, err, sizeof(err)), 5151);
    CU_ASSERT_EQUAL(getpgid(p.pid), p.pid);
    CU_ASSERT_EQUAL(spawn_stop(&p, SIGTERM, 3000), 128 + SIGTERM);
    char *text = wjson_read_file(log, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "status on port 1\nstarting\nstatus on port 5151\n");
    free(text);
}

static void test_dies_at_start(void)
{
    char *argv[4], err[512], log[128];
    snprintf(log, sizeof(log), "%s/dies.log", dir);
    sh_argv(argv, "echo one >&2; echo boom >&2; exit 3");
    spawn_proc p;
    spawn_opts o = {.log_path = log, .log_truncate = 1, .stdout_to_log = 1};
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "PORT ", 5000, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "sh exited with status 3 at start-up (log: one|boom|)");
    CU_ASSERT_TRUE(spawn_ended(&p, NULL, NULL, 0));
    CU_ASSERT_EQUAL(spawn_exit_code(&p), 3);

    /* the same on a pipe: the output ends, then the child */
    o.stdout_to_log = 0;
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "PORT ", 5000, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "sh exited with status 3 at start-up (log: one|boom|)");
    CU_ASSERT_EQUAL(spawn_stop(&p, SIGKILL, 1000), 3);

    char *bad[] = {"/nonexistent/wsb-prog", NULL};
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, bad, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "PORT ", 5000, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "wsb-prog exited with status 127 at start-up (log: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot execute /nonexistent/wsb-prog"));

    o.log_path = "/nonexistent/dir/x.log";
    CU_ASSERT_EQUAL(spawn_start(&p, argv, &o, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open /nonexistent/dir/x.log"));
}

static void test_no_port_line(void)
{
    char *argv[4], err[512];
    sh_argv(argv, "echo 'PORT 99999'; echo 'PORT 12x'; exec sleep 30");
    spawn_proc p;
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, argv, NULL, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "PORT ", 300, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "sh printed no \"PORT N\" line within 300 ms (see /dev/null)");
    CU_ASSERT_EQUAL(p.port, 0);
    CU_ASSERT_EQUAL(spawn_stop(&p, SIGKILL, 1000), 128 + SIGKILL);
}

static void test_env(void)
{
    char *argv[4], err[512];
    setenv("WSB_SPAWN_TEST", "parent", 1);
    setenv("WSB_SPAWN_KEEP", "kept", 1);
    sh_argv(argv, "echo \"PORT $WSB_SPAWN_TEST\"; echo \"$WSB_SPAWN_KEEP $WSB_SPAWN_NEW\"; "
                  "exec sleep 30");
    const char *const env[] = {"WSB_SPAWN_TEST=7777", "WSB_SPAWN_NEW=new", NULL};
    spawn_proc p;
    spawn_opts o = {.env = env};
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "PORT ", 5000, err, sizeof(err)), 7777);
    CU_ASSERT_EQUAL(spawn_wait_line(&p, "kept", 5000), 1);
    CU_ASSERT_STRING_EQUAL(p.line, "kept new");
    CU_ASSERT_STRING_EQUAL(getenv("WSB_SPAWN_TEST"), "parent");
    CU_ASSERT_PTR_NULL(getenv("WSB_SPAWN_NEW"));
    CU_ASSERT_EQUAL(spawn_stop(&p, SIGTERM, 3000), 128 + SIGTERM);
}

static void test_stop_needs_kill(void)
{
    char *argv[4], err[512];
    /* ignores SIGTERM; its group also holds the sleeps it starts */
    sh_argv(argv, "trap '' TERM; echo 'PORT 1000'; while :; do sleep 0.05; done");
    spawn_proc p;
    spawn_opts o = {.own_group = 1};
    CU_ASSERT_EQUAL_FATAL(spawn_start(&p, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&p, "PORT ", 5000, err, sizeof(err)), 1000);
    pid_t pid = p.pid;
    CU_ASSERT_EQUAL(spawn_signal(&p, SIGSTOP), 0); /* paused, then stopped all the same */
    CU_ASSERT_EQUAL(spawn_stop(&p, SIGTERM, 300), -1);
    CU_ASSERT_TRUE(p.ended);
    CU_ASSERT_EQUAL(spawn_exit_code(&p), 128 + SIGKILL);
    CU_ASSERT_EQUAL(running_in_group(pid), 0); /* nothing left in the group */
    char how[64];
    spawn_describe(p.status, how, sizeof(how));
    CU_ASSERT_STRING_EQUAL(how, "killed by signal 9 (Killed)");
}

static void test_stop_all(void)
{
    char *argv[4], err[512];
    sh_argv(argv, "echo 'PORT 2000'; exec sleep 30");
    spawn_proc a, b;
    spawn_opts o = {.stop_at_exit = 1};
    CU_ASSERT_EQUAL_FATAL(spawn_start(&a, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL_FATAL(spawn_start(&b, argv, &o, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(spawn_wait_port(&a, "PORT ", 5000, err, sizeof(err)), 2000);
    pid_t pa = a.pid, pb = b.pid;
    spawn_stop_all(2000);
    CU_ASSERT_TRUE(kill(pa, 0) < 0 && errno == ESRCH);
    CU_ASSERT_TRUE(kill(pb, 0) < 0 && errno == ESRCH);
    CU_ASSERT_TRUE(spawn_ended(&a, NULL, NULL, 0)); /* reaped by stop_all: status unknown */
    CU_ASSERT_EQUAL(spawn_exit_code(&a), -1);
    CU_ASSERT_EQUAL(spawn_stop(&b, SIGTERM, 100), -1);
}

int main(void)
{
    if (!testkit_mkdtemp(dir, sizeof(dir), "wsb-spawn")) {
        perror("mkdtemp");
        return 2;
    }
    CU_TestInfo tests[] = {
        {"port line from the pipe, stderr in the log", test_pipe},
        {"port line from the log, from this start on", test_log},
        {"a child that dies at start-up, or cannot execute", test_dies_at_start},
        {"a port line that never comes", test_no_port_line},
        {"extra environment entries", test_env},
        {"a stop that needs SIGKILL for the group", test_stop_needs_kill},
        {"spawn_stop_all", test_stop_all},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"spawn", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    int rc = testkit_run(suites, NULL);
    if (!rc)
        testkit_rmtree(dir);
    return rc;
}
