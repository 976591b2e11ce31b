#!/usr/bin/env bash
# run_all_tests.sh: wsbridge's entry point. Builds, starts the system under
# test, runs the selected suites, collects everything into one timestamped
# result directory, tears down, and exits 0 only when every selected suite
# passed.
#
# Docker mode (default when an engine answers): compose builds the images
# (cached), starts dashboard-backend, fault-proxy (wsb-faultproxy between the
# bot and the dashboard) and ai-trading-bot on private networks,
# waits for their healthchecks, runs the harness container beside them, saves
# every service's log, then `down -v` (also on failure and Ctrl-C).
# Native mode (--native, or no engine answering): the same suites against local
# processes started by the harness itself.
set -uo pipefail

TOP=$(cd "$(dirname "$0")" && pwd)
cd "$TOP" || exit 2

PROG=run_all_tests.sh
MODE=auto          # auto | docker | native
PROFILE=""
KEEP=0
VERBOSE=0
TLS=0
SUITES=()
HARNESS_ARGS=()
RUN_TIMEOUT=${WSB_RUN_TIMEOUT:-5400}   # seconds for the whole harness run
HEALTH_TIMEOUT=${WSB_HEALTH_TIMEOUT:-120}

if [ -t 1 ]; then
    C_RED=$'\e[1;31m' C_YEL=$'\e[1;33m' C_GRN=$'\e[1;32m' C_BLD=$'\e[1m' C_OFF=$'\e[0m'
else
    C_RED="" C_YEL="" C_GRN="" C_BLD="" C_OFF=""
fi
say() { echo "${C_BLD}[$PROG]${C_OFF} $*"; }
warn() { echo "${C_YEL}[$PROG] WARNING:${C_OFF} $*" >&2; }
err() { echo "${C_RED}[$PROG] ERROR:${C_OFF} $*" >&2; }

usage() {
    cat <<'EOF'
Usage: ./run_all_tests.sh [options] [RUN_X=true|false ...] [-- harness options]

Runs wsbridge's test suites against the mock dashboard and bot (or your own
services, see docker-compose.yml) and writes results/full_suite_YYYYMMDD_HHMMSS/.

Mode
  --docker           Docker Compose only; fail when no engine answers
  --native           local processes only (builds with make when needed)
                     default: Docker when an engine answers, else native
                     with a loud warning
Selection
  --suite NAME       run this suite (repeatable): connectivity, message_flow,
                     fault_tolerance, load_tests, integration, performance,
                     security
  --test NAME        only tests whose name matches (repeatable)
  RUN_CONNECTIVITY=false ...
                     the RUN_* variables (also read from the environment):
                     RUN_CONNECTIVITY RUN_MESSAGE_FLOW RUN_FAULT_TOLERANCE
                     RUN_LOAD_TESTS RUN_INTEGRATION RUN_PERFORMANCE RUN_SECURITY
  --profile P        short (CI sizes) or full (default: the harness's default)
Faults
  --toxiproxy-url URL  the fault suite uses this Toxiproxy's API (your own, in
                     front of your system) instead of wsb-faultproxy; its
                     proxies are bot_to_dashboard and clients_to_dashboard
                     (other names: -- --toxiproxy-bot-proxy NAME
                     --toxiproxy-clients-proxy NAME)
TLS
  --tls              every suite over wss:// and https://: a throwaway test CA,
                     server certificate and unrelated CA are made in
                     RESULT_DIR/tls (docker/gen-test-ca.sh, openssl); the
                     dashboard serves TLS 1.2+ with them, the bot and the
                     harness verify it (docker: docker-compose.tls.yml is
                     added); the private keys are deleted when the run ends
Other
  --keep             leave the services up after the run (docker mode) and
                     print how to reach and remove them
  -v, --verbose      verbose harness output
  -h, --help         this text
  -- ARGS            pass the remaining arguments to wsb-harness

