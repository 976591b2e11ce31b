# --- the harness runner (helper h5): wsb-harness, its suites and the runner's tests ---
PROGRAMS += wsb-harness
wsb-harness_SRCS := harness/main.c suites/registry.c

PROGRAMS += wsb-merge
wsb-merge_SRCS := harness/tools/merge_main.c

TESTS += test-histogram
test-histogram_SRCS := harness/tests/test_histogram.c harness/tests/cutest.c

TESTS += test-results
test-results_SRCS := harness/tests/test_results.c harness/tests/cutest.c

TESTS += test-runner
test-runner_SRCS := harness/tests/test_runner.c harness/tests/cutest.c
TESTS += test-env-native
test-env-native_SRCS := harness/tests/test_env_native.c harness/tests/cutest.c
TESTS += test-httpc
test-httpc_SRCS := harness/tests/test_httpc.c harness/tests/cutest.c

TESTS += test-merge
test-merge_SRCS := harness/tests/test_merge.c harness/tests/cutest.c

# The short native run (make test's end-to-end part): the real dashboard and
# bot on free ports of 127.0.0.1, every built suite at CI sizes; ~30-45 s.
.PHONY: short-native
short-native: $(BUILD)/bin/wsb-harness $(BUILD)/bin/wsb-dashboard $(BUILD)/bin/wsb-bot
	rm -rf $(BUILD)/short-native
	$(BUILD)/bin/wsb-harness --native --profile short --bin-dir $(BUILD)/bin \
	    --results $(BUILD)/short-native --suite-timeout 300
# --- end of the harness runner block ---
# --- h7 begin: WebSocket client engine tests, faulty peer, connectivity/message_flow suites ---
wsb-harness_SRCS += suites/connectivity.c suites/message_flow.c

# a dashboard that misbehaves on purpose (--fault NAME), for the harness's own tests
PROGRAMS += faulty-dashboard
faulty-dashboard_SRCS := harness/tests/faulty_dashboard.c

TESTS += test-wsclient
test-wsclient_SRCS := harness/tests/test_wsclient.c harness/tests/testproc.c harness/tests/cutest.c

# the suites' checks against a dashboard that drops, duplicates, reorders, corrupts...
TESTS += test-suites-faulty
test-suites-faulty_SRCS := harness/tests/test_suites_faulty.c harness/tests/testproc.c \
                           suites/connectivity.c suites/message_flow.c harness/tests/cutest.c
# --- h7 end ---
