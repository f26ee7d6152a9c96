import { postgresRebuildSource } from '@llmpt/db';
import { OUTBOX_GROUP, OutboxReader, rebuildUnreadyPartitions } from '@llmpt/vote-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { removeDeadConsumers } from '../src/jobs/outbox.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { type Fixture, createFixture } from './helpers.ts';

let f: Fixture;

beforeEach(async () => {
  f = await createFixture();
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
});
afterEach(async () => {
  await f?.cleanup();
});

describe('outbox-consumers job', () => {
  it('removes the consumers of workers gone from every partition, keeping those holding entries', async () => {
    const read = { count: 10, claimIdleMs: 60_000 };
    const gone = new OutboxReader(f.store, 'host:111');
    const crashed = new OutboxReader(f.store, 'host:222');
    for (let p = 0; p < f.store.partitions; p++) await gone.read(p, read);
    const llm = f.llmIds[0]!;
    await f.store.cast('v', llm, 1);
    const p = f.store.keysFor(llm).partition;
    await crashed.read(p, read); // took the vote, never acknowledged it
    const self = new OutboxReader(f.store, 'host:333');
    await new Promise((r) => setTimeout(r, 300));

    const metrics = createMetrics();
    const removed = await removeDeadConsumers({
      env: { OUTBOX_CONSUMER_IDLE_MS: 200 },
      store: f.store,
      reader: self,
      metrics,
      log: () => {},
    });
    expect(removed).toEqual(Array.from({ length: f.store.partitions }, () => 'host:111'));
    expect(
      await metrics.registry.getSingleMetricAsString('outbox_consumers_removed_total'),
    ).toContain(`outbox_consumers_removed_total ${f.store.partitions}`);
    const left = (await f.redis.xinfo(
      'CONSUMERS',
      f.store.keysOf(p).outbox,
      OUTBOX_GROUP,
    )) as string[][];
    expect(left.map((c) => c[1])).toEqual(['host:222']);
  });
});
