// The admins' live overview (issue 12): every api and worker process samples its own metrics
// into Redis each OPS_SAMPLE_MS, and admin.overview sums them step by step.
import type { Overview, OverviewPoint } from '@llmpt/shared';
import { freePort } from '@llmpt/devstack';
import { type AppProcess, spawnApp } from '@llmpt/stack';
import { QUEUE_NAMES } from '@llmpt/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { readOverview } from '../src/admin/overview/read-overview.ts';
import { AdminBrowser, makeAdmin } from './admin-client.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

const STEP_MS = 200;

const apis: TestApi[] = [];
const sockets: WebSocket[] = [];
/** A process this test spawned (a worker, or an api under node:cluster). */
let child: AppProcess | undefined;

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await child?.stop(5_000, 'SIGKILL');
  child = undefined;
  // The first api's close removes the shared key prefix: close it last.
  for (const api of apis.splice(0).reverse()) await api.close();
});

async function start(env: Record<string, string> = {}): Promise<TestApi> {
  const api = await startTestApi({ OPS_SAMPLE_MS: String(STEP_MS), ...env });
  apis.push(api);
  return api;
}

/** Per-minute rates over the points, back to counts: Σ rate × step. */
const total = (
  o: Overview,
  field: 'votesAccepted' | 'votesRateLimited' | 'acknowledged' | 'flushed',
) => o.points.reduce((n, p) => n + (p[field] * o.stepSec) / 60, 0);

/** Polls the overview until `ok`, or fails with the last answer. */
async function overviewUntil(
  api: TestApi,
  ok: (o: Overview) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Overview> {
  const deadline = Date.now() + timeoutMs;
  let last: Overview | undefined;
  while (Date.now() < deadline) {
    last = await readOverview(api.deps);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, STEP_MS / 2));
  }
  throw new Error(`overview never showed ${what}: ${JSON.stringify(last?.points.slice(-5))}`);
}

async function vote(visitor: Visitor, llmId: string, value: 1 | -1 | 0): Promise<void> {
  await visitor.client().vote.cast.mutate({ llmId, value });
}

async function llmIds(api: TestApi): Promise<string[]> {
  return (await api.deps.catalogue.all()).map((l) => l.id);
}

const near = (n: number): unknown => expect.closeTo(n, 1);

