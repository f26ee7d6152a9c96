import type { RankingListRow, RankingRow } from '@llmpt/shared';
import { TRPCClientError } from '@trpc/client';
import { COMPACT_FIELD, entryFields } from '@llmpt/vote-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AppRouter } from '../src/routers/index.ts';
import { type TestApi, Visitor, startTestApi, voteState } from './helpers.ts';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

function trpcError(err: unknown): TRPCClientError<AppRouter> {
  if (!(err instanceof TRPCClientError)) throw err;
  return err as TRPCClientError<AppRouter>;
}

describe('catalogue', () => {
  it('lists the seeded models and filters them', async () => {
    const client = new Visitor(api.baseUrl).client();
    const all = await client.llm.list.query();
    expect(all.length).toBeGreaterThanOrEqual(60);

    const coding = await client.llm.list.query({ category: 'coding' });
    expect(coding.length).toBeGreaterThan(0);
    expect(coding.length).toBeLessThan(all.length);
    expect(coding.every((l) => l.categories.includes('coding'))).toBe(true);

    const open = await client.llm.list.query({ openWeights: true });
    expect(open.every((l) => l.openWeights)).toBe(true);

    const llama = await client.llm.list.query({ search: 'LLAMA' });
    expect(llama.length).toBeGreaterThan(0);
    expect(llama.every((l) => /llama/i.test(`${l.name} ${l.family}`))).toBe(true);
    // Punctuation and spacing don't matter, as in the page's search box.
    const gpt4o = await client.llm.list.query({ search: 'gpt4o' });
    expect(gpt4o.map((l) => l.name)).toContain('GPT-4o');

    const first = all[0]!;
    const one = await client.llm.byId.query({ id: first.id });
    expect(one).toMatchObject({ id: first.id, name: first.name, up: 0, down: 0, score: 0 });
  });

  it('answers an unknown model with NOT_FOUND', async () => {
    const client = new Visitor(api.baseUrl).client();
    const err = trpcError(
      await client.llm.byId.query({ id: 'no-such-model' }).catch((e: unknown) => e),
    );
    expect(err.data?.code).toBe('NOT_FOUND');
    expect(err.data?.httpStatus).toBe(404);
  });
});

