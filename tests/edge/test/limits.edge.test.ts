// nginx's rate-limit zones and connection limit, lowered so a test can cross them; every client
// has an address of its own, and the app's own limits are far above nginx's here.
import http from 'node:http';

import type { AppRouter } from '@llmpt/api/router';
import { TRPCClientError, createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TrpcError, Visitor, address, request, trpcPath } from './client.ts';
import { type Edge, startEdge } from './edge.ts';

let edge: Edge;

beforeAll(async () => {
  edge = await startEdge({
    limits: {
      votesPerMinute: 1,
      voteBurst: 2,
      apiPerSecond: 1,
      apiBurst: 5,
      staticPerSecond: 1,
      staticBurst: 5,
      connectionsPerAddress: 3,
    },
  });
});
afterAll(async () => {
  await edge?.stop();
});

/** The stock tRPC client, its requests sent from `from`. */
function trpcFrom(from: string, batch = false) {
  // httpLink and httpBatchLink call fetch(url: string, { method, headers, body?: string }).
  const fetchFrom = async (url: URL | string, init?: RequestInit) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const res = await request(url.toString(), {
      method: init?.method ?? 'GET',
      headers,
      body,
      from,
    });
    return new Response(res.text, {
      status: res.status,
      headers: { 'content-type': String(res.headers['content-type']) },
    });
  };
  const url = `${edge.url}/trpc`;
  const link = batch
    ? httpBatchLink({ url, fetch: fetchFrom })
    : httpLink({ url, fetch: fetchFrom });
  return createTRPCClient<AppRouter>({ links: [link] });
}

describe('the voting zone', () => {
  it('answers 429 past the limit, in the app’s error shape with Retry-After; others still vote', async () => {
    const llmId = edge.llms[0]!.id;
    const voter = new Visitor(edge.url, address(11));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await voter.vote(llmId, i % 2 ? -1 : 1)).status);
    // One a minute, plus a burst of two.
    expect(statuses).toEqual([200, 200, 200, 429]);

    const refused = await voter.vote(llmId, 1);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/json');
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.json<TrpcError>()).toEqual({
      error: {
        message: 'Too many requests: try again in 60 s',
        code: -32029,
        data: {
          code: 'TOO_MANY_REQUESTS',
          httpStatus: 429,
          appCode: 'RATE_LIMITED',
          retryAfterSec: 60,
          path: 'vote.cast',
          zodError: null,
        },
      },
    });

    // The stock clients read it as the app's own rate limit, single and batched.
    for (const client of [trpcFrom(address(11)), trpcFrom(address(11), true)]) {
      const err: unknown = await client.vote.cast
        .mutate({ llmId, value: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCClientError);
      expect((err as TRPCClientError<AppRouter>).data).toMatchObject({
        appCode: 'RATE_LIMITED',
        retryAfterSec: 60,
      });
    }
    // Reads are another zone; another address votes as usual.
    expect((await voter.send(trpcPath('llm.list'))).status).toBe(200);
    expect((await new Visitor(edge.url, address(12)).vote(llmId, 1)).status).toBe(200);
  });
});

describe('the API and static zones', () => {
  it('answer 429 past their limits (tRPC’s shape on /trpc, text on pages); others are served', async () => {
    const reads = [];
    for (let i = 0; i < 15; i++)
      reads.push(await request(`${edge.url}/trpc/llm.list`, { from: address(13) }));
    expect(reads[0]!.status).toBe(200);
    const refused = reads.find((r) => r.status === 429);
    expect(refused?.headers['retry-after']).toBe('1');
    expect(refused?.json<TrpcError>().error.data).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      appCode: 'RATE_LIMITED',
      retryAfterSec: 1,
      path: 'llm.list',
    });
    expect((await request(`${edge.url}/trpc/llm.list`, { from: address(14) })).status).toBe(200);

    const pages = [];
    for (let i = 0; i < 15; i++) pages.push(await request(`${edge.url}/`, { from: address(15) }));
    expect(pages[0]!.status).toBe(200);
    const page = pages.find((r) => r.status === 429);
    expect(page?.headers['retry-after']).toBe('1');
    expect(page?.headers['content-type']).toBe('text/plain');
    expect(page?.headers['x-frame-options']).toBe('DENY');
    expect((await request(`${edge.url}/`, { from: address(16) })).status).toBe(200);
  });
});

describe('connections per address', () => {
  it('refuses a 4th open connection from one address until one closes; others are served', async () => {
    const from = address(17);
    const streams = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<http.ClientRequest>((resolve, reject) => {
            const req = http.get(`${edge.url}/trpc/rankings.live?input=%7B%7D`, {
              headers: { accept: 'text/event-stream' },
              localAddress: from,
            });
            req.once('response', (res) =>
              res.statusCode === 200 ? resolve(req) : reject(new Error(`SSE: ${res.statusCode}`)),
            );
            req.once('error', reject);
          }),
      ),
    );
    try {
      const refused = await request(`${edge.url}/trpc/llm.list`, { from });
      expect(refused.status).toBe(429);
      expect(refused.json<TrpcError>().error.data.appCode).toBe('RATE_LIMITED');
      expect((await request(`${edge.url}/trpc/llm.list`, { from: address(18) })).status).toBe(200);
    } finally {
      for (const s of streams) s.destroy();
    }
    // Closed streams free their slots at once (nginx notices the client going away).
    await expect.poll(async () => (await request(`${edge.url}/`, { from })).status).toBe(200);
  });
});