describe('admin.overview', () => {
  it('shows votes cast over HTTP as accepted, and a rate-limited one as rate limited', async () => {
    const api = await start({ VOTE_RATE_LIMIT: '2' });
    const [a, b, c] = await llmIds(api);
    const voter = new Visitor(api.baseUrl);
    await vote(voter, a!, 1);
    await vote(voter, b!, -1);
    await expect(vote(voter, c!, 1)).rejects.toThrow(/Too many votes/);

    const o = await overviewUntil(
      api,
      (x) => total(x, 'votesAccepted') >= 1.99 && total(x, 'votesRateLimited') >= 0.99,
      'two accepted votes and one rate limited',
    );
    expect(total(o, 'votesAccepted')).toEqual(near(2));
    expect(total(o, 'votesRateLimited')).toEqual(near(1));
    expect(total(o, 'acknowledged')).toEqual(near(2));
    expect(o.points.reduce((n, p) => n + p.votesRejected, 0)).toBe(0);
    expect(o.stepSec).toBe(STEP_MS / 1000);
    expect(o.processes).toEqual({ api: 1, worker: 0 });
    // Oldest first, one per step, every one finished.
    const ts = o.points.map((p) => p.t);
    expect(ts).toEqual([...ts].sort((x, y) => x - y));
    expect(new Set(ts.slice(1).map((t, i) => t - ts[i]!))).toEqual(new Set([STEP_MS]));
    expect(ts.at(-1)).toBeLessThanOrEqual(Date.now());
    // The vote calls (3, one refused with a 429) went through tRPC: no server error among them.
    expect(o.points.some((p) => p.errorRate === 0)).toBe(true);
    expect(o.points.some((p) => p.cacheHitRatio['l1/catalogue'] !== undefined)).toBe(true);
  });

  it('sums two api processes: their votes and their open WebSockets', async () => {
    const one = await start();
    const two = await start({ REDIS_PREFIX: one.deps.env.REDIS_PREFIX });
    const [a, b] = await llmIds(one);
    await vote(new Visitor(one.baseUrl), a!, 1);
    await vote(new Visitor(two.baseUrl), a!, 1);
    await vote(new Visitor(two.baseUrl), b!, 1);
    for (const api of [one, two, two]) {
      const ws = new WebSocket(`${api.baseUrl.replace('http', 'ws')}/trpc`);
      sockets.push(ws);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    }

    const o = await overviewUntil(
      one,
      (x) => total(x, 'votesAccepted') >= 2.99 && x.points.at(-1)?.wsConnections === 3,
      'three votes and three sockets from two processes',
    );
    expect(total(o, 'votesAccepted')).toEqual(near(3));
    expect(o.processes).toEqual({ api: 2, worker: 0 });
    // Either process answers the same: the overview is read from Redis, not from itself.
    const fromTwo = await readOverview(two.deps);
    expect(fromTwo.processes).toEqual({ api: 2, worker: 0 });
  });

  it('counts from zero after a counter reset, never a negative rate', async () => {
    const api = await start();
    const ids = await llmIds(api);
    const voter = new Visitor(api.baseUrl);
    for (const id of ids.slice(0, 3)) await vote(voter, id, 1);
    await overviewUntil(api, (x) => total(x, 'votesAccepted') >= 2.99, 'three votes');
    // What a restarted process reports: every counter back at 0 (same process id here), and
    // one vote before its next sample: 1 where the last sample said 3.
    await api.deps.ops.stop();
    api.deps.metrics.registry.resetMetrics();
    await vote(voter, ids[3]!, 1);
    api.deps.ops.start();

    const o = await overviewUntil(api, (x) => total(x, 'votesAccepted') >= 3.99, 'a fourth vote');
    expect(total(o, 'votesAccepted')).toEqual(near(4));
    const negative = (p: OverviewPoint) =>
      [p.votesAccepted, p.votesRateLimited, p.votesRejected, p.acknowledged, p.flushed].some(
        (v) => v < 0,
      ) || (p.errorRate ?? 0) < 0;
    expect(o.points.filter(negative)).toEqual([]);
  });

  it('answers only the steps after sinceMs', async () => {
    const api = await start();
    // Every step of the hour has a point (empty before the api started): wait for its samples.
    const all = await overviewUntil(
      api,
      (x) => x.processes.api === 1 && x.points.length >= 4,
      'the api reporting',
    );
    const since = all.points.at(-3)!.t;
    const newer = await readOverview(api.deps, since);
    expect(newer.points.length).toBeGreaterThanOrEqual(2);
    expect(newer.points.every((p) => p.t > since)).toBe(true);
    expect(newer.points[0]!.t).toBe(since + STEP_MS);
    // Nothing newer yet: no points, but still who reported in the last step.
    const none = await readOverview(api.deps, Date.now() + 60_000);
    expect(none.points).toEqual([]);
    expect(none.processes).toEqual({ api: 1, worker: 0 });
  });

  it('shows the worker: flushed votes, outbox lag, the ranker leader and the three queues', async () => {
    const api = await start({ OPS_SAMPLE_MS: '500' });
    const env = api.deps.env;
    child = spawnApp({
      app: 'worker',
      name: 'worker',
      mode: 'development',
      env: {
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: env.REDIS_URL!,
        REDIS_PREFIX: env.REDIS_PREFIX,
        BULL_PREFIX: `${env.REDIS_PREFIX}bull`,
        VOTE_PARTITIONS: String(env.VOTE_PARTITIONS),
        OPS_SAMPLE_MS: '500',
        METRICS_PORT: '-1',
        LOG_LEVEL: 'warn',
      },
      stdout: 'ignore',
    });
    const [a, b] = await llmIds(api);
    const voter = new Visitor(api.baseUrl);
    await vote(voter, a!, 1);
    await vote(voter, b!, 1);

    const o = await overviewUntil(
      api,
      (x) => x.processes.worker === 1 && total(x, 'flushed') >= 1.99 && x.rankerLeader !== null,
      'the worker flushing two votes while leading the ranker',
      80_000,
    );
    expect(total(o, 'flushed')).toEqual(near(2));
    expect(total(o, 'acknowledged')).toEqual(near(2));
    const last = o.points.at(-1)!;
    expect(Object.keys(last.queueDepth).sort()).toEqual([...QUEUE_NAMES].sort());
    expect(Object.keys(last.queueFailed).sort()).toEqual([...QUEUE_NAMES].sort());
    // Job schedulers keep their next job delayed: every queue holds at least one.
    for (const q of QUEUE_NAMES) expect(last.queueDepth[q]).toBeGreaterThan(0);
    expect(last.outboxLagSec).not.toBeNull();
    expect(last.rankerTickSec).toBeGreaterThan(0);
    expect(o.rankerLeader).toMatch(new RegExp(`:${child.child.pid}$`));
  }, 90_000);
});

