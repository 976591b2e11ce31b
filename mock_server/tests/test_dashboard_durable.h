/* test_dashboard_durable: the durability and limit tests of test-dashboard
 * (test_dashboard_durable.c), a suite of their own in test_dashboard.c's main. */
#ifndef WSB_TEST_DASHBOARD_DURABLE_H
#define WSB_TEST_DASHBOARD_DURABLE_H

#include <CUnit/CUnit.h>

extern CU_TestInfo test_dashboard_durable_tests[];

#endif
