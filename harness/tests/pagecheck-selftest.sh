#!/bin/sh
# pagecheck-selftest.sh: proves that harness/testkit/pagecheck.js (the
# headless-Chromium check of test_report.html and the dashboard's live view)
# can fail: it must pass the good page of harness/tests/pages/ and fail each
# faulty one with a message naming the problem. Usage: pagecheck-selftest.sh
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="$TOP/harness/testkit/pagecheck.js"
PAGES="$TOP/harness/tests/pages"
out=$(mktemp)
shot=$(mktemp --suffix=.png)
trap 'rm -f "$out" "$shot"' EXIT INT TERM
fails=0

# expect RC PATTERN ARGS...: pagecheck exits RC and prints PATTERN (grep -E).
expect() {
    want_rc=$1 pattern=$2
    shift 2
    timeout 90 node "$CHECK" --timeout 30 "$@" >"$out" 2>&1
    rc=$?
    if [ "$rc" != "$want_rc" ] || ! grep -qE "$pattern" "$out"; then
        echo "pagecheck-selftest: FAIL: pagecheck $*: exit $rc (wanted $want_rc), output:" >&2
        sed 's/^/    /' "$out" >&2
        echo "    (wanted a line matching: $pattern)" >&2
        fails=$((fails + 1))
    else
        echo "pagecheck-selftest: ok: $(basename "$2" 2>/dev/null) $(grep -E "$pattern" "$out" | head -n 1)"
    fi
}

expect 0 "OK: no console errors" --file "$PAGES/ok.html" --expect "#verdict" --min-charts 1 \
    --screenshot "$shot"
[ -s "$shot" ] && head -c 8 "$shot" | grep -q PNG || {
    echo "pagecheck-selftest: FAIL: no PNG screenshot written" >&2
    fails=$((fails + 1))
}
expect 1 "FAIL: console.error: boom from the page" --file "$PAGES/console_error.html"
expect 1 "FAIL: page exception: TypeError" --file "$PAGES/exception.html"
expect 1 "FAIL: chart #empty announces 5 data points but drew nothing" \
    --file "$PAGES/undrawn_chart.html"
expect 1 "FAIL: chart #hidden has no size" --file "$PAGES/hidden_chart.html"
expect 1 "FAIL: browser error .*127.0.0.1:9" --file "$PAGES/external.html"
expect 1 "FAIL: expected at least 1 × \"#nothing\", found 0" --file "$PAGES/ok.html" \
    --expect "#nothing"
expect 1 "FAIL: expected at least 3 charts \(svg.chart\), found 1" --file "$PAGES/ok.html" \
    --min-charts 3
expect 1 "FAIL: \"#verdict\" says \"PASSED\", expected \"FAILED\"" --file "$PAGES/ok.html" \
    --expect-text "#verdict=FAILED"
# a bounded wait: the element never comes, the check says so after 3 s
expect 1 "FAIL: waited 3 s for 1 × \"#never\": found 0" --file "$PAGES/ok.html" \
    --wait-for "#never" --timeout 3
expect 1 "FAIL: waited 3 s for document.title === 'never': still false" --file "$PAGES/ok.html" \
    --wait-for-js "document.title === 'never'" --timeout 3

if [ "$fails" -gt 0 ]; then
    echo "pagecheck-selftest: $fails case(s) failed" >&2
    exit 1
fi
echo "pagecheck-selftest: every faulty page failed with its message, the good one passed"
