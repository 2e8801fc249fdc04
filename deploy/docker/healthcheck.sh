#!/bin/bash
# Docker HEALTHCHECK: GET /healthz on the admin listener (KARST_ADMIN_LISTENER's port, 9644 by
# default) must answer 200. Plain bash /dev/tcp, so the image needs no curl.
set -u
port="${KARST_ADMIN_LISTENER:-0.0.0.0:9644}"
port="${port##*:}"
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS= read -r -t 2 status <&3 || exit 1
case "$status" in
  HTTP/1.?" 200"*) exit 0 ;;
  *) echo "healthz: $status" >&2; exit 1 ;;
esac
