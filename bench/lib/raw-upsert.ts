import pg from 'pg';

import type { QueuedEvents } from './outbox-fill.ts';
import { procCpuMs } from './rt-measure.ts';

const TABLE = `
  CREATE TABLE raw_votes (
    voter_id text NOT NULL,
    llm_id text NOT NULL,
    value smallint NOT NULL,
    updated_at timestamptz NOT NULL,
    event_seq integer NOT NULL,
    PRIMARY KEY (voter_id, llm_id)
  )`;

const UPSERT = `
  INSERT INTO raw_votes AS v (voter_id, llm_id, value, updated_at, event_seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::timestamptz[], $5::integer[])
  ON CONFLICT (voter_id, llm_id) DO UPDATE SET
    value = excluded.value, updated_at = excluded.updated_at, event_seq = excluded.event_seq`;

/**
 * The reference for the flush: the same events written by a plain batched unnest upsert into a
 * bare table with the key of `votes`, on one connection, batches of `batchSize` per partition as
 * the worker reads them (collapsed to the newest event per key, as ON CONFLICT requires).
 * Returns the seconds it took (table creation excluded) and the CPU its backend spent meanwhile
 * (Postgres on this machine).
 */
export async function rawUpsert(
  databaseUrl: string,
  events: QueuedEvents,
  batchSize: number,
): Promise<{ seconds: number; backendCpuMs: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(TABLE);
    const pid = Number((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const cpuBefore = procCpuMs(pid) ?? NaN;
    const started = performance.now();
    for (const p of events.partitions) {
      for (let from = 0; from < p.streamIds.length; from += batchSize) {
        const newest = new Map<string, number>();
        const to = Math.min(from + batchSize, p.streamIds.length);
        for (let i = from; i < to; i++) newest.set(`${p.voters[i]}\u0000${p.llms[i]}`, i);
        const rows = [...newest.values()];
        const ids = rows.map((i) => p.streamIds[i]!.split('-'));
        await client.query(UPSERT, [
          rows.map((i) => p.voters[i]),
          rows.map((i) => p.llms[i]),
          rows.map((i) => p.values[i]),
          ids.map(([ms]) => new Date(Number(ms)).toISOString()),
          ids.map(([, seq]) => Number(seq)),
        ]);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return { seconds, backendCpuMs: (procCpuMs(pid) ?? NaN) - cpuBefore };
  } finally {
    await client.end();
  }
}
