import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApi, Visitor, startTestApi, voteState } from './helpers.ts';

describe('rate limits', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ VOTE_RATE_LIMIT: '3', VOTE_RATE_LIMIT_IP: '5' });
  });
  afterAll(() => api?.close());

  it('limits one voter, then the network, with 429 and Retry-After', async () => {
    const voter = new Visitor(api.baseUrl);
    const llms = await voter.client().llm.list.query();
    for (let i = 0; i < 3; i++) {
      const res = await voter.post('vote.cast', JSON.stringify({ llmId: llms[i]!.id, value: 1 }));
      expect(res.status).toBe(200);
    }
    const before = await voteState(api.deps);
    const limited = await voter.post('vote.cast', JSON.stringify({ llmId: llms[3]!.id, value: 1 }));
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await limited.json()) as {
      error: { message: string; data: { code: string; retryAfterSec: number } };
    };
    expect(body.error.data.code).toBe('TOO_MANY_REQUESTS');
    expect(body.error.data.retryAfterSec).toBe(retryAfter);
    expect(body.error.message).toMatch(/try again in \d+ s/);
    expect(await voteState(api.deps)).toBe(before);

    // A second voter from the same IP: the per-IP budget (5) runs out after 2 more votes. The
    // 4th request above was refused, and a refused request counts against no limit.
    const other = new Visitor(api.baseUrl);
    for (const llm of [llms[5]!, llms[6]!]) {
      expect(
        (await other.post('vote.cast', JSON.stringify({ llmId: llm.id, value: 1 }))).status,
      ).toBe(200);
    }
    const byIp = await other.post('vote.cast', JSON.stringify({ llmId: llms[7]!.id, value: 1 }));
    expect(byIp.status).toBe(429);
    expect(((await byIp.json()) as { error: { message: string } }).error.message).toMatch(
      /network/,
    );
  });
});

describe('cold start', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({}, { rebuild: false });
  });
  afterAll(() => api?.close());

  it('refuses votes with 503 until tallies are rebuilt, then accepts them', async () => {
    const voter = new Visitor(api.baseUrl);
    const [model] = await voter.client().llm.list.query();
    const refused = await voter.post('vote.cast', JSON.stringify({ llmId: model!.id, value: 1 }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await api.deps.redis.xlen(api.deps.voteStore.keysFor(model!.id).outbox)).toBe(0);

    await api.rebuild();
    const accepted = await voter.client().vote.cast.mutate({ llmId: model!.id, value: 1 });
    expect(accepted).toMatchObject({ up: 1, down: 0 });
  });
});

describe('operations endpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it('serves /healthz and /readyz, and /metrics only on the internal listener', async () => {
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${api.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', postgres: 'ok' },
    });

    const voter = new Visitor(api.baseUrl);
    const [model] = await voter.client().llm.list.query();
    await voter.client().vote.cast.mutate({ llmId: model!.id, value: 1 });
    expect((await fetch(`${api.baseUrl}/metrics`)).status).toBe(404);
    expect(api.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = await (await fetch(api.metricsUrl!)).text();
    expect(metrics).toMatch(/votes_total\{result="changed"\} 1/);
    expect(metrics).toMatch(
      /trpc_request_duration_seconds_count\{path="vote.cast",type="mutation",code="OK"\} 1/,
    );
    expect(metrics).toMatch(/redis_script_duration_seconds_count\{script="cast-vote"\} 1/);
    expect(metrics).toMatch(/process_cpu_user_seconds_total/);
    // The process's own Postgres pool, which DbPoolExhausted / DbPoolNearLimit watch.
    expect(metrics).toMatch(/^db_pool_max_connections\{pool="primary"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^db_pool_connections\{pool="primary",state="waiting"\} 0$/m);
    await voter.batchClient().llm.list.query();
    const after = await (await fetch(api.metricsUrl!)).text();
    expect(after).toMatch(
      /trpc_request_duration_seconds_count\{path="\(batch\)",type="batch",code="OK"\} 1/,
    );
  });

  it('answers public reads without a cookie, so shared caches can keep them', async () => {
    for (const path of ['llm.list', 'rankings.list']) {
      const res = await fetch(`${api.baseUrl}/trpc/${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('sets a signed, HttpOnly, SameSite=Lax voter cookie at first contact; the session opens with the first vote', async () => {
    const [model] = await new Visitor(api.baseUrl).client().llm.list.query();
    const vote = (headers: Record<string, string> = {}) =>
      fetch(`${api.baseUrl}/trpc/vote.cast`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ llmId: model!.id, value: 1 }),
      });
    const first = await fetch(`${api.baseUrl}/trpc/vote.mine`);
    const cookie = first.headers.getSetCookie().find((c) => c.startsWith('vid='));
    expect(cookie).toMatch(/^vid=[A-Za-z0-9_-]{22}\.[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const https = await vote({ 'x-forwarded-proto': 'https' });
    // Without TRUST_PROXY the forwarded protocol is ignored.
    expect(https.headers.getSetCookie().find((c) => c.startsWith('vid='))).not.toMatch(/Secure/);
    const voterId = cookie!.slice(4, 26);
    // The cookie alone writes nothing; the first accepted vote opens the session.
    expect(await api.deps.redis.exists(`${api.deps.env.REDIS_PREFIX}session:${voterId}`)).toBe(0);
    const res = await vote({ cookie: cookie!.split(';')[0]! });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    const session = await api.deps.redis.hgetall(`${api.deps.env.REDIS_PREFIX}session:${voterId}`);
    expect(Object.keys(session).sort()).toEqual(['firstSeen', 'ipHash', 'lastSeen', 'uaHash']);
    expect(session.ipHash).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const ttl = await api.deps.redis.ttl(`${api.deps.env.REDIS_PREFIX}session:${voterId}`);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });
});
