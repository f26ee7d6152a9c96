/**
 * The packaging, for real: the engine (started if none runs), the local base image, every image
 * of docker-compose.scale.yml built, the stack brought up on loopback ports of its own, a vote
 * cast through its nginx and read back from the ranking and from Postgres, every Prometheus
 * target up; then everything removed (containers and volumes), failed or not. Also the
 * development file's Postgres and Redis. Grafana is not started: it has no Debian package and
 * its official image is on Docker Hub, which this machine cannot reach (the file keeps it for
 * hosts that can).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ComposeProject, freePortPrefix, repoRoot, servicesOf, until } from '../src/compose.ts';
import { type Engine, dockerTools, ensureEngine } from '../src/docker.ts';

const run = promisify(execFile);
const SCALE = 'docker-compose.scale.yml';
const API_REPLICAS = 4;
/** Not started here: no Debian package, and no registry to pull its image from. */
const NOT_HERE = ['grafana'];

let engine: Engine | undefined;
let stack: ComposeProject | undefined;
let dev: ComposeProject | undefined;
let prefix = '';
const figures: Record<string, string> = {};
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

beforeAll(async () => {
  const tools = await dockerTools();
  engine = await ensureEngine(tools.docker);
  const env: NodeJS.ProcessEnv = {
    PATH: [...tools.binDirs, process.env.PATH ?? ''].join(':'),
    HOME: process.env.HOME,
    COMPOSE_HTTP_TIMEOUT: '600',
    DOCKER_BUILDKIT: '0',
  };

  let t = performance.now();
  await run('bash', [path.join(repoRoot, 'ops/docker/base-image.sh')], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  figures['base image'] = seconds(t);

  prefix = await freePortPrefix();
  const secret = () => randomBytes(18).toString('base64url');
  const stackEnv = {
    ...env,
    PORT_PREFIX: prefix,
    API_REPLICAS: String(API_REPLICAS),
    EDGE_HOST: '127.0.0.1',
    LLMPT_DB_PASSWORD: secret(),
    POSTGRES_PASSWORD: secret(),
    REPLICATION_PASSWORD: secret(),
    MONITOR_PASSWORD: secret(),
    PGBOUNCER_ADMIN_PASSWORD: secret(),
    GRAFANA_ADMIN_PASSWORD: secret(),
    VOTER_COOKIE_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'llmpt-compose-'));
  stack = new ComposeProject(
    `llmpttest${prefix}`,
    SCALE,
    tools.compose,
    tools.docker,
    stackEnv,
    path.join(dir, 'scale.env'),
  );
  dev = new ComposeProject(
    `llmptdev${prefix}`,
    'docker-compose.yml',
    tools.compose,
    tools.docker,
    {
      ...env,
      DEV_POSTGRES_PORT: `${prefix}80`,
      DEV_REDIS_PORT: `${prefix}81`,
    },
    path.join(dir, 'dev.env'),
  );

  t = performance.now();
  await stack.run(['build']);
  figures['images built'] = seconds(t);

  t = performance.now();
  const services = servicesOf(SCALE).filter((s) => !NOT_HERE.includes(s));
  await stack.run(['up', '-d', '--no-build', ...services]);
  // Ready: every container running (and healthy where it has a check), or done with exit 0
  // (the migration, the apis beyond API_REPLICAS). A restart or a failed exit fails at once.
  await until('every container healthy', 300_000, async () => {
    const states = await stack!.containers();
    const failed = states.filter(
      (c) => c.restarts > 0 || (c.status === 'exited' && c.exitCode !== 0),
    );
    if (failed.length > 0)
      throw new Error(
        `failed: ${failed.map((c) => c.service).join(', ')}\n${await stack!.logs(failed.map((c) => c.service))}`,
      );
    const ready = states.filter(
      (c) =>
        (c.status === 'running' && (c.health === null || c.health === 'healthy')) ||
        c.status === 'exited',
    );
    return ready.length === services.length && states.length === services.length
      ? states
      : undefined;
  }).catch(async (err: Error) => {
    const states = await stack!.containers();
    throw new Error(
      `${err.message}\n${states.map((c) => `${c.service}: ${c.status} ${c.health ?? ''}`).join('\n')}`,
    );
  });
  figures['stack up and healthy'] = seconds(t);
}, 3_600_000);

afterAll(async () => {
  console.log(`docker figures (PORT_PREFIX ${prefix}): ${JSON.stringify(figures)}`);
  for (const project of [stack, dev])
    await project?.down().catch((err: unknown) => console.error(err));
  await engine?.release();
}, 600_000);

const edge = () => `http://127.0.0.1:${prefix}00`;

