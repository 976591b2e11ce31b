/* load_tests: the checks of the load suite, callable on their own so the
 * load engine's faulty-peer tests run exactly the code the suite runs. Each
 * returns CHECK_PASS, CHECK_FAIL or CHECK_SKIP with a one-line message in msg
 * and reports its figures through suite_metric(). */
#ifndef WSB_SUITE_LOAD_TESTS_H
#define WSB_SUITE_LOAD_TESTS_H

#include <stddef.h>

#include "bridge.h"

check_result load_tests_check_basic(const suite_ctx *ctx, char *msg, size_t len);
check_result load_tests_check_concurrent(const suite_ctx *ctx, char *msg, size_t len);
check_result load_tests_check_capacity(const suite_ctx *ctx, char *msg, size_t len);
check_result load_tests_check_errors(const suite_ctx *ctx, char *msg, size_t len);
check_result load_tests_check_commands(const suite_ctx *ctx, char *msg, size_t len);
check_result load_tests_check_scenarios(const suite_ctx *ctx, char *msg, size_t len);

extern const suite_def suite_load_tests;

#endif
