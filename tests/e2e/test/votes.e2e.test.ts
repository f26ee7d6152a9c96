import { isDeepStrictEqual } from 'node:util';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Stack, Voter, startStack, waitUntil } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ apis: 2 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('the vote path, end to end', () => {
  it('50 voters x 20 models, parallel casts, changes and retracts over two api processes: Redis and Postgres agree exactly', async () => {
    const [a, b] = stack.apiUrls as [string, string];
    const llms = (await new Voter().client(a).llm.list.query()).slice(0, 20).map((l) => l.id);
    expect(llms).toHaveLength(20);
    const voters = Array.from({ length: 50 }, () => new Voter());
    // First contact sets each voter's cookie, so the parallel calls below share one identity.
    await Promise.all(voters.map((v) => v.client(a).vote.mine.query()));

    const finals = new Map<string, number>();
    let calls = 0;
    await Promise.all(
      voters.flatMap((voter, v) =>
        llms.map(async (llmId, m) => {
          const seq = ([1, -1, 0, 1, -1, 1, 0] as const).slice(0, 1 + ((v * 5 + m * 3) % 7));
          for (const [i, value] of seq.entries()) {
            // Alternate instances: a voter's ballot is the same whichever process serves it.
            const res = await voter
              .client((v + m + i) % 2 ? a : b)
              .vote.cast.mutate({ llmId, value });
            expect(res.myVote).toBe(value);
            calls++;
          }
          finals.set(`${v}|${llmId}`, seq.at(-1)!);
        }),
      ),
    );
    expect(calls).toBeGreaterThan(3000);

    const expected = new Map(llms.map((id) => [id, { up: 0, down: 0 }]));
    for (const [key, value] of finals) {
      const e = expected.get(key.split('|')[1]!)!;
      if (value === 1) e.up++;
      if (value === -1) e.down++;
    }
    // Redis: the live tallies the api serves.
    const reader = new Voter().client(b);
    for (const id of llms) {
      const llm = await reader.llm.byId.query({ id });
      expect({ id, up: llm.up, down: llm.down }).toEqual({ id, ...expected.get(id) });
    }
    // Each voter sees exactly their own final ballots.
    const mine = await voters[3]!.client(b).vote.mine.query();
    expect(mine).toEqual(
      Object.fromEntries(
        llms.flatMap((id) => {
          const value = finals.get(`3|${id}`);
          return value ? [[id, { value, status: 'counted' }]] : [];
        }),
      ),
    );

    // Postgres, once the worker has flushed: trigger-maintained counts equal the same figures.
    const pgCounts = async () => {
      const rows = await stack.db
        .selectFrom('llm_vote_counts')
        .select(['llm_id', 'upvotes', 'downvotes'])
        .where('llm_id', 'in', llms)
        .execute();
      return Object.fromEntries(
        rows.map((r) => [r.llm_id, { up: Number(r.upvotes), down: Number(r.downvotes) }]),
      );
    };
    const want = Object.fromEntries(expected);
    await waitUntil(async () => isDeepStrictEqual(await pgCounts(), want), 30_000).catch(
      () => undefined,
    );
    expect(await pgCounts()).toEqual(want);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from votes where value <> 0`.execute(stack.db);
    expect(rows[0]!.n).toBe([...finals.values()].filter((v) => v !== 0).length);
  });
});
