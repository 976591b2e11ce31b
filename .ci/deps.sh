#!/bin/sh
# Installs wsbridge's build dependencies on Debian/Ubuntu (through sudo when not
# root), or says exactly what to install and stops. Extra Debian package names
# as arguments are installed too (make fuzz: clang libclang-rt-dev). nodejs,
# node-ws and chromium: make test opens the HTML report and the dashboard's
# live view in headless Chromium (harness/testkit/pagecheck.js).
set -e
PKGS="build-essential pkg-config libwebsockets-dev libcjson-dev libcunit1-dev libcurl4-openssl-dev libssl-dev json-schema-test-suite curl valgrind python3 python3-websockets python3-yaml python3-jsonschema prometheus nodejs node-ws chromium $*"
if ! command -v dpkg-query >/dev/null 2>&1; then
    # not Debian: pkg-config is the only judge we have
    pkg-config --exists libwebsockets libcjson cunit libcurl libcrypto 2>/dev/null && exit 0
    echo "wsbridge: missing build dependencies: libwebsockets (>= 4.1), cJSON, CUnit, libcurl," \
        "OpenSSL development files and pkg-config; on Debian/Ubuntu: apt-get install $PKGS" >&2
    exit 1
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "wsbridge: missing build dependencies; install:$missing (Debian/Ubuntu names)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "wsbridge: not root and no sudo; as root run: apt-get install -y$missing" >&2
        exit 1
    fi
fi
echo "wsbridge: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
