// The worker's part of the admins' overview (issue 12): its metrics sampled into Redis every
// OPS_SAMPLE_MS, and the BullMQ queue depths as a Prometheus gauge read at scrape time.
import { QUEUE_MAINTENANCE, QUEUE_NAMES } from '@llmpt/shared';
import { type OpsSample, readOpsBuckets } from '@llmpt/vote-store';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';

import { type WorkerApp, startWorker } from '../src/worker-app.ts';
import { type Fixture, createFixture, waitFor } from './helpers.ts';

const STEP_MS = 200;

let f: Fixture | undefined;
let worker: WorkerApp | undefined;

afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await f?.cleanup();
  f = undefined;
});

/** This worker's newest sample in Redis. */
async function latestSample(fx: Fixture): Promise<OpsSample | undefined> {
  const bucket = Math.floor(Date.now() / STEP_MS);
  const buckets = await readOpsBuckets(fx.redis, fx.env.REDIS_PREFIX, STEP_MS, bucket - 5, bucket);
  for (const fields of buckets.reverse()) {
    const mine = [...fields].find(([field]) => field.startsWith('worker:'));
    if (mine) return mine[1];
  }
  return undefined;
}

describe('worker ops samples', () => {
  it('exports bullmq_queue_jobs per queue and state, a failed job included', async () => {
    f = await createFixture({ OPS_SAMPLE_MS: String(STEP_MS) });
    worker = await startWorker(f.env);
    // A job no handler knows fails for real (no retries configured).
    const connection = f.redis.duplicate();
    const queue = new Queue(QUEUE_MAINTENANCE, { connection, prefix: f.env.BULL_PREFIX });
    try {
      await queue.add('no-such-job', {});
      await waitFor(
        () => queue.getJobCounts('failed'),
        (c) => c.failed === 1,
      );
    } finally {
      await queue.close();
      await connection.quit();
    }
    const text = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
    for (const q of QUEUE_NAMES)
      for (const state of ['waiting', 'active', 'delayed', 'failed'])
        expect(text).toMatch(
          new RegExp(`^bullmq_queue_jobs\\{queue="${q}",state="${state}"\\} \\d+$`, 'm'),
        );
    expect(text).toMatch(/^bullmq_queue_jobs\{queue="maintenance",state="failed"\} 1$/m);
  });

  it('writes its counters, lag, ranker lease and queue depths to Redis every step', async () => {
    f = await createFixture({ OPS_SAMPLE_MS: String(STEP_MS) });
    worker = await startWorker(f.env);
    const [a] = f.llmIds as [string];
    expect(await f.store.cast('v1', a, 1)).toMatchObject({ status: 'changed' });

    const sample = await waitFor(
      () => latestSample(f!),
      (s) => s?.c.flushed === 1 && s.g.leader === 1,
    );
    expect(sample!.g.tick).toBeGreaterThan(0);
    expect(sample!.g.lag).toBe(0);
    const queues = Object.keys(sample!.g)
      .filter((k) => k.startsWith('q.'))
      .map((k) => k.split('.')[1]);
    expect(new Set(queues)).toEqual(new Set(QUEUE_NAMES));
    // Compact: what each process writes every step stays small.
    expect(JSON.stringify(sample).length).toBeLessThan(600);
    // A worker has no vote counters: those are the api's.
    expect(Object.keys(sample!.c).filter((k) => k.startsWith('v.'))).toEqual([]);
  });
});
