import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  STATIC_SECURITY_HEADERS,
  cspHeader,
  inlineScriptHashes,
} from '@llmpt/shared/security-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { type RawResponse, rawRequest } from './http-client.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

/** What no error body may carry in production: stack frames and absolute paths. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/"stack"/);
  expect(text).not.toMatch(/\/work\/|node_modules|\.ts:\d+/);
  expect(text).not.toMatch(/\n\s+at /);
}

const SHELL = `<!doctype html><html><head><script>document.documentElement.dataset.t='x'</script></head><body><div id="root"></div><script type="module" src="/assets/app.js"></script></body></html>`;

let api: TestApi;
let webDist: string;
let model: string;

beforeAll(async () => {
  webDist = mkdtempSync(join(tmpdir(), 'llmpt-shell-'));
  writeFileSync(join(webDist, 'index.html'), SHELL);
  api = await startTestApi({ WEB_DIST: webDist, REQUEST_TIMEOUT_MS: '1000' });
  model = (await new Visitor(api.baseUrl).client().llm.list.query())[0]!.id;
});
afterAll(async () => {
  await api?.close();
  rmSync(webDist, { recursive: true, force: true });
});

/**
 * Keys requests could have made. The ops sampler's (`{ops}:…`, one per OPS_SAMPLE_MS step for the
 * admin overview) come with time, whoever calls: they are not counted.
 */
async function keyCount(): Promise<number> {
  const keys = await api.deps.redis.keys(`${api.deps.env.REDIS_PREFIX}*`);
  return keys.filter((k) => !k.startsWith(`${api.deps.env.REDIS_PREFIX}{ops}:`)).length;
}

describe('nothing is written for callers that did not cast an accepted vote', () => {
  it('leaves the Redis key count unchanged after 1,000 cookieless, forged and refused requests', async () => {
    const forged = { cookie: 'vid=AAAAAAAAAAAAAAAAAAAAAA.forgedsignature' };
    const json = { 'content-type': 'application/json' };
    const vote = (body: object, headers: Record<string, string> = {}) =>
      rawRequest(`${api.baseUrl}/trpc/vote.cast`, {
        method: 'POST',
        headers: { ...json, ...headers },
        body: JSON.stringify(body),
      });
    const kinds: Array<() => Promise<RawResponse>> = [
      () => rawRequest(`${api.baseUrl}/trpc/vote.mine`),
      () => rawRequest(`${api.baseUrl}/trpc/vote.mine`, { headers: forged }),
      () => vote({ llmId: model, value: 1 }, forged), // 401
      () => vote({ llmId: 'no-such-model', value: 1 }), // 404
      () => vote({ llmId: model, value: 7 }), // 400
      () => vote({ llmId: model, value: 0 }), // a retract of nothing: 200, nothing to keep
      () => rawRequest(`${api.baseUrl}/trpc/no.such.procedure`),
      () => rawRequest(`${api.baseUrl}/trpc/rankings.list`),
    ];
    const before = await keyCount();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const res = await kinds[i % kinds.length]!();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      // At most a cookie: a new visitor's signed id, or the removal of a forged one.
      for (const c of res.headers['set-cookie'] ?? []) expect(c).toMatch(/^vid=/);
    }
    expect(await keyCount()).toBe(before);
    expect([...statuses.keys()].sort()).toEqual([200, 400, 401, 404]);
  });
});

describe('errors in production (the default)', () => {
  it('carry no stack traces or paths over HTTP, batch, SSE and WebSocket', async () => {
    expect(api.deps.env.NODE_ENV).toBe('production');
    const bad = encodeURIComponent(JSON.stringify({ sort: 'nope' }));
    const bodies = [
      (await rawRequest(`${api.baseUrl}/trpc/rankings.list?input=${bad}`)).body,
      (
        await rawRequest(
          `${api.baseUrl}/trpc/rankings.list,llm.list?batch=1&input=${encodeURIComponent('{"0":{"sort":"nope"}}')}`,
        )
      ).body,
      (
        await rawRequest(`${api.baseUrl}/trpc/rankings.live?input=${bad}`, {
          headers: { accept: 'text/event-stream' },
        })
      ).body,
      (
        await rawRequest(`${api.baseUrl}/trpc/vote.cast`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"llmId":',
        })
      ).body,
    ];
    const ws = new WebSocket(`${api.baseUrl.replace('http', 'ws')}/trpc`);
    await new Promise((r) => ws.once('open', r));
    const frame = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
    ws.send(
      JSON.stringify({ id: 1, method: 'query', params: { path: 'llm.byId', input: { id: 7 } } }),
    );
    bodies.push(await frame);
    ws.close();
    for (const body of bodies) {
      expect(body).toMatch(/"code":"(BAD_REQUEST|PARSE_ERROR)"/);
      expectNoInternals(body);
    }
  });

  it('hide an internal error behind "Internal server error"; development shows the detail', async () => {
    const dev = await startTestApi({ NODE_ENV: 'development' });
    const prod = await startTestApi();
    try {
      for (const target of [dev, prod]) await target.deps.db.destroy(); // Postgres is gone
      const path = `/trpc/llm.history?input=${encodeURIComponent(JSON.stringify({ id: model }))}`;
      const inProd = await rawRequest(`${prod.baseUrl}${path}`);
      expect(inProd.status).toBe(500);
      expect(JSON.parse(inProd.body)).toMatchObject({
        error: { message: 'Internal server error', data: { code: 'INTERNAL_SERVER_ERROR' } },
      });
      expectNoInternals(inProd.body);
      const inDev = await rawRequest(`${dev.baseUrl}${path}`);
      expect(inDev.status).toBe(500);
      expect(inDev.body).toMatch(/"stack":"/);
      expect(inDev.body).not.toMatch(/Internal server error/);
    } finally {
      await Promise.allSettled([dev.close(), prod.close()]);
    }
  });
});

