#!/bin/sh
# bootstrap-base.sh: makes sure the base image the Dockerfiles use exists locally.
#
# The Dockerfiles start FROM debian:bookworm-slim, unchanged. Where a registry
# answers, this script just pulls it. Where none does (air-gapped CI, this
# machine), it builds an equivalent image from the machine's configured Debian
# mirror: debootstrap --variant=minbase bookworm into a folder, trims it the way
# the official slim image is trimmed, `docker import`s it and tags it
# debian:bookworm-slim. Idempotent: when the image exists it does nothing.
#
# Environment:
#   WSB_BASE_IMAGE      image to provide (default debian:bookworm-slim)
#   WSB_DEBIAN_MIRROR   mirror URL (default: read from /etc/apt/sources.list*)
#   WSB_SKIP_PULL=1     do not try `docker pull` first
#   WSB_PULL_TIMEOUT    seconds allowed for the pull attempt (default 60)
set -eu

IMAGE=${WSB_BASE_IMAGE:-debian:bookworm-slim}
SUITE=bookworm
DOCKER=${DOCKER:-docker}

say() { echo "bootstrap-base: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

if ! "$DOCKER" info >/dev/null 2>&1; then
    die "no Docker engine answers (is dockerd running? can this user use /var/run/docker.sock?)"
fi

if "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    say "$IMAGE already present; nothing to do"
    exit 0
fi

if [ "${WSB_SKIP_PULL:-0}" != 1 ]; then
    say "trying docker pull $IMAGE (timeout ${WSB_PULL_TIMEOUT:-60}s)"
    if timeout "${WSB_PULL_TIMEOUT:-60}" "$DOCKER" pull "$IMAGE" >/dev/null 2>&1; then
        say "pulled $IMAGE"
        exit 0
    fi
    say "cannot pull $IMAGE; building it locally with debootstrap"
fi

# --- find the Debian mirror the machine already uses ------------------------
find_mirror() {
    # one-line format: deb [opts] URL bookworm main
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v s="$SUITE" '
            $1 == "deb" {
                i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i+1) == s && $i !~ /security/) { print $i; exit }
            }' "$f"
    done
    # deb822 format: URIs: ... / Suites: ... stanzas
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v s="$SUITE" '
            function flush() {
                if (uri != "" && uri !~ /security/ && (" " suites " ") ~ (" " s " ")) { print uri; found = 1 }
                uri = ""; suites = ""
            }
            /^[ \t]*$/ { flush(); if (found) exit; next }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { $1 = ""; suites = $0 }
            END { if (!found) flush() }' "$f"
    done
}
find_security() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null | grep -v '^[[:space:]]*#' | grep -o 'https\?://[^ ]*debian-security[^ ]*' | head -n 1
}

MIRROR=${WSB_DEBIAN_MIRROR:-$(find_mirror | head -n 1)}
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
SECURITY=$(find_security || true)
say "mirror: $MIRROR${SECURITY:+ (security: $SECURITY)}"

command -v debootstrap >/dev/null 2>&1 \
    || die "debootstrap is not installed (apt-get install debootstrap)"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "debootstrap needs root and there is no sudo"
    SUDO=sudo
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wsb-rootfs.XXXXXX")
cleanup() { $SUDO rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
ROOT=$WORK/rootfs

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
KEYOPT=""
[ -r "$KEYRING" ] && KEYOPT="--keyring=$KEYRING"

say "debootstrap --variant=minbase $SUITE (takes a few minutes)"
# shellcheck disable=SC2086
$SUDO debootstrap --variant=minbase $KEYOPT "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

# --- trim it like the official slim image ------------------------------------
say "trimming"
$SUDO sh -eu -c '
ROOT=$1; MIRROR=$2; SECURITY=$3; SUITE=$4
# apt sources the way the official image has them (deb822, main only)
rm -f "$ROOT/etc/apt/sources.list"
{
    printf "Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" \
        "$MIRROR" "$SUITE" "$SUITE"
    if [ -n "$SECURITY" ]; then
        printf "\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" \
            "$SECURITY" "$SUITE"
    fi
} >"$ROOT/etc/apt/sources.list.d/debian.sources"
# what the official slim image configures: no docs/man/locales from later installs,
# no apt caches kept, no recommends
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker" <<EOF
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
printf "APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\n" \
    >"$ROOT/etc/apt/apt.conf.d/docker-no-recommends"
printf "Acquire::Languages \"none\";\n" >"$ROOT/etc/apt/apt.conf.d/docker-no-languages"
printf "#!/bin/sh\nexit 101\n" >"$ROOT/usr/sbin/policy-rc.d"; chmod 755 "$ROOT/usr/sbin/policy-rc.d"
# remove what the slim image does not carry
find "$ROOT/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$ROOT/usr/share/man/"* "$ROOT/usr/share/info/"* "$ROOT/usr/share/groff/"* \
       "$ROOT/usr/share/lintian/"* "$ROOT/usr/share/linda/"*
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf "$ROOT/var/lib/apt/lists/"* "$ROOT/var/cache/apt/"*.bin "$ROOT/var/cache/apt/archives/"*.deb \
       "$ROOT/var/cache/debconf/"*-old "$ROOT/var/lib/dpkg/"*-old "$ROOT/var/log/"*.log \
       "$ROOT/var/log/apt/"* "$ROOT/tmp/"* "$ROOT/root/.bash_history"
# the container gets these from the engine
: >"$ROOT/etc/hostname"; : >"$ROOT/etc/resolv.conf"
rm -f "$ROOT/etc/machine-id"; : >"$ROOT/etc/machine-id"
' trim "$ROOT" "$MIRROR" "${SECURITY:-}" "$SUITE"

say "importing as $IMAGE"
$SUDO tar --numeric-owner -C "$ROOT" -c . \
    | "$DOCKER" import \
        --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --message "debootstrap --variant=minbase $SUITE from $MIRROR (wsbridge docker/bootstrap-base.sh)" \
        - "$IMAGE" >/dev/null
"$DOCKER" run --rm "$IMAGE" sh -c 'test -x /usr/bin/apt-get && . /etc/os-release && echo "$PRETTY_NAME"' >/dev/null \
    || die "the imported image does not run"
say "done: $("$DOCKER" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$IMAGE")"
