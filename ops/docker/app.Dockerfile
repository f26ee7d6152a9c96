# The images built from this repository's code, all from one build stage (context: the
# repository root):
#   --target api      apps/api's bundle          (HEALTHCHECK: /healthz on PORT)
#   --target worker   apps/worker's bundle       (HEALTHCHECK: /healthz on METRICS_PORT)
#   --target migrate  packages/db's migrations and seed, run once per deploy
#   --target edge     nginx serving the built SPA, configured by nginx/render.ts
#   --target prometheus    Debian's Prometheus, ops/prometheus/rules, scrape jobs rendered at start
#   --target alertmanager  Debian's Alertmanager, ops/alertmanager's routing rendered at start
# (Node.js is in each: nginx/render.ts, ops/docker/prometheus-config.ts and
# ops/alertmanager/render.ts are the TypeScript renderers the cluster uses, run by Node itself.)
# The base is made locally by ops/docker/base-image.sh; elsewhere pass
# --build-arg BASE_IMAGE=debian:bookworm-slim. Node.js comes from the npm registry.
ARG BASE_IMAGE=llmpt/base:bookworm

# ── Node.js + npm from the npm registry (checked against its sha512 integrity) ──────────────
FROM ${BASE_IMAGE} AS node
# Node 24: faster than 22 on the vote path in an interleaved A/B (docs/benchmarks.md, "Node 22
# vs 24, interleaved"); the project supports both (package.json engines, .ci/run).
ARG NODE_VERSION=24.22.3
ARG NPM_VERSION=11.19.1
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY ops/docker/scripts/fetch-node.sh /usr/local/lib/llmpt/
RUN NODE_VERSION=$NODE_VERSION NPM_VERSION=$NPM_VERSION /usr/local/lib/llmpt/fetch-node.sh
# npm trusts the system's bundle (with any local CA the base image carries), not only Node's.
ENV PATH=/opt/node/bin:$PATH NPM_CONFIG_CAFILE=/etc/ssl/certs/ca-certificates.crt

# ── Every package manifest, alone: npm ci below reruns only when one of them changes ───────
FROM ${BASE_IMAGE} AS manifests
COPY . /src
RUN cd /src && mkdir /manifests \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests \; \
 && cp package-lock.json /manifests/

# ── Build: the esbuild bundles (tooling/stack, as `npm run build`) and the SPA (vite) ──────
FROM node AS build
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund \
      -w @llmpt/stack -w @llmpt/api -w @llmpt/worker -w @llmpt/web
COPY . .
RUN node tooling/stack/bin/llmpt-stack.js build api worker \
 && NODE_ENV=production npm run build --silent -w @llmpt/web
# Each runtime's npm packages alone (the bundles keep them as imports; see prune-deps.mjs).
RUN node ops/docker/scripts/prune-deps.mjs /src /out/api --bundle apps/api/dist/index.js \
 && node ops/docker/scripts/prune-deps.mjs /src /out/worker --bundle apps/worker/dist/index.js \
 && node ops/docker/scripts/prune-deps.mjs /src /out/migrate --packages \
      $(node -p "Object.keys({...require('./packages/db/package.json').dependencies, ...require('./packages/shared/package.json').dependencies}).filter(n => !n.startsWith('@llmpt/')).join(' ')")

# ops/alertmanager/render.ts's one package, at the lockfile's version.
FROM node AS yaml-dep
WORKDIR /app
COPY --from=manifests /manifests/package-lock.json ./
RUN v=$(node -p "require('./package-lock.json').packages['node_modules/yaml'].version") \
 && npm install --no-save --no-package-lock --no-audit --no-fund "yaml@$v"

# ── What every runtime image shares: node alone (no npm), a non-root user ──────────────────
FROM ${BASE_IMAGE} AS runtime
COPY --from=node /opt/node/bin/node /usr/local/bin/node
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin llmpt
WORKDIR /app
ENV NODE_ENV=production
COPY ops/docker/scripts/healthz.mjs ops/docker/scripts/app-entrypoint.sh ops/docker/scripts/first-n.sh /usr/local/lib/llmpt/

FROM runtime AS api
COPY --from=build /out/api/ ./
COPY --from=build /src/apps/api/package.json ./apps/api/
COPY --from=build /src/apps/api/dist ./apps/api/dist
USER llmpt
EXPOSE 3000 9463
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/usr/local/lib/llmpt/healthz.mjs", "PORT", "/healthz", "HOST"]
ENTRYPOINT ["/usr/local/lib/llmpt/app-entrypoint.sh", "api"]

