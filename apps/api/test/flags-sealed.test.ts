import {
  HIDE_RESULTS_FLAG,
  type RankingEntry,
  type RankingListRow,
  wilsonLowerBound,
} from '@llmpt/shared';
import { publishRankings, rankingsKeys } from '@llmpt/vote-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { type AdminBrowser, RawSocket } from './admin-client.ts';
import { flagsSettled, setFlag, signedInAdmin } from './flags-admin.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

let api: TestApi;
let admin: AdminBrowser;
let ids: string[];
const UPS = [30, 20, 10];

beforeAll(async () => {
  api = await startTestApi();
  admin = await signedInAdmin(api, 'sealer');
  ids = (await api.deps.catalogue.all()).map((l) => l.id);
  await publishUps(UPS);
});
afterAll(async () => {
  await api?.close();
});

/** Each published model's trending value: non-zero, so a sealed answer that kept it shows. */
const trendingOf = (up: number) => up * 0.75;

/** The ranker's publication (as response-cache.test.ts): makes rankings.list cacheable. */
async function publishUps(ups: number[]): Promise<void> {
  const entries: RankingEntry[] = ups.map((up, i) => ({
    llmId: ids[i]!,
    up,
    down: 0,
    score: up,
    wilson: 0.5,
    trending: trendingOf(up),
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

async function set(patch: { enabled: boolean; rolloutPercent: number }) {
  await setFlag(admin, HIDE_RESULTS_FLAG, { ...patch, experiment: false });
  await flagsSettled(api, api.deps.config.versions.flags);
}

/** A voter (cookies from flags.evaluate) with 'hide-results' on (sealed) or off. */
async function voterWith(sealed: boolean): Promise<Visitor> {
  for (;;) {
    const v = new Visitor(api.baseUrl);
    const e = await v.client().flags.evaluate.query();
    if (e.flags[HIDE_RESULTS_FLAG]!.value === sealed) return v;
  }
}

const LIST_PATH = `/trpc/rankings.list?input=${encodeURIComponent(JSON.stringify({ sort: 'score' }))}`;

async function list(v: Visitor, headers: Record<string, string> = {}) {
  const res = await v.fetch(`${api.baseUrl}${LIST_PATH}`, { headers });
  const rows =
    res.status === 200
      ? (((await res.json()) as { result: { data: RankingListRow[] } }).result.data ?? [])
      : [];
  return { res, rows, setCookie: res.headers.getSetCookie().join('\n') };
}

// Sealed: the tally and all that is computed from it (trending, the rank range) withheld.
const isSealed = (rows: RankingListRow[]) =>
  rows.length > 0 &&
  rows.every(
    (r) =>
      r.up === null &&
      r.down === null &&
      r.score === null &&
      r.wilson === null &&
      r.trending === null &&
      r.rankRange === null,
  );
const isOpen = (rows: RankingListRow[]) =>
  rows.length > 0 &&
  rows.every(
    (r) =>
      typeof r.up === 'number' && typeof r.wilson === 'number' && typeof r.trending === 'number',
  ) &&
  rows.slice(0, UPS.length).every((r) => r.rankRange !== null && r.trending !== 0);
const ranks = (rows: RankingListRow[]) => rows.map((r) => `${r.rank}:${r.llm.id}`);
const cookieHeader = (v: Visitor, drop: string[] = [], add: Record<string, string> = {}) =>
  [...[...v.cookies].filter(([k]) => !drop.includes(k)), ...Object.entries(add)]
    .map(([k, val]) => `${k}=${val}`)
    .join('; ');

async function l1Hits(): Promise<number> {
  const m = await api.deps.metrics.cacheRequests.get();
  return m.values
    .filter((v) => v.labels.cache === 'response' && v.labels.result === 'hit')
    .reduce((n, v) => n + v.value, 0);
}

describe('hide results until you vote', () => {
  it('answers sealed and open rankings.list apart, never mixed in L1 (HTTP and ws)', async () => {
    await set({ enabled: true, rolloutPercent: 50 });
    const sealed = await voterWith(true);
    const open = await voterWith(false);
    const hits = await l1Hits();
    let first: Awaited<ReturnType<typeof list>> | undefined;
    for (let i = 0; i < 4; i++) {
      const s = await list(sealed);
      const o = await list(open);
      expect(isSealed(s.rows)).toBe(true);
      expect(isOpen(o.rows)).toBe(true);
      // Ranks and order stay: only the tallies are withheld.
      expect(ranks(s.rows)).toEqual(ranks(o.rows));
      expect(o.rows.slice(0, 3).map((r) => r.up)).toEqual(UPS);
      expect(s.res.headers.get('etag')).not.toBe(o.res.headers.get('etag'));
      first ??= o;
    }
    // The later rounds were answered from the response cache, and still never mixed.
    expect((await l1Hits()) - hits).toBeGreaterThanOrEqual(6);

    // ETags: a voter never gets a 304 for the other variant's answer.
    const openTag = first!.res.headers.get('etag')!;
    expect((await list(open, { 'if-none-match': openTag })).res.status).toBe(304);
    const switched = await list(sealed, { 'if-none-match': openTag });
    expect(switched.res.status).toBe(200);
    expect(isSealed(switched.rows)).toBe(true);

    // Over WebSocket (the guard's cached-read path), with each voter's cookies.
    const sockets = await Promise.all(
      [sealed, open].map((v) =>
        RawSocket.open(`${api.baseUrl.replace('http', 'ws')}/trpc`, { cookie: cookieHeader(v) }),
      ),
    );
    try {
      for (let i = 0; i < 3; i++) {
        const [s, o] = await Promise.all(
          sockets.map((ws) => ws.call('rankings.list', 'query', { sort: 'score' })),
        );
        const rows = (f: { result?: unknown } | undefined) =>
          (f?.result as { data: RankingListRow[] }).data;
        expect(isSealed(rows(s))).toBe(true);
        expect(isOpen(rows(o))).toBe(true);
      }
    } finally {
      for (const ws of sockets) ws.close();
    }
  });

  it('sends X-Accel-Expires on a variant read only when the fingerprint cookie matches', async () => {
    await set({ enabled: true, rolloutPercent: 50 });
    const sealed = await voterWith(true);
    const open = await voterWith(false);
    // flags.evaluate set each voter's fingerprint: 'sealed', or 'open' (a voter's is never empty).
    expect(sealed.cookies.get('llmpt_fv')).toBe('sealed');
    expect(open.cookies.get('llmpt_fv')).toBe('open');

    const matching = await list(sealed);
    expect(matching.res.headers.get('x-accel-expires')).toBe('1');
    expect(matching.setCookie).not.toContain('llmpt_fv');

    // The sealed voter without the cookie: not kept at the edge, and the cookie is set.
    const missing = await list(sealed, { cookie: cookieHeader(sealed, ['llmpt_fv']) });
    expect(isSealed(missing.rows)).toBe(true);
    expect(missing.res.headers.get('x-accel-expires')).toBeNull();
    expect(missing.setCookie).toMatch(/llmpt_fv=sealed;/);

    // An open voter claiming 'sealed': answered open, not kept, the cookie corrected.
    const claimed = await list(open, {
      cookie: cookieHeader(open, ['llmpt_fv'], { llmpt_fv: 'sealed' }),
    });
    expect(isOpen(claimed.rows)).toBe(true);
    expect(claimed.res.headers.get('x-accel-expires')).toBeNull();
    expect(claimed.setCookie).toMatch(/llmpt_fv=open;/);

    const plain = await list(open);
    expect(plain.res.headers.get('x-accel-expires')).toBe('1');
    expect(plain.setCookie).toBe('');

    // At 50 %, a cookieless reader is given a voter id (its variant depends on it), so its
    // answer is not kept at the edge.
    const first = await list(new Visitor(api.baseUrl));
    expect(first.res.headers.get('x-accel-expires')).toBeNull();
    expect(first.setCookie).toMatch(/vid=/);

    // With the flag off for everyone, a cookieless reader is not handed any cookie.
    await set({ enabled: false, rolloutPercent: 50 });
    const anonymous = await list(new Visitor(api.baseUrl));
    expect(isOpen(anonymous.rows)).toBe(true);
    expect(anonymous.res.headers.get('x-accel-expires')).toBe('1');
    expect(anonymous.setCookie).toBe('');
    // And a voter sealed a moment ago is answered open at once (the flags version is in the key).
    const unsealed = await list(sealed);
    expect(isOpen(unsealed.rows)).toBe(true);
    expect(unsealed.res.headers.get('x-accel-expires')).toBeNull();
    expect(unsealed.setCookie).toMatch(/llmpt_fv=open;/);
  });

  it('seals the live board room for a sealed voter (ws fan-out and SSE)', async () => {
    await set({ enabled: true, rolloutPercent: 50 });
    const sealed = await voterWith(true);
    const open = await voterWith(false);
    const snapshotOverWs = async (
      v: Visitor,
      path = 'rankings.live',
      input: object = { sort: 'score' },
    ) => {
      const ws = new WebSocket(`${api.baseUrl.replace('http', 'ws')}/trpc`, {
        headers: { cookie: cookieHeader(v) },
      });
      try {
        return await new Promise<RankingListRow[]>((resolve, reject) => {
          ws.on('error', reject);
          ws.on('open', () =>
            ws.send(
              JSON.stringify({
                id: 1,
                method: 'subscription',
                params: { path, input },
              }),
            ),
          );
          ws.on('message', (data: Buffer) => {
            const frame = JSON.parse(data.toString()) as {
              result?: {
                type: string;
                data?: { data: { type?: string; snapshot?: unknown; k?: string; e?: unknown[] } };
              };
            };
            const message = frame.result?.data?.data;
            if (message?.type === 'snapshot') {
              resolve((message.snapshot as { entries: RankingListRow[] }).entries);
            } else if (message?.k === 's') {
              // rankings.liveWindow's compact snapshot: entries of 7 values (live-wire.ts).
              const rows: RankingListRow[] = [];
              for (let i = 0; i < message.e!.length; i += 7) {
                const [, up, down, trending, rank, less, more] = message.e!.slice(i, i + 7);
                rows.push({ up, down, trending, rank, less, more } as unknown as RankingListRow);
              }
              resolve(rows);
            }
          });
        });
      } finally {
        ws.close();
      }
    };
    const snapshotOverSse = async (v: Visitor) => {
      const ctrl = new AbortController();
      const input = encodeURIComponent(JSON.stringify({ sort: 'score' }));
      const res = await v.fetch(`${api.baseUrl}/trpc/rankings.live?input=${input}`, {
        headers: { accept: 'text/event-stream' },
        signal: ctrl.signal,
      });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended before a snapshot');
          text += Buffer.from(value).toString('utf8');
          const line = text
            .split('\n')
            .find((l) => l.startsWith('data:') && l.includes('"snapshot"'));
          if (line) {
            const message = JSON.parse(line.slice(5)) as {
              snapshot: { entries: RankingListRow[] };
            };
            return message.snapshot.entries;
          }
        }
      } finally {
        ctrl.abort();
      }
    };
    const entryIsSealed = (e: RankingListRow) =>
      e.up === null && e.score === null && e.trending === null;
    for (const snapshot of [snapshotOverWs, snapshotOverSse]) {
      const s = await snapshot(sealed);
      const o = await snapshot(open);
      expect(s.length).toBeGreaterThan(0);
      expect(s.every(entryIsSealed)).toBe(true);
      expect(o.some(entryIsSealed)).toBe(false);
      expect(s.map((e) => JSON.stringify((e as unknown as RankingEntry).ranks))).toEqual(
        o.map((e) => JSON.stringify((e as unknown as RankingEntry).ranks)),
      );
      expect(o.some((e) => typeof e.trending === 'number' && e.trending !== 0)).toBe(true);
    }
    // The compact windowed feed: sealed entries carry no tally, trending or rank range.
    type Wire = { up: unknown; down: unknown; trending: unknown; rank: unknown; less: unknown };
    const windowed = async (v: Visitor) =>
      (await snapshotOverWs(v, 'rankings.liveWindow', {
        sort: 'score',
        window: { from: 1, to: 25 },
      })) as unknown as Wire[];
    const s = await windowed(sealed);
    const o = await windowed(open);
    expect(s.length).toBe(o.length);
    expect(s.every((e) => e.up === null && e.down === null && e.trending === null)).toBe(true);
    expect(s.every((e) => e.less === null)).toBe(true);
    expect(s.map((e) => e.rank)).toEqual(o.map((e) => e.rank));
    expect(o.filter((e) => typeof e.trending === 'number' && e.trending !== 0)).toHaveLength(
      UPS.length,
    );
    expect(o.some((e) => e.less !== null)).toBe(true);
  });

  it('rankings.revealed lists only the models the voter has voted on, with their tallies', async () => {
    await set({ enabled: true, rolloutPercent: 100 });
    const voter = new Visitor(api.baseUrl);
    const client = voter.client();
    expect(await client.rankings.revealed.query()).toEqual([]);
    await client.vote.cast.mutate({ llmId: ids[1]!, value: 1 });
    await client.vote.cast.mutate({ llmId: ids[2]!, value: -1 });
    const other = new Visitor(api.baseUrl).client();
    await other.vote.cast.mutate({ llmId: ids[1]!, value: 1 });
    await other.vote.cast.mutate({ llmId: ids[3]!, value: 1 });
    await client.vote.cast.mutate({ llmId: ids[2]!, value: 0 }); // retracted: no longer voted

    const revealed = await client.rankings.revealed.query();
    expect(revealed).toEqual([
      {
        llmId: ids[1]!,
        up: 2,
        down: 0,
        score: 2,
        wilson: wilsonLowerBound(2, 0),
        trending: trendingOf(UPS[1]!),
      },
    ]);
    // The board itself stays sealed for this voter.
    expect(isSealed(await client.rankings.list.query({ sort: 'score' }))).toBe(true);
    expect(await new Visitor(api.baseUrl).client().rankings.revealed.query()).toEqual([]);
  });
});
