import { isDeepStrictEqual } from 'node:util';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { boardOf, follow, serverBoard } from './live-board.ts';
import { type Stack, Voter, startStack, waitUntil } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ apis: 2, env: { RANKER_TICK_MS: '100' } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('live rankings across api processes', () => {
  it('a subscriber on instance B sees a vote cast on instance A', async () => {
    const [a, b] = stack.apiUrls as [string, string];
    const sub = follow(b);
    await waitUntil(() => Promise.resolve(sub.state.snapshots === 1));
    const llmId = (await new Voter().client(a).llm.list.query())[0]!.id;
    const ack = await new Voter().client(a).vote.cast.mutate({ llmId, value: 1 });
    await waitUntil(() => Promise.resolve(sub.state.board.get(llmId)?.up === ack.up), 10_000);
    await sub.stop();
  });

  it('coalesces 2,000 votes into a bounded number of diffs, ending exact', async () => {
    const [a, b] = stack.apiUrls as [string, string];
    const sub = follow(b);
    await waitUntil(() => Promise.resolve(sub.state.snapshots === 1));
    const llms = (await new Voter().client(a).llm.list.query()).slice(0, 10).map((l) => l.id);
    const before = await serverBoard(b);
    const voters = Array.from({ length: 200 }, () => new Voter());
    const started = Date.now();
    await Promise.all(
      voters.map(async (v, i) => {
        for (let k = 0; k < 10; k++)
          await v
            .client(i % 2 ? a : b)
            .vote.cast.mutate({ llmId: llms[k]!, value: (i + k) % 3 ? 1 : -1 });
      }),
    );
    const elapsedMs = Date.now() - started;
    // The server's board once the ranker has published every vote (it may take a few paced
    // ticks; comparing with a board still on its way made this test flaky): each model got
    // 200 new ballots, up when (voter + model) % 3 is not 0.
    const ups = (k: number) => voters.filter((_, i) => (i + k) % 3 !== 0).length;
    let server = before;
    await waitUntil(async () => {
      server = await serverBoard(b);
      return llms.every(
        (id, k) =>
          server[id]?.[0] === before[id]![0] + ups(k) &&
          server[id]?.[1] === before[id]![1] + (200 - ups(k)),
      );
    }, 15_000);
    await waitUntil(() => Promise.resolve(isDeepStrictEqual(boardOf(sub.state), server)), 15_000);
    expect(boardOf(sub.state)).toEqual(await serverBoard(b));
    // The ranker ticks every 100 ms here: never more diffs than ticks, whatever the vote rate.
    expect(sub.state.diffs).toBeLessThanOrEqual(Math.ceil((elapsedMs + 3000) / 100));
    expect(sub.state.diffs).toBeLessThan(2000 / 4);
    await sub.stop();
  });

  it('resumes on the OTHER instance with its last id and ends with exactly the server ranking', async () => {
    const [a, b] = stack.apiUrls as [string, string];
    const first = follow(a);
    await waitUntil(() => Promise.resolve(first.state.snapshots === 1));
    const lastId = first.state.lastId;
    const snapshot = new Map(first.state.board);
    await first.stop();

    const llms = (await new Voter().client(a).llm.list.query()).slice(10, 15).map((l) => l.id);
    for (const llmId of llms) await new Voter().client(a).vote.cast.mutate({ llmId, value: 1 });
    await waitUntil(async () => (await serverBoard(b))[llms[4]!]?.[0] === 1, 10_000);

    const resumed = follow(b, lastId);
    for (const [k, v] of snapshot) resumed.state.board.set(k, v);
    await waitUntil(
      async () => isDeepStrictEqual(boardOf(resumed.state), await serverBoard(b)),
      10_000,
    );
    expect(boardOf(resumed.state)).toEqual(await serverBoard(b));
    await resumed.stop();
  });
});

describe('ranker fail-over', () => {
  let pair: Stack;
  beforeAll(async () => {
    pair = await startStack({
      apis: 1,
      workers: 2,
      env: { RANKER_TICK_MS: '100', RANKER_LOCK_TTL_MS: '1500' },
    });
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('another worker takes over when the leader is killed, and diffs resume', async () => {
    const [url] = pair.apiUrls as [string];
    const redis = new Redis(pair.env.REDIS_URL!);
    const lock = `${pair.env.REDIS_PREFIX}{rk}:leader`;
    await waitUntil(async () => (await redis.get(lock)) !== null);
    const leaderPid = Number((await redis.get(lock))!.split(':')[1]);
    const leader = pair.workers.find((w) => w.pid === leaderPid)!;
    expect(leader).toBeDefined();

    const sub = follow(url);
    await waitUntil(() => Promise.resolve(sub.state.snapshots === 1));
    leader.kill('SIGKILL');
    await new Promise((r) => leader.once('exit', r));

    // The survivor takes the lock once the dead leader's lease runs out...
    await waitUntil(async () => {
      const holder = await redis.get(lock);
      return holder !== null && Number(holder.split(':')[1]) !== leaderPid;
    }, 15_000);
    // ...and a vote cast now reaches the subscriber in a new diff.
    const llmId = (await new Voter().client(url).llm.list.query())[3]!.id;
    const ack = await new Voter().client(url).vote.cast.mutate({ llmId, value: 1 });
    await waitUntil(() => Promise.resolve(sub.state.board.get(llmId)?.up === ack.up), 10_000);
    await sub.stop();
    await redis.quit();
  });
});
