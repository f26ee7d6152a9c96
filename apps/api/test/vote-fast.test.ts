import { request } from 'node:http';
import { connect } from 'node:net';

import { signerFactory } from '@fastify/cookie';
import { applyVoteEvents } from '@llmpt/db';
import { castVoteInputSchema } from '@llmpt/shared';
import { parseOutboxEntry } from '@llmpt/vote-store';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { TEST_SECRET, type TestApi, startTestApi } from './helpers.ts';

/**
 * The early vote route (src/http/vote-fast.ts) against the tRPC route it stands in for: two
 * real apis (each its own Postgres database and Redis prefix, the same secret), one answering
 * plain votes before fastify (EARLY_VOTES=on), the other through fastify and tRPC (off), are
 * sent the same requests in the same order. Every answer must be the same bytes, status and
 * headers (in order; a new voter's cookie differs only by its random id), and in the end both
 * Redis key spaces, both Postgres (the outboxes written by the flush's own function) and the
 * request and vote metrics must be the same.
 */

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FP = '0123456789abcdef0123456789abcdef';
const PER_VOTER_PER_MIN = 5;

const env = {
  // Loopback is the proxy: X-Forwarded-For and -Proto are believed (HSTS, Secure cookies).
  TRUST_PROXY: '127.0.0.1',
  VOTE_RATE_LIMIT: String(PER_VOTER_PER_MIN),
};
let early: TestApi;
let late: TestApi;

beforeAll(async () => {
  [early, late] = await Promise.all([
    startTestApi({ ...env, EARLY_VOTES: 'on' }),
    startTestApi({ ...env, EARLY_VOTES: 'off' }),
  ]);
});
afterAll(async () => {
  await Promise.all([early?.close(), late?.close()]);
});

const signer = signerFactory(TEST_SECRET);
/** A returning voter's cookie header (the same voter on both apis). */
const cookieOf = (voterId: string) => `vid=${encodeURIComponent(signer.sign(voterId))}`;
/** A 22-character voter id, as the api mints them. */
const voterId = (n: number) => `vfast${String(n).padStart(17, '0')}`;

interface Answer {
  status: number;
  /** Name/value pairs in the order sent, without Date, Connection and Keep-Alive. */
  headers: string[];
  body: string;
  /** The voter id in a new voter's cookie, if one was set. */
  newVoter: string | null;
}

function send(
  api: TestApi,
  opts: { path?: string; body: string; headers?: Record<string, string> },
): Promise<Answer> {
  const url = new URL(`${api.baseUrl}/trpc/${opts.path ?? 'vote.cast'}`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(opts.body)),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: string[] = [];
          let newVoter: string | null = null;
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i]!.toLowerCase();
            let value = res.rawHeaders[i + 1]!;
            if (name === 'date' || name === 'connection' || name === 'keep-alive') continue;
            if (name === 'set-cookie' && value.startsWith('vid=') && !value.startsWith('vid=;')) {
              // A new voter: the id is random, the rest (signature included) is checked.
              const signed = decodeURIComponent(value.slice(4, value.indexOf(';')));
              newVoter = signer.unsign(signed).value;
              expect(newVoter).toMatch(/^[A-Za-z0-9_-]{22}$/);
              value = value.replace(/^vid=[^;]+/, 'vid=NEW');
            }
            headers.push(name, value);
          }
          resolve({
            status: res.statusCode!,
            headers,
            body: Buffer.concat(chunks).toString('utf8'),
            newVoter,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Voter ids each api minted, in order: the same position is the same visitor. */
const minted = new Map<TestApi, string[]>();

/**
 * The input validations the early route ran: only it calls the schema's `parse` (tRPC's input
 * middleware holds its own bound `parseAsync`), so this tells which route answered.
 */
const validated = vi.spyOn(castVoteInputSchema, 'parse');

/**
 * Sends one request to both apis (early first), checks the answers match and that the early api
 * validated it on the early route (`route: 'early'`) or left it to fastify; returns early's.
 */
async function both(
  opts: Parameters<typeof send>[1],
  route: 'early' | 'fastify' = 'early',
): Promise<Answer> {
  const before = validated.mock.calls.length;
  const a = await send(early, opts);
  const byEarly = validated.mock.calls.length - before;
  const b = await send(late, opts);
  expect(validated.mock.calls.length - before - byEarly).toBe(0);
  // A body that is not JSON is answered before validation.
  if (route === 'fastify' || a.body.includes('"code":-32700')) expect(byEarly).toBe(0);
  else expect(byEarly).toBe(1);
  expect({ ...a, newVoter: a.newVoter !== null }).toEqual({ ...b, newVoter: b.newVoter !== null });
  for (const [api, answer] of [
    [early, a],
    [late, b],
  ] as const) {
    if (answer.newVoter) minted.set(api, [...(minted.get(api) ?? []), answer.newVoter]);
  }
  return a;
}

const vote = (body: unknown, headers: Record<string, string> = {}) => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers: { 'user-agent': CHROME, 'x-forwarded-for': '203.0.113.7', ...headers },
});

