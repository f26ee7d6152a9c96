import { createTRPCClient } from '@trpc/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';

import { createConnectionStore } from './connection-store.ts';
import { createLiveLinks } from './create-links.ts';
import { LiveModel } from './live-model.ts';
import { FetchEventSource } from './testing/fetch-event-source.ts';
import { type LiveTestRouter, startLiveTestServer } from './testing/live-test-server.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WAIT = { timeout: 8_000, interval: 20 };

/** The model page's live data as the app wires it: the same links, a real tRPC server. */
async function setup(id: string, opts: { broken?: boolean } = {}) {
  const server = await startLiveTestServer();
  cleanups.push(() => server.close());
  server.setModelLiveBroken(opts.broken ?? false);
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
  // `client` is passed as the contract's LiveModelApi: the test router must match it.
  const model = new LiveModel({ api: client, store, id, pollEveryMs: 50, retryDelayMs: () => 300 });
  model.start();
  cleanups.push(() => model.stop());
  return { server, model };
}

describe('LiveModel', () => {
  it('follows one model’s tally and overall rank over the live room', async () => {
    const { server, model } = await setup('gamma');
    await vi.waitFor(
      () => expect(model.getSnapshot().standing).toMatchObject({ up: 8, rank: 3 }),
      WAIT,
    );
    server.vote('gamma', 20);
    await vi.waitFor(
      () => expect(model.getSnapshot().standing).toMatchObject({ up: 20, score: 20, rank: 1 }),
      WAIT,
    );
    // Another model's vote that doesn't move gamma leaves it as it was.
    server.vote('alpha', 11);
    expect(model.getSnapshot()).toMatchObject({ via: 'live', standing: { rank: 1 } });
    expect(server.byIdCalls()).toBe(0);
  }, 20_000);

  it('polls llm.byId while the subscription fails, and stops once it works again', async () => {
    const { server, model } = await setup('beta', { broken: true });
    await vi.waitFor(() => expect(model.getSnapshot().via).toBe('polling'), WAIT);
    await vi.waitFor(
      () => expect(model.getSnapshot().standing).toMatchObject({ up: 9, rank: 2 }),
      WAIT,
    );
    server.vote('beta', 30);
    await vi.waitFor(
      () => expect(model.getSnapshot().standing).toMatchObject({ up: 30, rank: 1 }),
      WAIT,
    );

    server.setModelLiveBroken(false);
    await vi.waitFor(() => expect(model.getSnapshot().via).toBe('live'), WAIT);
    server.vote('beta', 31);
    await vi.waitFor(() => expect(model.getSnapshot().standing).toMatchObject({ up: 31 }), WAIT);
    // Five polling periods later, no poll has been made (one in flight may have landed before).
    const polls = server.byIdCalls();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(server.byIdCalls()).toBe(polls);
    expect(server.modelLiveCalls()).toBeGreaterThan(1);
  }, 20_000);
});
