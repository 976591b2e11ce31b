#!/bin/sh
# Runs each test binary named on the command line from the top of the tree,
# keeps going after a failure, and exits non-zero if any failed.
# WSB_VALGRIND=1 runs each under valgrind memcheck (errors fail the test).
BUILD=${BUILD:-build}
failed=""
for t in "$@"; do
    echo "== $t"
    if [ -n "$WSB_VALGRIND" ]; then
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            "$BUILD/test/$t" || failed="$failed $t"
    else
        "$BUILD/test/$t" || failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "FAILED:$failed"
    exit 1
fi
echo "all test programs passed: $*"
