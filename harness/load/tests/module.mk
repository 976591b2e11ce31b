# harness/load/tests: the load engine's tests: the frame parser and field scan
# (test-loadframe), the engine against load-peer, a WebSocket server that
# misbehaves on purpose (test-loadengine), and the load suite's checks against
# faulty-dashboard and a capped wsb-dashboard (test-load-suite), and wsb-load as a
# command: /metrics through promtool, its time series, exit codes (test-wsbload).
LOAD_TESTS := loadframe
TESTS += $(LOAD_TESTS:%=test-%)
$(foreach t,$(LOAD_TESTS),$(eval test-$(t)_SRCS := harness/load/tests/test_$(t).c harness/testkit/testkit.c))
TEST_PROGRAMS += load-peer
load-peer_SRCS := harness/load/tests/load_peer.c
TESTS += test-loadengine
test-loadengine_SRCS := harness/load/tests/test_loadengine.c harness/testkit/testkit.c
TESTS += test-load-suite
test-load-suite_SRCS := harness/load/tests/test_load_suite.c harness/testkit/testkit.c \
                        harness/testkit/suitekit.c
TESTS += test-wsbload
test-wsbload_SRCS := harness/load/tests/test_wsbload.c harness/testkit/testkit.c
