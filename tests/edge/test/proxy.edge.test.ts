// nginx in front of two apis: least_conn, WebSocket and SSE proxying, client addresses.
import http from 'node:http';
import http2 from 'node:http2';

import type { AppRouter } from '@llmpt/api/router';
import { HSTS_HEADER } from '@llmpt/shared/security-headers';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { type TrpcError, Visitor, address, metric, request, trpcPath } from './client.ts';
import { type Edge, startEdge } from './edge.ts';

let edge: Edge;

beforeAll(async () => {
  // The app's own per-address vote limit, low: it must apply to each client, not to nginx.
  edge = await startEdge({ env: { VOTE_RATE_LIMIT_IP: '3' } });
});
afterAll(async () => {
  await edge?.stop();
});

const wsConnections = () =>
  Promise.all(edge.stack.processes.apis.map((a) => metric(a.metricsUrl!, 'ws_connections')));

/** A raw WebSocket to /trpc through nginx, open; with the page's Origin, as a browser sends it. */
async function openSocket(): Promise<WebSocket> {
  const ws = new WebSocket(`${edge.url.replace('http', 'ws')}/trpc`, { origin: edge.url });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return ws;
}

describe('load balancing', () => {
  it('sends a new WebSocket to the api with fewer open ones (least_conn, not round robin)', async () => {
    const s1 = await openSocket();
    await expect.poll(async () => (await wsConnections()).sort()).toEqual([0, 1]);
    const first = (await wsConnections()).indexOf(1);
    const s2 = await openSocket();
    // The second goes to the other api, whichever balancing; close it: that api has none again.
    await expect.poll(wsConnections).toEqual([1, 1]);
    s2.close();
    await expect.poll(async () => (await wsConnections())[first]).toBe(1);
    await expect.poll(async () => (await wsConnections()).reduce((a, b) => a + b)).toBe(1);
    // Round robin would now pick the first api again; least_conn picks the empty one.
    const s3 = await openSocket();
    await expect.poll(wsConnections).toEqual([1, 1]);
    s1.close();
    s3.close();
    await expect.poll(wsConnections).toEqual([0, 0]);
  });

  it('spreads HTTP requests over both apis', async () => {
    const count = () =>
      Promise.all(
        edge.stack.processes.apis.map((a) =>
          metric(a.metricsUrl!, 'trpc_request_duration_seconds_count', 'path="vote.mine"'),
        ),
      );
    const before = await count();
    const visitor = new Visitor(edge.url, address(1));
    for (let i = 0; i < 20; i++) expect((await visitor.send('/trpc/vote.mine')).status).toBe(200);
    const after = await count();
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    expect(after[0]! + after[1]! - before[0]! - before[1]!).toBe(20);
  });
});

type Live =
  | { type: 'snapshot'; snapshot: { entries: Array<{ llmId: string; up: number }> } }
  | { type: 'diff'; diff: { entries: Array<{ llmId: string; up: number }> } }
  | { type: 'config' };
const entriesOf = (m: Live) =>
  m.type === 'snapshot' ? m.snapshot.entries : m.type === 'diff' ? m.diff.entries : [];

