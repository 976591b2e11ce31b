# harness/results: the result model, its writers and reader, the merge of
# workers' results; part of libwsbharness.a. schemas/ holds the versioned
# formats of test_summary.json and the histogram files.
INCDIRS += harness/results
wsbharness_SRCS += $(wildcard harness/results/*.c)
