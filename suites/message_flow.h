/* message_flow: the checks of the message-flow suite, callable
 * on their own so the harness's faulty-peer tests run exactly the code the
 * suite runs. Each returns CHECK_PASS, CHECK_FAIL, CHECK_SKIP or CHECK_BREACH with a
 * one-line message naming the problem (or the reason for the skip). The
 * judging itself is flowcheck.c's. */
#ifndef WSB_SUITE_MESSAGE_FLOW_H
#define WSB_SUITE_MESSAGE_FLOW_H

#include <stddef.h>

#include "bridge.h"

check_result message_flow_check_schema(const suite_ctx *ctx, char *msg, size_t len);
check_result message_flow_check_order(const suite_ctx *ctx, char *msg, size_t len);
check_result message_flow_check_integrity(const suite_ctx *ctx, char *msg, size_t len);
check_result message_flow_check_filters(const suite_ctx *ctx, char *msg, size_t len);
check_result message_flow_check_resume(const suite_ctx *ctx, char *msg, size_t len);
check_result message_flow_check_invalid_publish(const suite_ctx *ctx, char *msg, size_t len);
check_result message_flow_check_end_to_end(const suite_ctx *ctx, char *msg, size_t len);
/* message_flow_once.c: a resent source+seq is acked and relayed once */
check_result message_flow_check_exactly_once(const suite_ctx *ctx, char *msg, size_t len);

#endif
