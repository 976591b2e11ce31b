# harness: programs, tests and benchmarks of the harness core.
# One block per program/test/benchmark; main files live in subfolders
# (harness/tools/, harness/tests/, harness/bench/) so the core library
# wildcard harness/*.c does not pick them up.

TESTS += test-wjson
test-wjson_SRCS := harness/tests/test_wjson.c harness/tests/cutest.c

TESTS += test-envelope
test-envelope_SRCS := harness/tests/test_envelope.c harness/tests/cutest.c

TESTS += test-jsonschema
test-jsonschema_SRCS := harness/tests/test_jsonschema.c harness/tests/cutest.c

TESTS += test-contract
test-contract_SRCS := harness/tests/test_contract.c harness/tests/cutest.c

PROGRAMS += wsb-validate
wsb-validate_SRCS := harness/tools/validate_main.c

TESTS += test-validate
test-validate_SRCS := harness/tests/test_validate.c harness/tests/cutest.c

BENCHES += bench-contract
bench-contract_SRCS := harness/bench/bench_contract.c
