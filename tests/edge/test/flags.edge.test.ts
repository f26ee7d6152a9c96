// A flag that changes a cached read, through nginx's cache: the sealed leaderboard ('hide-results')
// and the open one are kept under different keys (the llmpt_fv cookie), never served to each other.
import { createDb } from '@llmpt/db';
import { ConfigChannel } from '@llmpt/vote-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Answer, Visitor, address, trpcPath } from './client.ts';
import { type Edge, startEdge } from './edge.ts';

let edge: Edge;

beforeAll(async () => {
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.stop();
});

type Row = { rank: number | null; llm: { id: string }; up: number | null; score: number | null };
const rowsOf = (res: Answer) => res.json<{ result: { data: Row[] } }>().result.data;
const sealed = (rows: Row[]) => rows.length > 0 && rows.every((r) => r.up === null);
const open = (rows: Row[]) => rows.length > 0 && rows.every((r) => typeof r.up === 'number');

/** Turns 'hide-results' on for `percent` % of voters, as admin.flags.update does (row, then bump). */
async function hideResults(percent: number): Promise<void> {
  const db = createDb(edge.stack.env.DATABASE_URL!);
  try {
    await db
      .updateTable('feature_flags')
      .set({ enabled: true, rollout_percent: percent })
      .where('key', '=', 'hide-results')
      .execute();
  } finally {
    await db.destroy();
  }
  // bump() needs no subscription: the subscriber connection is never used here.
  await new ConfigChannel(edge.redis, edge.redis, edge.prefix).bump('flags');
}

/** A voter whose flags.evaluate (through nginx) says `want`; keeps its vid and llmpt_fv cookies. */
async function voter(want: boolean, n: number): Promise<Visitor> {
  for (let i = 0; ; i++) {
    const v = new Visitor(edge.url, address(n));
    const res = await v.send(trpcPath('flags.evaluate'));
    expect(res.status).toBe(200);
    const value = res.json<{ result: { data: { flags: Record<string, { value: boolean }> } } }>()
      .result.data.flags['hide-results']!.value;
    if (value !== want) continue;
    const fv = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('llmpt_fv='));
    if (fv && !fv.startsWith('llmpt_fv=;')) v.cookie += `; ${fv.split(';')[0]}`;
    return v;
  }
}

describe('variant reads at the edge', () => {
  it('keeps the sealed and the open leaderboard apart in nginx', async () => {
    const path = trpcPath('rankings.list', { sort: 'score' }, { test: 'flags' });
    // Before the flag: anonymous readers' answer is cached under the empty fingerprint.
    await expect
      .poll(async () => {
        const r = await new Visitor(edge.url, address(43)).send(path);
        expect(open(rowsOf(r))).toBe(true);
        return r.headers['x-cache-status'];
      })
      .toBe('HIT');

    await hideResults(50);
    // Both apis have reloaded once each evaluates a 50 % split (both arms appear).
    await expect
      .poll(async () => {
        const seen = new Set<boolean>();
        for (let i = 0; i < 12; i++) {
          const v = new Visitor(edge.url, address(40));
          const res = await v.send(trpcPath('flags.evaluate'));
          seen.add(
            res.json<{ result: { data: { flags: Record<string, { value: boolean }> } } }>().result
              .data.flags['hide-results']!.value,
          );
        }
        return seen.size;
      })
      .toBe(2);
    const s = await voter(true, 41);
    const o = await voter(false, 42);
    expect(s.cookie).toContain('llmpt_fv=sealed');
    expect(o.cookie).toContain('llmpt_fv=open');

    const statuses = { sealed: new Set<string>(), open: new Set<string>() };
    // Interleaved until both are answered from nginx's cache: never the other variant's rows.
    await expect
      .poll(async () => {
        const a = await s.send(path);
        const b = await o.send(path);
        expect(sealed(rowsOf(a))).toBe(true);
        expect(open(rowsOf(b))).toBe(true);
        statuses.sealed.add(String(a.headers['x-cache-status']));
        statuses.open.add(String(b.headers['x-cache-status']));
        return statuses.sealed.has('HIT') && statuses.open.has('HIT');
      })
      .toBe(true);
    // Ranks and order are the same in both.
    const a = rowsOf(await s.send(path)).map((r) => `${r.rank}:${r.llm.id}`);
    const b = rowsOf(await o.send(path)).map((r) => `${r.rank}:${r.llm.id}`);
    expect(a).toEqual(b);

    // A sealed voter whose fingerprint cookie is gone is never served the anonymous readers'
    // entry (open, from before the flag): nginx passes the request to the api, which answers
    // sealed and sets the fingerprint again.
    const vidOnly = new Visitor(edge.url, address(41));
    vidOnly.cookie = s.cookie.split('; ').find((c) => c.startsWith('vid='))!;
    const r = await vidOnly.send(path);
    expect(sealed(rowsOf(r))).toBe(true);
    expect(r.headers['x-cache-status']).toBe('BYPASS');
    expect((r.headers['set-cookie'] ?? []).join('\n')).toContain('llmpt_fv=sealed');
  });
});
