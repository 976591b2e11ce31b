#!/bin/sh
# check-walls.sh: the include rules between wsbridge's layers (ARCHITECTURE.md,
# "The walls"), checked on the tree. Prints one line per breach, naming the
# file and line, and exits 1 when there is any; 0 and a one-line summary when
# the walls hold. `make test` (through `make walls`) runs it, then its own
# self-test.
#
#   sh .ci/check-walls.sh [DIR]        check the tree at DIR (default: the repo)
#   sh .ci/check-walls.sh --self-test  copy the tree, break each wall once on
#                                      purpose and expect each breach named
#
# The rules:
#   1. the contract (harness/contract/*.[ch]) includes only its own headers,
#      and none of libwebsockets, CUnit or libcurl;
#   2. the mocks' product code (mock_server/<name>/ but tests/, testkit/ and
#      bench/: dashboard, bot, token, faultproxy) includes
#      only contract headers and its own folder's, and none of CUnit or libcurl;
#   3. a suite (suites/*.[ch]) includes only the suites' API (SUITE_API below),
#      other suites' headers, and nothing private; registry.[ch], the runner's
#      table of suites, may include runner.h as well;
#   4. a private header (*_int.h) is included only from its own folder (and
#      that folder's tests/, for test doubles such as harness/env/tests/);
#   5. no test-only program is shipped: PROGRAMS (what `make programs` builds
#      and the images copy) are added only by module.mk files outside tests/,
#      testkit/ and bench/ folders, and none of their sources lives in one.
set -u

# The suites' API: the only harness headers a suite may include.
SUITE_API="suite.h bridge.h wsclient.h flowcheck.h histogram.h httpc.h promtext.h envdriver.h
threshold.h loadengine.h loadcmd.h loadscen.h rawws.h contract.h envelope.h wjson.h jwt.h wclock.h
exchfeed.h"

self_test() {
    top=$(cd "$(dirname "$0")/.." && pwd)
    tmp=$(mktemp -d /tmp/wsb-walls-XXXXXX) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    (cd "$top" && git ls-files -z | xargs -0 cp --parents -t "$tmp") || exit 1
    fails=0
    expect() { # expect LABEL PATTERN: the check must fail and print PATTERN
        out=$(sh "$top/.ci/check-walls.sh" "$tmp" 2>&1)
        if [ $? -eq 0 ]; then
            echo "walls self-test: $1: the check passed a tree with the breach"
            fails=$((fails + 1))
        elif ! printf '%s\n' "$out" | grep -q "$2"; then
            echo "walls self-test: $1: the breach was not named ($2); got:"
            printf '%s\n' "$out" | sed 's/^/    /'
            fails=$((fails + 1))
        else
            echo "walls self-test: $1: refused: $(printf '%s\n' "$out" | grep "$2" | head -n 1)"
        fi
    }
    sh "$top/.ci/check-walls.sh" "$tmp" >/dev/null || { echo "walls self-test: the copy fails before any breach"; exit 1; }

    cp "$tmp/suites/connectivity.c" "$tmp/keep"
    printf '#include "runner.h"\n' >>"$tmp/suites/connectivity.c"
    n=$(wc -l <"$tmp/suites/connectivity.c")
    expect "suite includes a runner internal" "suites/connectivity.c:$n: .*runner.h"
    mv "$tmp/keep" "$tmp/suites/connectivity.c"

    cp "$tmp/harness/contract/envelope.c" "$tmp/keep"
    printf '#include "httpc.h"\n' >>"$tmp/harness/contract/envelope.c"
    n=$(wc -l <"$tmp/harness/contract/envelope.c")
    expect "contract includes the harness" "harness/contract/envelope.c:$n: .*httpc.h"
    mv "$tmp/keep" "$tmp/harness/contract/envelope.c"

    cp "$tmp/harness/contract/jwt.c" "$tmp/keep"
    printf '#include <curl/curl.h>\n' >>"$tmp/harness/contract/jwt.c"
    n=$(wc -l <"$tmp/harness/contract/jwt.c")
    expect "contract includes libcurl" "harness/contract/jwt.c:$n: .*curl/curl.h"
    mv "$tmp/keep" "$tmp/harness/contract/jwt.c"

    cp "$tmp/mock_server/dashboard/dashboard.c" "$tmp/keep"
    printf '#include "results.h"\n' >>"$tmp/mock_server/dashboard/dashboard.c"
    n=$(wc -l <"$tmp/mock_server/dashboard/dashboard.c")
    expect "mock includes a harness internal" "mock_server/dashboard/dashboard.c:$n: .*results.h"
    mv "$tmp/keep" "$tmp/mock_server/dashboard/dashboard.c"

    cp "$tmp/mock_server/bot/bot_conn.c" "$tmp/keep"
    printf '#include <CUnit/CUnit.h>\n' >>"$tmp/mock_server/bot/bot_conn.c"
    n=$(wc -l <"$tmp/mock_server/bot/bot_conn.c")
    expect "mock includes CUnit" "mock_server/bot/bot_conn.c:$n: .*CUnit"
    mv "$tmp/keep" "$tmp/mock_server/bot/bot_conn.c"

    cp "$tmp/harness/testkit/module.mk" "$tmp/keep"
    printf 'PROGRAMS += faulty-dashboard\n' >>"$tmp/harness/testkit/module.mk"
    n=$(wc -l <"$tmp/harness/testkit/module.mk")
    expect "test program shipped" "harness/testkit/module.mk:$n: .*shipped"
    mv "$tmp/keep" "$tmp/harness/testkit/module.mk"

    cp "$tmp/harness/tools/module.mk" "$tmp/keep"
    printf 'wsb-merge_SRCS += harness/testkit/testkit.c\n' >>"$tmp/harness/tools/module.mk"
    expect "shipped program built from a test kit" "wsb-merge.*harness/testkit/testkit.c"
    mv "$tmp/keep" "$tmp/harness/tools/module.mk"

    priv=$(cd "$tmp" && find harness mock_server -name '*_int.h' | head -n 1)
    if [ -n "$priv" ]; then
        printf '#include "%s"\n' "$(basename "$priv")" >>"$tmp/harness/wsclient.c"
        n=$(wc -l <"$tmp/harness/wsclient.c")
        expect "private header from another folder" "harness/wsclient.c:$n: .*$(basename "$priv")"
    fi
    [ $fails -eq 0 ] && echo "walls self-test: every breach was refused and named"
    [ $fails -eq 0 ]
}