describe('subscriptions through nginx', () => {
  it('carries rankings.live over WebSocket: a vote shows up live', async () => {
    const client = createWSClient({
      url: `${edge.url.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const trpc = createTRPCClient<AppRouter>({ links: [wsLink({ client })] });
    const up = new Map<string, number>();
    const sub = trpc.rankings.live.subscribe(
      {},
      {
        onData: (t) => {
          for (const e of entriesOf((t as unknown as { data: Live }).data)) up.set(e.llmId, e.up);
        },
      },
    );
    try {
      const llm = edge.llms[2]!;
      await expect.poll(() => up.has(llm.id)).toBe(true);
      const ack = await new Visitor(edge.url, address(2)).vote(llm.id, 1);
      expect(ack.status).toBe(200);
      await expect.poll(() => up.get(llm.id)).toBe(ack.json<VoteAck>().result.data.up);
    } finally {
      sub.unsubscribe();
      await client.close();
    }
  });

  it('carries rankings.live over SSE, unbuffered: a vote shows up while the stream is open', async () => {
    const llm = edge.llms[3]!;
    const up = new Map<string, number>();
    const req = http.get(`${edge.url}/trpc/rankings.live?input=%7B%7D`, {
      headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip' },
      localAddress: address(3),
    });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/event-stream');
      let pending = '';
      res.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const events = pending.split('\n\n');
        pending = events.pop()!;
        for (const event of events) {
          const data = event.split('\n').find((l) => l.startsWith('data: '));
          if (!data || !event.includes('id: ')) continue;
          for (const e of entriesOf(JSON.parse(data.slice(6)) as Live)) up.set(e.llmId, e.up);
        }
      });
      await expect.poll(() => up.has(llm.id)).toBe(true);
      const ack = await new Visitor(edge.url, address(4)).vote(llm.id, 1);
      await expect.poll(() => up.get(llm.id)).toBe(ack.json<VoteAck>().result.data.up);
    } finally {
      req.destroy();
    }
  });
});

type VoteAck = { result: { data: { up: number; down: number; myVote: number } } };

describe('client addresses', () => {
  const ipKey = (ip: string) => `${edge.prefix}rl:vote:ip:${ip}`;

  it("the apis see each client's own address, whatever X-Forwarded-For it sends", async () => {
    const llm = edge.llms[0]!;
    const plain = new Visitor(edge.url, address(5));
    expect((await plain.vote(llm.id, 1)).status).toBe(200);
    expect(await edge.redis.exists(ipKey(address(5)))).toBe(1);

    const spoofing = new Visitor(edge.url, address(6));
    const res = await spoofing.send('/trpc/vote.cast', {
      body: { llmId: llm.id, value: 1 },
      headers: { 'x-forwarded-for': '203.0.113.6' },
    });
    expect(res.status).toBe(200);
    expect(await edge.redis.exists(ipKey(address(6)))).toBe(1);
    expect(await edge.redis.exists(ipKey('203.0.113.6'))).toBe(0);
  });

  it('a client reaching an api directly is not a proxy: its X-Forwarded-For is ignored', async () => {
    const direct = new Visitor(edge.stack.apiUrls[0]!);
    const res = await direct.send('/trpc/vote.cast', {
      body: { llmId: edge.llms[0]!.id, value: 1 },
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(res.status).toBe(200);
    expect(await edge.redis.exists(ipKey('127.0.0.1'))).toBe(1);
    expect(await edge.redis.exists(ipKey('203.0.113.7'))).toBe(0);
  });

  it("the app's per-address vote limit applies to each client behind nginx, not to nginx", async () => {
    const busy = new Visitor(edge.url, address(7));
    const statuses = [];
    for (const llm of edge.llms.slice(0, 4)) statuses.push((await busy.vote(llm.id, 1)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await busy.vote(edge.llms[4]!.id, 1);
    // The app's own 429 (nginx's voting zone is far above this), naming the network.
    expect(refused.json<TrpcError>().error.message).toMatch(/from this network/);
    expect((await new Visitor(edge.url, address(8)).vote(edge.llms[0]!.id, 1)).status).toBe(200);
  });
});

describe('TLS and HTTP/2', () => {
  it('serves the same site over HTTPS, telling the app so: Secure cookies and HSTS', async () => {
    const page = await request(`${edge.httpsUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toBe(HSTS_HEADER);
    expect((await request(`${edge.url}/`)).headers['strict-transport-security']).toBeUndefined();

    const llm = edge.llms[1]!;
    const overTls = await new Visitor(edge.httpsUrl, address(9)).vote(llm.id, 1);
    expect(overTls.status).toBe(200);
    expect(overTls.headers['set-cookie']?.join()).toMatch(/^vid=.*; Secure/);
    expect(overTls.headers['strict-transport-security']).toBe(HSTS_HEADER);
    const plain = await new Visitor(edge.url, address(10)).vote(llm.id, 1);
    expect(plain.headers['set-cookie']?.join()).not.toMatch(/Secure/);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });

  it('speaks HTTP/2 on the TLS port', async () => {
    const session = http2.connect(edge.httpsUrl, { rejectUnauthorized: false });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>(
        (resolve, reject) => {
          const req = session.request({ ':path': '/trpc/llm.list', 'accept-encoding': 'identity' });
          let status = 0;
          let body = '';
          req.on('response', (h) => (status = Number(h[':status'])));
          req.on('data', (c: Buffer) => (body += c.toString()));
          req.on('end', () => resolve({ status, body }));
          req.on('error', reject);
        },
      );
      expect(session.alpnProtocol).toBe('h2');
      expect(status).toBe(200);
      const data = (JSON.parse(body) as { result: { data: unknown[] } }).result.data;
      expect(data).toHaveLength(edge.llms.length);
    } finally {
      session.close();
    }
  });
});

describe('reload', () => {
  it('applies a new set of apis at once, and keeps running on a configuration nginx refuses', async () => {
    const apis = edge.stack.processes.apis;
    const served = () =>
      Promise.all(
        apis.map((a) =>
          metric(a.metricsUrl!, 'trpc_request_duration_seconds_count', 'path="llm.list"'),
        ),
      );
    // Each read its own cache key, so each reaches an api.
    const read = (key: string) => request(`${edge.url}${trpcPath('llm.list', undefined, { key })}`);
    try {
      await edge.nginx.reload({ ...edge.config, apiServers: [new URL(apis[1]!.url).host] });
      const before = await served();
      for (let i = 0; i < 10; i++) expect((await read(`only-second-${i}`)).status).toBe(200);
      const after = await served();
      expect([after[0]! - before[0]!, after[1]! - before[1]!]).toEqual([0, 10]);

      const broken = { ...edge.config, tls: { ...edge.config.tls!, cert: '/nonexistent.pem' } };
      await expect(edge.nginx.reload(broken)).rejects.toThrow(/nonexistent\.pem/);
      expect((await read('still-serving')).status).toBe(200);
    } finally {
      await edge.nginx.reload(edge.config);
    }
  });
});
