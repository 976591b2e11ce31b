# harness/load/tests: the load engine's tests: the frame parser and field scan
# (test-loadframe), and the engine against load-peer, a WebSocket server that
# misbehaves on purpose (test-loadengine).
LOAD_TESTS := loadframe
TESTS += $(LOAD_TESTS:%=test-%)
$(foreach t,$(LOAD_TESTS),$(eval test-$(t)_SRCS := harness/load/tests/test_$(t).c harness/testkit/testkit.c))
TEST_PROGRAMS += load-peer
load-peer_SRCS := harness/load/tests/load_peer.c
TESTS += test-loadengine
test-loadengine_SRCS := harness/load/tests/test_loadengine.c harness/testkit/testkit.c
