#!/bin/bash
# docker/swarm-proof.sh: runs the load worker as a replicated Swarm service
# (docker/stack.yml) on this machine and checks that the replicas' merged
# message count equals what the dashboard says it delivered.
#
#   docker/swarm-proof.sh [--replicas N] [--no-build] [--fault drop-results]
#
# Steps: build the local images (the compose build of run_all_tests.sh), make
# this engine a single-node swarm if it is none (and leave it afterwards),
# deploy the stack (dashboard, bot, load at 0 replicas), wait for the
# dashboard and the bot's source, scale load to N, wait for every replica to
# end (bounded), merge workers/<slot>/ with wsb-merge, read the dashboard's
# messages.delivered (/api/websocket/status) and
# wsbridge_messages_delivered_total (/metrics) from inside its container,
# compare, print the figures, remove the stack. Exit 0 when every replica
# passed and the counts match, 1 otherwise, 2 when it could not run.
# --fault drop-results deletes the last replica's results before the merge:
# the check must then fail with a mismatch.
# Every docker command runs under the shared lock /tmp/wsb-docker.lock (the
# whole proof is one hold). Results: results/swarm-<UTC time>/.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
LOCK=/tmp/wsb-docker.lock
if [ -z "${WSB_SWARM_LOCKED:-}" ]; then
    WSB_SWARM_LOCKED=1 exec flock "$LOCK" "$0" "$@"
fi

REPLICAS=3 BUILD=1 FAULT=""
while [ $# -gt 0 ]; do
    case "$1" in
    --replicas) REPLICAS=${2:?--replicas needs a value}; shift ;;
    --no-build) BUILD=0 ;;
    --fault) FAULT=${2:?--fault needs a value}; shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "swarm-proof: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$REPLICAS" in '' | *[!0-9]*) echo "swarm-proof: --replicas N (1..20)" >&2; exit 2 ;; esac
[ "$REPLICAS" -ge 1 ] && [ "$REPLICAS" -le 20 ] || { echo "swarm-proof: --replicas N (1..20)" >&2; exit 2; }
case "$FAULT" in "" | drop-results) ;; *) echo "swarm-proof: --fault drop-results" >&2; exit 2 ;; esac
command -v jq >/dev/null || { echo "swarm-proof: needs jq" >&2; exit 2; }

STACK=${WSB_SWARM_STACK:-wsbswarm}
DURATION=${WSB_SWARM_DURATION:-5}
RES="$TOP/results/swarm-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RES" || exit 2
set -a
# shellcheck source=/dev/null
. "$TOP/.env.test"
set +a
export WSB_SWARM_RESULTS=$RES WSB_SWARM_DURATION=$DURATION WSB_UID=$(id -u) WSB_GID=$(id -g)
say() { printf 'swarm-proof: [%3d s] %s\n' "$SECONDS" "$*"; }

# ---- images ----
if [ "$BUILD" = 1 ]; then
    if ! docker image inspect "${WSB_BASE_IMAGE:-debian:bookworm-slim}" >/dev/null 2>&1; then
        sh "$TOP/docker/bootstrap-base.sh" || exit 2
    fi
    if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
    say "building images (log: $RES/build.log)"
    "${COMPOSE[@]}" -f "$TOP/docker-compose.yml" --env-file "$TOP/.env.test" -p "$STACK" --profile test \
        build dashboard-backend ai-trading-bot harness >"$RES/build.log" 2>&1 ||
        { tail -n 30 "$RES/build.log" >&2; say "image build failed"; exit 2; }
fi

# ---- swarm ----
MADE_SWARM=0
state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
if [ "$state" != active ]; then
    say "no swarm here ($state): docker swarm init --advertise-addr 127.0.0.1"
    docker swarm init --advertise-addr 127.0.0.1 >"$RES/swarm-init.log" 2>&1 ||
        { cat "$RES/swarm-init.log" >&2; exit 2; }
    MADE_SWARM=1
