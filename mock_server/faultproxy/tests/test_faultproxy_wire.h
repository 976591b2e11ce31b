/* test_faultproxy_wire: the toxics measured on the wire, a suite of
 * test-faultproxy (test_faultproxy_wire.c) run from test_faultproxy.c's main. */
#ifndef WSB_TEST_FAULTPROXY_WIRE_H
#define WSB_TEST_FAULTPROXY_WIRE_H

#include <CUnit/CUnit.h>

extern CU_TestInfo test_faultproxy_wire_tests[];

#endif
