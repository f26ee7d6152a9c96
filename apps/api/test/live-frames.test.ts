import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

import type { RankingEntry } from '@llmpt/shared';
import { publishRankings, rankingsKeys } from '@llmpt/vote-store';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

import type { LiveMessage } from '../src/realtime/live-messages.ts';
import {
  type SenderInternals,
  framePayload,
  textFrame,
  writeFrame,
} from '../src/realtime/ws-frames.ts';
import { MAX_BUFFERED_BYTES } from '../src/realtime/ws-guard.ts';
import type { AppRouter } from '../src/routers/index.ts';
import { type TestApi, startTestApi } from './helpers.ts';

/**
 * Fan-out writes one pre-built ws frame to every socket of a room (ws-frames.ts). These tests
 * hold it to what `socket.send` guarantees: the same bytes, order per socket, back-pressure
 * accounting, and sockets that die mid-broadcast.
 */

let api: TestApi;
let ids: string[];
let url: string;

beforeAll(async () => {
  api = await startTestApi();
  ids = (await api.deps.catalogue.all()).map((l) => l.id);
  url = api.baseUrl.replace('http', 'ws') + '/trpc';
});
afterAll(async () => {
  await api?.close();
});

function entry(llmId: string, up: number, rank: number): RankingEntry {
  return {
    llmId,
    up,
    down: 0,
    score: up,
    wilson: 0.5,
    trending: 0,
    ranks: { score: rank, wilson: rank, trending: rank },
  };
}

