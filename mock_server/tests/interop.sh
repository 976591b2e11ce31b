#!/bin/sh
# Runs the Python-websockets interop check (interop_websockets.py) against a
# freshly started wsb-dashboard on a free port; the dashboard is always stopped.
# Usage: interop.sh BUILD_DIR
set -u
B=${1:-build}/bin
dir=$(mktemp -d)
"$B/wsb-dashboard" --port 0 --jwt-secret interop-secret >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
port=""
i=0
while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$dir/out")
    [ -n "$port" ] || sleep 0.05
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "interop: wsb-dashboard did not report its port within 5 s" >&2
    cat "$dir/err" >&2
    exit 1
fi
tok() { "$B/wsb-token" --secret "$1" --role "$2" --sub "$3"; }
timeout 60 /usr/bin/python3 "$(dirname "$0")/interop_websockets.py" "$port" \
    "$(tok interop-secret publisher py-bot)" "$(tok interop-secret subscriber viewer)" \
    "$(tok wrong-secret publisher py-bot)"