describe('vote.cast', () => {
  it('acknowledges with the new tally, changes, and retracts', async () => {
    const alice = new Visitor(api.baseUrl);
    const bob = new Visitor(api.baseUrl);
    const [model] = await alice.client().llm.list.query();
    const id = model!.id;

    expect(await alice.client().vote.cast.mutate({ llmId: id, value: 1 })).toEqual({
      llmId: id,
      up: 1,
      down: 0,
      score: 1,
      myVote: 1,
    });
    expect(alice.cookies.get('vid')).toBeTruthy();
    expect(await bob.client().vote.cast.mutate({ llmId: id, value: 1 })).toMatchObject({
      up: 2,
      down: 0,
      score: 2,
    });
    // Same ballot again: nothing changes, and no second event is queued.
    const outboxLen = () => api.deps.redis.xlen(api.deps.voteStore.keysFor(id).outbox);
    const before = await outboxLen();
    expect(await alice.client().vote.cast.mutate({ llmId: id, value: 1 })).toMatchObject({
      up: 2,
      down: 0,
    });
    expect(await outboxLen()).toBe(before);
    // Change to down, then retract.
    expect(await alice.client().vote.cast.mutate({ llmId: id, value: -1 })).toMatchObject({
      up: 1,
      down: 1,
      score: 0,
      myVote: -1,
    });
    expect(await alice.client().vote.mine.query()).toEqual({
      [id]: { value: -1, status: 'counted' },
    });
    expect(await alice.client().vote.cast.mutate({ llmId: id, value: 0 })).toMatchObject({
      up: 1,
      down: 0,
      myVote: 0,
    });
    expect(await alice.client().vote.mine.query()).toEqual({});
    expect(await bob.client().vote.mine.query()).toEqual({ [id]: { value: 1, status: 'counted' } });

    const events = await api.deps.redis.xrange(api.deps.voteStore.keysFor(id).outbox, '-', '+');
    expect(events.length).toBe(before + 2);
    // The integrity signals ride along (keyed hashes; see integrity-signals.test.ts).
    // One compact field (see COMPACT_FIELDS), spelled out by the reader's own rule.
    const fields = events.at(-1)![1];
    expect(fields).toHaveLength(2);
    expect(fields[0]).toBe(COMPACT_FIELD);
    const entry = entryFields(fields);
    expect(entry.v).toMatch(/^\S+$/);
    expect(entry.ua).toMatch(/^\S+$/);
    expect(entry).toEqual({
      v: entry.v,
      l: id,
      n: '0',
      p: '-1',
      ip: api.deps.hash('127.0.0.1'),
      nw: api.deps.networkHash('127.0.0.1'),
      ua: entry.ua,
      fp: '',
      nv: '0',
      au: '0',
    });
  });

  it('works through the stock batching client (official adapter)', async () => {
    const carol = new Visitor(api.baseUrl);
    const client = carol.batchClient();
    const llms = await client.llm.list.query();
    const [a, b] = await Promise.all([
      client.vote.cast.mutate({ llmId: llms[1]!.id, value: 1 }),
      client.vote.cast.mutate({ llmId: llms[2]!.id, value: -1 }),
    ]);
    expect(a).toMatchObject({ llmId: llms[1]!.id, myVote: 1 });
    expect(b).toMatchObject({ llmId: llms[2]!.id, myVote: -1 });
    expect(await client.vote.mine.query()).toEqual({
      [llms[1]!.id]: { value: 1, status: 'counted' },
      [llms[2]!.id]: { value: -1, status: 'counted' },
    });
  });

  it('ranks by score and by Wilson lower bound', async () => {
    const llms = await new Visitor(api.baseUrl).client().llm.list.query();
    const [x, y] = [llms[10]!.id, llms[11]!.id];
    // x: 3 up 0 down; y: 4 up, 2 down -> score: x 3 > y 2
    const votes: Array<[string, 1 | -1]> = [
      [x, 1],
      [x, 1],
      [x, 1],
      [y, 1],
      [y, 1],
      [y, 1],
      [y, 1],
      [y, -1],
      [y, -1],
    ];
    await Promise.all(
      votes.map(([id, v]) =>
        new Visitor(api.baseUrl).client().vote.cast.mutate({ llmId: id, value: v }),
      ),
    );
    await new Promise((r) => setTimeout(r, 300)); // rankings read tallies at most every 250 ms
    const client = new Visitor(api.baseUrl).client();
    const byScore = openRows(await client.rankings.list.query({ sort: 'score' }));
    const rx = byScore.find((r) => r.llm.id === x)!;
    const ry = byScore.find((r) => r.llm.id === y)!;
    expect(rx).toMatchObject({ up: 3, down: 0, score: 3 });
    expect(ry).toMatchObject({ up: 4, down: 2, score: 2 });
    expect(rx.rank).toBeLessThan(ry.rank!);
    // The shared rank rule: a voted model's rank is 1 + the number of models scoring more (ties
    // share a rank); models with no votes have none and come last.
    const voted = byScore.filter((r) => r.up + r.down > 0);
    expect(byScore.slice(0, voted.length)).toEqual(voted);
    for (const r of voted) expect(r.rank).toBe(1 + voted.filter((o) => o.score > r.score).length);
    expect(byScore.slice(voted.length).every((r) => r.rank === null)).toBe(true);
    const byWilson = openRows(await client.rankings.list.query({ sort: 'wilson' }));
    for (let i = 1; i < byWilson.length; i++)
      expect(byWilson[i - 1]!.wilson).toBeGreaterThanOrEqual(byWilson[i]!.wilson);
    const coding = await client.rankings.list.query({ category: 'coding' });
    expect(coding.every((r) => r.llm.categories.includes('coding'))).toBe(true);
  });
});

