import type { RankingEntry, RankingsDiff } from '@llmpt/shared';
import { publishRankings, rankingsKeys } from '@llmpt/vote-store';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { LiveMessage } from '../src/realtime/live-messages.ts';
import type { AppRouter } from '../src/routers/index.ts';
import { type TestApi, startTestApi } from './helpers.ts';

let api: TestApi;
let ids: string[];
/** Feed listeners of the process itself (ws rooms, vote-to-diff metric), before any subscriber. */
let baseListeners: number;

beforeAll(async () => {
  api = await startTestApi();
  baseListeners = api.deps.feed.listenerCount();
  ids = (await api.deps.catalogue.all()).map((l) => l.id);
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

function wsClient(url: string) {
  const client = createWSClient({
    url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 100,
  });
  return { client, trpc: createTRPCClient<AppRouter>({ links: [wsLink({ client })] }) };
}

type Tracked = { id: string; data: LiveMessage };

/**
 * Collects the rankings messages (snapshot, diff) of a subscription; the `config` message every
 * subscription also gets (admin changes) is tested in admin-catalogue.test.ts.
 */
const rankingsOnly = (into: Tracked[]) => (d: Tracked) => {
  if (d.data.type !== 'config') into.push(d);
};

describe('rankings.live over WebSocket', () => {
  it('sends a snapshot, then diffs, and resumes from a last event id', async () => {
    await publish(ids.slice(0, 3).map((id, i) => entry(id, 10 - i, i + 1)));
    await until(() => api.deps.feed.snapshot().entries.length === 3, 'the initial snapshot');

    const { client, trpc } = wsClient(api.baseUrl.replace('http', 'ws') + '/trpc');
    const got: Tracked[] = [];
    const sub = trpc.rankings.live.subscribe({ sort: 'score' }, { onData: rankingsOnly(got) });
    await until(() => got.length === 1, 'snapshot');
    expect(got[0]!.data.type).toBe('snapshot');
    const snap = got[0]!.data.type === 'snapshot' ? got[0]!.data.snapshot : null;
    expect(snap?.entries.map((e) => e.llmId).sort()).toEqual(ids.slice(0, 3).sort());

    const d1 = await publish([entry(ids[2]!, 20, 1)]);
    await until(() => got.length === 2, 'first diff');
    expect(got[1]).toMatchObject({
      id: d1,
      data: {
        type: 'diff',
        diff: { id: d1, entries: [{ llmId: ids[2], up: 20, ranks: { score: 1 } }] },
      },
    });
    sub.unsubscribe();

    // Missed while away: two diffs. Resuming with the last id replays exactly those.
    const d2 = await publish([entry(ids[0]!, 30, 1)]);
    const d3 = await publish([entry(ids[1]!, 40, 1)]);
    await until(() => api.deps.feed.id === d3, 'the feed to catch up');
    const replay: Tracked[] = [];
    const sub2 = trpc.rankings.live.subscribe(
      { sort: 'score', lastEventId: d1 },
      { onData: rankingsOnly(replay) },
    );
    await until(() => replay.length === 2, 'replay');
    expect(replay.map((r) => [r.id, r.data.type])).toEqual([
      [d2, 'diff'],
      [d3, 'diff'],
    ]);
    sub2.unsubscribe();

    // An id the stream no longer has (or never had) gets a fresh snapshot instead.
    const fresh: Tracked[] = [];
    const sub3 = trpc.rankings.live.subscribe(
      { sort: 'score', lastEventId: '1-0' },
      { onData: rankingsOnly(fresh) },
    );
    await until(() => fresh.length === 1, 'fresh snapshot');
    expect(fresh[0]).toMatchObject({ id: d3, data: { type: 'snapshot' } });
    sub3.unsubscribe();
    await client.close();

    await until(() => api.ws.liveSubscriptions() === 0, 'subscriptions to close');
    const metrics = await api.deps.metrics.registry.metrics();
    expect(metrics).toMatch(/live_messages_total\{kind="diff"\} [1-9]/);
    expect(metrics).toMatch(/live_bytes_total [1-9]/);
    expect(metrics).toMatch(/rankings_diff_bytes_count [1-9]/);
    expect(metrics).toMatch(/live_subscriptions\{room="board"\} 0/);
  });

  it('gives every new subscriber the snapshot of the current version, while others stay', async () => {
    const base = await publish([entry(ids[4]!, 50, 1)]);
    await until(() => api.deps.feed.id === base, 'the feed to catch up');
    const { client, trpc } = wsClient(api.baseUrl.replace('http', 'ws') + '/trpc');
    const snapshotOf = async (): Promise<{ id: string; up: number | undefined }> => {
      const got: Tracked[] = [];
      const sub = trpc.rankings.live.subscribe({ sort: 'score' }, { onData: rankingsOnly(got) });
      await until(() => got.length === 1, 'snapshot');
      sub.unsubscribe();
      const m = got[0]!;
      const snap = m.data.type === 'snapshot' ? m.data.snapshot : null;
      return { id: m.id, up: snap?.entries.find((e) => e.llmId === ids[4])?.up };
    };
    // A subscriber that stays keeps the room (and its cached snapshot) alive meanwhile.
    const stay = trpc.rankings.live.subscribe({ sort: 'score' }, {});
    expect(await snapshotOf()).toEqual({ id: base, up: 50 });
    expect(await snapshotOf()).toEqual({ id: base, up: 50 });
    const next = await publish([entry(ids[4]!, 51, 1)]);
    await until(() => api.deps.feed.id === next, 'the feed to catch up');
    expect(await snapshotOf()).toEqual({ id: next, up: 51 });
    stay.unsubscribe();
    await client.close();
  });

  it('filters a category room and a model room', async () => {
    const [a, b] = ids as [string, string];
    const { client, trpc } = wsClient(api.baseUrl.replace('http', 'ws') + '/trpc');
    const model: Tracked[] = [];
    const sub = trpc.llm.live.subscribe({ id: b }, { onData: rankingsOnly(model) });
    await until(() => model.length === 1, 'model snapshot');
    await publish([entry(a, 50, 1)]);
    const d = await publish([entry(b, 60, 1)]);
    await until(() => model.length === 2, 'model diff');
    expect(model[1]).toMatchObject({
      id: d,
      data: { type: 'diff', diff: { entries: [{ llmId: b, up: 60 }] } },
    });
    sub.unsubscribe();
    await client.close();
  });

  it('refuses a disallowed Origin, and survives oversized and malformed messages', async () => {
    const url = api.baseUrl.replace('http', 'ws') + '/trpc';
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { origin: 'https://evil.example' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    expect(refused).toBe(403);
    const sameOrigin = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers: { origin: api.baseUrl } });
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(sameOrigin).toBe(101);

    // A healthy subscriber keeps receiving while others misbehave.
    const { client, trpc } = wsClient(url);
    const got: Tracked[] = [];
    const sub = trpc.rankings.live.subscribe({}, { onData: rankingsOnly(got) });
    await until(() => got.length === 1, 'snapshot');

    const bad = new WebSocket(url);
    await new Promise((r) => bad.once('open', r));
    const reply = new Promise<string>((r) =>
      bad.once('message', (m: Buffer) => r(m.toString('utf8'))),
    );
    bad.send('{not json');
    expect(JSON.parse(await reply)).toMatchObject({ error: { data: { code: 'PARSE_ERROR' } } });
    const closed = new Promise<number>((r) => bad.once('close', (code) => r(code)));
    bad.send('x'.repeat(api.deps.env.WS_MAX_MESSAGE_BYTES + 1));
    expect(await closed).toBe(1009);

    const d = await publish([entry(ids[5]!, 99, 1)]);
    await until(() => got.some((g) => g.id === d), 'diff after the misbehaviour');
    sub.unsubscribe();
    await client.close();
  });
});

describe('rankings.live over SSE', () => {
  it('delivers the same events as ws', async () => {
    const ctrl = new AbortController();
    const input = encodeURIComponent(JSON.stringify({ sort: 'score' }));
    const res = await fetch(`${api.baseUrl}/trpc/rankings.live?input=${input}`, {
      signal: ctrl.signal,
      headers: { accept: 'text/event-stream' },
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const readUntil = async (pred: () => boolean) => {
      while (!pred()) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += new TextDecoder().decode(value);
      }
    };
    await readUntil(() => /"type":"snapshot"/.test(text));
    const d = await publish([entry(ids[7]!, 77, 1)]);
    await readUntil(() => text.includes(`id: ${d}`));
    const event = text.split('\n\n').find((block) => block.includes(`id: ${d}`))!;
    const data = JSON.parse(
      event
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6),
    ) as { type: string; diff: RankingsDiff };
    expect(data).toMatchObject({
      type: 'diff',
      diff: { id: d, entries: [{ llmId: ids[7], up: 77 }] },
    });
    ctrl.abort();
  });
});

describe('subscriptions clean up', () => {
  it('leaves no feed listener after 10,000 subscribe/unsubscribe cycles', async () => {
    await until(
      () => api.deps.feed.listenerCount() === baseListeners,
      'earlier subscriptions to end',
    );
    const { createCallerFactory } = await import('../src/trpc.ts');
    const { appRouter } = await import('../src/routers/index.ts');
    const ctx = {
      deps: api.deps,
      voter: () => ({ id: 'x'.repeat(22), status: 'returning' as const }),
      dropVoterCookie: () => undefined,
      ip: '127.0.0.1',
      userAgent: 'test',
      transport: 'http' as const,
      headers: {},
      adminCookie: { sent: '', writable: false, set: () => undefined, clear: () => undefined },
    };
    const createCaller = createCallerFactory(appRouter);
    for (let i = 0; i < 10_000; i++) {
      const ctrl = new AbortController();
      const caller = createCaller(ctx, { signal: ctrl.signal });
      const it = (await caller.rankings.live({}))[Symbol.asyncIterator]();
      await it.next(); // the snapshot: the generator is now listening
      ctrl.abort();
      await it.return?.(undefined);
    }
    expect(api.deps.feed.listenerCount()).toBe(baseListeners);

    // And over real sockets: 200 connections that subscribe and drop (a room each time).
    expect(api.ws.liveSubscriptions()).toBe(0);
    for (let i = 0; i < 200; i++) {
      const { client, trpc } = wsClient(api.baseUrl.replace('http', 'ws') + '/trpc');
      let got = 0;
      const sub = trpc.rankings.live.subscribe({}, { onData: () => got++ });
      await until(() => got > 0, 'snapshot');
      sub.unsubscribe();
      await client.close();
    }
    await until(() => api.ws.liveSubscriptions() === 0, 'ws subscriptions released');
    expect(api.deps.feed.listenerCount()).toBe(baseListeners);
  });
});
