import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { rawRequest } from './http-client.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

let api: TestApi;
let model: string;

beforeAll(async () => {
  api = await startTestApi();
  model = (await new Visitor(api.baseUrl).client().llm.list.query())[0]!.id;
});
afterAll(() => api?.close());

const q = (input: unknown) => `?input=${encodeURIComponent(JSON.stringify(input))}`;

describe('what the edge may cache (X-Accel-Expires)', () => {
  it('marks each public read with its own freshness, and nothing else', async () => {
    const marked: Array<[string, string]> = [
      ['/trpc/rankings.list', '1'],
      [`/trpc/llm.byId${q({ id: model })}`, '1'],
      ['/trpc/llm.list', '1'],
      [`/trpc/llm.history${q({ id: model })}`, '60'],
      ['/trpc/rankings.trends', '60'],
      [`/trpc/rankings.asOf${q({ at: new Date(Date.now() - 3_600_000).toISOString() })}`, '60'],
      ['/trpc/rankings.movers', '60'],
    ];
    for (const [path, ttl] of marked) {
      const res = await rawRequest(`${api.baseUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers['x-accel-expires'], path).toBe(ttl);
      expect(res.headers['set-cookie'], path).toBeUndefined();
    }
    const unmarked = [
      await rawRequest(`${api.baseUrl}/trpc/vote.mine`), // per voter
      await rawRequest(`${api.baseUrl}/trpc/llm.byId${q({ id: 'no-such-model' })}`), // an error
      await rawRequest(`${api.baseUrl}/trpc/rankings.list,llm.list?batch=1&input=%7B%7D`),
      await rawRequest(`${api.baseUrl}/trpc/vote.cast`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ llmId: model, value: 1 }),
      }),
    ];
    expect(unmarked.map((r) => r.status)).toEqual([200, 404, 200, 200]);
    for (const res of unmarked) expect(res.headers['x-accel-expires']).toBeUndefined();
  });
});