/** Publishes through the same script the ranker uses; returns the diff id. */
async function publish(changed: RankingEntry[]): Promise<string> {
  const all = new Map(api.deps.feed.snapshot().entries.map((e) => [e.llmId, e]));
  for (const e of changed) all.set(e.llmId, e);
  const at = Date.now();
  return publishRankings(
    api.deps.redis,
    rankingsKeys(api.deps.env.REDIS_PREFIX),
    { at, entries: changed },
    { at, entries: [...all.values()] },
  );
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A bare ws client that keeps every message as the bytes it received. */
async function rawSubscriber(): Promise<{ socket: WebSocket; messages: Buffer[] }> {
  const socket = new WebSocket(url);
  const messages: Buffer[] = [];
  socket.on('message', (data: Buffer) => messages.push(data));
  await once(socket, 'open');
  socket.send(
    JSON.stringify({
      id: 1,
      method: 'subscription',
      params: { path: 'rankings.live', input: { sort: 'score' } },
    }),
  );
  return { socket, messages };
}

type Wire = { id: number | string; result?: { type: string; id?: string; data?: unknown } };
const parse = (m: Buffer) => JSON.parse(m.toString('utf8')) as Wire;
/** The tracked id of a live data message, or the reply's kind. */
const label = (m: Buffer): string => {
  const w = parse(m);
  if (w.id !== 1) return `reply ${w.id}`;
  if (w.result?.type !== 'data') return w.result?.type ?? 'error';
  const data = (w.result.data as { data: LiveMessage }).data;
  return data.type === 'diff' ? `diff ${w.result.id}` : data.type;
};

describe('room frames over the api', () => {
  it('sends every subscriber the same bytes, in order with its other messages', async () => {
    const first = await publish(ids.slice(0, 3).map((id, i) => entry(id, 10 - i, i + 1)));
    await until(() => api.deps.feed.id === first, 'the feed to catch up');

    const raws = await Promise.all(Array.from({ length: 40 }, rawSubscriber));
    const client = createWSClient({
      url,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
    const stock: Array<{ id: string; data: LiveMessage }> = [];
    const sub = trpc.rankings.live.subscribe({ sort: 'score' }, { onData: (d) => stock.push(d) });
    await until(() => raws.every((r) => r.messages.length === 3), 'started, snapshot, config');
    await until(() => stock.length === 2, 'the stock client’s snapshot and config');

    // A diff, then a reply to another call on the same socket, then another diff.
    const d1 = await publish([entry(ids[2]!, 20, 1)]);
    await until(() => raws.every((r) => r.messages.length === 4), 'the first diff');
    for (const r of raws) {
      r.socket.send(JSON.stringify({ id: 'q', method: 'query', params: { path: 'llm.list' } }));
    }
    const d2 = await publish([entry(ids[1]!, 30, 1)]);
    await until(() => raws.every((r) => r.messages.length === 6), 'the reply and second diff');
    await until(() => stock.length === 4, 'the stock client’s diffs');

    for (const { messages } of raws) {
      const labels = messages.map(label);
      // The query's reply may come before or after the second diff; nothing else may move.
      expect(labels.filter((l) => l !== 'reply q')).toEqual([
        'started',
        'snapshot',
        'config',
        `diff ${d1}`,
        `diff ${d2}`,
      ]);
      expect(labels.slice(0, 4)).toEqual(['started', 'snapshot', 'config', `diff ${d1}`]);
      const reply = parse(messages[labels.indexOf('reply q')]!);
      expect(reply.result?.type).toBe('data');
      expect(Array.isArray(reply.result?.data)).toBe(true);
    }
    // One frame per room and request id: byte for byte the same on every socket.
    for (const i of [1, 2, 3]) {
      for (const r of raws) expect(r.messages[i]!.equals(raws[0]!.messages[i]!)).toBe(true);
    }
    const lastDiff = (r: { messages: Buffer[] }) =>
      r.messages.find((m) => label(m) === `diff ${d2}`)!;
    for (const r of raws) expect(lastDiff(r).equals(lastDiff(raws[0]!))).toBe(true);

    // The stock tRPC client parses the very same frames.
    expect(stock.map((s) => [s.id, s.data.type])).toEqual([
      [first, 'snapshot'],
      [first, 'config'],
      [d1, 'diff'],
      [d2, 'diff'],
    ]);
    expect(stock[3]!.data).toMatchObject({
      type: 'diff',
      diff: { id: d2, entries: [{ llmId: ids[1], up: 30, ranks: { score: 1 } }] },
    });

    sub.unsubscribe();
    await client.close();
    for (const r of raws) r.socket.close();
    await until(() => api.ws.liveSubscriptions() === 0, 'subscriptions to close');
  });

  it('keeps serving a room when some of its sockets die as a diff goes out', async () => {
    const raws = await Promise.all(Array.from({ length: 30 }, rawSubscriber));
    await until(() => raws.every((r) => r.messages.length === 3), 'every snapshot');
    const dying = raws.slice(0, 10);
    const living = raws.slice(10);
    // Reset from the client side, unannounced: the api may still hold them OPEN as it writes.
    for (const r of dying) r.socket.terminate();
    const d = await publish([entry(ids[3]!, 40, 1)]);
    await until(
      () => living.every((r) => r.messages.some((m) => label(m) === `diff ${d}`)),
      'the diff on every living socket',
    );
    await until(() => api.ws.liveSubscriptions() === living.length, 'the dead to leave');

    const next = await publish([entry(ids[3]!, 41, 1)]);
    await until(
      () => living.every((r) => r.messages.some((m) => label(m) === `diff ${next}`)),
      'the next diff',
    );
    for (const r of living) r.socket.close();
    await until(() => api.ws.liveSubscriptions() === 0, 'subscriptions to close');
  });

  it('terminates a subscriber that stops reading once MAX_BUFFERED_BYTES wait for it', async () => {
    const healthy = await rawSubscriber();
    const slow = await rawSubscriber();
    await until(() => [healthy, slow].every((r) => r.messages.length === 3), 'both snapshots');
    // It reads no more: the kernel's buffers fill, then the api's queue for it grows.
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    // What the healthy one received meanwhile is what was written to the slow one too.
    let received = 0;
    const drain = () => {
      for (const m of healthy.messages.splice(0)) received += m.length;
    };
    drain();
    // Diffs of every model (~12 KB each) until the api lets the slow one go.
    let up = 1000;
    while (api.ws.liveSubscriptions() > 1) {
      if (up > 20_000) throw new Error('the slow subscriber was never dropped');
      up++;
      await publish(ids.map((id, i) => entry(id, up - i, i + 1)));
      drain();
    }
    // Not before it was sent more than the api may hold for it (plus what the kernel took).
    expect(received).toBeGreaterThan(MAX_BUFFERED_BYTES);
    const last = await publish([entry(ids[0]!, up + 1, 1)]);
    await until(
      () => healthy.messages.some((m) => label(m) === `diff ${last}`),
      'the healthy subscriber to keep up',
    );
    healthy.socket.close();
    slow.socket.terminate();
    await until(() => api.ws.liveSubscriptions() === 0, 'subscriptions to close');
  });
});

/** A bare ws server (as the api configures it unless `deflate`) and one client. */
async function pair(deflate = false): Promise<{
  server: WebSocket;
  client: WebSocket;
  received: Buffer[];
  close: () => Promise<void>;
}> {
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: deflate && { threshold: 0 } });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: deflate });
  const received: Buffer[] = [];
  client.on('message', (data: Buffer) => received.push(data));
  const [[server]] = await Promise.all([accepted, once(client, 'open')]);
  return {
    server,
    client,
    received,
    close: async () => {
      client.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

const senderOf = (socket: WebSocket) => (socket as unknown as { _sender: SenderInternals })._sender;

describe('ws internals the frames rely on (checked against ws 8.23.1)', () => {
  it('writes the bytes socket.send would, as one Buffer, straight to the TCP socket', async () => {
    const { server, received, close } = await pair();
    const tcp = (server as unknown as { _socket: { write: (chunk: Buffer) => boolean } })._socket;
    const write = tcp.write.bind(tcp);
    const written: Buffer[] = [];
    tcp.write = (chunk: Buffer, ...rest: unknown[]) => {
      written.push(chunk);
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
    for (const size of [10, 300, 70_000]) {
      const payload = Buffer.from('é'.repeat(size / 2));
      server.send(payload, { binary: false });
      const viaSend = Buffer.concat(written.splice(0));
      const frame = textFrame(payload);
      expect(frame.equals(viaSend)).toBe(true);
      expect(framePayload(frame).equals(payload)).toBe(true);
      writeFrame(server, frame);
      // The fast path: the very same Buffer handed to the TCP socket, nothing built per socket.
      expect(written.splice(0)).toEqual([frame]);
      expect(written.length).toBe(0);
    }
    await until(() => received.length === 6, 'every message');
    for (let i = 0; i < 6; i += 2) expect(received[i]!.equals(received[i + 1]!)).toBe(true);
    await close();
  });

  it('queues behind a message ws is still deflating, and keeps the order', async () => {
    const { server, received, close } = await pair(true);
    const big = JSON.stringify({ entries: Array.from({ length: 2000 }, (_, i) => ({ i })) });
    server.send(big);
    // ws deflates asynchronously: the sender is busy, and writing past it would reorder.
    expect(senderOf(server)._state).not.toBe(0);
    writeFrame(server, textFrame(Buffer.from('"second"')));
    expect(senderOf(server)._queue.length).toBe(1);
    server.send('"third"');
    await until(() => received.length === 3, 'three messages');
    expect(received.map((m) => m.toString('utf8'))).toEqual([big, '"second"', '"third"']);
    await close();
  });

  it('counts written frames in bufferedAmount, which the slow-consumer rule reads', async () => {
    const { server, client, close } = await pair();
    // A consumer that stops reading: the kernel's buffers fill, then the socket's own queue.
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    const frame = textFrame(Buffer.alloc(4 * MAX_BUFFERED_BYTES, 'x'));
    expect(senderOf(server)._queue).toEqual([]);
    writeFrame(server, frame);
    expect(server.bufferedAmount).toBeGreaterThan(MAX_BUFFERED_BYTES);
    await close();
  });

  it('survives a socket whose connection is gone while ws still says OPEN', async () => {
    const a = await pair();
    const b = await pair();
    const errors: Error[] = [];
    a.server.on('error', (err) => errors.push(err));
    (a.server as unknown as { _socket: { destroy(): void } })._socket.destroy();
    expect(a.server.readyState).toBe(WebSocket.OPEN);
    const frame = textFrame(Buffer.from('"after"'));
    expect(() => writeFrame(a.server, frame)).not.toThrow();
    writeFrame(b.server, frame);
    await until(() => b.received.length === 1, 'the healthy socket’s message');
    expect(b.received[0]!.toString('utf8')).toBe('"after"');
    await until(() => a.server.readyState === WebSocket.CLOSED, 'ws to close the dead socket');
    await a.close();
    await b.close();
  });
});
