import { createTRPCClient } from '@trpc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';

import { ConfigFeed } from './config-feed.ts';
import { createConnectionStore } from './connection-store.ts';
import { createLiveLinks } from './create-links.ts';
import { LiveModel } from './live-model.ts';
import { LiveRankingsBoard } from './live-rankings-board.ts';
import { FetchEventSource } from './testing/fetch-event-source.ts';
import { type LiveTestRouter, startLiveTestServer } from './testing/live-test-server.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WAIT = { timeout: 8_000, interval: 20 };

/** A real tRPC server and the app's own links (ws), as `trpc.ts` wires them. */
async function connect() {
  const server = await startLiveTestServer();
  cleanups.push(() => server.close());
  const store = createConnectionStore();
  const live = createLiveLinks<LiveTestRouter>({
    url: server.url,
    wsUrl: server.wsUrl,
    store,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    EventSource: FetchEventSource as unknown as typeof globalThis.EventSource,
    retryDelayMs: () => 20,
  });
  cleanups.push(() => live.close());
  const client = createTRPCClient<LiveTestRouter>({ links: live.links });
  return { server, store, client };
}

describe('catalogue changes on an open leaderboard', () => {
  it('re-reads the names with the new catalogue version: a rename, a new model and a retired one show without reload', async () => {
    const { server, store, client } = await connect();
    const config = new ConfigFeed();
    const board = new LiveRankingsBoard({ api: client, store, config, sort: 'score' });
    board.start();
    cleanups.push(() => board.stop());
    const names = () => board.getSnapshot().rows.map((r) => r.llm.name);

    await vi.waitFor(() => expect(names()).toEqual(['Alpha', 'Beta', 'Gamma']), WAIT);
    // The first `config` message: names read before it have no known version, so once again.
    await vi.waitFor(() => expect(server.listCalls.at(-1)).toEqual({ catalogue: 1 }), WAIT);
    expect(config.version('catalogue')).toBe(1);
    const reads = server.listCalls.length;

    const renamed = server.editCatalogue({ rename: ['alpha', 'Alpha Prime'] });
    await vi.waitFor(() => expect(names()).toEqual(['Alpha Prime', 'Beta', 'Gamma']), WAIT);
    // One read, at the announced version (a URL no cache has seen).
    expect(server.listCalls.slice(reads)).toEqual([{ catalogue: renamed }]);

    const added = server.editCatalogue({ add: ['delta', 'Delta'] });
    await vi.waitFor(
      () => expect(names()).toEqual(['Alpha Prime', 'Beta', 'Gamma', 'Delta']),
      WAIT,
    );
    expect(server.listCalls.at(-1)).toEqual({ catalogue: added });

    // The live entries still carry the retired model; the catalogue no longer lists it.
    const retired = server.editCatalogue({ retire: 'beta' });
    await vi.waitFor(() => expect(names()).toEqual(['Alpha Prime', 'Gamma', 'Delta']), WAIT);
    expect(server.listCalls.at(-1)).toEqual({ catalogue: retired });
    const settled = server.listCalls.length;
    // Its entry moving again does not send the board back to the catalogue.
    server.vote('gamma', 50);
    await vi.waitFor(
      () => expect(board.getSnapshot().rows[0]).toMatchObject({ llm: { id: 'gamma' }, up: 50 }),
      WAIT,
    );
    expect(names()).toEqual(['Gamma', 'Alpha Prime', 'Delta']);
    expect(server.listCalls.length).toBe(settled);
    expect(config.version('catalogue')).toBe(retired);
  }, 20_000);

  it('ignores a repeated version (a resubscription announces the one it holds)', async () => {
    const { server, store, client } = await connect();
    const board = new LiveRankingsBoard({ api: client, store, sort: 'score' });
    board.start();
    cleanups.push(() => board.stop());
    await vi.waitFor(() => expect(server.listCalls.at(-1)).toEqual({ catalogue: 1 }), WAIT);
    const reads = server.listCalls.length;
    server.dropWebSockets();
    // Back live after the drop: its `config` message says 1 again.
    await vi.waitFor(() => expect(server.liveCalls.length).toBe(2), WAIT);
    await vi.waitFor(() => expect(store.getSnapshot().status).toBe('live'), WAIT);
    server.vote('beta', 40);
    await vi.waitFor(
      () => expect(board.getSnapshot().rows[0]).toMatchObject({ llm: { id: 'beta' } }),
      WAIT,
    );
    expect(server.listCalls.length).toBe(reads);
  }, 20_000);
});

describe('catalogue changes on an open model page', () => {
  it('asks the page to re-read its model for the first and every newer version, once each', async () => {
    const { server, store, client } = await connect();
    const heard: number[] = [];
    const config = new ConfigFeed();
    const model = new LiveModel({
      api: client,
      store,
      id: 'gamma',
      config,
      onCatalogue: (v) => heard.push(v),
    });
    model.start();
    cleanups.push(() => model.stop());
    await vi.waitFor(() => expect(heard).toEqual([1]), WAIT);

    server.editCatalogue({ rename: ['gamma', 'Gamma 2'] });
    await vi.waitFor(() => expect(heard).toEqual([1, 2]), WAIT);
    // The room's tally keeps flowing, and the config message did not count as a standing.
    server.vote('gamma', 30);
    await vi.waitFor(
      () => expect(model.getSnapshot().standing).toMatchObject({ up: 30, rank: 1 }),
      WAIT,
    );
    expect(heard).toEqual([1, 2]);
    expect(config.version('catalogue')).toBe(2);
  }, 20_000);
});

describe('ConfigFeed', () => {
  it('tells listeners of each newer version per kind, never of an older or equal one', () => {
    const feed = new ConfigFeed();
    const heard: string[] = [];
    feed.subscribe((kind, v) => heard.push(`${kind}:${v}`));
    feed.note({ catalogue: 3, flags: 7, integrity: 0 });
    feed.note({ catalogue: 3, flags: 8, integrity: 0 });
    feed.note({ catalogue: 2, flags: 8, integrity: 0 });
    feed.note({ catalogue: 4, flags: 1, integrity: 0 });
    // The integrity version (issue 13) is heard once: the first one seen, never again equal.
    expect(heard).toEqual(['catalogue:3', 'flags:7', 'integrity:0', 'flags:8', 'catalogue:4']);
    expect(feed.version('flags')).toBe(8);
  });
});
