import type { Llm } from '@llmpt/shared';
import { describe, expect, it } from 'vitest';

import { createConnectionStore } from './connection-store.ts';
import type { LiveApi, LiveRankingRow, LiveSubscriptionHandlers } from './live-contract.ts';
import { LiveRankingsBoard } from './live-rankings-board.ts';

const row = (id: string, rank: number | null, up: number): LiveRankingRow => ({
  rank,
  llm: { id, name: id.toUpperCase() } as Llm,
  up,
  down: 0,
  score: up,
  wilson: 0,
  trending: 0,
  provisional: false,
  rankRange: null,
});

/** The two calls the board makes, answered by hand: `rankings.list` and `rankings.live`. */
function api(list: LiveRankingRow[]) {
  let handlers: LiveSubscriptionHandlers | null = null;
  const client: LiveApi = {
    rankings: {
      list: { query: () => Promise.resolve(list) },
      live: {
        subscribe: (_input, h) => {
          handlers = h;
          return { unsubscribe: () => (handlers = null) };
        },
      },
    },
    telemetry: { latency: { mutate: () => Promise.resolve() } },
  };
  return {
    client,
    push: (...args: Parameters<NonNullable<LiveSubscriptionHandlers['onData']>>) =>
      handlers?.onData?.(...args),
  };
}

describe('LiveRankingsBoard', () => {
  it('keeps the listed rows while the feed has published nothing (an empty snapshot)', async () => {
    const listed = [row('a', 1, 2), row('b', null, 0)];
    const { client, push } = api(listed);
    const store = createConnectionStore();
    const board = new LiveRankingsBoard({ api: client, store, sort: 'score' });
    board.start();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    push({ id: '0-0', data: { type: 'snapshot', snapshot: { id: '0-0', at: 0, entries: [] } } });
    expect(board.getSnapshot().rows).toEqual(listed);
    expect(board.getSnapshot().updatedAt).toBeNull();

    // The ranker's first publication replaces them.
    push({
      id: '5-0',
      data: {
        type: 'diff',
        diff: {
          id: '5-0',
          at: 1_700_000_000_000,
          entries: [
            { llmId: 'a', up: 2, down: 0, score: 2, wilson: 0, trending: 0, ranks: { score: 2 } },
            { llmId: 'b', up: 3, down: 0, score: 3, wilson: 0, trending: 0, ranks: { score: 1 } },
          ],
        },
      },
    });
    expect(board.getSnapshot().rows.map((r) => [r.llm.id, r.rank])).toEqual([
      ['b', 1],
      ['a', 2],
    ]);
    expect(board.getSnapshot().updatedAt).toBe(1_700_000_000_000);
    board.stop();
  });
});
