# mock_server/faultproxy/tests: test-faultproxy, wsb-faultproxy's tests against
# the real binary: the API's answers (test_faultproxy.c) and each toxic measured
# on the wire (test_faultproxy_wire.c), over what they share (fptk.c).
TESTS += test-faultproxy
test-faultproxy_SRCS := mock_server/faultproxy/tests/test_faultproxy.c \
                        mock_server/faultproxy/tests/test_faultproxy_wire.c \
                        mock_server/faultproxy/tests/fptk.c \
                        harness/testkit/testkit.c
