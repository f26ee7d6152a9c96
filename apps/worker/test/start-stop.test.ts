// The worker process as npm start runs it (the bundle, through @llmpt/stack), stopped or failing
// while its cold start cannot finish: another process holds the rebuild lock, so it would wait.
import net from 'node:net';

import { freePort } from '@llmpt/devstack';
import { type AppProcess, spawnApp } from '@llmpt/stack';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type Fixture, createFixture } from './helpers.ts';

let fx: Fixture;
let worker: AppProcess | undefined;

beforeEach(async () => {
  fx = await createFixture();
  // What a worker restoring Redis elsewhere holds: this one's cold start waits for it.
  await fx.redis.set(`${fx.env.REDIS_PREFIX}rebuild-lock`, 'another-worker', 'PX', 60_000);
});

afterEach(async () => {
  await worker?.stop(2_000, 'SIGKILL');
  await fx.cleanup();
});

function start(metricsPort: number): AppProcess {
  return spawnApp({
    app: 'worker',
    name: 'worker',
    mode: 'production',
    env: {
      DATABASE_URL: fx.env.DATABASE_URL,
      REDIS_URL: fx.env.REDIS_URL!,
      REDIS_PREFIX: fx.env.REDIS_PREFIX,
      BULL_PREFIX: fx.env.BULL_PREFIX,
      VOTE_PARTITIONS: String(fx.env.VOTE_PARTITIONS),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
    },
    stdout: 'ignore',
  });
}

async function healthz(port: number): Promise<number | null> {
  return fetch(`http://127.0.0.1:${port}/healthz`).then(
    (res) => res.status,
    () => null,
  );
}

describe('worker start-up', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'says 503 on /healthz during its cold start, and exits 0 at once on %s',
    async (signal) => {
      const port = await freePort();
      worker = start(port);
      const deadline = Date.now() + 20_000;
      while ((await healthz(port)) !== 503 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(await healthz(port)).toBe(503);

      const asked = Date.now();
      worker.child.kill(signal);
      const exit = await worker.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - asked).toBeLessThan(5_000);
    },
  );

  it('fails at once when its metrics port is taken, not after the cold start', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    try {
      worker = start((holder.address() as net.AddressInfo).port);
      const exit = await Promise.race([
        worker.exited,
        new Promise((r) => setTimeout(() => r('still running'), 15_000)),
      ]);
      expect(exit).toEqual({ code: 1, signal: null });
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});
