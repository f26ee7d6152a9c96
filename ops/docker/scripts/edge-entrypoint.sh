#!/bin/sh
# The edge container: renders nginx/nginx.conf.template with nginx/render.ts (the same renderer
# the cluster uses; Node runs its TypeScript directly) for the first API_REPLICAS of
# EDGE_API_SERVERS, then runs nginx in the foreground as this (non-root) user.
set -eu
prefix=/var/lib/llmpt-nginx
servers=$(/usr/local/lib/llmpt/first-n.sh "${API_REPLICAS:-4}" "${EDGE_API_SERVERS:?EDGE_API_SERVERS is not set}" API_REPLICAS)
set --
for s in $servers; do set -- "$@" --api "$s"; done
if [ -n "${EDGE_PROXY_BIND:-}" ]; then set -- "$@" --proxy-bind "$EDGE_PROXY_BIND"; fi
# nginx's counters for the Prometheus exporter, on an internal listener of their own.
if [ -n "${EDGE_STATUS_LISTEN:-}" ]; then set -- "$@" --status-listen "$EDGE_STATUS_LISTEN"; fi
for limit in ${EDGE_LIMITS:-}; do set -- "$@" --limit "$limit"; done
mkdir -p "$prefix/tmp" "$prefix/cache"
listen="${EDGE_HOST:?EDGE_HOST is not set}:${EDGE_PORT:?EDGE_PORT is not set}"
node /app/nginx/render.ts --listen "$listen" \
  --web-root /app/web --prefix "$prefix" "$@" >"$prefix/nginx.conf.next"
nginx -t -q -p "$prefix" -c "$prefix/nginx.conf.next" -e /dev/stderr
mv "$prefix/nginx.conf.next" "$prefix/nginx.conf"
echo "edge: listening on $listen, apis: $(echo $servers)"
exec nginx -p "$prefix" -c "$prefix/nginx.conf" -e /dev/stderr -g 'daemon off;'
