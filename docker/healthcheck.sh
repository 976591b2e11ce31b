#!/bin/bash
# wsb-healthcheck PORT [PATH]: exits 0 when http://127.0.0.1:PORT/PATH
# answers 200, 1 otherwise. The HEALTHCHECK of the mock images: bash's
# /dev/tcp instead of curl, so that the dashboard and bot images need neither
# curl nor libcurl. Docker's own --timeout bounds it; read -t bounds it here too.
port=${1:?usage: wsb-healthcheck PORT [PATH]}
path=${2:-/health}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3 || exit 1
IFS=' ' read -r -t 2 _ status _ <&3 || exit 1
[ "$status" = 200 ]
