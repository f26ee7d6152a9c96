import { insertLlmRecord, setLlmRecordStatus } from '@llmpt/db';
import {
  ConfigChannel,
  ensureTallies,
  rankingsKeys,
  readDiffsAfter,
  readRankingsSnapshot,
} from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

import { type WorkerApp, startWorker } from '../src/worker-app.ts';
import { type Fixture, createFixture, pgCounts, waitFor } from './helpers.ts';

/** The product's promise: an admin's change reaches the rankings within this. */
const WITHIN_MS = 1_000;

let f: Fixture | undefined;
let worker: WorkerApp | undefined;
let config: ConfigChannel | undefined;

afterEach(async () => {
  await config?.stop();
  config = undefined;
  await worker?.close();
  worker = undefined;
  await f?.cleanup();
  f = undefined;
});

const fields = {
  name: 'Fresh Model',
  vendor: 'Acme AI',
  family: 'Acme',
  releaseDate: null,
  openWeights: false,
  parametersB: null,
  contextWindow: null,
  categories: ['chat' as const],
  homepage: null,
  status: 'active' as const,
};

describe('a catalogue change reaches the worker', () => {
  it('ranks a model added by an admin at once, flushes its votes, and drops it when retired', async () => {
    // The ranker's own catalogue TTL (60 s) is far beyond the deadlines below: only the
    // announcement can make it see the change in time.
    f = await createFixture({ FLUSH_EVERY_MS: '200' });
    worker = await startWorker(f.env);
    const keys = rankingsKeys(f.env.REDIS_PREFIX);
    const first = await waitFor(
      () => readRankingsSnapshot(f!.redis, keys),
      (s) => s !== null,
    );

    // What admin.catalogue.create does on an api process: the row, its tally, the bump.
    await insertLlmRecord(f.db, 'fresh-model', fields);
    await ensureTallies(f.store, ['fresh-model']);
    config = new ConfigChannel(f.redis, new Redis(f.env.REDIS_URL!), f.env.REDIS_PREFIX);
    await config.bump('catalogue');
    expect(await f.store.cast('voter-1', 'fresh-model', 1)).toMatchObject({ status: 'changed' });

    const ranked = await waitFor(
      () => readRankingsSnapshot(f!.redis, keys),
      (s) => s?.entries.some((e) => e.llmId === 'fresh-model' && e.up === 1) ?? false,
      WITHIN_MS,
    );
    expect(ranked!.entries.find((e) => e.llmId === 'fresh-model')!.ranks).toHaveProperty('score');
    // It reached live subscribers as a diff, too.
    const diffs = await readDiffsAfter(f.redis, keys, first!.id, 100);
    expect(diffs?.some((d) => d.entries.some((e) => e.llmId === 'fresh-model'))).toBe(true);
    // And the real worker's flush wrote the vote to Postgres (its known-model check passed).
    await waitFor(
      () => pgCounts(f!.db),
      (c) => c.get('fresh-model')?.up === 1,
    );

    await setLlmRecordStatus(f.db, 'fresh-model', 'retired');
    await config.bump('catalogue');
    await waitFor(
      () => readRankingsSnapshot(f!.redis, keys),
      (s) => !(s?.entries.some((e) => e.llmId === 'fresh-model') ?? true),
      WITHIN_MS,
    );
  });
});
