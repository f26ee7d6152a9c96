/**
 * The naive peer: what a simple implementation of `vote.cast` does, one Postgres transaction
 * per request (read the previous ballot, upsert it, adjust the model's up/down row). Same body
 * and voter cookie as the raw vote server; tables made by bench/scenarios/naive-peer.ts.
 * PG_OPTIONS: the sessions' own settings (`-c synchronous_commit=off`), none when empty.
 *   DATABASE_URL=... PORT=0 node --import tsx bench/servers/naive-peer-server.ts
 */
import { createServer } from 'node:http';

import pg from 'pg';

import { listenAndAnnounce } from './listen.ts';
import { type Vote, readVote } from './read-vote.ts';

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.PG_POOL_SIZE ?? 16),
  options: process.env.PG_OPTIONS || undefined,
});
pool.on('error', (err) => console.error('[naive-peer] pg:', err.message));

async function cast(vote: Vote): Promise<{ up: number; down: number } | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const prevRow = await client.query<{ value: number }>(
      'SELECT value FROM naive_votes WHERE voter_id = $1 AND llm_id = $2 FOR UPDATE',
      [vote.voterId, vote.llmId],
    );
    const prev = prevRow.rows[0]?.value ?? 0;
    if (prev !== vote.value) {
      await client.query(
        `INSERT INTO naive_votes (voter_id, llm_id, value) VALUES ($1, $2, $3)
         ON CONFLICT (voter_id, llm_id) DO UPDATE SET value = excluded.value`,
        [vote.voterId, vote.llmId, vote.value],
      );
    }
    const up = (vote.value === 1 ? 1 : 0) - (prev === 1 ? 1 : 0);
    const down = (vote.value === -1 ? 1 : 0) - (prev === -1 ? 1 : 0);
    const counts = await client.query<{ up: number; down: number }>(
      'UPDATE naive_counts SET up = up + $2, down = down + $3 WHERE llm_id = $1 RETURNING up, down',
      [vote.llmId, up, down],
    );
    await client.query('COMMIT');
    return counts.rows[0] ?? null;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const server = createServer((req, res) => {
  readVote(req)
    .then(async (vote) => {
      if (!vote) return res.writeHead(400).end();
      const counts = await cast(vote);
      if (!counts) return res.writeHead(404).end();
      const data = { llmId: vote.llmId, ...counts, score: counts.up - counts.down };
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ result: { data: { ...data, myVote: vote.value } } }));
    })
    .catch((err: unknown) => res.writeHead(500).end(String(err)));
});
listenAndAnnounce(server, () => pool.end());
