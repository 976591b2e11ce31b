/* connectivity: the checks of the connectivity suite,
 * callable on their own so the harness's faulty-peer tests run exactly the
 * code the suite runs. Each returns CHECK_PASS, CHECK_FAIL or CHECK_SKIP with
 * a one-line message in msg naming what was wrong (or why skipped), and
 * reports its figures through suite_metric(). */
#ifndef WSB_SUITE_CONNECTIVITY_H
#define WSB_SUITE_CONNECTIVITY_H

#include <stddef.h>

#include "bridge.h"

check_result connectivity_check_handshake(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_auth(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_exchange(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_ping_pong(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_concurrent(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_capacity_ramp(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_large_messages(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_close_normal(const suite_ctx *ctx, char *msg, size_t len);
check_result connectivity_check_close_shutdown(const suite_ctx *ctx, char *msg, size_t len);

#endif
