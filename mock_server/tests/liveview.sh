#!/bin/sh
# liveview.sh: checks wsb-dashboard's live view (GET /) in headless Chromium.
# Starts a dashboard on a free port and a bot publishing to it, opens
# /?token=<subscriber token> with harness/testkit/pagecheck.js and requires:
# no console error or exception, the state "live", at least 5 messages in the
# last-messages table, the bot's row in the sources table, the rate chart
# drawn over 3 whole seconds; keeps a screenshot in BUILD_DIR/liveview/live_view.png. Then the
# faulty cases, which must fail with the check naming the problem: a wrong
# token (the handshake is refused, nothing arrives) and a dashboard no bot
# publishes to (the page is live but shows no message).
# Usage: liveview.sh BUILD_DIR
set -u
BUILD=${1:-build}
B=$BUILD/bin
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHECK="$TOP/harness/testkit/pagecheck.js"
OUT=$BUILD/liveview
mkdir -p "$OUT"
dir=$(mktemp -d)
dpid="" bpid=""
cleanup() {
    [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
SECRET=liveview-secret

# start_dashboard: sets dpid and port (waits at most 5 s for the port line)
start_dashboard() {
    "$B/wsb-dashboard" --port 0 --host 127.0.0.1 --jwt-secret "$SECRET" >"$dir/dash.out" 2>"$dir/dash.err" &
    dpid=$!
    port="" i=0
    while [ $i -lt 100 ] && [ -z "$port" ]; do
        port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$dir/dash.out")
        [ -n "$port" ] || sleep 0.05
        i=$((i + 1))
    done
    if [ -z "$port" ]; then
        echo "liveview: wsb-dashboard did not report its port within 5 s" >&2
        cat "$dir/dash.err" >&2
        exit 1
    fi
}

fails=0
# run WANT_RC PATTERN ARGS...: pagecheck exits WANT_RC and prints PATTERN
run() {
    want=$1 pattern=$2
    shift 2
    timeout 90 node "$CHECK" "$@" >"$dir/check.out" 2>&1
    rc=$?
    sed 's/^/    /' "$dir/check.out"
    if [ "$rc" != "$want" ] || ! grep -qE "$pattern" "$dir/check.out"; then
        echo "liveview: FAIL: wanted exit $want and a line matching: $pattern (got exit $rc)" >&2
        fails=$((fails + 1))
    fi
}

sub=$("$B/wsb-token" --secret "$SECRET" --role subscriber --sub liveview)
bad=$("$B/wsb-token" --secret wrong-secret --role subscriber --sub liveview)

echo "== liveview: a dashboard no bot publishes to (must fail: no message shows)"
start_dashboard
run 1 "FAIL: waited 4 s for 5 × \"#messages tr\": found 0" --url "http://127.0.0.1:$port/?token=$sub" \
    --wait-for "#messages tr=5" --timeout 4

echo "== liveview: a wrong token (must fail: the handshake is refused)"
run 1 "FAIL: (console.error|browser error).*WebSocket" --url "http://127.0.0.1:$port/?token=$bad" \
    --wait-for "#messages tr=5" --timeout 4

echo "== liveview: the bot publishing, the page live"
# the rate chart has drawn 3 whole seconds since the page connected
three_seconds="document.getElementById('ratechart').getAttribute('data-points') >= 3"
"$B/wsb-bot" --url "ws://127.0.0.1:$port/ws" --jwt-secret "$SECRET" --status-port -1 --rate 20 \
    --test-mode true >"$dir/bot.out" 2>&1 &
bpid=$!
run 0 "OK: no console errors" --url "http://127.0.0.1:$port/?token=$sub" \
    --wait-for "#messages tr=5" --wait-for-js "$three_seconds" --expect-text "#state=live" \
    --expect '#sources tr[data-source="bot-1"]' --expect "#types tr=2" --min-charts 1 \
    --timeout 30 --screenshot "$OUT/live_view.png"

if [ "$fails" -gt 0 ]; then
    echo "liveview: $fails case(s) failed; dashboard log:" >&2
    tail -n 20 "$dir/dash.err" >&2
    exit 1
fi
echo "liveview: the live view shows the bot's messages; the faulty cases fail (screenshot: $OUT/live_view.png)"