Environment: .env.test supplies defaults (a variable already set wins).
  WSB_RUN_TIMEOUT (s, default 5400), WSB_HEALTH_TIMEOUT (s, default 120),
  WSB_DASHBOARD_HOST_PORT (docker: publish the dashboard on this loopback
  port; default: a free one), WSB_BUILD_NETWORK=host (image builds on the
  host's network; tried by itself when apt-get fails in the build container),
  DOCKER_HOST (unix:// only).
Exit status: 0 only when every selected suite passed; 2 for a setup problem.
EOF
}

# ---------------------------------------------------------------- options ----
while [ $# -gt 0 ]; do
    case "$1" in
    --docker) MODE=docker ;;
    --native) MODE=native ;;
    --suite)
        [ $# -ge 2 ] || { err "--suite needs a name"; exit 2; }
        SUITES+=("$2"); shift ;;
    --suite=*) SUITES+=("${1#--suite=}") ;;
    --test)
        [ $# -ge 2 ] || { err "--test needs a name"; exit 2; }
        HARNESS_ARGS+=(--test "$2"); shift ;;
    --profile)
        [ $# -ge 2 ] || { err "--profile needs short or full"; exit 2; }
        PROFILE=$2; shift ;;
    --profile=*) PROFILE=${1#--profile=} ;;
    --toxiproxy-url)
        [ $# -ge 2 ] || { err "--toxiproxy-url needs a URL"; exit 2; }
        HARNESS_ARGS+=(--toxiproxy-url "$2"); shift ;;
    --toxiproxy-url=*) HARNESS_ARGS+=(--toxiproxy-url "${1#--toxiproxy-url=}") ;;
    --keep) KEEP=1 ;;
    --tls) TLS=1 ;;
    -v | --verbose) VERBOSE=1 ;;
    -h | --help) usage; exit 0 ;;
    RUN_*=*)
        name=${1%%=*}
        case "$name" in
        RUN_CONNECTIVITY | RUN_MESSAGE_FLOW | RUN_FAULT_TOLERANCE | RUN_LOAD_TESTS | \
            RUN_INTEGRATION | RUN_PERFORMANCE | RUN_SECURITY) export "${name}=${1#*=}" ;;
        *) err "unknown suite variable $name"; exit 2 ;;
        esac ;;
    --) shift; HARNESS_ARGS+=("$@"); break ;;
    *) err "unknown option $1 (see --help)"; exit 2 ;;
    esac
    shift
done
case "$PROFILE" in "" | short | full) ;; *) err "--profile: short or full, not $PROFILE"; exit 2 ;; esac
for s in ${SUITES[@]+"${SUITES[@]}"}; do
    case "$s" in
    connectivity | message_flow | fault_tolerance | load_tests | integration | performance | security) ;;
    *) err "unknown suite $s (connectivity, message_flow, fault_tolerance, load_tests, integration, performance, security)"; exit 2 ;;
    esac
done

