import { createDb, migrateToLatest, seedLlms, type Database } from '@llmpt/db';
import { createTestDatabase, testKeyPrefix } from '@llmpt/devstack';
import { VoteStore } from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import { inject } from 'vitest';

import { type Env, loadEnv } from '../src/env.ts';

export interface Fixture {
  env: Env;
  db: Kysely<Database>;
  redis: Redis;
  store: VoteStore;
  llmIds: string[];
  cleanup(): Promise<void>;
}

/** Its own database (migrated, seeded), Redis key prefix and BullMQ prefix. */
export async function createFixture(overrides: Record<string, string> = {}): Promise<Fixture> {
  const database = await createTestDatabase(inject('pgServerUrl'));
  const db = createDb(database.url);
  await migrateToLatest(db);
  await seedLlms(db);
  const prefix = testKeyPrefix();
  const env = loadEnv({
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    BULL_PREFIX: `${prefix}bull`,
    VOTE_PARTITIONS: '4',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    // The product ranks a model from its 20th vote (RANK_MIN_VOTES); these tests cast a few,
    // so they rank from the first unless they set it (the rule's own tests do).
    RANK_MIN_VOTES: '1',
    ...overrides,
  });
  const redis = new Redis(env.REDIS_URL!);
  const store = new VoteStore(redis, { prefix, partitions: env.VOTE_PARTITIONS });
  const llmIds = (await db.selectFrom('llms').select('id').orderBy('id').execute()).map(
    (r) => r.id,
  );
  return {
    env,
    db,
    redis,
    store,
    llmIds,
    async cleanup() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await db.destroy();
      await database.drop();
    },
  };
}

/** Postgres's view of the tallies: llm_vote_counts (trigger-maintained). */
export async function pgCounts(
  db: Kysely<Database>,
): Promise<Map<string, { up: number; down: number }>> {
  const rows = await db
    .selectFrom('llm_vote_counts')
    .select(['llm_id', 'upvotes', 'downvotes'])
    .execute();
  return new Map(rows.map((r) => [r.llm_id, { up: Number(r.upvotes), down: Number(r.downvotes) }]));
}

export async function countEvents(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from user_votes`.execute(db);
  return rows[0]?.n ?? 0;
}

export async function waitFor<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every partition's pending + stored outbox entries. */
export async function outboxTotal(f: Fixture): Promise<number> {
  let n = 0;
  for (let p = 0; p < f.store.partitions; p++) n += await f.redis.xlen(f.store.keysOf(p).outbox);
  return n;
}
