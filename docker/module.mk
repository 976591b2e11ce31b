# --- Docker orchestration (helper h6): Docker Engine API client tests ---
# harness/dockerapi.c and harness/env_docker.c are part of the core library.
# test-dockerapi runs against the real engine; it is skipped (exit 0, says so)
# when no engine answers, and fails then when WSB_REQUIRE_DOCKER=1 (.ci/run).
TESTS += test-dockerapi
test-dockerapi_SRCS := harness/tests/test_dockerapi.c harness/tests/cutest.c
# --- end of the Docker block ---

# `make programs`: only the programs (no tests, no benchmarks): what the
# Docker build stage runs. Recursive so that it sees PROGRAMS from every
# fragment, whatever the include order.
.PHONY: programs
programs: deps
	@$(MAKE) --no-print-directory $(PROGRAMS:%=$(BUILD)/bin/%)
