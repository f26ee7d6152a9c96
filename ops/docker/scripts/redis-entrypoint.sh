#!/bin/sh
# Redis container: `redis-entrypoint.sh server|sentinel`, as the redis user.
#   server:   AOF (everysec), noeviction; REDIS_REPLICA_OF=host:port makes it a replica at its
#             FIRST start. The configuration lives in the data volume because the Sentinels
#             rewrite it on a failover: a restarted node keeps the role it was given.
#   sentinel: watches REDIS_MASTER (host:port) as REDIS_MASTER_NAME, quorum 2, down after 2 s,
#             failover timeout 10 s (as `npm run cluster`, tooling/cluster/src/redis.ts).
set -eu
kind="${1:?usage: redis-entrypoint.sh server|sentinel}"
: "${REDIS_PORT:?}"
bind="${REDIS_BIND:-127.0.0.1}"
case "$kind" in
  server)
    conf=/var/lib/redis/redis.conf
    if [ ! -s "$conf" ]; then
      {
        echo "port $REDIS_PORT"
        echo "bind $bind"
        echo "dir /var/lib/redis"
        echo "appendonly yes"
        echo "appendfsync everysec"
        echo "maxmemory ${REDIS_MAXMEMORY:-0}"
        echo "maxmemory-policy noeviction"
        echo "protected-mode no"
        if [ -n "${REDIS_REPLICA_OF:-}" ]; then
          echo "replicaof $(echo "$REDIS_REPLICA_OF" | tr ':' ' ')"
        fi
      } >"$conf"
    fi
    exec redis-server "$conf"
    ;;
  sentinel)
    : "${REDIS_MASTER:?}"
    conf=/var/lib/redis/sentinel.conf
    name="${REDIS_MASTER_NAME:-llmpt}"
    if [ ! -s "$conf" ]; then
      {
        echo "port $REDIS_PORT"
        echo "bind $bind"
        echo "dir /var/lib/redis"
        echo "protected-mode no"
        echo "sentinel monitor $name $(echo "$REDIS_MASTER" | tr ':' ' ') 2"
        echo "sentinel down-after-milliseconds $name 2000"
        echo "sentinel failover-timeout $name 10000"
        echo "sentinel parallel-syncs $name 1"
      } >"$conf"
    fi
    exec redis-sentinel "$conf"
    ;;
  *) echo "usage: redis-entrypoint.sh server|sentinel" >&2; exit 2 ;;
esac
