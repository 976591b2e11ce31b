/* testkit: the shared main and small helpers of the CUnit test programs
 * (see testkit.h). */
#include "testkit.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jsonschema.h"
#include "wjson.h"

/* CU_register_suites with a name filter on the tests. */
static int register_only(CU_SuiteInfo *suites, const char *only)
{
    for (CU_SuiteInfo *si = suites; si->pName; si++) {
        CU_pSuite s = CU_add_suite_with_setup_and_teardown(
            si->pName, si->pInitFunc, si->pCleanupFunc, si->pSetUpFunc, si->pTearDownFunc);
        if (!s)
            return -1;
        for (CU_TestInfo *ti = si->pTests; ti && ti->pName; ti++)
            if ((!only || strstr(ti->pName, only)) && !CU_add_test(s, ti->pName, ti->pTestFunc))
                return -1;
    }
    return 0;
}

int testkit_run(CU_SuiteInfo *suites, const char *only)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CU_initialize_registry: %s\n", CU_get_error_msg());
        return 2;
    }
    if (register_only(suites, only) != 0) {
        fprintf(stderr, "registering the tests: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

const char *testkit_build_dir(void)
{
    const char *b = getenv("BUILD");
    return b && *b ? b : "build";
}

char *testkit_bin_path(const char *prog, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/bin/%s", testkit_build_dir(), prog);
    return buf;
}

char *testkit_test_bin_path(const char *prog, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/test/%s", testkit_build_dir(), prog);
    return buf;
}

char *testkit_mkdtemp(char *dir, size_t cap, const char *stem)
{
    if ((size_t)snprintf(dir, cap, "/tmp/%s-XXXXXX", stem) >= cap)
        return NULL;
    return mkdtemp(dir);
}

int testkit_rmtree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
        return -1;
    }
    return 0;
}

void testkit_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

int testkit_run_cmd(const char *cmdline, char *out, size_t cap)
{
    size_t len = strlen(cmdline) + 64;
    char *cmd = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
    snprintf(cmd, len, "timeout -k 5 120 %s 2>&1", cmdline);
    FILE *f = popen(cmd, "r");
    free(cmd);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = 0;
    char sink[4096];
    for (;;) {
        size_t want = n + 1 < cap ? cap - 1 - n : sizeof(sink);
        char *to = n + 1 < cap ? out + n : sink;
        size_t got = fread(to, 1, want, f);
        if (got == 0)
            break;
        if (to != sink)
            n += got;
    }
    if (cap)
        out[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int testkit_start_server(spawn_proc *p, char *const argv[], const char *log, const char *prefix,
                         int timeout_ms, char *err, size_t errlen)
{
    spawn_opts o = {.log_path = log, .log_truncate = 1, .stop_at_exit = 1};
    if (spawn_start(p, argv, &o, err, errlen) < 0)
        return -1;
    int port = spawn_wait_port(p, prefix, timeout_ms, err, errlen);
    if (port < 0)
        spawn_stop(p, SIGKILL, 1000);
    return port;
}

int testkit_schema_check(const char *schema_path, const char *text, char *err, size_t errlen)
{
    jsonschema_registry *reg = jsonschema_registry_new();
    jsonschema *s = jsonschema_add_file(reg, schema_path, err, errlen);
    int rc = -1;
    if (s && jsonschema_registry_resolve(reg, err, errlen) == 0) {
        cJSON *j = wjson_parse(text, strlen(text), 64, err, errlen);
        if (j) {
            rc = jsonschema_validate(s, j, err, errlen);
            cJSON_Delete(j);
        }
    }
    jsonschema_registry_free(reg);
    return rc;
}