describe('bad input changes nothing', () => {
  const cases: Array<[string, (v: Visitor, id: string) => Promise<Response>, number, string]> = [
    [
      'unknown model',
      (v) => v.post('vote.cast', JSON.stringify({ llmId: 'no-such-model', value: 1 })),
      404,
      'NOT_FOUND',
    ],
    [
      'wrong value',
      (v, id) => v.post('vote.cast', JSON.stringify({ llmId: id, value: 2 })),
      400,
      'BAD_REQUEST',
    ],
    [
      'value as string',
      (v, id) => v.post('vote.cast', JSON.stringify({ llmId: id, value: '1' })),
      400,
      'BAD_REQUEST',
    ],
    [
      'extra field',
      (v, id) => v.post('vote.cast', JSON.stringify({ llmId: id, value: 1, voterId: 'x' })),
      400,
      'BAD_REQUEST',
    ],
    ['missing input', (v) => v.post('vote.cast', ''), 400, 'BAD_REQUEST'],
    [
      'malformed JSON',
      (v) => v.post('vote.cast', '{"llmId": "gpt-4o", "value": 1'),
      400,
      'PARSE_ERROR',
    ],
    [
      'oversized body',
      (v, id) =>
        v.post('vote.cast', JSON.stringify({ llmId: id, value: 1, pad: 'x'.repeat(64 * 1024) })),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    ['query as mutation', (v) => v.post('llm.list', '{}'), 405, 'METHOD_NOT_SUPPORTED'],
    [
      'vote via GET',
      (v, id) =>
        v.fetch(
          `${v.baseUrl}/trpc/vote.cast?input=${encodeURIComponent(JSON.stringify({ llmId: id, value: 1 }))}`,
        ),
      405,
      'METHOD_NOT_SUPPORTED',
    ],
    ['unknown procedure', (v) => v.post('vote.stuff', '{}'), 404, 'NOT_FOUND'],
    [
      'forged cookie',
      (v, id) =>
        v.post('vote.cast', JSON.stringify({ llmId: id, value: 1 }), {
          'content-type': 'application/json',
          cookie: 'vid=AAAAAAAAAAAAAAAAAAAAAA.forgedsignature',
        }),
      401,
      'UNAUTHORIZED',
    ],
  ];

  it.each(cases)('%s', async (_name, send, status, code) => {
    const visitor = new Visitor(api.baseUrl);
    const [model] = await visitor.client().llm.list.query();
    const before = await voteState(api.deps);
    const res = await send(visitor, model!.id);
    expect(res.status).toBe(status);
    const body = (await res.json()) as {
      error: { message: string; data: { code: string; httpStatus: number } };
    };
    expect(body.error.data.code).toBe(code);
    expect(body.error.data.httpStatus).toBe(status);
    expect(body.error.message.length).toBeGreaterThan(5);
    expect(await voteState(api.deps)).toBe(before);
  });

  it('flattens zod errors for the client', async () => {
    const visitor = new Visitor(api.baseUrl);
    const res = await visitor.post('vote.cast', JSON.stringify({ llmId: 'gpt-4o', value: 5 }));
    const body = (await res.json()) as {
      error: { data: { zodError: { fieldErrors: Record<string, string[]> } } };
    };
    expect(body.error.data.zodError.fieldErrors.value?.[0]).toMatch(/1 \(up\), -1 \(down\) or 0/);
  });
});

/** The open leaderboard's rows ('hide-results' is off here: no row may be sealed). */
function openRows(rows: RankingListRow[]): RankingRow[] {
  const open = rows.filter((r): r is RankingRow => r.up !== null);
  expect(open).toHaveLength(rows.length);
  return open;
}