describe('admin.overview with node:cluster', () => {
  it('counts every process of an api started with WEB_CONCURRENCY', async () => {
    const api = await start();
    const env = api.deps.env;
    child = spawnApp({
      app: 'api',
      name: 'api-cluster',
      mode: 'development',
      env: {
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: env.REDIS_URL!,
        REDIS_PREFIX: env.REDIS_PREFIX,
        VOTER_COOKIE_SECRET: env.VOTER_COOKIE_SECRET,
        PORT: String(await freePort()),
        METRICS_PORT: '-1',
        WEB_CONCURRENCY: '2',
        OPS_SAMPLE_MS: String(STEP_MS),
        LOG_LEVEL: 'warn',
      },
      stdout: 'ignore',
    });
    // This test's api and the two forked ones (the primary serves nothing and samples nothing).
    const o = await overviewUntil(api, (x) => x.processes.api === 3, 'three api processes', 80_000);
    expect(o.processes).toEqual({ api: 3, worker: 0 });
  }, 90_000);
});

describe('admin.overview over HTTP', () => {
  it('answers a signed-in admin, refuses bad input with 400 and everyone else with 401', async () => {
    const api = await start();
    await makeAdmin(api, 'ops');
    const admin = new AdminBrowser(api.baseUrl);
    expect((await admin.signIn('ops')).status).toBe(200);
    await overviewUntil(api, (x) => x.points.length >= 2, 'two steps');

    // Over HTTP until this api shows in the newest step: at the test's 200 ms step a loaded CI
    // machine can delay one sample past the step it belongs to (the process then counts again
    // from its next sample), so one read could catch the gap.
    let body: Overview | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      const ok = await admin.call('admin.overview', 'query', {});
      expect(ok.status).toBe(200);
      body = ok.body.result!.data as Overview;
      if (body.processes.api === 1) break;
      await new Promise((r) => setTimeout(r, STEP_MS / 2));
    }
    expect(body!.stepSec).toBe(STEP_MS / 1000);
    expect(body!.points.length).toBeGreaterThanOrEqual(2);
    expect(body!.processes.api).toBe(1);
    const since = body!.points.at(-1)!.t;
    const later = await admin.batch('admin.overview', 'query', { sinceMs: since });
    expect(later.status).toBe(200);

    for (const input of [
      { sinceMs: -1 },
      { sinceMs: 1.5 },
      { sinceMs: 'now' },
      { extra: 1 },
      'x',
    ]) {
      const r = await admin.call('admin.overview', 'query', input);
      expect(r.status, JSON.stringify(input)).toBe(400);
      expect(r.body.error?.data.code).toBe('BAD_REQUEST');
    }
    const stranger = await new AdminBrowser(api.baseUrl).call('admin.overview', 'query', {});
    expect(stranger.status).toBe(401);
  });
});
