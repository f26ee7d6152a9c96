#!/bin/sh
# Starts one Redis node of the llmpt-redis StatefulSet. Its role comes from the Sentinels at
# every start: a replica of the primary they name, or the primary if they name this node. When
# no Sentinel answers (a new deployment), pod 0 starts as the primary and the others replicate
# it. The file is rewritten at each start, so a node that was primary and comes back after a
# failover rejoins as a replica instead of forming a second primary.
set -eu
: "${REDIS_MASTER_NAME:?REDIS_MASTER_NAME is not set}"
: "${REDIS_MAXMEMORY:?REDIS_MAXMEMORY is not set}"
self="$(hostname).llmpt-redis"
ordinal="${HOSTNAME##*-}"

primary=""
for i in 0 1 2; do
  answer=$(timeout 3 redis-cli -h "llmpt-sentinel-$i.llmpt-sentinel" -p 26379 --raw \
    sentinel get-master-addr-by-name "$REDIS_MASTER_NAME" 2>/dev/null | head -n 1 || true)
  if [ -n "$answer" ]; then
    primary="$answer"
    break
  fi
done
if [ -z "$primary" ]; then
  if [ "$ordinal" = "0" ]; then primary="$self"; else primary="llmpt-redis-0.llmpt-redis"; fi
fi

conf=/tmp/redis.conf
{
  echo "port 6379"
  echo "dir /data"
  # Every acknowledged vote is in the AOF (fsync every second) and on the replica (WAIT 1).
  echo "appendonly yes"
  echo "appendfsync everysec"
  # A full Redis must refuse writes loudly, never drop ballots or outbox entries.
  echo "maxmemory $REDIS_MAXMEMORY"
  echo "maxmemory-policy noeviction"
  # Sentinels and replicas reach this node by its stable name, not its pod address.
  echo "replica-announce-ip $self"
  echo "replica-announce-port 6379"
  if [ "$primary" != "$self" ]; then
    echo "replicaof $primary 6379"
    echo "replica-read-only yes"
  fi
} >"$conf"
echo "redis-start: $self starting as $([ "$primary" = "$self" ] && echo primary || echo "replica of $primary")"
exec redis-server "$conf"