FROM runtime AS worker
# redis-cli for the scheduled backups' Redis copy (BACKUP_DIR, a volume; the Postgres dump is
# made in process).
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/llmpt/backups /var/lib/llmpt/archive && chown -R llmpt:llmpt /var/lib/llmpt
COPY --from=build /out/worker/ ./
COPY --from=build /src/apps/worker/package.json ./apps/worker/
COPY --from=build /src/apps/worker/dist ./apps/worker/dist
USER llmpt
EXPOSE 9464
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/usr/local/lib/llmpt/healthz.mjs", "METRICS_PORT", "/healthz", "METRICS_HOST"]
ENTRYPOINT ["/usr/local/lib/llmpt/app-entrypoint.sh", "worker"]

# Migrations and the seed: packages/db's own CLIs, TypeScript run by Node itself (type
# stripping), so no compiler or dev dependency ships.
FROM runtime AS migrate
COPY --from=build /out/migrate/ ./
RUN mkdir -p node_modules/@llmpt && ln -s ../../packages/shared node_modules/@llmpt/shared
COPY --from=build /src/package.json ./
COPY --from=build /src/packages/shared/package.json ./packages/shared/
COPY --from=build /src/packages/shared/src ./packages/shared/src
COPY --from=build /src/packages/db/package.json ./packages/db/
COPY --from=build /src/packages/db/src ./packages/db/src
USER llmpt
CMD ["sh", "-c", "node packages/db/src/migrate.ts && node packages/db/src/seed.ts"]

# The edge: Debian's nginx, the built SPA, and the renderer with the one module it imports.
FROM runtime AS edge
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
 && mkdir -p /var/lib/llmpt-nginx \
 && ln -s /dev/stderr /var/lib/llmpt-nginx/error.log \
 && chown -R llmpt:llmpt /var/lib/llmpt-nginx
COPY --from=build /src/package.json ./
COPY --from=build /src/packages/shared/package.json ./packages/shared/
COPY --from=build /src/packages/shared/src/security-headers.ts ./packages/shared/src/
RUN mkdir -p node_modules/@llmpt && ln -s ../../packages/shared node_modules/@llmpt/shared
COPY nginx/render.ts nginx/nginx.conf.template ./nginx/
COPY --from=build /src/apps/web/dist ./web
COPY ops/docker/scripts/edge-entrypoint.sh /usr/local/lib/llmpt/
USER llmpt
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/usr/local/lib/llmpt/healthz.mjs", "EDGE_PORT", "/", "EDGE_HOST"]
ENTRYPOINT ["/usr/local/lib/llmpt/edge-entrypoint.sh"]

# Prometheus: the rules from ops/prometheus/rules (their one source), the scrape jobs of the
# cluster (tooling/cluster/src/prometheus-config.ts) over the compose ports, rendered at start.
FROM runtime AS prometheus
# The web UI loads moment-timezone-with-data.min.js alone; the package's other builds of it
# (libjs-moment-timezone) are 212 MB.
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && find /usr/share/javascript/moment-timezone -mindepth 1 \
      ! -name moment-timezone-with-data.min.js -exec rm -rf {} + \
 && mkdir -p /var/lib/prometheus/data && chown -R llmpt:llmpt /var/lib/prometheus
COPY --from=build /src/package.json ./
COPY tooling/cluster/package.json ./tooling/cluster/
COPY tooling/cluster/src/prometheus-config.ts ./tooling/cluster/src/
COPY ops/docker/compose-ports.ts ops/docker/prometheus-config.ts ./ops/docker/
COPY ops/prometheus/rules /etc/prometheus/rules
COPY ops/docker/scripts/prometheus-entrypoint.sh /usr/local/lib/llmpt/
USER llmpt
VOLUME /var/lib/prometheus/data
HEALTHCHECK --interval=5s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/usr/local/lib/llmpt/healthz.mjs", "PROMETHEUS_PORT", "/-/ready", "PROMETHEUS_HOST"]
ENTRYPOINT ["/usr/local/lib/llmpt/prometheus-entrypoint.sh"]

# Alertmanager: ops/alertmanager/alertmanager.yml's routing with the webhooks of
# ALERTMANAGER_WEBHOOK_CRITICAL / _WARNING, rendered at start by ops/alertmanager/render.ts.
FROM runtime AS alertmanager
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-alertmanager \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/alertmanager/data && chown -R llmpt:llmpt /var/lib/alertmanager
COPY --from=build /src/package.json ./
COPY --from=yaml-dep /app/node_modules ./node_modules
COPY ops/alertmanager/render.ts ops/alertmanager/alertmanager.yml ./ops/alertmanager/
COPY ops/docker/scripts/alertmanager-entrypoint.sh /usr/local/lib/llmpt/
USER llmpt
VOLUME /var/lib/alertmanager/data
HEALTHCHECK --interval=5s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/usr/local/lib/llmpt/healthz.mjs", "ALERTMANAGER_PORT", "/-/ready", "ALERTMANAGER_HOST"]
ENTRYPOINT ["/usr/local/lib/llmpt/alertmanager-entrypoint.sh"]