# .env.test: defaults for whatever the environment does not set.
if [ -r .env.test ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in '' | '#'*) continue ;; esac
        key=${line%%=*}
        [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
        [ -n "${!key+x}" ] || export "$key=${line#*=}"
    done <.env.test
fi
[ -n "$PROFILE" ] && export WSB_PROFILE=$PROFILE

# ------------------------------------------------------- result directory ----
mkdir -p results || { err "cannot create results/ in $TOP"; exit 2; }
STAMP=$(date -u +%Y%m%d_%H%M%S)
RESULT_NAME=full_suite_$STAMP
n=2
while ! mkdir "results/$RESULT_NAME" 2>/dev/null; do
    RESULT_NAME=full_suite_${STAMP}_$n
    n=$((n + 1))
    [ $n -lt 100 ] || { err "cannot create a result directory under results/"; exit 2; }
done
RESULT_DIR=$TOP/results/$RESULT_NAME
mkdir -p "$RESULT_DIR/services"

# Arguments every harness run gets.
COMMON_ARGS=()
for s in ${SUITES[@]+"${SUITES[@]}"}; do COMMON_ARGS+=(--suite "$s"); done
[ -n "$PROFILE" ] && COMMON_ARGS+=(--profile "$PROFILE")
[ "$VERBOSE" = 1 ] && COMMON_ARGS+=(--verbose)

# --tls: the certificates, made now, for this run only.
COMPOSE_FILES=(-f "$TOP/docker-compose.yml")
if [ "$TLS" = 1 ]; then
    if ! sh docker/gen-test-ca.sh "$RESULT_DIR/tls" >"$RESULT_DIR/tls.log" 2>&1; then
        cat "$RESULT_DIR/tls.log" >&2
        err "--tls: could not make the test certificates (log: $RESULT_DIR/tls.log)"; exit 2
    fi
    export WSB_TLS_DIR=$RESULT_DIR/tls
    COMPOSE_FILES+=(-f "$TOP/docker-compose.tls.yml")
fi
# The private keys protect nothing, but leave no key behind in results/.
drop_tls_keys() { [ "$TLS" = 1 ] && [ "$KEEP" != 1 ] && rm -f "$RESULT_DIR"/tls/*.key; return 0; }
COMMON_ARGS+=(${HARNESS_ARGS[@]+"${HARNESS_ARGS[@]}"})

# ------------------------------------------------------ environment check ----
DOCKER_PROBLEM=""
COMPOSE=()
check_docker() {
    if ! command -v docker >/dev/null 2>&1; then
        DOCKER_PROBLEM="the docker CLI is not installed (Debian: apt-get install docker.io docker-compose)"
        return 1
    fi
    local out
    if ! out=$(timeout 20 docker info --format '{{.ServerVersion}}' 2>&1); then
        case "$out" in
        *"permission denied"*)
            DOCKER_PROBLEM="no permission on the Docker socket (${DOCKER_HOST:-/var/run/docker.sock}): add yourself to the 'docker' group (then log in again) or run as root" ;;
        *)
            DOCKER_PROBLEM="no Docker engine answers on ${DOCKER_HOST:-/var/run/docker.sock}: start it (sudo systemctl start docker, or sudo dockerd &)" ;;
        esac
        return 1
    fi
    DOCKER_VERSION=$out
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    elif command -v docker-compose >/dev/null 2>&1 && docker-compose version >/dev/null 2>&1; then
        COMPOSE=(docker-compose)
    else
        DOCKER_PROBLEM="Docker Compose is missing: neither 'docker compose' (v2 plugin) nor 'docker-compose' (v1) works (Debian: apt-get install docker-compose)"
        return 1
    fi
    return 0
}

# The harness printed its own summary (verdict, failures, figures, paths);
# this adds only what it cannot know: the host's paths in Docker mode, and
# the script's verdict, which also counts build and environment failures.
print_summary() {
    local rc=$1
    echo
    if [ ! -r "$RESULT_DIR/test_summary.json" ]; then
        warn "no test_summary.json: the harness wrote no results (see the messages above)"
        say "result directory: $RESULT_DIR"
    elif [ "$MODE_RAN" != native ]; then
        say "result directory on this host: $RESULT_DIR"
        [ -r "$RESULT_DIR/test_report.html" ] && say "report: $RESULT_DIR/test_report.html"
    fi
    if [ "$rc" = 0 ]; then
        echo "${C_GRN}[$PROG] PASSED${C_OFF} (every selected suite passed)"
    else
        echo "${C_RED}[$PROG] FAILED${C_OFF} (exit status $rc)"
    fi
}

# ------------------------------------------------------------ native mode ----
run_native() {
    say "native mode: local processes on 127.0.0.1"
    # the compose service name means nothing here: the harness gives its bot the URL
    unset SYSTEM__WEBSOCKET_DASHBOARD_URL
    if ! command -v make >/dev/null 2>&1; then
        err "make is not installed (Debian: apt-get install build-essential)"; return 2
    fi
    say "building (make programs)"
    if ! make -j"$(nproc 2>/dev/null || echo 2)" programs >"$RESULT_DIR/build.log" 2>&1; then
        tail -n 30 "$RESULT_DIR/build.log" >&2
        err "the build failed (full log: $RESULT_DIR/build.log)"; return 2
    fi
    local bin=${BUILD:-build}/bin
    if [ ! -x "$bin/wsb-harness" ]; then
        err "$bin/wsb-harness was not built (see $RESULT_DIR/build.log)"; return 2
    fi
    local tls=()
    [ "$TLS" = 1 ] && tls=(--tls-dir "$RESULT_DIR/tls")
    say "running $bin/wsb-harness --native --results $RESULT_DIR ${tls[*]} ${COMMON_ARGS[*]}"
    timeout --foreground -k 30 "$RUN_TIMEOUT" \
        "$bin/wsb-harness" --native --bin-dir "$bin" --results "$RESULT_DIR" ${tls[@]+"${tls[@]}"} \
        "${COMMON_ARGS[@]}"
    local rc=$?
    [ $rc = 124 ] && err "the harness did not finish within ${RUN_TIMEOUT}s"
    return $rc
}

# ------------------------------------------------------------ docker mode ----
PROJECT=""
CLEANED=0
compose() { "${COMPOSE[@]}" "${COMPOSE_FILES[@]}" --env-file "$TOP/.env.test" -p "$PROJECT" --profile test "$@"; }

# Every container of the project (service name and id), one-off runs included.
project_containers() {
    docker ps -a --filter "label=com.docker.compose.project=$PROJECT" \
        --format '{{.Label "com.docker.compose.service"}} {{.ID}} {{.Label "com.docker.compose.oneoff"}}'
}

log_name() {
    case "$1" in
    dashboard-backend) echo dashboard ;;
    ai-trading-bot) echo bot ;;
    fault-proxy) echo proxy ;;
    *) echo "$1" ;;
    esac
}

save_logs() {
    local svc id oneoff
    while read -r svc id oneoff; do
        [ -n "$id" ] || continue
        case "$oneoff" in True | true) continue ;; esac
        docker logs --timestamps "$id" >"$RESULT_DIR/services/$(log_name "$svc").log" 2>&1 || true
        docker inspect --format '{{.Name}} {{.State.Status}} exit={{.State.ExitCode}} oom={{.State.OOMKilled}} health={{if .State.Health}}{{.State.Health.Status}}{{end}}' \
            "$id" >>"$RESULT_DIR/services/states.txt" 2>/dev/null || true
    done < <(project_containers)
}

teardown() {
    [ "$CLEANED" = 1 ] && return
    CLEANED=1
    [ -n "$PROJECT" ] || return
    save_logs
    if [ "$KEEP" = 1 ]; then
        say "--keep: services left running (compose project $PROJECT)"
        local port
        port=$(compose port dashboard-backend 8000 2>/dev/null | tail -n 1)
        if [ "$TLS" = 1 ]; then
            [ -n "$port" ] && say "  dashboard: wss://$port/ws  https://$port/health (CA: $WSB_TLS_DIR/ca.pem)"
        else
            [ -n "$port" ] && say "  dashboard: ws://$port/ws  http://$port/health"
        fi
        say "  remove them with: ${COMPOSE[*]} ${COMPOSE_FILES[*]#$TOP/} --env-file .env.test -p $PROJECT --profile test down -v"
        return
    fi
    say "tearing down compose project $PROJECT (down -v)"
    compose down -v --remove-orphans --timeout 10 >"$RESULT_DIR/services/teardown.log" 2>&1 || true
    # whatever survived (an interrupted one-off run, a half-created network)
    local ids=() what
    for what in container network volume; do
        if [ $what = container ]; then
            mapfile -t ids < <(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null)
        else
            mapfile -t ids < <(docker "$what" ls -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null)
        fi
        [ ${#ids[@]} -gt 0 ] || continue
        case $what in
        container) docker rm -f -v "${ids[@]}" >/dev/null 2>&1 ;;
        *) docker "$what" rm "${ids[@]}" >/dev/null 2>&1 ;;
        esac
    done
    return 0
}

# shellcheck disable=SC2317  # invoked by trap
on_signal() {
    echo >&2
    err "interrupted: cleaning up"
    teardown
    drop_tls_keys
    say "partial results: $RESULT_DIR"
    exit 130
}

# Polls until every running service container reports healthy (or fails fast).
wait_healthy() {
    local deadline=$((SECONDS + HEALTH_TIMEOUT)) svc id oneoff st all
    while :; do
        all=1
        while read -r svc id oneoff; do
            [ -n "$id" ] || continue
            case "$oneoff" in True | true) continue ;; esac
            st=$(docker inspect --format '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null)
            case "$st" in
            running/healthy | running/none) ;;
            running/starting) all=0 ;;
            *)
                err "service $svc is $st (its log: $RESULT_DIR/services/$(log_name "$svc").log)"
                return 1 ;;
            esac
        done < <(project_containers)
        [ $all = 1 ] && return 0
        if [ $SECONDS -ge $deadline ]; then
            err "services not healthy within ${HEALTH_TIMEOUT}s"
            return 1
        fi
        sleep 1
    done
}

run_docker() {
    PROJECT=wsb_$(date -u +%Y%m%d%H%M%S)_$$
    export COMPOSE_PROJECT_NAME=$PROJECT
    say "docker mode: engine $DOCKER_VERSION, compose: ${COMPOSE[*]}, project $PROJECT"

    local sock=/var/run/docker.sock
    case "${DOCKER_HOST:-}" in
    unix://*) sock=${DOCKER_HOST#unix://} ;;
    "") ;;
    *) err "DOCKER_HOST=$DOCKER_HOST: the harness container needs a unix socket"; return 2 ;;
    esac
    [ -S "$sock" ] || { err "$sock is not a socket: the harness container cannot control the services"; return 2; }
    export WSB_DOCKER_SOCKET=$sock
    WSB_UID=$(id -u); WSB_GID=$(id -g); WSB_DOCKER_GID=$(stat -c %g "$sock")
    export WSB_UID WSB_GID WSB_DOCKER_GID

    if [ -n "${WSB_DASHBOARD_HOST_PORT:-}" ]; then
        if (exec 3<>"/dev/tcp/127.0.0.1/$WSB_DASHBOARD_HOST_PORT") 2>/dev/null; then
            err "port $WSB_DASHBOARD_HOST_PORT (WSB_DASHBOARD_HOST_PORT) is already in use on 127.0.0.1"
            return 2
        fi
    fi

    trap on_signal INT TERM
    trap teardown EXIT

    local base=${WSB_BASE_IMAGE:-debian:bookworm-slim}
    if ! docker image inspect "$base" >/dev/null 2>&1; then
        say "base image $base missing: docker/bootstrap-base.sh (pull, or debootstrap when no registry answers)"
        if ! WSB_BASE_IMAGE=$base sh docker/bootstrap-base.sh 2>&1 | tee "$RESULT_DIR/services/bootstrap-base.log"; then
            err "could not provide $base (log: $RESULT_DIR/services/bootstrap-base.log)"; return 2
        fi
    fi

    say "building images (cached; log: $RESULT_DIR/services/build.log)"
    local t0=$SECONDS
    if ! compose build >"$RESULT_DIR/services/build.log" 2>&1; then
        # containers on the default bridge may not reach the Debian mirror:
        # the build stage's apt-get then fails; try once more on the host's network
        if [ -z "${WSB_BUILD_NETWORK:-}" ] &&
            grep -qE "Temporary failure resolving|Could not resolve|Unable to fetch|Failed to fetch|Unable to locate package" \
                "$RESULT_DIR/services/build.log"; then
            warn "apt-get failed inside the build container: retrying the build with WSB_BUILD_NETWORK=host"
            export WSB_BUILD_NETWORK=host
            compose build >>"$RESULT_DIR/services/build.log" 2>&1 && BUILD_OK=1
        fi
        if [ "${BUILD_OK:-0}" != 1 ]; then
            tail -n 40 "$RESULT_DIR/services/build.log" >&2
            err "image build failed (log: $RESULT_DIR/services/build.log)"; return 2
        fi
    fi
    say "images ready in $((SECONDS - t0))s"

    say "starting dashboard-backend, fault-proxy and ai-trading-bot"
    if ! compose up -d --no-build dashboard-backend fault-proxy ai-trading-bot >"$RESULT_DIR/services/up.log" 2>&1; then
        cat "$RESULT_DIR/services/up.log" >&2
        save_logs
        err "the services did not start (their logs: $RESULT_DIR/services/)"; return 2
    fi
    if ! wait_healthy; then
        save_logs
        return 2
    fi
    say "services healthy after $((SECONDS - t0))s"

    local run_env=(-e "COMPOSE_PROJECT_NAME=$PROJECT")
    local v
    for v in RUN_CONNECTIVITY RUN_MESSAGE_FLOW RUN_FAULT_TOLERANCE RUN_LOAD_TESTS \
        RUN_INTEGRATION RUN_PERFORMANCE RUN_SECURITY WSB_PROFILE; do
        [ -n "${!v+x}" ] && run_env+=(-e "$v=${!v}")
    done
    local tty=(-T) tls=()
    [ "$TLS" = 1 ] && tls=(--tls-dir "/results/$RESULT_NAME/tls")
    say "running the harness: --docker --compose-project $PROJECT --results /results/$RESULT_NAME ${tls[*]} ${COMMON_ARGS[*]}"
    timeout --foreground -k 30 "$RUN_TIMEOUT" \
        "${COMPOSE[@]}" "${COMPOSE_FILES[@]}" --env-file "$TOP/.env.test" -p "$PROJECT" \
        --profile test run --rm --no-deps "${tty[@]}" "${run_env[@]}" harness \
        --docker --compose-project "$PROJECT" --results "/results/$RESULT_NAME" ${tls[@]+"${tls[@]}"} \
        "${COMMON_ARGS[@]}" \
        2>&1 | tee "$RESULT_DIR/services/harness.log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" = 124 ] && err "the harness did not finish within ${RUN_TIMEOUT}s"
    return "$rc"
}

# ------------------------------------------------------------------- main ----
rc=0
MODE_RAN=docker
case "$MODE" in
native)
    say "result directory: $RESULT_DIR"
    MODE_RAN=native
    run_native; rc=$? ;;
docker)
    if ! check_docker; then
        err "$DOCKER_PROBLEM"
        err "--docker was given: not falling back to native mode"
        rmdir "$RESULT_DIR/services" "$RESULT_DIR" 2>/dev/null
        exit 2
    fi
    say "result directory: $RESULT_DIR"
    run_docker; rc=$? ;;
auto)
    if check_docker; then
        say "result directory: $RESULT_DIR"
        run_docker; rc=$?
    else
        warn "=================================================================="
        warn "$DOCKER_PROBLEM"
        warn "RUNNING IN NATIVE MODE (local processes), NOT IN DOCKER."
        warn "Use --docker to make this an error, --native to silence this warning."
        warn "=================================================================="
        MODE_RAN=native
        run_native; rc=$?
        warn "this run was NATIVE (no Docker engine answered): $DOCKER_PROBLEM"
    fi ;;
esac
if [ "$MODE" != native ] && [ -n "$PROJECT" ]; then
    teardown
    trap - EXIT INT TERM
fi
drop_tls_keys
print_summary "$rc"
exit "$rc"
