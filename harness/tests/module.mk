# harness/tests: the harness core's unit and integration tests. test-dockerapi
# runs against the real engine; it is skipped (exit 0, says so) when no engine
# answers, and fails then when WSB_REQUIRE_DOCKER=1 (.ci/run). test-wsclient
# and test-suites-faulty (the suites' checks against a dashboard that drops,
# duplicates, reorders, corrupts...) run against faulty-dashboard; test-security-faulty runs
# the security catalogue against wsb-dashboard and faulty-dashboard; test-rawws the raw client.
HARNESS_TESTS := histogram results results-html compare monitor runner env-native httpc promtext \
                 merge dockerapi validate procstat spawn wsclient rawws suites-faulty fault-faulty \
                 perf-faulty integ-faulty threshold security-faulty security-tls
TESTS += $(HARNESS_TESTS:%=test-%)
$(foreach t,$(HARNESS_TESTS),$(eval test-$(t)_SRCS := harness/tests/test_$(subst -,_,$(t)).c harness/testkit/testkit.c))
# the tests that run suites' checks directly get the suite API without the runner
SUITEKIT_TESTS := suites-faulty fault-faulty perf-faulty integ-faulty threshold security-faulty security-tls
$(foreach t,$(SUITEKIT_TESTS),$(eval test-$(t)_SRCS += harness/testkit/suitekit.c))
# the runner's tests drive a scripted environment driver
test-runner_SRCS += harness/env/tests/env_fake.c
test-env-native_SRCS += harness/env/tests/env_fake.c
# test-perf-replay: the performance suite's exchange replay and --live-url against faulty
# recordings, faulty-dashboard and feed-peer
TESTS += test-perf-replay
test-perf-replay_SRCS := harness/tests/test_perf_replay.c harness/testkit/testkit.c \
                         harness/testkit/suitekit.c
