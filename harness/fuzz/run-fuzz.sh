#!/bin/sh
# run-fuzz.sh: runs the libFuzzer targets that `make fuzz` built into
# $FUZZ_BUILD/bin (harness/fuzz/README.md). The top Makefile calls it; by hand:
#
#   sh harness/fuzz/run-fuzz.sh run   NAME:CORPUS:DICT...   FUZZ_TIME s each
#   sh harness/fuzz/run-fuzz.sh smoke NAME:CORPUS:DICT...   each seed once
#   sh harness/fuzz/run-fuzz.sh merge NAME:CORPUS:DICT...   keep new coverage
#   sh harness/fuzz/run-fuzz.sh check CC                    can CC build fuzzers?
#
# run: the seeds are copied to $FUZZ_BUILD/corpus/NAME (the seed folder is
# never written), each target fuzzes for FUZZ_TIME seconds (default 60) with
# its dictionary, and a table of executions, exec/s and coverage (cov: edges,
# ft: features) follows. A crash, leak, timeout (FUZZ_UNIT_TIMEOUT s per input,
# default 10) or out-of-memory fails the run; the reproducer is kept in
# $FUZZ_BUILD/crashes/NAME-crash-<sha1> (libFuzzer's naming), the log in
# $FUZZ_BUILD/logs/NAME.log. FUZZ_ARGS adds libFuzzer flags (-max_len=65536).
# merge: adds to the seed folder the inputs of the last run's scratch corpus
# that reach code the seeds do not (libFuzzer -merge=1).
set -u

mode=${1:-}
[ $# -gt 0 ] && shift
B=${FUZZ_BUILD:-build-fuzz}
T=${FUZZ_TIME:-60}
UT=${FUZZ_UNIT_TIMEOUT:-10}

if [ "$mode" = check ]; then
    tmp=$(mktemp -d /tmp/wsb-fuzzcheck-XXXXXX) || exit 1
    printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/t.c"
    ${1:-clang} -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1
    rc=$?
    rm -rf "$tmp"
    [ $rc -eq 0 ] || echo "wsbridge: ${1:-clang} cannot build libFuzzer targets (clang and its runtime, libclang-rt-dev on Debian)" >&2
    exit $rc
fi

case "$mode" in run|smoke|merge) ;; *)
    echo "usage: run-fuzz.sh run|smoke|merge NAME:CORPUS:DICT... | check CC" >&2; exit 2 ;;
esac
[ $# -gt 0 ] || { echo "run-fuzz.sh: no fuzz target selected (FUZZ_TARGETS?)" >&2; exit 2; }

mkdir -p "$B/crashes" "$B/logs" "$B/corpus"
fails=0
rows=""
for spec in "$@"; do
    name=${spec%%:*}
    rest=${spec#*:}
    corpus=${rest%%:*}
    dict=${rest#*:}
    bin=$B/bin/$name
    log=$B/logs/$name.log
    scratch=$B/corpus/$name
    set -- -artifact_prefix="$B/crashes/$name-" -timeout="$UT"
    [ -n "$dict" ] && set -- "$@" -dict="$dict"
    case "$mode" in
    smoke)
        echo "== $name: $(ls "$corpus" | wc -l) seeds, once each"
        # shellcheck disable=SC2086
        if "$bin" "$@" ${FUZZ_ARGS:-} "$corpus"/* >"$log" 2>&1; then
            echo "   ok"
        else
            echo "   FAILED (log: $log)"; tail -n 30 "$log" | sed 's/^/   | /'
            fails=$((fails + 1))
        fi
        ;;
    merge)
        if [ ! -d "$scratch" ]; then
            echo "== $name: no scratch corpus in $scratch (run make fuzz first)"; continue
        fi
        before=$(ls "$corpus" | wc -l)
        # shellcheck disable=SC2086
        if "$bin" -merge=1 "$@" ${FUZZ_ARGS:-} "$corpus" "$scratch" >"$log" 2>&1; then
            echo "== $name: $before seeds -> $(ls "$corpus" | wc -l) in $corpus"
        else
            echo "== $name: merge FAILED (log: $log)"; fails=$((fails + 1))
        fi
        ;;
    run)
        rm -rf "$scratch"
        mkdir -p "$scratch"
        cp "$corpus"/* "$scratch"/
        echo "== $name: $T s, $(ls "$corpus" | wc -l) seeds (scratch: $scratch)"
        # shellcheck disable=SC2086
        "$bin" "$@" -max_total_time="$T" -print_final_stats=1 ${FUZZ_ARGS:-} "$scratch" \
            >"$log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
        cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
        corp=$(ls "$scratch" | wc -l)
        verdict=clean
        if [ $rc -ne 0 ]; then
            verdict=FAILED
            fails=$((fails + 1))
            echo "   FAILED (exit $rc; log: $log)"
            # the report without libFuzzer's progress and its own stack frames
            grep -v -E '^(#[0-9]+[[:space:]]|INFO:|Dictionary:|Loading corpus|Loaded |NOTE: |  +Combine |stat::|artifact_prefix)' "$log" |
                grep -v -E ' in (fuzzer::|__sanitizer_print|__libc_|_start|main |__pthread_kill|raise |abort )|libc\.so' |
                head -n 20 | sed 's/^/   | /'
            grep -E '^(Test unit written|artifact_prefix)' "$log" | sed 's/^/   | /'
        fi
        rows="$rows$(printf '%-22s %10s %8s %-22s %6s  %s' "$name" "${execs:-?}" "${eps:-?}" "${cov:-?}" "$corp" "$verdict")
"
        ;;
    esac
done
if [ "$mode" = run ]; then
    echo
    printf '%-22s %10s %8s %-22s %6s  %s\n' target execs exec/s coverage corpus verdict
    printf '%s' "$rows"
    [ $fails -gt 0 ] && echo "reproducers: $B/crashes/ (rerun one: $B/bin/NAME FILE)"
fi
[ $fails -eq 0 ]
