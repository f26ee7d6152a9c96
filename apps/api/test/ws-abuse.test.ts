import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { AppRouter } from '../src/routers/index.ts';
import { type TestApi, startTestApi } from './helpers.ts';

let api: TestApi;
let wsUrl: string;

beforeAll(async () => {
  api = await startTestApi({
    WS_MAX_SUBSCRIPTIONS: '3',
    WS_MAX_CALLS_PER_MESSAGE: '4',
    WS_MESSAGES_PER_SEC: '5',
    WS_MESSAGE_BURST: '8',
  });
  wsUrl = `${api.baseUrl.replace('http', 'ws')}/trpc`;
});
afterAll(() => api?.close());

/** A raw socket that records every frame and how it was closed. */
async function rawSocket() {
  const ws = new WebSocket(wsUrl);
  const frames: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('message', (data: Buffer) => frames.push(data.toString()));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const subscribe = (id: number) =>
  JSON.stringify({ id, method: 'subscription', params: { path: 'rankings.live', input: {} } });

async function refusals(limit: string): Promise<number> {
  const text = await (await fetch(api.metricsUrl!)).text();
  const m = new RegExp(`ws_refused_total\\{limit="${limit}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

describe('one WebSocket cannot make the api do unbounded work', () => {
  it('serves up to WS_MAX_SUBSCRIPTIONS subscriptions, then closes with 1008 and a reason', async () => {
    const before = await refusals('subscriptions');
    const { ws, frames, closed } = await rawSocket();
    for (let id = 1; id <= 3; id++) ws.send(subscribe(id));
    await until(
      () => frames.filter((f) => f.includes('"type":"started"')).length === 3,
      '3 started',
    );
    expect(api.ws.liveSubscriptions()).toBe(3);

    ws.send(subscribe(4));
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toBe('too many subscriptions: at most 3 per connection');
    expect(frames.some((f) => f.startsWith('{"id":4,'))).toBe(false);
    await until(() => api.ws.liveSubscriptions() === 0, 'the closed socket to leave its rooms');
    expect(await refusals('subscriptions')).toBe(before + 1);
  });

  it('counts subscriptions sent in one burst before any of them is set up', async () => {
    const { ws, closed } = await rawSocket();
    ws.send(JSON.stringify([1, 2, 3, 4].map((id) => JSON.parse(subscribe(id)) as unknown)));
    expect((await closed).code).toBe(1008);
    await until(() => api.ws.liveSubscriptions() === 0, 'no subscription left');
  });

  it('refuses a message batching more than WS_MAX_CALLS_PER_MESSAGE calls, answering none', async () => {
    const { ws, frames, closed } = await rawSocket();
    const calls = Array.from({ length: 5 }, (_, i) => ({
      id: i + 1,
      method: 'query',
      params: { path: 'rankings.list' },
    }));
    ws.send(JSON.stringify(calls));
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toBe('too many calls in one message: at most 4');
    expect(frames).toEqual([]);
  });

  it('closes a socket that sends faster than its message budget', async () => {
    const { ws, closed } = await rawSocket();
    // Burst 8 at 5/s: the 9th message in the same instant is one too many.
    for (let i = 0; i < 9; i++) ws.send('PING');
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toBe('too many messages: at most 5 per second');
  });

  it('leaves a well-behaved client alone (the stock wsLink, subscribing and querying)', async () => {
    const client = createWSClient({
      url: wsUrl,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    try {
      const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
      const got: unknown[] = [];
      const sub = trpc.rankings.live.subscribe({}, { onData: (d) => got.push(d) });
      await until(() => got.length > 0, 'the snapshot');
      for (let i = 0; i < 3; i++) expect((await trpc.llm.list.query()).length).toBeGreaterThan(0);
      sub.unsubscribe();
    } finally {
      await client.close();
    }
  });

  it('answers cacheable reads over ws from the HTTP response cache, byte for byte', async () => {
    // llm.list is cacheable from the catalogue's first load (rankings.list once the ranker ran).
    const http = await fetch(`${api.baseUrl}/trpc/llm.list`);
    expect(http.headers.get('etag')).toMatch(/^W\//);
    const body = (await http.json()) as { result: { data: unknown } };
    const hits = async () => {
      const text = await (await fetch(api.metricsUrl!)).text();
      return Number(
        /cache_requests_total\{layer="l1",cache="response",result="hit"\} (\d+)/.exec(text)?.[1] ??
          0,
      );
    };
    const before = await hits();
    const { ws, frames } = await rawSocket();
    ws.send(
      JSON.stringify([
        { id: 'a', method: 'query', params: { path: 'llm.list' } },
        { id: 'b', jsonrpc: '2.0', method: 'query', params: { path: 'llm.list' } },
        { id: 'c', method: 'query', params: { path: 'llm.list', input: { category: 'nope' } } },
      ]),
    );
    await until(() => frames.length === 3, 'three answers');
    const byId = new Map(frames.map((f) => [(JSON.parse(f) as { id: string }).id, JSON.parse(f)]));
    expect(byId.get('a')).toEqual({ id: 'a', result: { type: 'data', data: body.result.data } });
    expect(byId.get('b')).toEqual({
      id: 'b',
      jsonrpc: '2.0',
      result: { type: 'data', data: body.result.data },
    });
    expect(byId.get('c')).toMatchObject({ id: 'c', error: { data: { code: 'BAD_REQUEST' } } });
    // Both valid calls were hits on the entry the HTTP read made: no serialization per call.
    expect(await hits()).toBe(before + 2);
    ws.close();
  });
});
