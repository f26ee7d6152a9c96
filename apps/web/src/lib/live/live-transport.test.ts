import { createTRPCClient } from '@trpc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';

import { type ConnectionStore, createConnectionStore } from './connection-store.ts';
import { createLiveLinks } from './create-links.ts';
import { startLatencyMonitor } from './latency-monitor.ts';
import { LiveRankingsBoard } from './live-rankings-board.ts';
import { FetchEventSource } from './testing/fetch-event-source.ts';
import {
  type LiveTestRouter,
  type LiveTestServer,
  startLiveTestServer,
} from './testing/live-test-server.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WAIT = { timeout: 8_000, interval: 20 };

/** Client, links, board and latency monitor as `trpc.ts` wires them, with test-sized timings. */
async function setup(opts: { reportEveryMs?: number } = {}) {
  const server = await startLiveTestServer();
  cleanups.push(() => server.close());
  const store: ConnectionStore = createConnectionStore({
    report: (report) => client.telemetry.latency.mutate(report),
    reportEveryMs: opts.reportEveryMs ?? 0,
  });
  const transitions = [label(store)];
  store.subscribe(() => {
    if (transitions.at(-1) !== label(store)) transitions.push(label(store));
  });
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
  let pings = 0;
  cleanups.push(
    startLatencyMonitor({
      store,
      transport: {
        pingWs: async (timeoutMs) => {
          const rtt = await live.transport.pingWs(timeoutMs);
          if (rtt !== null) pings += 1;
          return rtt;
        },
      },
      probe: (signal) => client.rankings.list.query(undefined, { signal }),
      everyMs: 40,
    }),
  );
  // `client` is passed as the contract's LiveApi: the test router must match it.
  const board = new LiveRankingsBoard({
    api: client,
    store,
    sort: 'score',
    pollEveryMs: 100,
    retryDelayMs: () => 50,
  });
  board.start();
  cleanups.push(() => board.stop());
  const ids = () => board.getSnapshot().rows.map((r) => r.llm.id);
  return { server, store, board, transitions, ids, pings: () => pings };
}

function label(store: ConnectionStore): string {
  const { transport, status } = store.getSnapshot();
  return `${transport}:${status}`;
}

async function liveOverWs(
  server: LiveTestServer,
  store: ConnectionStore,
  board: LiveRankingsBoard,
) {
  await vi.waitFor(() => {
    expect(store.getSnapshot()).toMatchObject({ status: 'live', transport: 'ws' });
    expect(board.getSnapshot()).toMatchObject({ lastEventId: server.lastId(), loading: false });
  }, WAIT);
}

