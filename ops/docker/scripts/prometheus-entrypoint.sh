#!/bin/sh
# Prometheus container: renders its configuration (ops/docker/prometheus-config.ts: the
# cluster's scrape jobs over the compose ports, for API_REPLICAS apis), then runs Prometheus.
set -eu
: "${PROMETHEUS_HOST:?}" "${PROMETHEUS_PORT:?}"
node /app/ops/docker/prometheus-config.ts /etc/prometheus/rules >/var/lib/prometheus/prometheus.yml
exec prometheus --config.file=/var/lib/prometheus/prometheus.yml \
  --storage.tsdb.path=/var/lib/prometheus/data \
  --storage.tsdb.retention.time="${PROMETHEUS_RETENTION:-15d}" \
  --web.listen-address="$PROMETHEUS_HOST:$PROMETHEUS_PORT" \
  --web.enable-lifecycle --log.level=warn
