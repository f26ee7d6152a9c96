#!/bin/sh
# PgBouncer container: transaction pooling in front of the primary (`llmpt`) and the replica
# (`llmpt_replica`), SCRAM both ways, the pool sizes of `npm run cluster`
# (tooling/cluster/src/pgbouncer.ts; docs/operations.md, "Running the topology").
set -eu
: "${PGBOUNCER_PORT:?}" "${PRIMARY_PORT:?}" "${REPLICA_PORT:?}"
: "${LLMPT_DB_PASSWORD:?}" "${PGBOUNCER_ADMIN_PASSWORD:?}"
dir=/var/run/pgbouncer
mkdir -p "$dir"
umask 077
# The auth file holds the passwords as PgBouncer reads them ("name" "password"; " doubled).
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
{
  echo "$(quote llmpt) $(quote "$LLMPT_DB_PASSWORD")"
  echo "$(quote pgbouncer) $(quote "$PGBOUNCER_ADMIN_PASSWORD")"
} >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
llmpt = host=${PRIMARY_HOST:-127.0.0.1} port=$PRIMARY_PORT dbname=llmpt
llmpt_replica = host=${REPLICA_HOST:-127.0.0.1} port=$REPLICA_PORT dbname=llmpt

[pgbouncer]
listen_addr = ${PGBOUNCER_LISTEN:-127.0.0.1}
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
admin_users = pgbouncer
pool_mode = transaction
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-10000}
default_pool_size = ${PGBOUNCER_DEFAULT_POOL_SIZE:-20}
reserve_pool_size = ${PGBOUNCER_RESERVE_POOL_SIZE:-5}
reserve_pool_timeout = 3
max_db_connections = ${PGBOUNCER_MAX_DB_CONNECTIONS:-25}
query_wait_timeout = 30
server_reset_query =
log_connections = 0
log_disconnections = 0
INI
exec pgbouncer "$dir/pgbouncer.ini"