const json = (a: Answer) =>
  JSON.parse(a.body) as {
    result?: { data: unknown };
    error?: { message: string; data: { appCode: string | null; httpStatus: number } };
  };

describe('vote.cast before fastify', () => {
  it('answers every kind of request exactly as the tRPC route does', async () => {
    const [m1, m2, m3, m4, m5] = (await early.deps.catalogue.all()).map((l) => l.id);
    expect((await late.deps.catalogue.all()).map((l) => l.id).slice(0, 5)).toEqual([
      m1,
      m2,
      m3,
      m4,
      m5,
    ]);
    const v1 = { cookie: cookieOf(voterId(1)) };

    // A returning voter: up, the same again, down, retract; TLS through the proxy (HSTS).
    for (const value of [1, 1, -1, 0]) {
      const a = await both(vote({ llmId: m1, value }, v1));
      expect(a.status).toBe(200);
    }
    const tls = await both(vote({ llmId: m2, value: 1 }, { ...v1, 'x-forwarded-proto': 'https' }));
    expect(tls.headers).toContain('strict-transport-security');
    // Integrity signals: a fingerprint, webdriver, a scripted user agent, another network.
    await both(vote({ llmId: m3, value: -1, client: { fp: FP, webdriver: true } }, v1));
    await both(
      vote(
        { llmId: m4, value: 1 },
        {
          cookie: cookieOf(voterId(2)),
          'user-agent': 'curl/8.5.0',
          'x-forwarded-for': '198.51.100.9',
        },
      ),
    );
    await both(vote({ llmId: m4, value: 1 }, { cookie: cookieOf(voterId(3)), 'user-agent': '' }));

    // Invalid input (zod), not JSON, no input: 400 and nothing written.
    for (const body of [
      { llmId: m1, value: 2 },
      { llmId: m1, value: 1, extra: true },
      { llmId: '', value: 1 },
      { llmId: m1, value: 1, client: { fp: 'not-hex' } },
      {},
      'null',
      '[]',
      '"x"',
      '   ',
      '{"llmId":',
      '{"llmId": "a", value: 1}',
    ]) {
      const a = await both(vote(body, v1));
      expect(a.status).toBe(400);
    }
    expect(json(await both(vote('{"llmId":', v1))).error?.message).toBe(
      'The request body is not valid JSON',
    );

    // An unknown model: 404.
    const unknown = await both(vote({ llmId: 'no-such-model', value: 1 }, v1));
    expect(unknown.status).toBe(404);

    // No cookie: a new voter gets a signed cookie (Secure over TLS), with any answer.
    const fresh = await both(vote({ llmId: m1, value: 1 }));
    expect(fresh.status).toBe(200);
    expect(fresh.newVoter).not.toBeNull();
    const freshTls = await both(vote({ llmId: m2, value: -1 }, { 'x-forwarded-proto': 'https' }));
    expect(freshTls.headers.find((h) => h.startsWith('vid=NEW'))).toMatch(/; Secure/);
    // Retracting without a cookie: the tally, a cookie, nothing written.
    expect((await both(vote({ llmId: m1, value: 0 }))).status).toBe(200);
    expect((await both(vote({ llmId: 'no-such-model', value: 1 }))).status).toBe(404);
    // Invalid input never reaches the voter: no cookie.
    const invalidNew = await both(vote({ llmId: m1 }));
    expect(invalidNew.newVoter).toBeNull();

    // A forged cookie: 401 and cleared; with invalid input, 400 and kept.
    const forged = { cookie: `vid=${encodeURIComponent(`${voterId(4)}.forged`)}` };
    const bad = await both(vote({ llmId: m1, value: 1 }, forged));
    expect(bad.status).toBe(401);
    expect(bad.headers).toContain('set-cookie');
    expect((await both(vote({ llmId: m1, value: 9 }, forged))).headers).not.toContain('set-cookie');

    // Rate limited: the voter's (PER_VOTER_PER_MIN + 1)th vote this minute, 429 + Retry-After.
    const v5 = { cookie: cookieOf(voterId(5)) };
    for (let i = 0; i < PER_VOTER_PER_MIN; i++) {
      expect(
        (await both(vote({ llmId: i % 2 ? m1 : m2, value: 1 - (i % 2) * 2 }, v5))).status,
      ).toBe(200);
    }
    const limited = await both(vote({ llmId: m3, value: 1 }, v5));
    expect(limited.status).toBe(429);
    expect(limited.headers).toContain('retry-after');

    // Banned: a voter (403), and a network.
    const v6 = { cookie: cookieOf(voterId(6)) };
    await both(vote({ llmId: m1, value: 1 }, v6));
    for (const api of [early, late]) {
      await api.deps.integrity.ban(
        { voterIds: [voterId(6)] },
        new Date(Date.now() + 3 * 3_600_000),
        '41',
      );
      await api.deps.integrity.ban(
        { networkHash: api.deps.networkHash('192.0.2.1') },
        new Date(Date.now() + 30 * 60_000),
        '42',
      );
    }
    expect((await both(vote({ llmId: m2, value: 1 }, v6))).status).toBe(403);
    const net = await both(
      vote({ llmId: m2, value: 1 }, { ...v1, 'x-forwarded-for': '192.0.2.77' }),
    );
    expect(json(net).error?.data.appCode).toBe('VOTER_BANNED');

    // Under review: a voided ballot cannot change (409), and a removed one.
    const v7 = { cookie: cookieOf(voterId(7)) };
    await both(vote({ llmId: m4, value: 1 }, v7));
    await both(vote({ llmId: m5, value: -1 }, v7));
    for (const api of [early, late]) {
      await api.deps.voteStore.voidBallot(voterId(7), m4!, 'void', '501');
      await api.deps.voteStore.voidBallot(voterId(7), m5!, 'void', '502');
      await api.deps.integrity.setStatuses([{ flagId: '502', status: 'confirmed' }]);
    }
    expect((await both(vote({ llmId: m4, value: -1 }, v7))).status).toBe(409);
    expect(json(await both(vote({ llmId: m5, value: 0 }, v7))).error?.message).toMatch(/removed/);

    // Not ready (a partition being rebuilt): 503 + Retry-After.
    const ready = early.deps.voteStore.keysFor(m3!).ready;
    const markers = await Promise.all(
      [early, late].map(async (api) => {
        const key = api.deps.voteStore.keysFor(m3!).ready;
        const value = await api.deps.redis.get(key);
        await api.deps.redis.del(key);
        return { api, key, value };
      }),
    );
    expect(ready).toBeTruthy();
    const notReady = await both(vote({ llmId: m3, value: 1 }, v1));
    expect(notReady.status).toBe(503);
    expect(notReady.headers).toContain('retry-after');
    for (const m of markers) await m.api.deps.redis.set(m.key, m.value!);

    // What the early route leaves to fastify: a batch, a query string, another content type,
    // an empty body, a body over the limit.
    const v8 = { cookie: cookieOf(voterId(8)) };
    const batch = await both(
      {
        ...vote({ 0: { llmId: m1, value: 1 } }, v8),
        path: 'vote.cast?batch=1',
      },
      'fastify',
    );
    expect(batch.status).toBe(200);
    await both({ ...vote({ llmId: m2, value: -1 }, v8), path: 'vote.cast?x=1' }, 'fastify');
    await both(
      vote({ llmId: m2, value: 1 }, { ...v8, 'content-type': 'application/json; charset=utf-8' }),
      'fastify',
    );
    await both(vote({ llmId: m2, value: 1 }, { ...v8, 'content-type': 'text/plain' }), 'fastify');
    await both(vote('', v8), 'fastify');
    const big = await both(vote({ llmId: m1, value: 1, pad: 'x'.repeat(20_000) }, v8), 'fastify');
    expect(big.status).toBe(413);

    // A client that leaves mid-body: nothing is written, and the next vote is answered.
    for (const api of [early, late]) await leaveMidBody(api, cookieOf(voterId(9)));
    expect(
      (await both(vote({ llmId: m5, value: 1 }, { cookie: cookieOf(voterId(9)) }))).status,
    ).toBe(200);

    // The same Redis, once each api's new voters are named alike.
    expect(minted.get(early)?.length).toBe(minted.get(late)?.length);
    expect(await redisState(early)).toEqual(await redisState(late));
    // The same Postgres once the outboxes are written by the flush's function.
    expect(await postgresState(early)).toEqual(await postgresState(late));
    // The same request and vote metrics.
    expect(await metricsOf(early)).toEqual(await metricsOf(late));
  });
});

