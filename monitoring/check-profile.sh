#!/usr/bin/env bash
# monitoring/check-profile.sh: proves the `monitoring` Compose profile end to
# end. Builds the images (cached), starts the profile under a project of its
# own (dashboard, fault proxy, bot, `wsb-harness monitor`, Prometheus), then
# asks Prometheus's HTTP API until every scrape target (dashboard, bot,
# monitor) is up, the wsbridge alert rules are loaded, and a monitor round's
# verdict has been scraped (wsb_monitor_suite_passed); always tears the
# project down (down -v). Every wait is bounded (WSB_MONITORING_TIMEOUT
# seconds for the targets and the first round, default 120). Exit 0 when all
# of that held, 1 when something did not (said with what Prometheus
# answered), 2 when Docker or Compose is missing. Images share tags with the
# other Docker runs: take the lock, e.g.
#   flock /tmp/wsb-docker.lock monitoring/check-profile.sh
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
PROG=check-profile
TIMEOUT=${WSB_MONITORING_TIMEOUT:-120}
say() { echo "[$PROG] $*"; }
fail() { echo "[$PROG] FAILED: $*" >&2; exit 1; }

if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
elif docker-compose version >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
else
    echo "[$PROG] neither 'docker compose' nor 'docker-compose' works" >&2; exit 2
fi
for c in curl python3; do
    command -v $c >/dev/null 2>&1 || { echo "[$PROG] $c is missing" >&2; exit 2; }
done
PROJECT=wsbmon_$(date +%Y%m%d%H%M%S)_$$
CMD=("${COMPOSE[@]}" -f docker-compose.yml --env-file .env.test -p "$PROJECT" --profile monitoring)
compose() { "${CMD[@]}" "$@"; }
LOG=$(mktemp -d)
cleanup() {
    say "tearing down $PROJECT"
    compose down -v --remove-orphans --timeout 10 >"$LOG/down.log" 2>&1 || cat "$LOG/down.log" >&2
    rm -rf "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building the images (cached)"
if ! timeout 1200 "${CMD[@]}" build >"$LOG/build.log" 2>&1; then
    # the build stage's apt-get may need the host's network (as run_all_tests.sh retries)
    say "build failed; once more with WSB_BUILD_NETWORK=host"
    WSB_BUILD_NETWORK=host timeout 1200 "${CMD[@]}" build >"$LOG/build.log" 2>&1 ||
        { tail -n 30 "$LOG/build.log" >&2; fail "compose build"; }
fi
started=$(date +%s)
say "starting the monitoring profile ($PROJECT)"
timeout 300 "${CMD[@]}" up -d >"$LOG/up.log" 2>&1 || { cat "$LOG/up.log" >&2; fail "compose up"; }
addr=$(compose port prometheus 9090 2>/dev/null | tail -n 1)
[ -n "$addr" ] || fail "prometheus publishes no port"
api="http://$addr/api/v1"
say "Prometheus on http://$addr"

# check NAME URL PYTHON: polls URL until the Python expression (on the JSON
# answer `j`) prints "ok", or the deadline passes; then says what it saw.
check() {
    local name=$1 url=$2 expr=$3 deadline=$(( $(date +%s) + TIMEOUT )) out=""
    while :; do
        out=$(curl -fsS --max-time 5 "$url" 2>&1 | python3 -c "import json,sys
try:
    j = json.load(sys.stdin)
except Exception as e:
    print('no JSON answer:', e); sys.exit()
$expr" 2>&1)
        [ "$out" = ok ] && { say "$name: ok"; return 0; }
        [ "$(date +%s)" -ge "$deadline" ] && fail "$name within ${TIMEOUT}s: $out"
        sleep 2
    done
}
check "targets dashboard, bot and monitor up" "$api/targets" '
t = {x["labels"]["job"]: x["health"] for x in j["data"]["activeTargets"]}
want = {"dashboard": "up", "bot": "up", "monitor": "up"}
print("ok" if t == want else "targets: %s" % t)'
check "alert rules loaded" "$api/rules" '
g = [x for x in j["data"]["groups"] if x["name"] == "wsbridge"]
names = sorted(r["name"] for r in g[0]["rules"]) if g else []
need = {"WsbEndToEndLatencyHigh", "WsbBotDisconnected", "WsbBotQueueOverflow", "WsbHighErrorRate"}
print("ok" if g and need <= set(names) and all(r["health"] == "ok" for r in g[0]["rules"])
      else "rules: %s" % [(r["name"], r["health"]) for r in (g[0]["rules"] if g else [])])'
check "a monitor round scraped (connectivity passed)" \
    "$api/query?query=wsb_monitor_suite_passed%7Bsuite%3D%22connectivity%22%7D" '
r = j["data"]["result"]
print("ok" if r and r[0]["value"][1] == "1" else "wsb_monitor_suite_passed: %s" % r)'
check "bot metrics scraped (connected)" "$api/query?query=wsbridge_bot_connected" '
r = j["data"]["result"]
print("ok" if r and r[0]["value"][1] == "1" else "wsbridge_bot_connected: %s" % r)'
firing=$(curl -fsS --max-time 5 "$api/alerts" | python3 -c "import json,sys
print(' '.join(sorted(a['labels']['alertname'] for a in json.load(sys.stdin)['data']['alerts'])) or 'none')")
say "alerts pending or firing now: $firing"
say "PASSED in $(( $(date +%s) - started )) s after the build"
