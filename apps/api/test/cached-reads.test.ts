import { type IncomingHttpHeaders, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

import { signerFactory } from '@fastify/cookie';
import type { RankingEntry } from '@llmpt/shared';
import { publishRankings, rankingsKeys } from '@llmpt/vote-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { securityHeaders } from '../src/app.ts';
import { cachedReads } from '../src/http/cached-reads.ts';
import { verifiedVoterId } from '../src/http/voter-cookie.ts';
import { counterValue } from './flags-admin.ts';
import { TEST_SECRET, type TestApi, startTestApi } from './helpers.ts';

/** What the bare server answers when the early path hands a request over to fastify. */
const HANDED_OVER = 599;
const LIST = `/trpc/rankings.list?input=${encodeURIComponent(JSON.stringify({ sort: 'score' }))}`;

let api: TestApi;
/** A bare node:http server that only answers early, as the api's own server does first. */
let early: Server;
let earlyUrl: string;

beforeAll(async () => {
  // Behind a trusted proxy (loopback), so HSTS can be compared too.
  api = await startTestApi({ TRUST_PROXY: '127.0.0.1' });
  const answer = cachedReads(api.deps, Object.entries(securityHeaders(undefined)).flat());
  early = createServer((req, res) => {
    if (answer(req, res)) return;
    req.resume();
    res.writeHead(HANDED_OVER).end();
  });
  await new Promise<void>((resolve) => early.listen(0, '127.0.0.1', resolve));
  earlyUrl = `http://127.0.0.1:${(early.address() as AddressInfo).port}`;
  await publish();
});
afterAll(async () => {
  await new Promise((resolve) => early?.close(resolve));
  await api?.close();
});

/** A new board from the ranker's own script: a new version, not cached until someone reads it. */
async function publish(): Promise<void> {
  const ids = (await api.deps.catalogue.all()).map((l) => l.id);
  const entries: RankingEntry[] = ids.slice(0, 3).map((llmId, i) => ({
    llmId,
    up: 30 - i * 10 + Math.floor(Math.random() * 5),
    down: 0,
    score: 30 - i * 10,
    wilson: 0.5,
    trending: 0,
    ranks: { score: i + 1, wilson: i + 1, trending: i + 1 },
  }));
  const at = Date.now();
  const keys = rankingsKeys(api.deps.env.REDIS_PREFIX);
  const id = await publishRankings(api.deps.redis, keys, { at, entries }, { at, entries });
  const deadline = Date.now() + 10_000;
  while (api.deps.feed.id !== id) {
    if (Date.now() > deadline) throw new Error('the feed did not receive the publication');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Everything but what node:http adds per connection and second. */
const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive']);
function comparable(a: Answer) {
  const headers = Object.entries(a.headers).filter(([name]) => !PER_CONNECTION.has(name));
  return {
    status: a.status,
    headers: Object.fromEntries(headers),
    body: a.body.toString('base64'),
  };
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(api.metricsUrl!)).text();
  return counterValue(text, name, labels);
}

describe('cached reads answered before fastify', () => {
  it('answers a hit exactly as the fastify route does: plain, gzip, 304, HSTS, edge TTL', async () => {
    // Fastify's route computes and caches the answer (an extra parameter keeps the early path out).
    const filled = await get(api.baseUrl, `${LIST}&via=fastify`);
    expect(filled.status).toBe(200);
    const etag = filled.headers.etag!;
    const cases: Record<string, string>[] = [
      {},
      { 'accept-encoding': 'gzip, deflate, br' },
      { 'if-none-match': etag },
      { 'x-forwarded-proto': 'https' },
      { cookie: 'llmpt_fv=open; vid=any' },
    ];
    for (const headers of cases) {
      const byFastify = await get(api.baseUrl, `${LIST}&via=fastify`, headers);
      const byEarly = await get(earlyUrl, LIST, headers);
      expect(comparable(byEarly), JSON.stringify(headers)).toEqual(comparable(byFastify));
    }
    const gzip = await get(earlyUrl, LIST, { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers['strict-transport-security']).toBeUndefined();
    expect((await get(earlyUrl, LIST, { 'if-none-match': etag })).status).toBe(304);
    expect(
      (await get(earlyUrl, LIST, { 'x-forwarded-proto': 'https' })).headers[
        'strict-transport-security'
      ],
    ).toBeDefined();
    // The public read as every other answer: the api's own server answers it early too.
    expect(comparable(await get(api.baseUrl, LIST))).toEqual(comparable(await get(earlyUrl, LIST)));
  });

  it('hands over whatever it cannot answer from the cache alone', async () => {
    await get(api.baseUrl, LIST);
    const handedOver = async (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      (await get(earlyUrl, path, headers, method, method === 'POST' ? '{}' : undefined)).status;
    expect(await handedOver(LIST)).toBe(200);
    // Other parameters, an empty input, a body, another method, a path fastify decodes.
    expect(await handedOver(`${LIST}&batch=1`)).toBe(HANDED_OVER);
    expect(await handedOver('/trpc/rankings.list?input=')).toBe(HANDED_OVER);
    expect(await handedOver(LIST, {}, 'POST')).toBe(HANDED_OVER);
    expect(await handedOver(LIST, {}, 'HEAD')).toBe(HANDED_OVER);
    expect(await handedOver(LIST.replace('rankings.list', 'rankings%2Elist'))).toBe(HANDED_OVER);
    // Not cacheable, or not a query.
    expect(await handedOver('/trpc/rankings.revealed')).toBe(HANDED_OVER);
    expect(await handedOver('/trpc/vote.cast')).toBe(HANDED_OVER);
    // A fingerprint cookie the api must correct (Set-Cookie): fastify's to write.
    expect(await handedOver(LIST, { cookie: 'llmpt_fv=sealed' })).toBe(HANDED_OVER);
    // A miss: the new board is computed by fastify's route, then served early.
    await publish();
    expect(await handedOver(LIST)).toBe(HANDED_OVER);
    expect((await get(api.baseUrl, LIST)).status).toBe(200);
    expect(await handedOver(LIST)).toBe(200);
  });

  it('counts an early hit in the cache and request metrics', async () => {
    await get(api.baseUrl, LIST);
    const hit = { layer: 'l1', cache: 'response', result: 'hit' };
    const ok = { path: 'rankings.list', type: 'query', code: 'OK' };
    const hits = await metric('cache_requests_total', hit);
    const requests = await metric('trpc_request_duration_seconds_count', ok);
    for (let i = 0; i < 5; i++) expect((await get(earlyUrl, LIST)).status).toBe(200);
    expect(await metric('cache_requests_total', hit)).toBe(hits + 5);
    expect(await metric('trpc_request_duration_seconds_count', ok)).toBe(requests + 5);
  });
});

describe('verified voter cookies', () => {
  it('remembers only genuine cookies, per secret', () => {
    const id = 'AAAAAAAAAAAAAAAAAAAAAA';
    const cookie = signerFactory(TEST_SECRET).sign(id);
    expect(verifiedVoterId(TEST_SECRET, cookie)).toBe(id);
    // Again: from what was remembered.
    expect(verifiedVoterId(TEST_SECRET, cookie)).toBe(id);
    const tampered = `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`;
    expect(verifiedVoterId(TEST_SECRET, tampered)).toBeNull();
    expect(
      verifiedVoterId(TEST_SECRET, `BBBBBBBBBBBBBBBBBBBBBB${cookie.slice(id.length)}`),
    ).toBeNull();
    // Signed under another secret, or verified under this one: neither passes the other.
    expect(verifiedVoterId(`${TEST_SECRET}-other`, cookie)).toBeNull();
  });
});