fi
cleanup() {
    docker stack rm "$STACK" >/dev/null 2>&1
    # its containers and then its network go once its tasks are gone (bounded)
    for _ in $(seq 60); do
        [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] &&
            [ -z "$(docker network ls -q --filter "label=com.docker.stack.namespace=$STACK")" ] && break
        sleep 0.5
    done
    if [ "$MADE_SWARM" = 1 ]; then
        docker swarm leave --force >/dev/null 2>&1 && say "left the swarm this run made"
    fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

say "deploying stack $STACK (results: $RES)"
docker stack deploy --resolve-image never -c "$TOP/docker/stack.yml" "$STACK" >"$RES/deploy.log" 2>&1 ||
    { cat "$RES/deploy.log" >&2; exit 2; }

# GET path from inside the dashboard's container (bash /dev/tcp, as wsb-healthcheck)
dash_get() {
    docker exec "$DASH" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8000 || exit 1
        printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" "$1" >&3
        timeout 5 cat <&3' _ "$1" 2>/dev/null | sed '1,/^\r$/d'
}

# wait (bounded) for the dashboard and the bot's source
DASH="" deadline=$((SECONDS + 90))
while [ $SECONDS -lt $deadline ]; do
    DASH=$(docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_dashboard" | head -n1)
    if [ -n "$DASH" ] && dash_get /api/websocket/status | jq -e '.sources["bot-1"].connected == true' >/dev/null 2>&1; then
        break
    fi
    sleep 1
done
[ $SECONDS -lt $deadline ] || { say "FAIL: the dashboard or the bot did not come up within 90 s"; docker service ps --no-trunc "$STACK"_dashboard "$STACK"_bot >&2; exit 1; }
say "dashboard up, bot-1 connected; scaling ${STACK}_load to $REPLICAS"
docker service scale -d "${STACK}_load=$REPLICAS" >/dev/null || exit 2

# wait (bounded) for every replica to end: the scenario's duration plus its bound
deadline=$((SECONDS + DURATION + 90))
while :; do
    tasks=$(docker service ps -q "${STACK}_load" 2>/dev/null)
    ended=0 n=0
    for t in $tasks; do
        n=$((n + 1))
        case $(docker inspect --format '{{.Status.State}}' "$t" 2>/dev/null) in
        complete | failed | rejected | shutdown | orphaned) ended=$((ended + 1)) ;;
        esac
    done
    [ "$n" -ge "$REPLICAS" ] && [ "$ended" -eq "$n" ] && break
    if [ $SECONDS -ge $deadline ]; then
        say "FAIL: $ended of $REPLICAS replicas ended within $((DURATION + 90)) s"
        docker service ps --no-trunc "${STACK}_load" >&2
        exit 1
    fi
    sleep 1
done

# ---- figures ----
for svc in dashboard bot load; do
    docker service logs --raw "${STACK}_$svc" >"$RES/$svc.log" 2>&1
done
fail=0
printf '%-8s %-10s %-6s %s\n' replica state exit "messages (its test_summary.json)"
for t in $tasks; do
    read -r slot st code < <(docker inspect --format '{{.Slot}} {{.Status.State}} {{.Status.ContainerStatus.ExitCode}}' "$t")
    m=$(jq '[.suites[].tests[].metrics.messages.value // 0] | add' "$RES/workers/$slot/test_summary.json" 2>/dev/null)
    printf '%-8s %-10s %-6s %s\n' "$slot" "$st" "$code" "${m:-none}"
    if [ "$st" != complete ] || [ "$code" != 0 ]; then
        say "FAIL: replica $slot ended $st, exit $code (logs: $RES/load.log, its report: $RES/workers/$slot/report.txt)"
        fail=1
    fi
done
status=$(dash_get /api/websocket/status)
delivered=$(printf '%s' "$status" | jq -r '.messages.delivered // empty')
metric=$(dash_get /metrics | awk '$1 == "wsbridge_messages_delivered_total" {print $2}')
printf '%s\n' "$status" >"$RES/dashboard_status.json"

if [ "$FAULT" = drop-results ]; then
    say "fault drop-results: deleting workers/$REPLICAS/ before the merge"
    rm -rf "${RES:?}/workers/$REPLICAS"
fi
dirs=()
shopt -s nullglob
for d in "$RES"/workers/*/; do dirs+=("/results/workers/$(basename "$d")"); done
docker run --rm --network none --read-only --cap-drop ALL --user "$WSB_UID:$WSB_GID" \
    -v "$RES:/results" --entrypoint wsb-merge "wsbridge-harness:${WSB_IMAGE_TAG:-local}" \
    --out /results/merged "${dirs[@]}" >"$RES/merge.log" 2>&1 ||
    { say "wsb-merge failed or a merged suite failed (log: $RES/merge.log)"; fail=1; }
merged=$(jq '[.suites[].tests[].metrics.messages.value // 0] | add // 0' "$RES/merged/test_summary.json" 2>/dev/null)

echo "merged messages (wsb-merge of ${#dirs[@]} replicas): ${merged:-none}"
echo "dashboard delivered (/api/websocket/status messages.delivered): ${delivered:-none}"
echo "dashboard delivered (/metrics wsbridge_messages_delivered_total): ${metric:-none}"
if [ -z "$delivered" ] || [ -z "$merged" ] || [ "$delivered" = 0 ]; then
    say "FAIL: nothing to compare (no figures from the dashboard or the merge)"
    exit 1
fi
if [ "$delivered" != "$metric" ]; then
    say "FAIL: the dashboard's status ($delivered) and /metrics ($metric) disagree"
    fail=1
fi
if [ "$merged" != "$delivered" ]; then
    say "FAIL: mismatch: the replicas' merged count $merged != the $delivered the dashboard delivered (difference $((delivered - merged)))"
    exit 1
fi
[ "$fail" = 0 ] || exit 1
say "PASS: $REPLICAS replicas, merged $merged == dashboard delivered $delivered"
exit 0
