#!/bin/sh
# Starts one Sentinel of the llmpt-sentinel StatefulSet, watching the primary that the other
# Sentinels currently name (after a failover it is no longer pod 0), or llmpt-redis-0 when
# none answers (a new deployment). Names, not pod addresses: pods move, names stay.
set -eu
: "${REDIS_MASTER_NAME:?REDIS_MASTER_NAME is not set}"
self="$(hostname).llmpt-sentinel"

primary=""
for i in 0 1 2; do
  peer="llmpt-sentinel-$i.llmpt-sentinel"
  [ "$peer" = "$self" ] && continue
  answer=$(timeout 3 redis-cli -h "$peer" -p 26379 --raw \
    sentinel get-master-addr-by-name "$REDIS_MASTER_NAME" 2>/dev/null | head -n 1 || true)
  if [ -n "$answer" ]; then
    primary="$answer"
    break
  fi
done
[ -n "$primary" ] || primary="llmpt-redis-0.llmpt-redis"

# A Sentinel refuses a configuration whose primary's name does not resolve yet.
until getent hosts "$primary" >/dev/null; do
  echo "sentinel-start: waiting for $primary to resolve"
  sleep 2
done

conf=/tmp/sentinel.conf
cat >"$conf" <<CONF
port 26379
dir /tmp
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $self
sentinel monitor $REDIS_MASTER_NAME $primary 6379 2
sentinel down-after-milliseconds $REDIS_MASTER_NAME 5000
sentinel failover-timeout $REDIS_MASTER_NAME 60000
sentinel parallel-syncs $REDIS_MASTER_NAME 1
CONF
echo "sentinel-start: $self watching $primary"
exec redis-server "$conf" --sentinel
