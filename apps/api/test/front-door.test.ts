import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadEnv } from '../src/env.ts';
import { rawRequest, voteWithoutCookie } from './http-client.ts';
import { type TestApi, Visitor, startTestApi, voteState } from './helpers.ts';

const BASE_ENV = {
  DATABASE_URL: 'postgres://x@127.0.0.1/x',
  REDIS_URL: 'redis://127.0.0.1:6379',
  VOTER_COOKIE_SECRET: 'x'.repeat(32),
};

async function scoreOf(api: TestApi, llmId: string): Promise<number> {
  const t = (await api.deps.voteStore.tallies([llmId])).get(llmId);
  return (t?.up ?? 0) - (t?.down ?? 0);
}

describe('TRUST_PROXY: proxies by address, never by hop count', () => {
  it('refuses hop counts and "true" with a clear message', () => {
    for (const value of ['1', '2', 'true', '127.0.0.1,1']) {
      expect(() => loadEnv({ ...BASE_ENV, TRUST_PROXY: value })).toThrow(
        /TRUST_PROXY: hop counts and "true" trust any client/,
      );
    }
    expect(() => loadEnv({ ...BASE_ENV, TRUST_PROXY: 'not-an-address' })).toThrow(
      /TRUST_PROXY: must be addresses or CIDRs/,
    );
    expect(
      loadEnv({ ...BASE_ENV, TRUST_PROXY: '127.0.0.2, 10.0.0.0/8,loopback' }).TRUST_PROXY,
    ).toEqual(['127.0.0.2', '10.0.0.0/8', 'loopback']);
  });

  describe('with nginx at 127.0.0.2', () => {
    let api: TestApi;
    let ids: string[];
    beforeAll(async () => {
      api = await startTestApi({ TRUST_PROXY: '127.0.0.2', VOTE_RATE_LIMIT_IP: '5' });
      ids = (await api.deps.catalogue.all()).map((l) => l.id);
    });
    afterAll(() => api?.close());

    it('ignores X-Forwarded-For from a direct client: spoofed addresses share one limit', async () => {
      const before = await voteState(api.deps);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await voteWithoutCookie(api.baseUrl, ids[i]!, 1, {
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      expect(await voteState(api.deps)).not.toBe(before);
    });

    it('believes the trusted proxy: each forwarded client has its own limit', async () => {
      for (let client = 1; client <= 3; client++) {
        for (let i = 0; i < 5; i++) {
          const res = await voteWithoutCookie(api.baseUrl, ids[10 + i]!, 1, {
            localAddress: '127.0.0.2',
            headers: { 'x-forwarded-for': `203.0.${client}.9` },
          });
          expect(res.status, res.body).toBe(200);
        }
      }
      const sixth = await voteWithoutCookie(api.baseUrl, ids[20]!, 1, {
        localAddress: '127.0.0.2',
        headers: { 'x-forwarded-for': '203.0.1.9' },
      });
      expect(sixth.status).toBe(429);
    });
  });
});

describe('ballot stuffing from one network', () => {
  let api: TestApi;
  let target: string;
  let other: string;
  beforeAll(async () => {
    // The defaults of the two network limits; the minute limits out of the way.
    api = await startTestApi({
      VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '300',
      VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '10',
    });
    const all = (await api.deps.catalogue.all()).map((l) => l.id);
    target = all[0]!;
    other = all[1]!;
  });
  afterAll(() => api?.close());

  it('100 cookie-dropping upvotes move a model by at most 10; other networks are unaffected', async () => {
    const start = await scoreOf(api, target);
    const outcomes = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const res = await voteWithoutCookie(api.baseUrl, target, 1, { localAddress: '127.1.1.1' });
      outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
      if (res.status === 429) {
        expect(JSON.parse(res.body)).toMatchObject({
          error: { data: { appCode: 'RATE_LIMITED' } },
        });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(3000);
      }
    }
    expect(Object.fromEntries(outcomes)).toEqual({ 200: 10, 429: 90 });
    expect(await scoreOf(api, target)).toBe(start + 10);

    // Honest voters on another /24 vote for the same model as usual.
    for (let i = 0; i < 5; i++) {
      const res = await voteWithoutCookie(api.baseUrl, target, 1, { localAddress: '127.1.2.1' });
      expect(res.status).toBe(200);
    }
    expect(await scoreOf(api, target)).toBe(start + 15);
    // The stuffing network can still vote on other models, and its voters can retract.
    expect(
      (await voteWithoutCookie(api.baseUrl, other, 1, { localAddress: '127.1.1.1' })).status,
    ).toBe(200);
  });

  it('switching or retracting an existing ballot is never refused by the network limit', async () => {
    const voter = new Visitor(api.baseUrl);
    // This test's own network (127.0.0.1) fills the model's budget with ten voters…
    const voters = Array.from({ length: 10 }, () => new Visitor(api.baseUrl));
    for (const v of voters)
      expect((await v.client().vote.cast.mutate({ llmId: other, value: 1 })).myVote).toBe(1);
    await expect(voter.client().vote.cast.mutate({ llmId: other, value: 1 })).rejects.toThrow(
      /Many votes for this model came from your network/,
    );
    // …and its existing voters still switch and retract.
    expect((await voters[0]!.client().vote.cast.mutate({ llmId: other, value: -1 })).myVote).toBe(
      -1,
    );
    expect((await voters[1]!.client().vote.cast.mutate({ llmId: other, value: 0 })).myVote).toBe(0);
  });

  it('limits new voter ids per network per hour; voters it already has are unaffected', async () => {
    const small = await startTestApi({ VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '3' });
    try {
      const ids = (await small.deps.catalogue.all()).map((l) => l.id);
      const from = { localAddress: '127.1.3.1' };
      const answers = [];
      for (let i = 0; i < 5; i++)
        answers.push(await voteWithoutCookie(small.baseUrl, ids[i]!, 1, from));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
      expect(
        (JSON.parse(answers[3]!.body) as { error: { message: string } }).error.message,
      ).toMatch(/Too many new voters from your network this hour: try again in \d+ min/);
      // The first voter kept its cookie: still voting from the same network.
      const cookie = answers[0]!.headers['set-cookie']![0]!.split(';')[0]!;
      const again = await voteWithoutCookie(small.baseUrl, ids[9]!, 1, {
        ...from,
        headers: { cookie },
      });
      expect(again.status).toBe(200);
      // Another network has its own budget.
      expect(
        (await voteWithoutCookie(small.baseUrl, ids[0]!, 1, { localAddress: '127.1.4.1' })).status,
      ).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe('answers that say when to come back, and streams that start only when valid', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ VOTE_RATE_LIMIT: '1' });
  });
  afterAll(() => api?.close());

  it('a batch containing a 429 carries Retry-After', async () => {
    const voter = new Visitor(api.baseUrl);
    const [a, b] = await voter.client().llm.list.query();
    await voter.client().vote.cast.mutate({ llmId: a!.id, value: 1 });
    const res = await voter.fetch(`${api.baseUrl}/trpc/vote.cast,vote.cast?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ 0: { llmId: b!.id, value: 1 }, 1: { llmId: a!.id, value: -1 } }),
    });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('SSE: bad input is a 400 and an unknown model a 404, before any stream starts', async () => {
    const sse = { accept: 'text/event-stream' };
    const bad = await rawRequest(
      `${api.baseUrl}/trpc/rankings.live?input=${encodeURIComponent('{"sort":"nope"}')}`,
      { headers: sse },
    );
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { data: { code: 'BAD_REQUEST' } } });
    const unknown = await rawRequest(
      `${api.baseUrl}/trpc/llm.live?input=${encodeURIComponent('{"id":"no-such-model"}')}`,
      { headers: sse },
    );
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({
      error: { data: { appCode: 'UNKNOWN_MODEL' } },
    });
    const notJson = await rawRequest(`${api.baseUrl}/trpc/rankings.live?input=%7B`, {
      headers: sse,
    });
    expect(notJson.status).toBe(400);
  });
});
