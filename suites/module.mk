# suites: one file per suite on the suites' API (ARCHITECTURE.md), and the
# registry that lists them, as libwsbsuites.a (linked by wsb-harness and by
# test-suites-faulty).
INCDIRS   += suites
LIBRARIES += wsbsuites
wsbsuites_SRCS := $(wildcard suites/*.c)