describe('live rankings client', () => {
  it('shows the snapshot, then follows diffs over the WebSocket', async () => {
    const { server, store, board, transitions, ids } = await setup();
    await liveOverWs(server, store, board);
    expect(ids()).toEqual(['alpha', 'beta', 'gamma']);

    const id = server.vote('gamma', 20);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(id), WAIT);
    expect(ids()).toEqual(['gamma', 'alpha', 'beta']);
    expect(board.getSnapshot().rows[0]).toMatchObject({
      rank: 1,
      up: 20,
      score: 20,
      llm: { id: 'gamma', name: 'Gamma' },
    });
    expect(server.liveCalls).toEqual([{ via: 'ws', lastEventId: undefined }]);
    expect(transitions).toEqual(['ws:connecting', 'ws:live']);
  }, 20_000);

  it('resumes after a dropped socket from the last tracked id, without a new snapshot', async () => {
    const { server, store, board, transitions, ids } = await setup();
    await liveOverWs(server, store, board);
    const seen = server.vote('beta', 15);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(seen), WAIT);

    server.dropWebSockets();
    const missed = server.vote('gamma', 30);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(missed), WAIT);
    expect(ids()).toEqual(['gamma', 'beta', 'alpha']);
    // The stock wsLink resent the subscription with the id it last saw.
    expect(server.liveCalls).toEqual([
      { via: 'ws', lastEventId: undefined },
      { via: 'ws', lastEventId: seen },
    ]);
    expect(server.snapshotsSent()).toBe(1);
    await vi.waitFor(() => expect(store.getSnapshot().status).toBe('live'), WAIT);
    expect(transitions).toEqual(['ws:connecting', 'ws:live', 'ws:reconnecting', 'ws:live']);
  }, 20_000);

  it('falls back to SSE, then to polling, and upgrades back to ws', async () => {
    const { server, store, board, transitions, ids } = await setup();
    // Each transport gets measured and reported (no throttle in this test).
    const reported = () => server.latencyReports.map((r) => r.transport);
    await liveOverWs(server, store, board);
    const beforeFallback = server.vote('beta', 12);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(beforeFallback), WAIT);

    server.setWsDown(true);
    await vi.waitFor(() => expect(label(store)).toBe('sse:live'), WAIT);
    // Same position, other transport: the board resubscribed from its last id.
    expect(server.liveCalls.at(-1)).toEqual({ via: 'sse', lastEventId: beforeFallback });
    const overSse = server.vote('gamma', 40);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(overSse), WAIT);
    expect(ids()).toEqual(['gamma', 'beta', 'alpha']);
    await vi.waitFor(() => expect(reported()).toContain('sse'), WAIT);

    server.setSseDown(true);
    await vi.waitFor(() => expect(label(store)).toBe('polling:polling'), WAIT);
    server.vote('alpha', 50);
    await vi.waitFor(() => expect(ids()).toEqual(['alpha', 'gamma', 'beta']), WAIT);
    expect(board.getSnapshot().lastEventId).toBe(overSse);
    await vi.waitFor(() => expect(reported()).toContain('polling'), WAIT);

    server.setWsDown(false);
    server.setSseDown(false);
    await vi.waitFor(() => expect(label(store)).toBe('ws:live'), WAIT);
    await vi.waitFor(
      () => expect(server.liveCalls.at(-1)).toEqual({ via: 'ws', lastEventId: overSse }),
      WAIT,
    );
    const backOnWs = server.vote('beta', 70);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(backOnWs), WAIT);
    expect(ids()).toEqual(['beta', 'alpha', 'gamma']);
    expect(server.snapshotsSent()).toBe(1);

    expect(transitions).toEqual([
      'ws:connecting',
      'ws:live',
      'ws:reconnecting',
      'sse:reconnecting',
      'sse:live',
      'sse:reconnecting',
      'polling:polling',
      'ws:live',
    ]);
    expect(reported()).toContain('ws');
  }, 30_000);

  it('resumes an SSE stream after a drop from Last-Event-ID', async () => {
    const { server, store, board, ids } = await setup();
    await liveOverWs(server, store, board);
    server.setWsDown(true);
    await vi.waitFor(() => expect(label(store)).toBe('sse:live'), WAIT);
    const seen = server.vote('beta', 12);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(seen), WAIT);

    const snapshots = server.snapshotsSent();
    server.dropSse();
    const missed = server.vote('gamma', 40);
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(missed), WAIT);
    expect(ids()).toEqual(['gamma', 'beta', 'alpha']);
    // EventSource sent Last-Event-ID; the server replayed instead of starting over.
    expect(server.liveCalls.at(-1)).toEqual({ via: 'sse', lastEventId: seen });
    expect(server.snapshotsSent()).toBe(snapshots);
    await vi.waitFor(() => expect(label(store)).toBe('sse:live'), WAIT);
  }, 20_000);

  it('applies a fresh snapshot when the server sends one', async () => {
    const { server, store, board, ids } = await setup();
    await liveOverWs(server, store, board);
    const id = server.retire('beta');
    await vi.waitFor(() => expect(board.getSnapshot().lastEventId).toBe(id), WAIT);
    expect(ids()).toEqual(['alpha', 'gamma']);
    expect(board.getSnapshot().rows.map((r) => r.rank)).toEqual([1, 2]);
  }, 20_000);

  it('measures the ws round trip and reports it at most once per window', async () => {
    const { server, store, board, pings } = await setup({ reportEveryMs: 60_000 });
    await liveOverWs(server, store, board);
    await vi.waitFor(() => expect(pings()).toBeGreaterThanOrEqual(3), WAIT);
    const { latencyMs } = store.getSnapshot();
    expect(latencyMs).not.toBeNull();
    expect(latencyMs).toBeGreaterThanOrEqual(0);
    await vi.waitFor(() => expect(server.latencyReports).toHaveLength(1), WAIT);
    expect(server.latencyReports[0]).toMatchObject({ transport: 'ws' });
    expect(Number.isFinite(server.latencyReports[0]?.rttMs)).toBe(true);
  }, 20_000);
});
