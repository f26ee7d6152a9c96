# The stack's servers from Debian 12's own packages (context: the repository root):
#   --target postgres    PostgreSQL 15 (primary or streaming replica: postgres-entrypoint.sh)
#   --target pgbouncer   PgBouncer, transaction pooling
#   --target redis       redis-server and redis-sentinel (redis-entrypoint.sh server|sentinel)
#   --target exporters   Prometheus's node, Postgres, Redis and nginx exporters
# Each runs as its package's own unprivileged user. See app.Dockerfile for BASE_IMAGE.
ARG BASE_IMAGE=llmpt/base:bookworm

FROM ${BASE_IMAGE} AS postgres
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data
COPY ops/docker/scripts/postgres-entrypoint.sh /usr/local/lib/llmpt/
ENV PGDATA=/var/lib/postgresql/data PGPORT=5432
USER postgres
VOLUME /var/lib/postgresql/data
HEALTHCHECK --interval=3s --timeout=3s --start-period=60s --retries=3 \
  CMD pg_isready -q -h 127.0.0.1 -p "$PGPORT"
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/lib/llmpt/postgres-entrypoint.sh"]
CMD ["primary"]

FROM ${BASE_IMAGE} AS pgbouncer
RUN apt-get update \
 && apt-get install -y --no-install-recommends pgbouncer postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/run/pgbouncer && chown postgres:postgres /var/run/pgbouncer
COPY ops/docker/scripts/pgbouncer-entrypoint.sh /usr/local/lib/llmpt/
USER postgres
HEALTHCHECK --interval=3s --timeout=3s --start-period=10s --retries=3 \
  CMD pg_isready -q -h 127.0.0.1 -p "$PGBOUNCER_PORT" -d llmpt
ENTRYPOINT ["/usr/local/lib/llmpt/pgbouncer-entrypoint.sh"]

FROM ${BASE_IMAGE} AS redis
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-sentinel redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/redis && chown redis:redis /var/lib/redis
COPY ops/docker/scripts/redis-entrypoint.sh /usr/local/lib/llmpt/
USER redis
VOLUME /var/lib/redis
HEALTHCHECK --interval=3s --timeout=3s --start-period=10s --retries=3 \
  CMD redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG
ENTRYPOINT ["/usr/local/lib/llmpt/redis-entrypoint.sh"]
CMD ["server"]

FROM ${BASE_IMAGE} AS exporters
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-node-exporter \
      prometheus-postgres-exporter prometheus-redis-exporter prometheus-nginx-exporter \
 && rm -rf /var/lib/apt/lists/*
USER prometheus
