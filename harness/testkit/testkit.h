/* testkit: what every CUnit test program of the tree shares.
 *
 * testkit_run() is a test program's main in one call: registry, the suites of
 * a CU_SuiteInfo table, CUnit's basic verbose run with its summary, and the
 * failure count turned into an exit status. The other helpers are the small
 * pieces the test files kept writing again: where the built programs are
 * (BUILD), a temporary folder and its removal, a file written from a string,
 * a JSON text checked against a schema file, and a server started for a
 * test (through spawn, the harness's one way to run a child). */
#ifndef WSB_TESTKIT_H
#define WSB_TESTKIT_H

#include <CUnit/CUnit.h>
#include <stddef.h>

#include "spawn.h"

/* Registers every suite of the table (only the tests whose name contains
 * `only`, when it is not NULL), runs them in CU_BRM_VERBOSE and cleans the
 * registry. Returns the exit status for main: 0 when all passed, 1 on any
 * failed assertion, test or suite init/cleanup, 2 when the registry could not
 * be set up (the reason on stderr). */
int testkit_run(CU_SuiteInfo *suites, const char *only);

/* The build folder: $BUILD, or "build" when it is unset or empty. Static. */
const char *testkit_build_dir(void);
/* Fills buf with "<build>/bin/<prog>" and returns buf. */
char *testkit_bin_path(const char *prog, char *buf, size_t cap);
/* Fills buf with "<build>/test/<prog>" (a test-only program such as
 * faulty-dashboard, never shipped) and returns buf. */
char *testkit_test_bin_path(const char *prog, char *buf, size_t cap);

/* Creates "/tmp/<stem>-XXXXXX" into dir (cap bytes). Returns dir, or NULL. */
char *testkit_mkdtemp(char *dir, size_t cap, const char *stem);
/* rm -rf dir; says so on stderr when it could not. 0, or -1. */
int testkit_rmtree(const char *dir);

/* Writes text to path (created or truncated); a failed open is a fatal
 * CUnit assertion. */
void testkit_write_file(const char *path, const char *text);

/* Runs a shell command line (under `timeout`, 120 s) with stderr joined to
 * stdout; reads ALL its output (so a long message never meets a closed pipe)
 * and keeps the first cap - 1 bytes in out, NUL-terminated. Its exit status,
 * or -1 when it died by a signal. */
int testkit_run_cmd(const char *cmdline, char *out, size_t cap);

/* Starts a test's server: argv (argv[0] a path) with stdout on a pipe and
 * stderr in log (emptied first), stopped when the test program exits; then
 * waits up to timeout_ms for its "<prefix>N" line. The port (also p->port),
 * or -1 with err, the server then stopped. */
int testkit_start_server(spawn_proc *p, char *const argv[], const char *log, const char *prefix,
                         int timeout_ms, char *err, size_t errlen);

/* Validates a JSON text against a schema file (e.g. harness/results/schemas/...).
 * 0 when valid, -1 with the reason in err. */
int testkit_schema_check(const char *schema_path, const char *text, char *err, size_t errlen);

#endif
