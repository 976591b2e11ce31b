# harness/env: the environment drivers (native, docker, external, the suite
# child's remote driver) and the Docker Engine API client; part of libwsbharness.a.
INCDIRS += harness/env
wsbharness_SRCS += $(wildcard harness/env/*.c)