[ "${1:-}" = "--self-test" ] && { self_test; exit $?; }

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

breaches=$(mktemp /tmp/wsb-walls-out-XXXXXX) || exit 2
trap 'rm -f "$breaches"' EXIT

breach() { echo "$1:$2: $3" >>"$breaches"; }

# 1-4 in one pass over every source file (awk: a fork per file is slow).
files=$(find harness mock_server suites -name '*.[ch]' | sort)
headers=$(find harness mock_server suites -name '*.h' | sort | tr '\n' ' ')
# shellcheck disable=SC2086
awk -v headers="$headers" -v api="$(echo $SUITE_API)" '
BEGIN {
    n = split(headers, h, " "); for (i = 1; i <= n; i++) have[h[i]] = 1
    n = split(api, a, " "); for (i = 1; i <= n; i++) suite_api[a[i]] = 1
}
FNR == 1 { dir = FILENAME; sub(/\/[^\/]*$/, "", dir); base = FILENAME; sub(/^.*\//, "", base) }
function out(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg }
/^[ \t]*#[ \t]*include[ \t]*["<]/ {
    s = $0; sub(/^[^"<]*["<]/, "", s); kind = ($0 ~ /include[ \t]*"/) ? "q" : "a"; sub(/[">].*$/, "", s)
    hdr = s; sub(/^.*\//, "", hdr)
    parent = dir; sub(/\/[^\/]*$/, "", parent)
    if (hdr ~ /_int\.h$/ && !((dir "/" hdr) in have) && !(dir ~ /\/tests$/ && (parent "/" hdr) in have))
        out("includes the private header " s " of another folder")
    if (dir == "harness/contract") {
        if (kind == "q" && !((dir "/" s) in have))
            out("the contract includes \"" s "\", which is not in harness/contract/")
        if (kind == "a" && (s == "libwebsockets.h" || s ~ /^CUnit\// || s ~ /^curl\//))
            out("the contract includes <" s "> (it depends on cJSON, libc, regex and OpenSSL only)")
    } else if (dir ~ /^mock_server\/[^\/]+$/ && dir !~ /\/(tests|testkit|bench)$/) {
        if (kind == "q" && !((dir "/" s) in have) && !(("harness/contract/" s) in have))
            out("mock product code includes \"" s "\" (only harness/contract/ and its own folder)")
        if (kind == "a" && (s ~ /^CUnit\// || s ~ /^curl\//))
            out("mock product code includes <" s "> (the mocks link the contract and libwebsockets only)")
    } else if (dir == "suites") {
        if (kind == "q" && !((dir "/" s) in have) && !(s in suite_api) &&
            !(s == "runner.h" && base ~ /^registry\./))
            out("a suite includes \"" s "\", which is not in the suites\x27 API (" api ")")
    }
}' $files >>"$breaches"

# 5. nothing test-only among the shipped programs
for mk in $(find harness mock_server suites -name module.mk | sort); do
    case "$mk" in
    */tests/* | */testkit/* | */bench/*)
        grep -n '^[ \t]*PROGRAMS[ \t]*+\?=' "$mk" | while IFS=: read -r line _; do
            breach "$mk" "$line" "a test-only folder adds to PROGRAMS (shipped in every image); use TEST_PROGRAMS"
        done
        ;;
    esac
done
if command -v make >/dev/null 2>&1; then
    make -s --no-print-directory -f Makefile list-programs 2>/dev/null |
        while read -r prog srcs; do
            for s in $srcs; do
                case "$s" in */tests/* | */testkit/* | */bench/*)
                    # name the fragment line that adds it (or the Makefile)
                    at=$(grep -n -F "$s" $(find harness mock_server suites -name module.mk) |
                        grep -F "${prog%:}_SRCS" | head -n 1 | cut -d: -f1,2)
                    [ -n "$at" ] || at="Makefile:1"
                    breach "${at%:*}" "${at##*:}" "shipped program ${prog%:} is built from $s, a test-only file" ;;
                esac
            done
        done
fi

if [ -s "$breaches" ]; then
    cat "$breaches"
    echo "walls: $(wc -l <"$breaches") breach(es); the rules are in ARCHITECTURE.md"
    exit 1
fi
echo "walls: hold ($(echo "$files" | wc -l) files checked)"
