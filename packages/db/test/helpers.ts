import { createTestDatabase } from '@llmpt/devstack';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';

import { createDb } from '../src/client.ts';
import type { LlmInput } from '../src/repositories/llm.repository.ts';
import { upsertLlms } from '../src/repositories/llm.repository.ts';
import type { VoteEvent } from '../src/repositories/vote.repository.ts';
import { migrateToLatest } from '../src/migrator.ts';
import type { Database } from '../src/schema/index.ts';

export interface TestDb {
  db: Kysely<Database>;
  url: string;
  close(): Promise<void>;
}

/** A fresh database for one test file, migrated unless told otherwise. Call close() in afterAll. */
export async function openTestDb(opts: { migrate?: boolean } = {}): Promise<TestDb> {
  const created = await createTestDatabase(inject('pgServerUrl'));
  const db = createDb(created.url, { max: 4, applicationName: 'llmpt-db-test' });
  if (opts.migrate ?? true) await migrateToLatest(db);
  return {
    db,
    url: created.url,
    close: async () => {
      await db.destroy();
      await created.drop();
    },
  };
}

/** Minimal catalogue entries for vote tests: ids m-00, m-01, ... */
export function fixtureLlms(n: number): LlmInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `m-${String(i).padStart(2, '0')}`,
    name: `Model ${i}`,
    vendor: i % 2 ? 'Odd Labs' : 'Even AI',
    family: 'Fixture',
    releaseDate: null,
    openWeights: i % 3 === 0,
    parametersB: null,
    contextWindow: null,
    categories: ['chat'],
    homepage: null,
  }));
}

export async function insertFixtureLlms(db: Kysely<Database>, n: number): Promise<string[]> {
  const llms = fixtureLlms(n);
  await upsertLlms(db, llms);
  return llms.map((l) => l.id);
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing batch can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let nextEvent = 0;

/** A vote event with a unique id; createdAt defaults to now. */
export function voteEvent(
  voterId: string,
  llmId: string,
  value: VoteEvent['value'],
  extra: Partial<VoteEvent> = {},
): VoteEvent {
  nextEvent++;
  return {
    eventId: `0:${Date.now()}-${nextEvent}`,
    voterId,
    llmId,
    value,
    prevValue: 0,
    createdAt: new Date(),
    seq: nextEvent,
    ...extra,
  };
}

/** Tallies recomputed from scratch over votes, to check the trigger-maintained counts. */
export async function freshAggregate(
  db: Kysely<Database>,
): Promise<Array<{ llm_id: string; upvotes: number; downvotes: number; score: number }>> {
  return db
    .selectFrom('llms as l')
    .leftJoin('votes as v', 'v.llm_id', 'l.id')
    .select((eb) => [
      'l.id as llm_id',
      eb.fn.count<number>('v.voter_id').filterWhere('v.value', '=', 1).as('upvotes'),
      eb.fn.count<number>('v.voter_id').filterWhere('v.value', '=', -1).as('downvotes'),
    ])
    .groupBy('l.id')
    .orderBy('l.id')
    .execute()
    .then((rows) => rows.map((r) => ({ ...r, score: r.upvotes - r.downvotes })));
}

export async function storedCounts(
  db: Kysely<Database>,
): Promise<Array<{ llm_id: string; upvotes: number; downvotes: number; score: number }>> {
  return db
    .selectFrom('llm_vote_counts')
    .select(['llm_id', 'upvotes', 'downvotes', 'score'])
    .orderBy('llm_id')
    .execute();
}
