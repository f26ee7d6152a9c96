#!/bin/bash
# Postgres container: `postgres-entrypoint.sh primary|replica`, as the postgres user.
#   primary: the first start runs initdb and creates the app role and database (llmpt), the
#            replication role, the monitoring role (pg_monitor) and the replica's physical slot;
#            later starts find the data directory and just run the server.
#   replica: the first start copies the primary with pg_basebackup (streaming the WAL, using the
#            slot, writing standby.signal and primary_conninfo); later starts resume streaming.
# The same settings as `npm run cluster` (tooling/cluster/src/postgres.ts): wal_level=replica,
# hot_standby_feedback, max_slot_wal_keep_size so a replica gone for good cannot fill the disk.
set -euo pipefail
role="${1:?usage: postgres-entrypoint.sh primary|replica}"
bin=$(echo /usr/lib/postgresql/*/bin)
export PATH="$bin:$PATH"
data="${PGDATA:?}"
port="${PGPORT:?}"
slot=replica

settings=(
  -c "port=$port" -c "listen_addresses=${PG_LISTEN:-127.0.0.1}"
  -c wal_level=replica -c hot_standby=on -c hot_standby_feedback=on
  -c max_wal_senders=10 -c max_replication_slots=10 -c max_slot_wal_keep_size=4GB
  -c "max_connections=${PG_MAX_CONNECTIONS:-200}" -c "shared_buffers=${PG_SHARED_BUFFERS:-256MB}"
  -c password_encryption=scram-sha-256
  -c unix_socket_directories=/var/run/postgresql
)

if [ ! -s "$data/PG_VERSION" ]; then
  case "$role" in
    primary)
      : "${POSTGRES_PASSWORD:?}" "${LLMPT_DB_PASSWORD:?}" "${REPLICATION_PASSWORD:?}"
      pwfile=$(mktemp)
      printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
      initdb -D "$data" --username=postgres --pwfile="$pwfile" --auth-local=peer \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
      rm -f "$pwfile"
      # Every connection needs a password; replication only for its own role.
      {
        echo 'local all postgres peer'
        echo 'host replication replicator all scram-sha-256'
        echo 'host all all all scram-sha-256'
      } >"$data/pg_hba.conf"
      pg_ctl -D "$data" -w -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start >/dev/null
      psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql -U postgres -d postgres \
        -v app_pw="$LLMPT_DB_PASSWORD" -v repl_pw="$REPLICATION_PASSWORD" \
        -v mon_pw="${MONITOR_PASSWORD:-}" -v slot="$slot" <<'SQL'
CREATE ROLE llmpt LOGIN PASSWORD :'app_pw';
CREATE DATABASE llmpt OWNER llmpt;
CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'repl_pw';
SELECT pg_create_physical_replication_slot(:'slot');
SELECT :'mon_pw' <> '' AS has_monitor \gset
\if :has_monitor
CREATE ROLE llmpt_monitor LOGIN PASSWORD :'mon_pw' IN ROLE pg_monitor;
\endif
SQL
      pg_ctl -D "$data" -w stop >/dev/null
      echo "postgres primary: initialised $data"
      ;;
    replica)
      : "${PRIMARY_HOST:?}" "${PRIMARY_PORT:?}" "${REPLICATION_PASSWORD:?}"
      until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT"; do
        echo "postgres replica: waiting for the primary at $PRIMARY_HOST:$PRIMARY_PORT"
        sleep 1
      done
      PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" \
        -U replicator -D "$data" -X stream -S "$slot" -R --checkpoint=fast
      echo "postgres replica: copied the primary into $data"
      ;;
    *) echo "usage: postgres-entrypoint.sh primary|replica" >&2; exit 2 ;;
  esac
fi
chmod 700 "$data"
exec postgres -D "$data" "${settings[@]}"
