import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';

import type { RankingEntry } from '@llmpt/shared';
import { publishRankings, rankingsKeys } from '@llmpt/vote-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApi, startTestApi } from './helpers.ts';

let api: TestApi;
let ids: string[];

beforeAll(async () => {
  api = await startTestApi();
  ids = (await api.deps.catalogue.all()).map((l) => l.id);
});
afterAll(async () => {
  await api?.close();
});

/** The ranker's publication of `ups` (model index → up votes), through its own script. */
async function publishUps(ups: number[]): Promise<string> {
  const entries: RankingEntry[] = ups.map((up, i) => ({
    llmId: ids[i]!,
    up,
    down: 0,
    score: up,
    wilson: 0.5,
    trending: 0,
    ranks: { score: i + 1, wilson: i + 1, trending: i + 1 },
  }));
  const at = Date.now();
  const id = await publishRankings(
    api.deps.redis,
    rankingsKeys(api.deps.env.REDIS_PREFIX),
    { at, entries },
    { at, entries },
  );
  const deadline = Date.now() + 10_000;
  while (api.deps.feed.id !== id) {
    if (Date.now() > deadline) throw new Error('the feed did not receive the publication');
    await new Promise((r) => setTimeout(r, 20));
  }
  return id;
}

const listUrl = () =>
  `${api.baseUrl}/trpc/rankings.list?input=${encodeURIComponent(JSON.stringify({ sort: 'score' }))}`;

async function upOf(res: Response, llmId: string): Promise<number | undefined> {
  const body = (await res.json()) as { result: { data: { llm: { id: string }; up: number }[] } };
  return body.result.data.find((r) => r.llm.id === llmId)?.up;
}

describe('cached public reads (rankings.list)', () => {
  it('serves the same version with one ETag, 304s a revalidation, and moves with the feed', async () => {
    await publishUps([30, 20, 10]);
    const first = await fetch(listUrl());
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers.get('cache-control')).toContain('must-revalidate');
    expect(await upOf(first, ids[0]!)).toBe(30);

    const again = await fetch(listUrl());
    expect(again.headers.get('etag')).toBe(etag);
    expect(await upOf(again, ids[0]!)).toBe(30);

    const revalidated = await fetch(listUrl(), { headers: { 'if-none-match': etag! } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');

    // A new diff is a new version: the old ETag no longer matches and the body is current.
    await publishUps([31, 20, 10]);
    const after = await fetch(listUrl(), { headers: { 'if-none-match': etag! } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(await upOf(after, ids[0]!)).toBe(31);
  });

  it('keeps different inputs apart and never caches an error', async () => {
    await publishUps([5, 4, 3]);
    const coding = await fetch(
      `${api.baseUrl}/trpc/rankings.list?input=${encodeURIComponent('{"category":"coding"}')}`,
    );
    const all = await fetch(listUrl());
    const codingRows = ((await coding.json()) as { result: { data: unknown[] } }).result.data;
    const allRows = ((await all.json()) as { result: { data: unknown[] } }).result.data;
    expect(codingRows.length).toBeLessThan(allRows.length);

    for (let i = 0; i < 2; i++) {
      const bad = await fetch(
        `${api.baseUrl}/trpc/rankings.list?input=${encodeURIComponent('{"sort":"nope"}')}`,
      );
      expect(bad.status).toBe(400);
      expect(bad.headers.get('etag')).toBeNull();
    }
  });

  it('sends the cached body gzipped to clients that accept it, and plain to the others', async () => {
    await publishUps([7, 6, 5]);
    const get = (acceptEncoding?: string) =>
      new Promise<{ encoding?: string; vary?: string; body: Buffer }>((resolve, reject) => {
        const req = request(
          listUrl(),
          { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                encoding: res.headers['content-encoding'],
                vary: res.headers.vary,
                body: Buffer.concat(chunks),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });

    const plain = await get();
    expect(plain.encoding).toBeUndefined();
    expect(plain.vary).toBe('accept-encoding');
    const gz = await get('br, gzip;q=0.8, deflate');
    expect(gz.encoding).toBe('gzip');
    expect(gz.body.length).toBeLessThan(plain.body.length / 3);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    // Refused (q=0) or only identity wanted: plain bytes.
    expect((await get('gzip;q=0, identity')).encoding).toBeUndefined();
    expect((await get('identity')).body.equals(plain.body)).toBe(true);
  });
});