describe('URL-derived keys', () => {
  const hostile = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__proto__.x'];

  it.each(hostile)(
    '/trpc/%s is a 404 over GET, POST, batch, SSE and ws, never a 500',
    async (name) => {
      const base = `${api.baseUrl}/trpc/${name}`;
      const answers = [
        await rawRequest(base),
        await rawRequest(base, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
        await rawRequest(`${base}?batch=1&input=%7B%7D`),
        await rawRequest(base, { headers: { accept: 'text/event-stream' } }),
      ];
      for (const res of answers) {
        expect(res.status, res.body).toBe(404);
        expect(res.body).toMatch(/"code":"NOT_FOUND"/);
      }
      // And over WebSocket, as a query and as a subscription.
      const ws = new WebSocket(`${api.baseUrl.replace('http', 'ws')}/trpc`);
      await new Promise((r) => ws.once('open', r));
      const frames: string[] = [];
      ws.on('message', (d: Buffer) => frames.push(d.toString()));
      ws.send(JSON.stringify({ id: 1, method: 'query', params: { path: name } }));
      ws.send(JSON.stringify({ id: 2, method: 'subscription', params: { path: name } }));
      const deadline = Date.now() + 5_000;
      while (frames.length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      ws.close();
      expect(frames).toHaveLength(2);
      for (const f of frames) expect(f).toMatch(/"code":"NOT_FOUND","httpStatus":404/);
    },
  );

  it('keeps one metrics series for every unknown procedure', async () => {
    const scrape = async () => {
      const text = await (await fetch(api.metricsUrl!)).text();
      const count =
        /trpc_request_duration_seconds_count\{path="\(unknown\)",type="query",code="NOT_FOUND"\} (\d+)/.exec(
          text,
        );
      return { text, count: Number(count?.[1] ?? 0) };
    };
    await rawRequest(`${api.baseUrl}/trpc/warm-up-${Math.random()}`);
    const before = await scrape();
    for (let i = 0; i < 250; i++)
      await rawRequest(`${api.baseUrl}/trpc/random-${i}-${Math.random()}`);
    const after = await scrape();
    expect(after.text).not.toMatch(/random-|warm-up-/);
    expect(after.count - before.count).toBe(250);
    // The same series got 250 more observations: no request series was added.
    const series = (text: string) =>
      text.split('\n').filter((l) => l.startsWith('trpc_request_duration_seconds_count{')).length;
    expect(series(after.text)).toBe(series(before.text));
  });
});

describe('security headers', () => {
  it('sends the shared set on pages and API answers; CSP allows the inline script by hash only', async () => {
    for (const path of ['/', '/trpc/llm.list']) {
      const res = await rawRequest(`${api.baseUrl}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) {
        expect(res.headers[name.toLowerCase()], name).toBe(value);
      }
      const csp = String(res.headers['content-security-policy']);
      // Exactly the value nginx/render.ts writes for the same shell.
      expect(csp).toBe(cspHeader(inlineScriptHashes(SHELL)));
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      const [hash] = inlineScriptHashes(SHELL);
      expect(csp).toContain(`script-src 'self' '${hash}'`);
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('adds HSTS only when a trusted proxy says the request came over TLS', async () => {
    const behind = await startTestApi({ TRUST_PROXY: '127.0.0.1' });
    try {
      const tls = await rawRequest(`${behind.baseUrl}/healthz`, {
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(tls.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      const plain = await rawRequest(`${behind.baseUrl}/healthz`);
      expect(plain.headers['strict-transport-security']).toBeUndefined();
      // Not from a trusted proxy: the header is the client's word and is ignored.
      const direct = await rawRequest(`${api.baseUrl}/healthz`, {
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(direct.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await behind.close();
    }
  });
});

describe('timeouts', () => {
  it('answers a stalled request body with 408 and closes the connection', async () => {
    const url = new URL(api.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(
      'POST /trpc/vote.cast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"llmId',
    );
    await closed; // without a timeout this never resolves (the test times out)
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });
});
