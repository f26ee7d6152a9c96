import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createTRPCClient, httpLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { type RevealedTally, RevealedTallies } from './revealed-tallies.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real tRPC server answering `rankings.revealed` with the tallies given, counting calls. */
async function revealedServer(tallies: RevealedTally[]) {
  let calls = 0;
  const t = initTRPC.create();
  const router = t.router({
    rankings: t.router({
      revealed: t.procedure.query(() => {
        calls += 1;
        return tallies;
      }),
    }),
  });
  const handle = createHTTPHandler({ router, basePath: '/trpc/' });
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const client = createTRPCClient<typeof router>({
    links: [httpLink({ url: `http://127.0.0.1:${port}/trpc` })],
  });
  return { client, calls: () => calls };
}

describe('RevealedTallies', () => {
  it('reads at once, then coalesces a burst of requests into one later read', async () => {
    const api = await revealedServer([{ llmId: 'a', up: 4, down: 1, trending: 2.5 }]);
    const store = new RevealedTallies(api.client, { minIntervalMs: 60_000 });
    cleanups.push(() => store.stop());
    store.request();
    await vi.waitFor(() => expect(store.getSnapshot().loaded).toBe(true));
    expect(store.getSnapshot().tallies.get('a')).toEqual({ up: 4, down: 1, trending: 2.5 });
    // Within the interval: no read now, one pending for its end, whatever the number of asks.
    for (let i = 0; i < 10; i++) store.request();
    await new Promise((r) => setTimeout(r, 50));
    expect(api.calls()).toBe(1);
  });
});
