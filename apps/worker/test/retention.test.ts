import { applyVoteEvents, sql } from '@llmpt/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadEnv } from '../src/env.ts';
import { type MaintenanceDeps, maintainPartitions } from '../src/jobs/maintenance.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { type Fixture, createFixture } from './helpers.ts';

let f: Fixture;
beforeAll(async () => {
  f = await createFixture({ INTEGRITY_SIGNAL_RETENTION_DAYS: '7' });
});
afterAll(async () => {
  await f?.cleanup();
});

const DAY = 86_400_000;
const SIGNALS = { ip: 'ip', net: 'net', ua: 'ua', fp: 'fp', newVoter: true, automated: false };

describe('signal retention', () => {
  it('reads INTEGRITY_SIGNAL_RETENTION_DAYS (default 30), refusing bad values by name', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadEnv(base).INTEGRITY_SIGNAL_RETENTION_DAYS).toBe(30);
    expect(f.env.INTEGRITY_SIGNAL_RETENTION_DAYS).toBe(7);
    for (const bad of ['0', '-1', '2.5', 'month'])
      expect(() => loadEnv({ ...base, INTEGRITY_SIGNAL_RETENTION_DAYS: bad }), bad).toThrow(
        'INTEGRITY_SIGNAL_RETENTION_DAYS',
      );
  });

  it('the hourly partition job clears the signals of events older than the retention only', async () => {
    const now = new Date();
    const llm = f.llmIds[0]!;
    const event = (voter: string, ageMs: number, seq: number) => ({
      eventId: `0:${now.getTime() - ageMs}-${seq}`,
      voterId: voter,
      llmId: llm,
      value: 1 as const,
      prevValue: 0 as const,
      createdAt: new Date(now.getTime() - ageMs),
      seq,
      kind: 'vote' as const,
      signals: SIGNALS,
    });
    await applyVoteEvents(f.db, [
      event('old-a', 20 * DAY, 0),
      event('old-b', 7 * DAY + 60_000, 1),
      event('new-a', 7 * DAY - 60_000, 2),
      event('new-b', 60_000, 3),
    ]);
    const logs: string[] = [];
    const deps: MaintenanceDeps = {
      db: f.db,
      store: f.store,
      metrics: createMetrics(),
      log: (m) => logs.push(m),
      env: f.env,
    };
    const first = await maintainPartitions(deps, now);
    expect(first.signalsCleared).toBe(2);
    expect(logs.some((l) => l.includes('cleared the signals of 2 vote events'))).toBe(true);
    expect((await maintainPartitions(deps, now)).signalsCleared).toBe(0);

    const { rows } = await sql<{
      voter_id: string;
      ip_hash: string | null;
      new_voter: boolean | null;
    }>`
      SELECT voter_id, ip_hash, new_voter FROM user_votes ORDER BY voter_id`.execute(f.db);
    expect(rows).toEqual([
      { voter_id: 'new-a', ip_hash: 'ip', new_voter: true },
      { voter_id: 'new-b', ip_hash: 'ip', new_voter: true },
      { voter_id: 'old-a', ip_hash: null, new_voter: null },
      { voter_id: 'old-b', ip_hash: null, new_voter: null },
    ]);
    // The votes themselves stay counted.
    const counts = await f.db
      .selectFrom('llm_vote_counts')
      .select('upvotes')
      .where('llm_id', '=', llm)
      .executeTakeFirstOrThrow();
    expect(Number(counts.upvotes)).toBe(4);
  });
});
