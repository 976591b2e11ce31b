/* test_procstat: CUnit tests of the /proc readers (harness/procstat.c) on
 * this process and on one that does not exist: CPU time grows with work,
 * the RSS is plausible, the parent, group and state are right, and a gone
 * pid reads -1. */
#include "procstat.h"

#include <CUnit/Basic.h>
#include <unistd.h>
#include "testkit.h"

static void test_self(void)
{
    pid_t me = getpid();
    long long t0 = procstat_cpu_ticks(me);
    CU_ASSERT_TRUE(t0 >= 0);
    volatile double x = 0;
    long hz = sysconf(_SC_CLK_TCK);
    for (long i = 0; procstat_cpu_ticks(me) < t0 + 2 && i < 2000000000L; i++)
        x += (double)i * 0.5; /* burn two ticks of CPU */
    CU_ASSERT_TRUE(procstat_cpu_ticks(me) >= t0 + 2);
    double s = procstat_cpu_seconds(me);
    CU_ASSERT_TRUE(s >= (double)(t0 + 2) / (double)hz - 1e-9);
    long long rss = procstat_rss_bytes(me);
    CU_ASSERT_TRUE(rss > 64 * 1024 && rss < 4LL * 1024 * 1024 * 1024);
    CU_ASSERT_EQUAL(procstat_ppid(me), getppid());
    CU_ASSERT_EQUAL(procstat_pgrp(me), getpgrp());
    CU_ASSERT_EQUAL(procstat_state(me), 'R'); /* it is reading its own state */
}

static void test_gone(void)
{
    pid_t none = 0x3ffffff; /* above any pid_max */
    CU_ASSERT_EQUAL(procstat_cpu_ticks(none), -1);
    CU_ASSERT_TRUE(procstat_cpu_seconds(none) < 0);
    CU_ASSERT_EQUAL(procstat_rss_bytes(none), -1);
    CU_ASSERT_EQUAL(procstat_ppid(none), -1);
    CU_ASSERT_EQUAL(procstat_pgrp(none), -1);
    CU_ASSERT_EQUAL(procstat_state(none), 0);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"this process", test_self},
        {"a pid that does not exist", test_gone},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"procstat", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
