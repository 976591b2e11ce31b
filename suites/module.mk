# --- the harness runner (helper h5): wsb-harness, its suites and the runner's tests ---
PROGRAMS += wsb-harness
wsb-harness_SRCS := harness/main.c suites/registry.c

TESTS += test-histogram
test-histogram_SRCS := harness/tests/test_histogram.c

TESTS += test-results
test-results_SRCS := harness/tests/test_results.c

TESTS += test-runner
test-runner_SRCS := harness/tests/test_runner.c
# --- end of the harness runner block ---
