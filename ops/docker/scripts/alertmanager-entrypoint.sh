#!/bin/sh
# Alertmanager container: the routing of ops/alertmanager/alertmanager.yml with the webhooks of
# ALERTMANAGER_WEBHOOK_CRITICAL / ALERTMANAGER_WEBHOOK_WARNING (comma-separated URLs).
set -eu
: "${ALERTMANAGER_HOST:?}" "${ALERTMANAGER_PORT:?}"
node /app/ops/alertmanager/render.ts >/var/lib/alertmanager/alertmanager.yml
exec prometheus-alertmanager --config.file=/var/lib/alertmanager/alertmanager.yml \
  --storage.path=/var/lib/alertmanager/data \
  --web.listen-address="$ALERTMANAGER_HOST:$ALERTMANAGER_PORT" \
  --cluster.listen-address= --log.level=warn
