// The open data through the edge (issue 15): /api/v1 and /badge kept by the api's Cache-Control.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Answer, Visitor, address } from './client.ts';
import { type Edge, startEdge } from './edge.ts';

let edge: Edge;

beforeAll(async () => {
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.stop();
});

const cacheStatus = (res: Answer) => res.headers['x-cache-status'] as string | undefined;

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

describe('the open data at the edge', () => {
  it('answers a second read of /api/v1 from the cache, with the api’s headers', async () => {
    const visitor = new Visitor(edge.url, address(61));
    // A key no other test reads: a category board by Wilson.
    const path = '/api/v1/rankings?sort=wilson&category=coding';
    const first = await visitor.send(path);
    expect(first.status).toBe(200);
    expect(cacheStatus(first)).toBe('MISS');
    const hit = await readUntilHit(visitor, path);
    expect(hit.text).toBe(first.text);
    // The api's caching, CORS and security headers pass through unchanged, once each.
    expect(hit.headers['cache-control']).toBe('public, max-age=5');
    expect(hit.headers['access-control-allow-origin']).toBe('*');
    expect(hit.headers['x-content-type-options']).toBe('nosniff');
    expect(String(hit.headers['content-security-policy'])).not.toContain(',');
    expect(hit.headers['set-cookie']).toBeUndefined();
    // A conditional read of the cached entry: 304 from nginx.
    const conditional = await visitor.send(path, {
      headers: { 'if-none-match': hit.headers.etag! },
    });
    expect(conditional.status).toBe(304);
    // Gzipped for a client that accepts it.
    const gz = await visitor.send(path, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.text).toBe(first.text);
  });

  it('keeps the OpenAPI document and a badge too', async () => {
    const visitor = new Visitor(edge.url, address(62));
    const doc = await readUntilHit(visitor, '/api/v1/openapi.json');
    expect(doc.json<{ openapi: string }>().openapi).toBe('3.1.0');
    const id = edge.llms[0]!.id;
    const badge = await readUntilHit(visitor, `/badge/${id}.svg`);
    expect(badge.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(badge.headers['cache-control']).toBe('public, max-age=300');
    expect(badge.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(badge.text).toContain('role="img"');
  });

  it('never keeps an error', async () => {
    const visitor = new Visitor(edge.url, address(63));
    for (let i = 0; i < 2; i += 1) {
      const bad = await visitor.send('/api/v1/rankings?sort=nonsense');
      expect(bad.status).toBe(400);
      expect(cacheStatus(bad)).not.toBe('HIT');
      expect(bad.headers['cache-control']).toBe('no-store');
    }
  });
});
