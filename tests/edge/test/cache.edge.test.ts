// What nginx answers itself: public reads from its cache (L3), the SPA's files, gzip, headers.
import {
  STATIC_SECURITY_HEADERS,
  cspHeader,
  inlineScriptHashes,
} from '@llmpt/shared/security-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Answer, Visitor, address, request, trpcPath } from './client.ts';
import { ASSET, type Edge, INLINE_SCRIPT, startEdge } from './edge.ts';

let edge: Edge;

beforeAll(async () => {
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.stop();
});

type Row = { llm: { id: string }; up: number };
const cacheStatus = (res: Answer) => res.headers['x-cache-status'] as string | undefined;
const rowsOf = (res: Answer) => res.json<{ result: { data: Row[] } }>().result.data;

/** Reads `path` until nginx answers it from its cache; returns that answer. */
async function readUntilHit(visitor: Visitor, path: string, headers?: Record<string, string>) {
  let last: Answer | undefined;
  await expect
    .poll(async () => {
      last = await visitor.send(path, { headers });
      return cacheStatus(last);
    })
    .toBe('HIT');
  return last!;
}

describe('the L3 cache of public reads', () => {
  it('answers a second read of the leaderboard from the cache, and revalidates with the ETag', async () => {
    const visitor = new Visitor(edge.url, address(21));
    const path = trpcPath('rankings.list', { sort: 'score' }, { test: 'hit' });
    const first = await visitor.send(path);
    expect(first.status).toBe(200);
    expect(cacheStatus(first)).toBe('MISS');
    // The app's browser caching stays as it was; its edge TTL is nginx's business only.
    expect(first.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    expect(first.headers['x-accel-expires']).toBeUndefined();
    expect(first.headers.etag).toMatch(/^W\//);

    const hit = await readUntilHit(visitor, path);
    expect(rowsOf(hit)).toHaveLength(edge.llms.length);
    expect(hit.headers['x-accel-expires']).toBeUndefined();
    const conditional = await visitor.send(path, {
      headers: { 'if-none-match': hit.headers.etag! },
    });
    expect(conditional.status).toBe(304);
  });

  it('a vote makes the next reads fresh within the app’s version rules', async () => {
    const reader = new Visitor(edge.url, address(22));
    // The key the SPA reads: no input.
    const cached = await readUntilHit(reader, '/trpc/rankings.list');
    const llm = edge.llms[5]!;
    const before = rowsOf(cached).find((r) => r.llm.id === llm.id)!.up;
    const ack = await new Visitor(edge.url, address(23)).vote(llm.id, 1);
    const up = ack.json<{ result: { data: { up: number } } }>().result.data.up;
    expect(up).toBe(before + 1);
    let fresh: Answer | undefined;
    await expect
      .poll(async () => {
        fresh = await reader.send('/trpc/rankings.list');
        return rowsOf(fresh).find((r) => r.llm.id === llm.id)!.up;
      })
      .toBe(up);
    expect(fresh!.headers.etag).not.toBe(cached.headers.etag);
  });

  it('keeps llm.list, llm.byId, llm.history and rankings.trends too', async () => {
    const visitor = new Visitor(edge.url, address(24));
    const id = edge.llms[0]!.id;
    for (const path of [
      trpcPath('llm.list'),
      trpcPath('llm.byId', { id }),
      trpcPath('llm.history', { id, days: 7 }),
      trpcPath('rankings.trends', { hours: 24 }),
    ]) {
      const hit = await readUntilHit(visitor, path);
      expect(hit.status, path).toBe(200);
    }
  });

  it('never keeps vote.mine, batches or votes: a second voter never sees the first one’s ballots', async () => {
    const [m1, m2] = [edge.llms[6]!.id, edge.llms[7]!.id];
    const alice = new Visitor(edge.url, address(25));
    const bob = new Visitor(edge.url, address(26));
    const seen: Array<string | undefined> = [];
    const mine = async (v: Visitor) => {
      const res = await v.send('/trpc/vote.mine');
      seen.push(cacheStatus(res));
      return res.json<{ result: { data: Record<string, number> } }>().result.data;
    };

    expect((await alice.vote(m1, 1)).status).toBe(200);
    expect(await mine(alice)).toEqual({ [m1]: { value: 1, status: 'counted' } });
    expect(await mine(alice)).toEqual({ [m1]: { value: 1, status: 'counted' } });
    expect(await mine(bob)).toEqual({});
    expect((await bob.vote(m2, -1)).status).toBe(200);
    expect(await mine(bob)).toEqual({ [m2]: { value: -1, status: 'counted' } });
    expect(await mine(alice)).toEqual({ [m1]: { value: 1, status: 'counted' } });

    // The same POST twice with another ballot in between: each answer is the app's own.
    const votes = [await alice.vote(m1, -1), await alice.vote(m1, 1), await alice.vote(m1, -1)];
    expect(
      votes.map((v) => v.json<{ result: { data: { myVote: number } } }>().result.data.myVote),
    ).toEqual([-1, 1, -1]);
    seen.push(...votes.map(cacheStatus));

    const batch = trpcPath('rankings.list,vote.mine', { 0: {} }, { batch: '1' });
    for (let i = 0; i < 3; i++) seen.push(cacheStatus(await alice.send(batch)));
    expect(seen).not.toContain('HIT');
    expect(seen.filter((s) => s !== undefined)).not.toHaveLength(0);
  });

  it('keeps one entry per Accept-Encoding class: a client without gzip never gets gzip', async () => {
    const visitor = new Visitor(edge.url, address(27));
    const path = trpcPath('rankings.list', { sort: 'score' }, { test: 'encoding' });
    const gz = await readUntilHit(visitor, path, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    for (const headers of [{ 'accept-encoding': 'identity' }, { 'accept-encoding': 'gzip;q=0' }]) {
      const plain = await visitor.send(path, { headers });
      expect(plain.headers['content-encoding'], headers['accept-encoding']).toBeUndefined();
      expect(rowsOf(plain)).toHaveLength(edge.llms.length);
    }
  });
});

describe('the SPA’s files', () => {
  it('serves hashed assets for a year (gzipped), pages revalidated, routes as index.html', async () => {
    const index = await request(`${edge.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await request(`${edge.url}${ASSET}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(asset.text).toContain('export const v199 = 199;');
    const deep = await request(`${edge.url}/models/some-model`);
    expect(deep.status).toBe(200);
    expect(deep.text).toBe(index.text);
  });

  it('sends the security headers once each (CSP with the shell’s script hash), never /metrics', async () => {
    const csp = cspHeader(inlineScriptHashes(`<script>${INLINE_SCRIPT}</script>`));
    for (const path of ['/', '/models/x', '/assets/missing.js']) {
      const res = await request(`${edge.url}${path}`);
      expect(res.headers['content-security-policy'], path).toBe(csp);
      for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS))
        expect(res.headers[name.toLowerCase()], `${path} ${name}`).toBe(value);
    }
    // /trpc carries the api's own, not a second copy from nginx.
    const proxied = await request(`${edge.url}/trpc/llm.list`);
    expect(proxied.headers['x-content-type-options']).toBe('nosniff');
    expect((await request(`${edge.url}/metrics`)).status).toBe(404);
  });
});
