#!/bin/sh
# Runs each test binary named on the command line from the top of the tree,
# keeps going after a failure, and exits non-zero if any failed.
# Each runs under a time bound (WSB_TEST_BOUND seconds, default 900): one
# that exceeds it is stopped (TERM, then KILL 10 s later) and reported by
# name as over its bound, so a hung test cannot hang make test.
# WSB_VALGRIND=1 runs each under valgrind memcheck (errors fail the test).
BUILD=${BUILD:-build}
BOUND=${WSB_TEST_BOUND:-900}
failed=""
for t in "$@"; do
    echo "== $t"
    if [ -n "$WSB_VALGRIND" ]; then
        timeout -k 10 "$BOUND" valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite "$BUILD/test/$t"
    else
        timeout -k 10 "$BOUND" "$BUILD/test/$t"
    fi
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "TIMEOUT: $t ran longer than its bound of $BOUND s (WSB_TEST_BOUND) and was stopped"
        failed="$failed $t(timeout)"
    elif [ $rc -ne 0 ]; then
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "FAILED:$failed"
    exit 1
fi
echo "all test programs passed: $*"
