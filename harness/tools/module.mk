# harness/tools: small shipped programs on the harness and contract libraries.
PROGRAMS += wsb-merge wsb-validate
wsb-merge_SRCS := harness/tools/merge_main.c
wsb-validate_SRCS := harness/tools/validate_main.c
PROGRAMS += wsb-exchgen
wsb-exchgen_SRCS := harness/tools/exchgen_main.c