describe('docker-compose.scale.yml on this machine', () => {
  it('runs API_REPLICAS apis and leaves the others off; the migration ran once', async () => {
    const states = await stack!.containers();
    const by = (s: string) => states.find((c) => c.service === s);
    for (let i = 1; i <= 8; i++) {
      const api = by(`api-${i}`)!;
      if (i <= API_REPLICAS) expect([api.status, api.health]).toEqual(['running', 'healthy']);
      else expect([api.status, api.exitCode]).toEqual(['exited', 0]);
    }
    expect([by('migrate')!.status, by('migrate')!.exitCode]).toEqual(['exited', 0]);
    for (const s of [
      'worker-1',
      'worker-2',
      'nginx',
      'postgres-primary',
      'postgres-replica',
      'pgbouncer',
      'redis-1',
      'redis-2',
      'sentinel-1',
      'sentinel-2',
      'sentinel-3',
      'prometheus',
      'alertmanager',
    ])
      expect([s, by(s)?.status, by(s)?.health]).toEqual([s, 'running', 'healthy']);
  });

  it('takes a vote through nginx and shows it in the ranking and in Postgres', async () => {
    const list = (await (await fetch(`${edge()}/trpc/llm.list`)).json()) as {
      result: { data: Array<{ id: string }> };
    };
    const llmId = list.result.data[0]!.id;
    // The first votes may meet partitions the worker has not rebuilt yet: 503, retried.
    const ack = await until('the vote accepted', 120_000, async () => {
      const res = await fetch(`${edge()}/trpc/vote.cast`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ llmId, value: 1 }),
      });
      if (res.status === 503) return undefined;
      expect(res.status).toBe(200);
      expect(res.headers.get('set-cookie')).toMatch(/^vid=/);
      return ((await res.json()) as { result: { data: { up: number; myVote: number } } }).result
        .data;
    });
    expect(ack.myVote).toBe(1);
    expect(ack.up).toBeGreaterThanOrEqual(1);

    const entry = await until('the vote in the ranking', 60_000, async () => {
      const res = await fetch(`${edge()}/trpc/rankings.list`);
      const rows = (
        (await res.json()) as { result: { data: Array<{ llm: { id: string }; up: number }> } }
      ).result.data;
      const row = rows.find((r) => r.llm.id === llmId);
      return row && row.up >= 1 ? row : undefined;
    });
    expect(entry.up).toBe(ack.up);

    const sql = `SELECT count(*) FROM votes WHERE llm_id = '${llmId}' AND value = 1`;
    const stored = await until('the vote flushed to Postgres', 60_000, async () => {
      const out = await stack!.exec('postgres-primary', [
        'psql',
        '-h',
        '/var/run/postgresql',
        '-U',
        'postgres',
        '-d',
        'llmpt',
        '-Atc',
        sql,
      ]);
      return Number(out.trim()) >= 1 ? Number(out.trim()) : undefined;
    });
    expect(stored).toBe(ack.up);
    // …and streamed to the replica.
    const replicated = await until('the vote on the replica', 60_000, async () => {
      const out = await stack!
        .exec('postgres-replica', [
          'psql',
          '-h',
          '/var/run/postgresql',
          '-U',
          'postgres',
          '-d',
          'llmpt',
          '-Atc',
          sql,
        ])
        .catch(() => '0');
      return Number(out.trim()) >= 1 ? Number(out.trim()) : undefined;
    });
    expect(replicated).toBe(stored);
  });

  it('has Prometheus scraping every process and exporter, all up, with the rules loaded', async () => {
    const expected =
      API_REPLICAS +
      2 /* workers */ +
      1 /* nginx */ +
      2 /* postgres */ +
      2 /* redis */ +
      3 /* sentinels */ +
      1 /* node */ +
      2; /* prometheus, alertmanager */
    type Target = { labels: { job: string; process: string }; health: string; lastError: string };
    const targets = await until('every Prometheus target up', 120_000, async () => {
      const res = await fetch(`http://127.0.0.1:${prefix}60/api/v1/targets?state=active`);
      const list = ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
      return list.length === expected && list.every((t) => t.health === 'up') ? list : undefined;
    }).catch(async (err: Error) => {
      const res = await fetch(`http://127.0.0.1:${prefix}60/api/v1/targets?state=active`);
      throw new Error(`${err.message}\n${await res.text()}`);
    });
    expect(new Set(targets.map((t) => t.labels.job))).toEqual(
      new Set([
        'api',
        'worker',
        'nginx',
        'postgres',
        'redis',
        'redis-sentinel',
        'node',
        'prometheus',
        'alertmanager',
      ]),
    );
    const rules = (await (await fetch(`http://127.0.0.1:${prefix}60/api/v1/rules`)).json()) as {
      data: { groups: unknown[] };
    };
    expect(rules.data.groups.length).toBeGreaterThan(0);
  });
});

describe('docker-compose.yml (the development services)', () => {
  it('serves a Postgres and a Redis on the ports it is given', async () => {
    await dev!.run(['up', '-d']);
    await until('Postgres and Redis healthy', 180_000, async () => {
      const states = await dev!.containers();
      return states.length === 2 && states.every((c) => c.health === 'healthy') ? true : undefined;
    });
    const pg = await dev!.exec('postgres', [
      'env',
      'PGPASSWORD=llmpt',
      'psql',
      '-h',
      '127.0.0.1',
      '-p',
      `${prefix}80`,
      '-U',
      'llmpt',
      '-d',
      'llmpt',
      '-Atc',
      'SELECT current_user',
    ]);
    expect(pg.trim()).toBe('llmpt');
    expect((await dev!.exec('redis', ['redis-cli', '-p', `${prefix}81`, 'ping'])).trim()).toBe(
      'PONG',
    );
  });
});
