/* test_httpc: CUnit tests of harness/httpc.c: httpc_get's error path
 * (nothing listening, with a timeout). The Prometheus text parser it uses
 * for /metrics has its own program, test_promtext. */
#include "httpc.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>
#include "testkit.h"

static void test_get_refused(void)
{
    char err[256];
    httpc_response r;
    CU_ASSERT_EQUAL(httpc_get("http://127.0.0.1:1/health", 500, &r, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "127.0.0.1:1"));
    CU_ASSERT_PTR_NULL(httpc_get_json("http://127.0.0.1:1/x", 500, err, sizeof(err)));
}

static CU_TestInfo tests[] = {
    {"get_refused", test_get_refused},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"httpc", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
