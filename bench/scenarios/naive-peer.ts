import { SEED_LLMS } from '@llmpt/db';
import { createDatabase, dropDatabase } from '@llmpt/devstack';
import pg from 'pg';

import { figure, httpFigures, ratio } from '../lib/figures.ts';
import {
  type PostgresDurability,
  ownsPostgres,
  postgresDurability,
  setPostgresDurability,
} from '../lib/infra.ts';
import type { LoadResult } from '../lib/load.ts';
import { loadBareVoteServer } from '../lib/servers.ts';
import type { BenchContext, Scenario } from '../lib/types.ts';

const SCHEMA = `
  CREATE TABLE naive_counts (
    llm_id text PRIMARY KEY,
    up integer NOT NULL DEFAULT 0,
    down integer NOT NULL DEFAULT 0
  );
  CREATE TABLE naive_votes (
    voter_id text NOT NULL,
    llm_id text NOT NULL REFERENCES naive_counts,
    value smallint NOT NULL CHECK (value IN (-1, 0, 1)),
    PRIMARY KEY (voter_id, llm_id)
  );`;

/** The non-durable run's sessions: a commit is acknowledged before its WAL reaches the disk. */
const NON_DURABLE_OPTIONS = '-c synchronous_commit=off';

/**
 * What a simple implementation of voting does: each POST is one Postgres transaction (read the
 * ballot FOR UPDATE, upsert it, update the model's counts row), over a pg Pool of 16, in a
 * database of its own. Measured twice, from empty tables each time:
 * - durable (`rps`, `p99Ms`…): as a production Postgres runs, every commit flushed to disk before
 *   it is acknowledged. The bench's own server gets fsync, synchronous_commit and
 *   full_page_writes on for this run (ALTER SYSTEM + reload), and back off afterwards; a given
 *   DATABASE_URL is left as it is. `fsync`, `synchronousCommit`, `fullPageWrites`: what the
 *   run's sessions saw.
 * - non-durable (`nonDurable…`): as the rest of the bench runs (fsync etc. off on its own
 *   server), the sessions with synchronous_commit off.
 * Sets `vote.ratioToNaive` (to the durable figure) and `vote.ratioToNaiveNonDurable`.
 */
export const scenario: Scenario = {
  name: 'naivePeer',
  describe:
    'the same vote as one Postgres transaction per request (pg Pool of 16), durable and not',
  async run(ctx) {
    const name = `llmpt_bench_naive_${process.pid}`;
    await dropDatabase(ctx.pgServerUrl, name);
    const databaseUrl = await createDatabase(ctx.pgServerUrl, name);
    const models = SEED_LLMS.map((m) => m.id);
    const owned = ownsPostgres();
    try {
      await withClient(databaseUrl, async (client) => {
        await client.query(SCHEMA);
        await client.query('INSERT INTO naive_counts (llm_id) SELECT unnest($1::text[])', [models]);
      });
      const nonDurable = await measure(ctx, databaseUrl, models, NON_DURABLE_OPTIONS);
      let durable: Measured;
      try {
        if (owned) await setPostgresDurability(ctx.pgServerUrl, true);
        durable = await measure(ctx, databaseUrl, models);
      } finally {
        // Every later scenario runs on the bench's usual (fast) settings.
        if (owned) await setPostgresDurability(ctx.pgServerUrl, false);
      }
      const vote = ctx.results.vote;
      if (vote && !('error' in vote)) {
        const voteRps = figure(ctx.results, 'vote', 'rps');
        vote.ratioToNaive = ratio(voteRps, durable.load.rps);
        vote.ratioToNaiveNonDurable = ratio(voteRps, nonDurable.load.rps);
      }
      return {
        ...httpFigures(durable.load),
        ...durable.settings,
        ratioToRawVote: ratio(durable.load.rps, figure(ctx.results, 'rawVote', 'rps')),
        nonDurableRps: nonDurable.load.rps,
        nonDurableP50Ms: nonDurable.load.p50Ms,
        nonDurableP99Ms: nonDurable.load.p99Ms,
        nonDurableFsync: nonDurable.settings.fsync,
        nonDurableSynchronousCommit: nonDurable.settings.synchronousCommit,
        ratioToNonDurable: ratio(durable.load.rps, nonDurable.load.rps),
        settingsFrom: owned ? 'set by the bench' : 'DATABASE_URL, as given',
      };
    } finally {
      await dropDatabase(ctx.pgServerUrl, name);
    }
  },
};

interface Measured {
  load: LoadResult;
  settings: PostgresDurability;
}

/** One load window against the naive peer, from empty tables; `options`: its sessions' settings. */
async function measure(
  ctx: BenchContext,
  databaseUrl: string,
  models: string[],
  options?: string,
): Promise<Measured> {
  await withClient(databaseUrl, (client) =>
    client.query('TRUNCATE naive_votes; UPDATE naive_counts SET up = 0, down = 0'),
  );
  const settings = await postgresDurability(databaseUrl, options);
  ctx.log(`naivePeer: fsync ${settings.fsync}, synchronous_commit ${settings.synchronousCommit}`);
  const load = await loadBareVoteServer(
    ctx,
    'naivePeer',
    'naive-peer-server.ts',
    { DATABASE_URL: databaseUrl, PG_POOL_SIZE: '16', PG_OPTIONS: options ?? '' },
    models,
  );
  return { load, settings };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
