// `npm run cluster`: the production topology on loopback, started as a user starts it (one
// cluster with --detach, 8 apis and 2 workers, shared by the tests), with a second one beside it
// through the programmatic API. What a user would notice: every endpoint answers, a vote goes
// through nginx, the api, Redis, the worker and PgBouncer into Postgres and its replica, the
// pools bound Postgres's connections, bad flags and taken ports are refused, and `down` leaves
// nothing behind.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { waitUntil } from '@llmpt/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type Cluster,
  type ClusterState,
  type Endpoints,
  type Health,
  POOL,
  SUPERUSER,
  freeBasePort,
  isHealthy,
  pgQuery,
  portsOf,
  redisCall,
  showPools,
  startCluster,
} from '../src/index.ts';
import { alive, cli, occupy, takenPorts } from './run.ts';

const APIS = 8;
const WORKERS = 2;

let dataRoot: string;
let base: number;
let env: Record<string, string>;
let endpoints: Endpoints;
let second: Cluster | undefined;

const clusterDir = (port: number) => path.join(dataRoot, 'cluster', String(port));
const state = async (port: number) =>
  JSON.parse(await readFile(path.join(clusterDir(port), 'state.json'), 'utf8')) as ClusterState;
/** The superuser's URL of one server (pg_stat_* need it). */
const asSuperuser = (url: string) => {
  const u = new URL(url);
  u.username = SUPERUSER.user;
  u.password = SUPERUSER.password;
  u.pathname = '/llmpt';
  return u.toString();
};
const pgbouncerAdmin = async (port: number) => {
  const secrets = JSON.parse(
    await readFile(path.join(clusterDir(port), 'secrets.json'), 'utf8'),
  ) as { pgbouncerAdminPassword: string };
  return `postgres://pgbouncer:${secrets.pgbouncerAdminPassword}@127.0.0.1:${port + 72}/pgbouncer`;
};

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'llmpt-cluster-test-'));
  env = { DATA_DIR: dataRoot };
  base = await freeBasePort();
  const t0 = Date.now();
  const up = await cli(
    [
      'up',
      '--detach',
      '--base-port',
      String(base),
      '--apis',
      String(APIS),
      '--workers',
      String(WORKERS),
    ],
    env,
    true,
  );
  if (up.code !== 0) throw new Error(`up exited ${up.code}:\n${up.stderr}`);
  console.log(`up --detach with ${APIS} apis, ${WORKERS} workers: ${Date.now() - t0} ms`);
  expect(up.stdout.trim().split('\n')).toHaveLength(1);
  endpoints = JSON.parse(up.stdout) as Endpoints;
});

afterAll(async () => {
  await second?.stop();
  if (base) await cli(['down', '--base-port', String(base), '--wipe'], env);
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
});

