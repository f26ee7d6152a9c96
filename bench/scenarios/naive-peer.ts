import { SEED_LLMS } from '@llmpt/db';
import { createDatabase, dropDatabase } from '@llmpt/devstack';
import pg from 'pg';

import { budgetOf } from '../lib/budget.ts';
import { figure, httpFigures, ratio } from '../lib/figures.ts';
import { assertFewErrors, runLoad } from '../lib/load.ts';
import { startServer } from '../lib/servers.ts';
import type { Scenario } from '../lib/types.ts';
import { randomVoterCookies } from '../lib/voter-ids.ts';

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

/**
 * What a simple implementation of voting does: each POST is one Postgres transaction (read the
 * ballot FOR UPDATE, upsert it, update the model's counts row), over a pg Pool of 16, in a
 * database of its own. Also sets `vote.ratioToNaive`.
 */
export const scenario: Scenario = {
  name: 'naivePeer',
  describe: 'the same vote as one Postgres transaction per request (pg Pool of 16)',
  async run(ctx) {
    const b = budgetOf(ctx.opts);
    const name = `llmpt_bench_naive_${process.pid}`;
    await dropDatabase(ctx.pgServerUrl, name);
    const databaseUrl = await createDatabase(ctx.pgServerUrl, name);
    try {
      const models = SEED_LLMS.map((m) => m.id);
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(SCHEMA);
        await client.query('INSERT INTO naive_counts (llm_id) SELECT unnest($1::text[])', [models]);
      } finally {
        await client.end();
      }
      const server = await startServer(ctx, 'naive-peer-server.ts', {
        DATABASE_URL: databaseUrl,
        PG_POOL_SIZE: '16',
      });
      try {
        const r = await runLoad(ctx.repoRoot, {
          origin: server.url,
          workload: {
            kind: 'vote',
            path: '/',
            models,
            cookies: randomVoterCookies(b.voters),
            body: 'single',
          },
          connections: b.connections,
          warmupSec: b.warmupSec,
          durationSec: b.durationSec,
          maxRequests: b.maxRequests,
        });
        assertFewErrors('naivePeer', r);
        const vote = ctx.results.vote;
        if (vote && !('error' in vote))
          vote.ratioToNaive = ratio(figure(ctx.results, 'vote', 'rps'), r.rps);
        return {
          ...httpFigures(r),
          ratioToRawVote: ratio(r.rps, figure(ctx.results, 'rawVote', 'rps')),
        };
      } finally {
        await server.stop();
      }
    } finally {
      await dropDatabase(ctx.pgServerUrl, name);
    }
  },
};
