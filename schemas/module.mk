# schemas: the contract's example-based test (helper h2). The schema files and
# schemas/examples/ are data; harness/tests/test_schemas.c checks every example.
TESTS += test-schemas
test-schemas_SRCS := harness/tests/test_schemas.c harness/tests/cutest.c