describe('npm run cluster -- up --detach', () => {
  it('prints one JSON line with every endpoint, and every one of them answers', async () => {
    const http = (offset: number, suffix = '') => `http://127.0.0.1:${base + offset}${suffix}`;
    expect(endpoints).toMatchObject({
      edge: http(0),
      apis: Array.from({ length: APIS }, (_, i) => http(10 + i)),
      workers: Array.from({ length: WORKERS }, (_, i) => http(50 + i, '/metrics')),
      redis: {
        sentinels: [90, 91, 92].map((o) => `127.0.0.1:${base + o}`),
        masterName: 'llmpt',
      },
    });
    for (const key of ['primary', 'replica', 'pgbouncer', 'pgbouncerReplica'] as const)
      expect(endpoints.postgres[key]).toMatch(/^postgres:\/\/llmpt:[^@]+@127\.0\.0\.1:\d+\/\w+$/);

    const page = await fetch(endpoints.edge);
    expect(page.status).toBe(200);
    expect(page.headers.get('server')).toBe('nginx');
    expect(await page.text()).toContain('<div id="root">');
    expect((await fetch(`${endpoints.edge}/healthz`)).status).toBe(200);
    for (const api of endpoints.apis) expect((await fetch(`${api}/readyz`)).status).toBe(200);
    for (const worker of endpoints.workers) {
      expect((await fetch(worker.replace(/metrics$/, 'healthz'))).status).toBe(200);
      expect(await (await fetch(worker)).text()).toContain('flush_events_total');
    }
    for (const url of Object.values(endpoints.postgres))
      expect(await pgQuery(url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    for (const sentinel of endpoints.redis.sentinels) {
      const port = Number(sentinel.split(':')[1]);
      expect(await redisCall(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'llmpt')).toEqual([
        '127.0.0.1',
        String(base + 80),
      ]);
    }
  });

  it('takes a vote through nginx, and the worker flushes it through PgBouncer into Postgres and its replica', async () => {
    const [model] = await pgQuery<{ id: string }>(
      endpoints.postgres.pgbouncer,
      'SELECT id FROM llms ORDER BY id LIMIT 1',
    );
    const res = await fetch(`${endpoints.edge}/trpc/vote.cast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ llmId: model!.id, value: 1 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('server')).toBe('nginx');
    expect(await res.json()).toMatchObject({ result: { data: { llmId: model!.id, up: 1 } } });

    const stored = (url: string) => async () => {
      const [row] = await pgQuery<{ n: number }>(
        url,
        'SELECT count(*)::int AS n FROM user_votes WHERE llm_id = $1 AND value = 1',
        [model!.id],
      );
      return row?.n === 1;
    };
    await waitUntil(
      'the vote in Postgres, read through PgBouncer',
      stored(endpoints.postgres.pgbouncer),
      {
        timeoutMs: 60_000,
      },
    );
    await waitUntil('the vote on the replica', stored(endpoints.postgres.replica), {
      timeoutMs: 30_000,
    });
    // The worker reached Postgres through PgBouncer: its connections are PgBouncer's clients.
    const clients = await pgQuery<{ database: string; application_name: string }>(
      await pgbouncerAdmin(base),
      'SHOW CLIENTS',
    );
    expect(clients.some((c) => c.application_name === 'llmpt-worker')).toBe(true);
  });

  it('status prints the same endpoints, every part healthy, and exits 0', async () => {
    const run = await cli(['status', '--base-port', String(base)], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { health, ...rest } = JSON.parse(run.stdout) as Endpoints & { health: Health };
    expect(rest).toEqual(endpoints);
    expect(health).toEqual({
      edge: 'ok',
      apis: Array(APIS).fill('ok'),
      workers: Array(WORKERS).fill('ok'),
      postgres: {
        primary: 'ok',
        replica: expect.stringMatching(/^streaming, lag \d+\.\d s$/) as string,
        pgbouncer: 'ok',
      },
      redis: { primary: `127.0.0.1:${base + 80}`, replica: 'ok', sentinels: ['ok', 'ok', 'ok'] },
      monitoring: {
        prometheus: 'ok',
        alertmanager: 'ok',
        targets: expect.stringMatching(/^\d+\/\d+ up/) as string,
      },
    });
  });

  it('starts Prometheus and Alertmanager by default, Prometheus scraping every api and worker on its own port', async () => {
    expect(endpoints.prometheus).toBe(`http://127.0.0.1:${base + 95}`);
    expect(endpoints.alertmanager).toBe(`http://127.0.0.1:${base + 96}`);
    expect((await fetch(`${endpoints.alertmanager}/-/ready`)).status).toBe(200);
    type Target = { labels: Record<string, string>; scrapeUrl: string };
    const targets = async () =>
      (
        (await (await fetch(`${endpoints.prometheus}/api/v1/targets?state=active`)).json()) as {
          data: { activeTargets: Target[] };
        }
      ).data.activeTargets;
    const scraped = async () =>
      (await targets())
        .filter((t) => t.labels.job === 'api' || t.labels.job === 'worker')
        .map((t) => [t.labels.process, t.scrapeUrl])
        .sort();
    // Prometheus is ready before its scrape manager has applied the static targets (its
    // discovery updates are batched every 5 s): the list fills in shortly after start.
    await expect
      .poll(scraped, { timeout: 30_000, interval: 500 })
      .toEqual(
        [
          ...endpoints.apiMetrics.map((url, i) => [`api-${i + 1}`, url]),
          ...endpoints.workers.map((url, i) => [`worker-${i + 1}`, url]),
        ].sort(),
      );
  });

  it('the replica streams from the primary through its slot, serves reads, refuses writes, and the apis measure its lag', async () => {
    const primary = asSuperuser(endpoints.postgres.primary);
    const replication = await pgQuery(
      primary,
      `SELECT r.application_name, r.state, s.slot_name, s.active
         FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid`,
    );
    expect(replication).toEqual([
      { application_name: 'replica', state: 'streaming', slot_name: 'replica', active: true },
    ]);
    const replica = endpoints.postgres.replica;
    expect(await pgQuery(replica, 'SELECT pg_is_in_recovery() AS standby')).toEqual([
      { standby: true },
    ]);
    const [seeded] = await pgQuery<{ n: number }>(replica, 'SELECT count(*)::int AS n FROM llms');
    expect(seeded!.n).toBeGreaterThan(10);
    await expect(pgQuery(replica, "UPDATE llms SET name = name WHERE id = 'x'")).rejects.toThrow(
      /read-only transaction/,
    );
    // The apis reach the replica too (through PgBouncer's llmpt_replica): a measured lag, not -1.
    const metrics = await (await fetch(endpoints.apiMetrics[0]!)).text();
    const lag = /^db_replica_lag_seconds (\S+)$/m.exec(metrics)?.[1];
    expect(Number(lag)).toBeGreaterThanOrEqual(0);
  });

  it(`with ${APIS} apis and ${WORKERS} workers under load, Postgres sees no more server connections than PgBouncer's pools`, async () => {
    const admin = await pgbouncerAdmin(base);
    const servers = (url: string) =>
      pgQuery<{ n: number }>(
        asSuperuser(url),
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'llmpt' AND backend_type = 'client backend'",
      ).then(([row]) => row!.n);
    const [model] = await pgQuery<{ id: string }>(
      endpoints.postgres.pgbouncer,
      'SELECT id FROM llms LIMIT 1',
    );
    const history = `/trpc/llm.history?input=${encodeURIComponent(JSON.stringify({ id: model!.id, days: 7 }))}`;

    // /readyz runs `select 1` on the primary, llm.history reads the replica: 16 requests in
    // flight per api and path make every api fill its pool (DATABASE_POOL_MAX 10) on both.
    let running = true;
    const statuses = new Map<number, number>();
    const loop = async (url: string) => {
      while (running) {
        const status = await fetch(url).then(
          async (r) => (await r.body?.cancel(), r.status),
          () => 0,
        );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    const loops = endpoints.apis.flatMap((api) =>
      Array.from({ length: 16 }, (_, i) => loop(`${api}${i % 2 ? '/readyz' : history}`)),
    );
    const seen = { primary: 0, replica: 0, clientsPrimary: 0, clientsReplica: 0, waiting: 0 };
    let samples = 0;
    let skipped = 0;
    try {
      for (let tries = 0; tries < 300 && samples < 200; tries++) {
        // On a loaded machine a probe's own connection may miss its 2 s connect timeout while
        // the apps hold every pool: that sample is skipped, not the test failed.
        const sample = await Promise.all([
          servers(endpoints.postgres.primary),
          servers(endpoints.postgres.replica),
          pgQuery<{ database: string }>(admin, 'SHOW CLIENTS'),
          showPools(admin),
        ]).catch((err: unknown) => {
          if (!/timeout/i.test(String(err))) throw err;
          skipped++;
          return null;
        });
        if (!sample) continue;
        samples++;
        const [primary, replica, clients, pools] = sample;
        seen.primary = Math.max(seen.primary, primary);
        seen.replica = Math.max(seen.replica, replica);
        const count = (db: string) => clients.filter((c) => c.database === db).length;
        seen.clientsPrimary = Math.max(seen.clientsPrimary, count('llmpt'));
        seen.clientsReplica = Math.max(seen.clientsReplica, count('llmpt_replica'));
        seen.waiting = Math.max(seen.waiting, ...pools.map((p) => Number(p.cl_waiting)));
        // Enough once the apis held more connections to PgBouncer than it may open to Postgres.
        if (
          samples >= 20 &&
          seen.clientsPrimary > POOL.maxDbConnections &&
          seen.clientsReplica > POOL.maxDbConnections
        )
          break;
      }
    } finally {
      running = false;
      await Promise.all(loops);
    }
    console.log(
      `connections under load (max seen over ${samples} samples, ${skipped} skipped): ${JSON.stringify(seen)}; answers ${JSON.stringify([...statuses])}`,
    );
    expect(samples).toBeGreaterThanOrEqual(20);
    // Transaction pooling: a server connection serves one transaction, then the next client.
    const modes = (await showPools(admin)).filter((p) => p.database.startsWith('llmpt'));
    expect(modes.map((p) => [p.database, p.pool_mode]).sort()).toEqual([
      ['llmpt', 'transaction'],
      ['llmpt_replica', 'transaction'],
    ]);
    // The load asked for more than the pools hold…
    expect(seen.clientsPrimary).toBeGreaterThan(POOL.maxDbConnections);
    expect(seen.clientsReplica).toBeGreaterThan(POOL.maxDbConnections);
    // …and Postgres never saw more than PgBouncer's cap, far under the guide's 500.
    expect(seen.primary).toBeLessThanOrEqual(POOL.maxDbConnections);
    expect(seen.replica).toBeLessThanOrEqual(POOL.maxDbConnections);
    expect(statuses.get(200)).toBeGreaterThan(0);
  });

  it('runs a second cluster on another base port at the same time, whose parts can be killed and restarted', async () => {
    let other = await freeBasePort();
    while (Math.abs(other - base) < 100) other = await freeBasePort();
    second = await startCluster({
      basePort: other,
      apis: 1,
      workers: 1,
      dataDir: clusterDir(other),
      env: { LOG_LEVEL: 'warn' },
      monitoring: false,
    });
    const c = second;
    expect(c.endpoints.edge).toBe(`http://127.0.0.1:${other}`);
    // Without monitoring: no Prometheus, no Alertmanager, and status says so.
    expect([c.endpoints.prometheus, c.endpoints.alertmanager]).toEqual([null, null]);
    expect((await c.health()).monitoring).toBeNull();
    expect(isHealthy(await c.health())).toBe(true);
    // Both up at once, each with its own data: the first cluster's vote is not in the second.
    expect((await fetch(`${endpoints.edge}/healthz`)).status).toBe(200);
    const [votes] = await pgQuery<{ n: number }>(
      c.endpoints.postgres.pgbouncer,
      'SELECT count(*)::int AS n FROM user_votes',
    );
    expect(votes!.n).toBe(0);

    // An api killed outright is reported down; restarted, it serves again.
    const killed = await c.kill('api-1');
    expect(killed.part).toBe('api-1');
    await killed.exited;
    expect((await c.health()).apis).toEqual([expect.stringMatching(/^down/)]);
    await c.restart('api-1');
    expect((await c.health()).apis).toEqual(['ok']);

    // Role names resolve through the Sentinels: the replica node is redis-2 until a failover.
    expect(await c.redisPrimary()).toBe(`127.0.0.1:${other + 80}`);
    const replica = await c.kill('redis-replica', 'SIGTERM');
    expect(replica.part).toBe('redis-2');
    await replica.exited;
    expect((await c.health()).redis.replica).toMatch(/^down/);
    await c.restart('redis-2');
    await waitUntil(
      'the Redis replica back in sync',
      async () => (await c.health()).redis.replica === 'ok',
      {
        timeoutMs: 30_000,
      },
    );

    const pids = Object.values(c.pids());
    const ports = portsOf(c.topology);
    await c.stop();
    second = undefined;
    expect(alive(pids)).toEqual([]);
    expect(await takenPorts(ports)).toEqual([]);
    expect(existsSync(path.join(clusterDir(other), 'state.json'))).toBe(false);
  });
});

describe('refusals', () => {
  it('refuses bad flags with exit 2 and a usage line, starting nothing', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'llmpt-cluster-flags-'));
    try {
      const cases: Array<[string[], RegExp]> = [
        [['up', '--apis', '0'], /--apis must be a whole number from 1 to 20 \(got 0\)/],
        [['up', '--apis', 'two'], /--apis must be a whole number \(got "two"\)/],
        [['up', '--workers', '0'], /--workers must be a whole number from 1/],
        [['up', '--base-port', '80'], /--base-port must be a whole number from 1024/],
        [['up', '--base-port', '2950'], /include 3000, which `npm start` uses/],
        [['up', '--base-port', '65500'], /--base-port must be a whole number from 1024 to 65436/],
        [['up', '--frobnicate'], /Unknown option '--frobnicate'/],
        [['up', '--wipe'], /--wipe does not go with this command/],
        [['down', '--apis', '3'], /--apis does not go with this command/],
        [['down', '--no-monitoring'], /--no-monitoring does not go with this command/],
        [['status', 'now'], /unexpected argument "now"/],
        [['launch'], /unknown command "launch"/],
        [[], /no command/],
      ];
      const runs = await Promise.all(cases.map(([args]) => cli(args, { DATA_DIR: empty })));
      for (const [i, [args, message]] of cases.entries()) {
        const run = runs[i]!;
        expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toContain('usage: npm run cluster -- up');
      }
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('refuses a taken port, naming it, and a base port whose range another cluster uses', async () => {
    let other = await freeBasePort();
    while (Math.abs(other - base) < 100) other = await freeBasePort();
    const squatter = await occupy(other + 72);
    try {
      const run = await cli(['up', '--detach', '--base-port', String(other)], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`port ${other + 72} (PgBouncer) is taken`);
      expect(existsSync(clusterDir(other))).toBe(false);
    } finally {
      squatter.close();
    }
    const same = await cli(['up', '--detach', '--base-port', String(base)], env);
    expect(same.code).toBe(1);
    expect(same.stderr).toContain(`a cluster already runs on base port ${base}`);
    const overlapping = await cli(['up', '--base-port', String(base + 50)], env);
    expect(overlapping.code).toBe(1);
    expect(overlapping.stderr).toContain(`the cluster on base port ${base} uses ports`);
  });
});

describe('npm run cluster -- down', () => {
  it('stops every process and frees every port, keeping the data; --wipe removes it', async () => {
    const before = await state(base);
    const pids = [before.supervisorPid, ...Object.values(before.pids)];
    expect(alive(pids)).toHaveLength(pids.length);

    const run = await cli(['down', '--base-port', String(base)], env, true);
    expect(run.code).toBe(0);
    expect(alive(pids)).toEqual([]);
    expect(await takenPorts(portsOf(before))).toEqual([]);
    expect(existsSync(path.join(clusterDir(base), 'state.json'))).toBe(false);
    expect(existsSync(path.join(clusterDir(base), 'postgres', 'primary', 'PG_VERSION'))).toBe(true);
    expect((await cli(['status', '--base-port', String(base)], env)).code).toBe(1);

    const wipe = await cli(['down', '--base-port', String(base), '--wipe'], env);
    expect(wipe.code).toBe(0);
    expect(existsSync(clusterDir(base))).toBe(false);
  });
});
