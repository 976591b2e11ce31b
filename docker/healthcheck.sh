#!/bin/bash
# wsb-healthcheck [--tls CA] PORT [PATH]: exits 0 when http://127.0.0.1:PORT/PATH
# answers 200, 1 otherwise. The HEALTHCHECK of the mock images: bash's
# /dev/tcp instead of curl, so that the dashboard and bot images need neither
# curl nor libcurl. With --tls CA: https:// through `openssl s_client`,
# verifying the certificate against CA for the name localhost (the TLS
# variant, docker-compose.tls.yml). Docker's own --timeout bounds it; read -t
# and timeout bound it here too.
ca=""
if [ "${1:-}" = --tls ]; then
    ca=${2:?usage: wsb-healthcheck --tls CA PORT [PATH]}
    shift 2
fi
port=${1:?usage: wsb-healthcheck [--tls CA] PORT [PATH]}
path=${2:-/health}
request() { printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port"; }
if [ -n "$ca" ]; then
    line=$(request | timeout 2 openssl s_client -quiet -no_ign_eof -verify_return_error \
        -CAfile "$ca" -verify_hostname localhost -servername localhost \
        -connect "127.0.0.1:$port" 2>/dev/null | head -n 1)
    IFS=' ' read -r _ status _ <<<"$line"
    [ "$status" = 200 ]
    exit
fi
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
request >&3 || exit 1
IFS=' ' read -r -t 2 _ status _ <&3 || exit 1
[ "$status" = 200 ]
