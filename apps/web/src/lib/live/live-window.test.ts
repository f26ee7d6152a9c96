import { bucketWindow, inWindow } from '@llmpt/shared';
import { createTRPCClient } from '@trpc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';

import { createConnectionStore } from './connection-store.ts';
import { createLiveLinks } from './create-links.ts';
import { LiveRankingsBoard } from './live-rankings-board.ts';
import { FetchEventSource } from './testing/fetch-event-source.ts';
import { type LiveTestRouter, startLiveTestServer } from './testing/live-test-server.ts';
import { visibleWindow } from './visible-window.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WAIT = { timeout: 8_000, interval: 20 };

async function setup() {
  const server = await startLiveTestServer();
  cleanups.push(() => server.close());
  const store = createConnectionStore({ reportEveryMs: 0 });
  const live = createLiveLinks<LiveTestRouter>({
    url: server.url,
    wsUrl: server.wsUrl,
    store,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    EventSource: FetchEventSource as unknown as typeof globalThis.EventSource,
    retryDelayMs: () => 20,
    wsRetryEveryMs: 300,
  });
  cleanups.push(() => live.close());
  const client = createTRPCClient<LiveTestRouter>({ links: live.links });
  const board = new LiveRankingsBoard({
    api: client,
    store,
    sort: 'score',
    window: { from: 1, to: 10 },
    retryDelayMs: () => 50,
  });
  board.start();
  cleanups.push(() => board.stop());
  return { server, board, client };
}

describe('live rankings over the compact feed (rankings.liveWindow)', () => {
  it('decodes snapshot and diffs into the same rows rankings.list has, and resubscribes only when the window leaves its bucket', async () => {
    const { server, board, client } = await setup();
    await vi.waitFor(() => {
      expect(board.getSnapshot()).toMatchObject({ lastEventId: server.lastId(), loading: false });
      expect(server.windowCalls).toHaveLength(1);
    }, WAIT);
    expect(server.windowCalls[0]).toMatchObject({ via: 'ws', window: { from: 1, to: 25 } });
    expect(server.liveCalls).toEqual([]);

    const id = server.vote('gamma', 20, 3);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(id), WAIT);
    const listed = await client.rankings.list.query({ sort: 'score' });
    const rows = board.getSnapshot().rows;
    expect(rows.map((r) => [r.llm.id, r.rank, r.up, r.down, r.score, r.wilson])).toEqual(
      listed.map((r) => [r.llm.id, r.rank, r.up, r.down, r.score, r.wilson]),
    );
    // Score and Wilson derived on the page; the range as the server computed it.
    expect(rows[0]).toMatchObject({ llm: { id: 'gamma' }, score: 17, rankRange: { best: 1 } });

    // Scrolling within ranks 1–25: same room. Beyond it: a new subscription, a new snapshot.
    board.setWindow({ from: 3, to: 20 });
    expect(server.windowCalls).toHaveLength(1);
    const snapshots = server.snapshotsSent();
    board.setWindow({ from: 20, to: 40 });
    expect(board.followedWindow).toEqual({ from: 1, to: 50 });
    await vi.waitFor(() => expect(server.snapshotsSent()).toBe(snapshots + 1), WAIT);
    expect(server.windowCalls.at(-1)).toMatchObject({ window: { from: 1, to: 50 } });
    const next = server.vote('beta', 30);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(next), WAIT);
    expect(board.getSnapshot().rows.map((r) => [r.llm.id, r.up])).toEqual([
      ['beta', 30],
      ['gamma', 20],
      ['alpha', 10],
    ]);
  });
});

describe('visibleWindow', () => {
  const rowAt = (id: string, top: number) => ({
    dataset: { llmId: id },
    getBoundingClientRect: () => ({ top, bottom: top + 40, height: 40 }),
  });
  const rows = ['a', 'b', 'c', 'd'].map((id, i) => ({
    llm: { id },
    rank: i < 3 ? i + 1 : null,
  })) as never[];

  it('takes the ranks of the rows on screen, widened by 5; an unranked row reaches past the last rank', () => {
    const root = (els: unknown[]) => ({ querySelectorAll: () => els }) as unknown as ParentNode;
    expect(
      visibleWindow(root([rowAt('a', -100), rowAt('b', 10), rowAt('c', 500)]), rows, 400),
    ).toEqual({ from: 1, to: 7 });
    expect(visibleWindow(root([rowAt('d', 10)]), rows, 400)).toEqual({ from: 1, to: 9 });
    expect(visibleWindow(root([rowAt('a', 900)]), rows, 400)).toBeNull();
  });

  it('keeps a fresh board (no model ranked yet, 102 rows) in the first window', () => {
    const fresh = Array.from({ length: 102 }, (_, i) => ({ llm: { id: `m${i}` }, rank: null }));
    const els = fresh.slice(0, 15).map((r, i) => rowAt(r.llm.id, i * 40));
    const root = { querySelectorAll: () => els } as unknown as ParentNode;
    const w = visibleWindow(root, fresh as never[], 720)!;
    expect(w).toEqual({ from: 1, to: 6 });
    expect(bucketWindow(w)).toEqual({ from: 1, to: 25 });
    // The server's rule for an unranked model (`to` > ranked count) takes them all in.
    expect(inWindow(w, null, 0)).toBe(true);
  });
});