/** Sends a vote's head and half its body, then closes the connection. */
async function leaveMidBody(api: TestApi, cookie: string): Promise<void> {
  const { port } = new URL(api.baseUrl);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const body = JSON.stringify({ llmId: 'x', value: 1 });
  socket.write(
    `POST /trpc/vote.cast HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
      `cookie: ${cookie}\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
  );
  await new Promise((r) => setTimeout(r, 50));
  socket.destroy();
  await new Promise((r) => setTimeout(r, 50));
}

/** Replaces each api's minted voter ids by their position. */
function normalize(api: TestApi, text: string): string {
  let out = text;
  for (const [i, id] of (minted.get(api) ?? []).entries()) out = out.replaceAll(id, `NEW${i}`);
  return out;
}

/** Every key of the api's prefix with its type and value (stream ids and clock times masked). */
async function redisState(api: TestApi): Promise<Record<string, unknown>> {
  const { redis, env } = api.deps;
  const prefix = env.REDIS_PREFIX;
  // Not BullMQ's, nor the process samples of the admins' overview (per process by design).
  const keys = (await redis.keys(`${prefix}*`)).filter(
    (k) => !k.includes('bull') && !k.includes('{ops}'),
  );
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'stream') value = (await redis.xrange(key, '-', '+')).map(([, f]) => f);
    const ttl = await redis.pttl(key);
    out[normalize(api, key.slice(prefix.length))] = {
      type,
      expires: ttl > 0,
      value: JSON.parse(
        normalize(api, JSON.stringify(value))
          .replace(/\b1\d{12}\b/g, 'T')
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'T'),
      ) as unknown,
    };
  }
  return out;
}

