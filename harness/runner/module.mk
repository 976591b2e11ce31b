# harness/runner: wsb-harness (main.c, with its options in cli.c and the suite
# profiles in profiles.c) and the runner that selects suites and runs each in
# a forked child under a watchdog (runner*.c). Everything but main.c is part
# of libwsbharness.a; main.c is the program.
INCDIRS += harness/runner
wsbharness_SRCS += $(filter-out harness/runner/main.c,$(wildcard harness/runner/*.c))
PROGRAMS += wsb-harness
wsb-harness_SRCS := harness/runner/main.c
