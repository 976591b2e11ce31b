#!/bin/bash
# peers.sh: the same load through wsb-load and the peers installed here, side by side
# (make bench runs it; never make test or CI). Each generator in turn opens CONNS (2000)
# WebSocket connections to a fresh Node `ws` echo server on 127.0.0.1 (peers/echo_server.js),
# each sending one 64-byte message a second and receiving its echo. After WARM (8) s the
# generator's process tree (below its `timeout` wrapper) is measured for WINDOW (15) s from
# /proc: CPU (% of one core), RSS, echoes received per CPU-second (CONNS x WINDOW / CPU s) and
# RSS per connection; the server
# side counts the connections established. One table, ratios against wsb-load.
#   wsb-load      build/bin/wsb-load (generic mode, bulk reader)
#   node ws       Debian node-ws (peers/ws_load.js)
#   tsung         Debian tsung (peers/tsung.xml.in)
#   artillery     Artillery 2 from npm under ARTILLERY_HOME (/opt/artillery), installed outside
#                 the repository: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix /opt/artillery artillery@2
# A peer that is not installed is skipped and named. Everything is loopback and bounded.
# Usage: harness/load/bench/peers.sh [CONNS] ; env WARM, WINDOW, ONLY="wsb-load node".
set -u
cd "$(dirname "$0")/../../.."
HERE=harness/load/bench/peers
CONNS=${1:-2000}; WARM=${WARM:-8}; WINDOW=${WINDOW:-15}; SECS=$((WARM + WINDOW + 4))
HZ=$(getconf CLK_TCK)
ART=${ARTILLERY_HOME:-/opt/artillery}/node_modules/.bin/artillery
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
TMP=$(mktemp -d /tmp/wsb-peers.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT

tree() { echo "$1"; for c in $(pgrep -P "$1"); do tree "$c"; done; }
# the generator's processes: the tree below the `timeout` wrapper that bounds it
# (the wrapper is the bench's, ~1 MiB of RSS, the same for every generator)
gen_tree() { for c in $(pgrep -P "$1"); do tree "$c"; done; }
cpu_ticks() { local t=0 s; for p in $(gen_tree "$1"); do
    s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}'); t=$((t + ${s:-0})); done; echo $t; }
rss_kib() { local t=0 s; for p in $(gen_tree "$1"); do
    s=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null); t=$((t + ${s:-0})); done; echo $t; }

ROWS=()
run() { # name, then the generator's command line (@PORT@ replaced)
    local name=$1; shift
    LIMIT=$((SECS + 60)) node $HERE/echo_server.js > "$TMP/server.out" 2>&1 & local srv=$!
    local port="" i
    for i in $(seq 50); do port=$(grep -o 'port [0-9]*' "$TMP/server.out" | awk '{print $2}'); [ -n "$port" ] && break; sleep 0.1; done
    [ -z "$port" ] && { echo "peers: the echo server did not start" >&2; kill $srv; return; }
    local cmd=("${@//@PORT@/$port}")
    setsid timeout $((SECS + 30)) "${cmd[@]}" > "$TMP/$name.out" 2>&1 & local gen=$!
    sleep "$WARM"
    local c1; c1=$(cpu_ticks $gen)
    sleep "$WINDOW"
    local c2 rss est; c2=$(cpu_ticks $gen); rss=$(rss_kib $gen)
    est=$(ss -Htn state established "( dport = :$port )" 2>/dev/null | wc -l)
    wait $gen 2>/dev/null; kill $srv 2>/dev/null; wait $srv 2>/dev/null
    local cpu_s; cpu_s=$(awk -v a="$c1" -v b="$c2" -v hz="$HZ" 'BEGIN {printf "%.3f", (b - a) / hz}')
    ROWS+=("$name $est $cpu_s $rss")
    echo "peers: $name: $est connections, CPU $cpu_s s over ${WINDOW} s, RSS $((rss / 1024)) MiB" >&2
}

want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
SKIPPED=()
if want wsb-load; then
    if [ -x build/bin/wsb-load ]; then
        run wsb-load build/bin/wsb-load --url ws://127.0.0.1:@PORT@/ --mode generic --subscribe none \
            --test throughput --connections "$CONNS" --send-rate 1 --duration "$SECS" --quiet --report /dev/null
    else SKIPPED+=("wsb-load (build/bin/wsb-load not built: make programs)"); fi
fi
if want node; then
    if [ -d "$NODE_PATH/ws" ] && command -v node > /dev/null; then
        run node-ws env N="$CONNS" SECS="$SECS" URL=ws://127.0.0.1:@PORT@/ node $HERE/ws_load.js
    else SKIPPED+=("node ws (Debian node-ws not installed)"); fi
fi
if want tsung; then
    if command -v tsung > /dev/null; then
        sed -e "s/@N@/$CONNS/; s/@RATE@/$((CONNS / 4 + 1))/; s/@LOOPS@/$SECS/" $HERE/tsung.xml.in > "$TMP/tsung.xml.in"
        run tsung bash -c "sed s/%PORT%/@PORT@/ '$TMP/tsung.xml.in' > '$TMP/tsung.xml' && exec tsung -f '$TMP/tsung.xml' -l '$TMP/tsung-log' start"
    else SKIPPED+=("tsung (Debian tsung not installed)"); fi
fi
if want artillery; then
    if [ -x "$ART" ]; then
        sed -e "s/@N@/$CONNS/; s/@LOOPS@/$SECS/" $HERE/artillery.yml.in > "$TMP/artillery.yml.in"
        run artillery bash -c "sed s/%PORT%/@PORT@/ '$TMP/artillery.yml.in' > '$TMP/artillery.yml' && exec '$ART' run --quiet '$TMP/artillery.yml'"
    else SKIPPED+=("artillery (not under ${ART%/node_modules/*}: see the header)"); fi
fi

printf '\n%s connections x 1 msg/s, echo from a Node ws server; generator measured %s s after %s s warm-up (%s)\n' \
    "$CONNS" "$WINDOW" "$WARM" "$(date -u +%FT%TZ)"
printf '| generator | connections | CPU %% of a core | RSS MiB | echoes / CPU-s | RSS / conn KiB | CPU vs wsb-load | RSS vs wsb-load |\n'
printf '|---|---|---|---|---|---|---|---|\n'
base_cpu=""; base_rss=""
for r in "${ROWS[@]}"; do
    set -- $r
    awk -v n="$1" -v est="$2" -v cpu="$3" -v rss="$4" -v w="$WINDOW" -v c="$CONNS" -v bc="${base_cpu:-$3}" -v br="${base_rss:-$4}" 'BEGIN {
        pct = 100 * cpu / w; fps = cpu > 0 ? c * w / cpu : 0;
        printf "| %s | %d | %.1f | %.1f | %.0f | %.2f | %.1fx | %.1fx |\n", n, est, pct, rss / 1024, fps,
               rss / c, (bc > 0 ? cpu / bc : 0), (br > 0 ? rss / br : 0) }'
    [ -z "$base_cpu" ] && { base_cpu=$3; base_rss=$4; }
done
for s in "${SKIPPED[@]}"; do echo "skipped: $s"; done
