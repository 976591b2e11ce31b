# harness/env/tests: test doubles of the environment driver (env_fake.c),
# in no library: a test program that needs one lists its file in its _SRCS.
INCDIRS += harness/env/tests
