/**
 * The packaging files, checked without Docker: every setting the apps read reaches their
 * containers, every port follows ops/docker/compose-ports.ts, every variable the compose files
 * interpolate is in .env.example, the Dockerfiles copy what they must, and the CI workflow has
 * the structure GitHub Actions runs (it cannot run here).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { ENV_KEYS as API_KEYS } from '../../../apps/api/src/env.ts';
import { ENV_KEYS as WORKER_KEYS } from '../../../apps/worker/src/env.ts';
import { MAX_API_REPLICAS, PORT_SUFFIX, composePorts } from '../../../ops/docker/compose-ports.ts';
import { composePrometheusConfig } from '../../../ops/docker/prometheus-config.ts';
import { repoRoot } from '../src/compose.ts';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
type Service = {
  environment?: Record<string, string | number | null>;
  command?: string[];
  image?: string;
  build?: { target: string };
};
const scale = parse(read('docker-compose.scale.yml'), { merge: true }) as {
  services: Record<string, Service>;
};
const svc = (name: string) => scale.services[name]!;

describe('docker-compose.scale.yml', () => {
  it('gives the apis and workers every setting they read', () => {
    // Left out on purpose: nginx serves the SPA; the Sentinels name the Redis primary.
    const notInContainers = ['WEB_DIST', 'REDIS_URL'];
    const missing = (keys: readonly string[], service: string) =>
      keys.filter((k) => !notInContainers.includes(k) && !(k in svc(service).environment!));
    for (let i = 1; i <= MAX_API_REPLICAS; i++)
      expect(missing(API_KEYS, `api-${i}`), `api-${i}`).toEqual([]);
    for (const w of ['worker-1', 'worker-2']) expect(missing(WORKER_KEYS, w), w).toEqual([]);
  });

  it('puts every port where ops/docker/compose-ports.ts says', () => {
    const ports = composePorts('81', MAX_API_REPLICAS);
    const port = (v: unknown) => Number(String(v).replace('${PORT_PREFIX:-81}', '81'));
    for (let i = 1; i <= MAX_API_REPLICAS; i++) {
      expect(port(svc(`api-${i}`).environment!.PORT)).toBe(ports.apis[i - 1]);
      expect(port(svc(`api-${i}`).environment!.METRICS_PORT)).toBe(ports.apiMetrics[i - 1]);
      expect(svc(`api-${i}`).environment!.LLMPT_REPLICA).toBe(i);
    }
    expect([1, 2].map((i) => port(svc(`worker-${i}`).environment!.METRICS_PORT))).toEqual(
      ports.workerMetrics,
    );
    expect(port(svc('nginx').environment!.EDGE_PORT)).toBe(ports.edge);
    expect(
      String(svc('nginx').environment!.EDGE_API_SERVERS).replaceAll('${PORT_PREFIX:-81}', '81'),
    ).toBe(ports.apis.map((p) => `127.0.0.1:${p}`).join(','));
    expect(port(svc('postgres-primary').environment!.PGPORT)).toBe(ports.postgresPrimary);
    expect(port(svc('postgres-replica').environment!.PGPORT)).toBe(ports.postgresReplica);
    expect(port(svc('pgbouncer').environment!.PGBOUNCER_PORT)).toBe(ports.pgbouncer);
    expect([1, 2].map((i) => port(svc(`redis-${i}`).environment!.REDIS_PORT))).toEqual(ports.redis);
    expect([1, 2, 3].map((i) => port(svc(`sentinel-${i}`).environment!.REDIS_PORT))).toEqual(
      ports.sentinels,
    );
    expect(port(svc('prometheus').environment!.PROMETHEUS_PORT)).toBe(ports.monitoring.prometheus);
    expect(port(svc('alertmanager').environment!.ALERTMANAGER_PORT)).toBe(
      ports.monitoring.alertmanager,
    );
    expect(port(svc('grafana').environment!.GF_SERVER_HTTP_PORT)).toBe(81_00 + PORT_SUFFIX.grafana);
    const listen = (s: string) => {
      const flag = svc(s).command!.find((a) => a.includes('listen-address='))!;
      return Number(flag.replace('${PORT_PREFIX:-81}', '81').split(':').pop());
    };
    expect(listen('node-exporter')).toBe(ports.monitoring.nodeExporter);
    expect(listen('postgres-exporter-primary')).toBe(ports.monitoring.postgresExporters[0]);
    expect(listen('postgres-exporter-replica')).toBe(ports.monitoring.postgresExporters[1]);
    expect(listen('redis-exporter')).toBe(ports.monitoring.redisExporter);
    expect(listen('nginx-exporter')).toBe(ports.monitoring.nginxExporter);
  });

  it('runs every container on the host network, never with an address of its own', () => {
    for (const [name, s] of Object.entries(scale.services))
      expect([name, (s as { network_mode?: string }).network_mode]).toEqual([name, 'host']);
    expect(read('docker-compose.scale.yml')).not.toMatch(
      /\b(10|172\.(1[6-9]|2\d|3[01])|192\.168)\.\d+\.\d+/,
    );
  });

  it('refuses to start without its secrets', () => {
    for (const secret of [
      'LLMPT_DB_PASSWORD',
      'POSTGRES_PASSWORD',
      'REPLICATION_PASSWORD',
      'MONITOR_PASSWORD',
      'PGBOUNCER_ADMIN_PASSWORD',
      'VOTER_COOKIE_SECRET',
      'GRAFANA_ADMIN_PASSWORD',
    ])
      expect(read('docker-compose.scale.yml')).toMatch(new RegExp(`\\$\\{${secret}:\\?`));
  });

  it('renders Prometheus targets for the apis that run, and refuses a bad count or prefix', () => {
    const config = composePrometheusConfig({ PORT_PREFIX: '93', API_REPLICAS: '6' }, '/rules') as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const api = config.scrape_configs.find((j) => j.job_name === 'api')!;
    expect(api.static_configs.map((s) => s.targets[0])).toEqual(
      [9321, 9322, 9323, 9324, 9325, 9326].map((p) => `127.0.0.1:${p}`),
    );
    expect(() => composePrometheusConfig({ API_REPLICAS: '9' }, '/rules')).toThrow(
      /API_REPLICAS must be a whole number from 1 to 8/,
    );
    expect(() => composePrometheusConfig({ PORT_PREFIX: '7' }, '/rules')).toThrow(
      /PORT_PREFIX must be/,
    );
  });
});

describe('.env.example', () => {
  it('lists every variable the compose files read', () => {
    const listed = new Set(
      [...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]),
    );
    for (const file of ['docker-compose.scale.yml', 'docker-compose.yml']) {
      const used = new Set([...read(file).matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
      expect(
        [...used].filter((v) => !listed.has(v)),
        file,
      ).toEqual([]);
    }
  });
});

describe('ops/docker', () => {
  it('copies no rule files of its own: Prometheus gets ops/prometheus/rules', () => {
    expect(read('ops/docker/app.Dockerfile')).toMatch(
      /^COPY ops\/prometheus\/rules \/etc\/prometheus\/rules$/m,
    );
  });

  it('runs every image as an unprivileged user', () => {
    for (const file of ['ops/docker/app.Dockerfile', 'ops/docker/services.Dockerfile']) {
      const stages = read(file)
        .split(/^FROM /m)
        .slice(1);
      const finals = stages.filter((s) =>
        /^\S+ AS (api|worker|migrate|edge|prometheus|alertmanager|postgres|pgbouncer|redis|exporters)\b/.test(
          s,
        ),
      );
      expect(finals.length).toBeGreaterThan(0);
      for (const stage of finals)
        expect([stage.split('\n')[0], /^USER (?!root)\w+/m.test(stage)]).toEqual([
          stage.split('\n')[0],
          true,
        ]);
    }
  });
});

describe('.github/workflows/ci.yml', () => {
  type Step = { uses?: string; run?: string; if?: string; env?: Record<string, string> };
  const ci = parse(read('.github/workflows/ci.yml')) as {
    on: { push: { tags: string[] }; pull_request: unknown };
    jobs: Record<string, { 'runs-on': string; needs?: string; steps: Step[] }>;
  };

  it('runs .ci/run (Node.js 22 suite, Node.js 24 smoke) on pushes, tags and pull requests', () => {
    expect(ci.on.push.tags).toEqual(['v*']);
    expect('pull_request' in ci.on).toBe(true);
    expect(ci.jobs.suite!.steps.some((s) => /\bbash \.ci\/run$/.test(s.run ?? ''))).toBe(true);
    expect(read('.ci/run')).toMatch(/use_node 22[\s\S]*use_node 24/);
  });

  it('builds the compose images after the suite, and pushes only on a version tag with the secrets', () => {
    const images = ci.jobs.images!;
    expect(images.needs).toBe('suite');
    expect(
      images.steps.some((s) => s.run === 'docker compose -f docker-compose.scale.yml build'),
    ).toBe(true);
    const pushing = images.steps.filter((s) => /docker (login|push)/.test(s.run ?? ''));
    expect(pushing.length).toBe(2);
    for (const s of pushing) {
      expect(s.if).toBe("startsWith(github.ref, 'refs/tags/v')");
      expect(Object.values(s.env ?? {}).every((v) => v.startsWith('${{ secrets.'))).toBe(true);
    }
  });

  it('pins every action to a major version', () => {
    for (const job of Object.values(ci.jobs))
      for (const s of job.steps) if (s.uses) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
  });
});
