#!/bin/sh
# api / worker containers: `app-entrypoint.sh api|worker`. A replica whose number
# (LLMPT_REPLICA) is above the wanted count (API_REPLICAS / WORKER_REPLICAS) exits 0 at once:
# on a host network each replica needs ports of its own, so docker-compose.scale.yml declares
# the largest set and the count picks how many run (see docs/operations.md, "Containers").
set -eu
app="$1"
case "$app" in
  api) want="${API_REPLICAS:-}" ;;
  worker) want="${WORKER_REPLICAS:-}" ;;
  *) echo "usage: app-entrypoint.sh api|worker" >&2; exit 2 ;;
esac
if [ -n "${LLMPT_REPLICA:-}" ] && [ -n "$want" ]; then
  case "$want" in
    '' | *[!0-9]*) echo "$app: replica count '$want' is not a whole number" >&2; exit 2 ;;
  esac
  if [ "$LLMPT_REPLICA" -gt "$want" ]; then
    echo "$app-$LLMPT_REPLICA: off (only $want wanted)"
    exit 0
  fi
fi
exec node --enable-source-maps "/app/apps/$app/dist/index.js"
