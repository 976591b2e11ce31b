# mock_server/faultproxy/tests: test-faultproxy, wsb-faultproxy's tests
# against the real binary (API answers and each toxic measured on the wire).
TESTS += test-faultproxy
test-faultproxy_SRCS := mock_server/faultproxy/tests/test_faultproxy.c \
                        harness/testkit/testkit.c
