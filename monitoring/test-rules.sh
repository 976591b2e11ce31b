#!/bin/sh
# monitoring/test-rules.sh: checks the alert rules (make test). promtool
# checks alerts.yml and prometheus.yml and runs alerts_test.yml, where each
# alert fires on a series that should fire it and stays silent on a healthy
# one; then the tests are run against broken copies of the rules (an alert
# that can no longer fire, one that always fires, one with its threshold the
# wrong way round), and each must fail naming the alert: tests that pass
# whatever the rules say prove nothing.
set -u
cd "$(dirname "$0")" || exit 2
if ! command -v promtool >/dev/null 2>&1; then
    echo "test-rules: no promtool (Debian package prometheus; sh .ci/deps.sh installs it)" >&2
    exit 1
fi
promtool check rules alerts.yml || exit 1
promtool check config prometheus.yml || exit 1
promtool test rules alerts_test.yml || exit 1

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
# mutant ALERT SED-EXPRESSION: the tests must fail on it, naming ALERT
mutant() {
    sed "$2" alerts.yml >"$tmp/alerts.yml"
    cp alerts_test.yml "$tmp/"
    if cmp -s alerts.yml "$tmp/alerts.yml"; then
        echo "test-rules: the mutation '$2' changed nothing: update test-rules.sh" >&2
        exit 1
    fi
    if out=$(promtool test rules "$tmp/alerts_test.yml" 2>&1); then
        echo "test-rules: alerts_test.yml passed with a broken $1 ($2)" >&2
        exit 1
    fi
    if ! echo "$out" | grep -q "alertname: $1,"; then
        echo "test-rules: a broken $1 failed the tests without naming it:" >&2
        echo "$out" >&2
        exit 1
    fi
    echo "test-rules: a broken $1 fails the tests, as it should"
}
mutant WsbEndToEndLatencyHigh 's/{stat="p99"}) > 1$/{stat="p99"}) > 100/'
mutant WsbBotDisconnected 's/wsbridge_bot_connected == 0/wsbridge_bot_connected >= 0/'
mutant WsbBotQueueOverflow 's/increase(wsbridge_bot_dropped_total\[5m\]) > 0/increase(wsbridge_bot_dropped_total[5m]) < 0/'
mutant WsbHighErrorRate 's/> 0.05$/> 0.5/'
echo "test-rules: alerts.yml passed"