/** The outboxes written to Postgres by the flush's own function; then its tables. */
async function postgresState(api: TestApi): Promise<unknown> {
  const { redis, voteStore, db } = api.deps;
  for (let p = 0; p < voteStore.partitions; p++) {
    const entries = await redis.xrange(voteStore.keysOf(p).outbox, '-', '+');
    const events = entries.map((e) => parseOutboxEntry(p, e));
    await applyVoteEvents(db, events, { partition: p });
  }
  const votes = await sql<Record<string, unknown>>`
    SELECT voter_id, llm_id, value, voided_by FROM votes ORDER BY voter_id, llm_id`.execute(db);
  const events = await sql<Record<string, unknown>>`
    SELECT voter_id, llm_id, value, prev_value, kind, flag_id, ip_hash, net_hash, ua_hash,
           fp_hash, new_voter, automated
    FROM user_votes ORDER BY voter_id, llm_id, created_at`.execute(db);
  const counts = await sql<Record<string, unknown>>`
    SELECT llm_id, upvotes, downvotes, score FROM llm_vote_counts
    WHERE upvotes <> 0 OR downvotes <> 0 ORDER BY llm_id`.execute(db);
  // Sorted once the minted ids are named alike (SQL sorted them by the random ids).
  const rows = (r: { rows: Record<string, unknown>[] }) =>
    r.rows.map((row) => normalize(api, JSON.stringify(row))).sort();
  return { votes: rows(votes), events: rows(events), counts: rows(counts) };
}

/** The vote path's series: votes by result, request counts by path, type and code. */
async function metricsOf(api: TestApi): Promise<string[]> {
  const text = await (await fetch(api.metricsUrl!)).text();
  return text
    .split('\n')
    .filter(
      (l) =>
        /^votes_total\{/.test(l) ||
        (/^trpc_request_duration_seconds_count\{/.test(l) && /vote\.cast|\(batch\)/.test(l)) ||
        /^redis_script_duration_seconds_count\{script="cast-vote"/.test(l),
    )
    .sort();
}
