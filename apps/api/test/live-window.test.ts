import {
  LIVE_OUTSIDE_WINDOW_MS,
  type Llm,
  type LiveMessage,
  type LiveWindow,
  LiveWireDecoder,
  type LiveWireEntry,
  type LiveWireMessage,
  type RankingEntry,
  computeEntries,
  diffEntries,
  inWindow,
  isLiveWireMessage,
  rankRanges,
} from '@llmpt/shared';
import { publishRankings, rankingsKeys } from '@llmpt/vote-store';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { boardFilter, liveWireMessages } from '../src/realtime/live-messages.ts';
import type { AppRouter } from '../src/routers/index.ts';
import { type TestApi, startTestApi } from './helpers.ts';

/**
 * Issue 16: the compact, windowed live board (`rankings.liveWindow`). A page-equivalent client
 * (the stock tRPC ws client and the shared decoder, entries replaced as the page's merge does)
 * follows a ranked board of every seeded model through scripted diffs; the in-process generator
 * (the SSE path) follows the same board. Real api, real Redis, the ranker's publish script.
 */

let api: TestApi;
let llms: Llm[];
const tallies = new Map<string, { up: number; down: number }>();
let current = new Map<string, RankingEntry>();

beforeAll(async () => {
  api = await startTestApi();
  llms = await api.deps.catalogue.all();
});
afterAll(async () => {
  await api?.close();
});

/** Seeded randomness, so a failure replays. */
let seed = 16;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

/**
 * One ranker tick: `votes` uniform random votes (70 % up) over the catalogue; ranks by the shared
 * rules; publishes the changed entries and the snapshot by the ranker's own script.
 */
async function tick(
  votes: number,
  among: readonly Llm[] = llms,
  /** Every trending value moves (as time decay moves them under steady voting). */
  decay = 0,
): Promise<string> {
  for (let i = 0; i < votes; i++) {
    const llm = among[Math.floor(random() * among.length)]!;
    const t = tallies.get(llm.id) ?? { up: 0, down: 0 };
    if (random() < 0.7) t.up++;
    else t.down++;
    tallies.set(llm.id, t);
  }
  // Derived from the tally here, so a model nobody voted on stays out of the diff.
  const trending = new Map([...tallies].map(([id, t]) => [id, (t.up - t.down) * 0.37 - decay]));
  const entries = computeEntries(llms, tallies, { minVotes: 1, trending });
  const changed = diffEntries(current, entries);
  current = new Map(entries.map((e) => [e.llmId, e]));
  const at = Date.now();
  const id = await publishRankings(
    api.deps.redis,
    rankingsKeys(api.deps.env.REDIS_PREFIX),
    { at, entries: changed },
    { at, entries },
  );
  await until(() => api.deps.feed.id === id, 'the feed to follow');
  return id;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The sort the test follows (each test sets it). */
let sort: 'score' | 'wilson' = 'score';

/** The server's board as the page must show it: ranges by the shared rule. */
function serverBoard(): Map<string, LiveWireEntry> {
  const rows = [...current.values()].map((e) => ({ ...e, rank: e.ranks[sort] ?? null }));
  const ranges = rankRanges(sort, rows);
  return new Map(
    rows.map((e, i) => [
      e.llmId,
      {
        llmId: e.llmId,
        up: e.up,
        down: e.down,
        score: e.score,
        wilson: e.wilson,
        trending: e.trending,
        ranks: { [sort]: e.rank },
        rankRange: ranges[i] ?? null,
      },
    ]),
  );
}

/** What a page holds: the decoder's entries, replaced per model; a snapshot starts over. */
class PageBoard {
  held = new Map<string, LiveWireEntry>();
  lastId: string | null = null;
  messages = 0;
  snapshots = 0;
  private decoder = new LiveWireDecoder(sort);

  reset(): void {
    this.decoder = new LiveWireDecoder(sort);
  }

  apply(id: string, data: LiveWireMessage | LiveMessage): void {
    if (!isLiveWireMessage(data)) {
      expect(data.type).toBe('config');
      return;
    }
    const m = this.decoder.decode(id, data);
    if (m.type === 'snapshot') {
      this.held.clear();
      this.snapshots++;
    }
    const entries = m.type === 'snapshot' ? m.snapshot.entries : m.diff.entries;
    for (const e of entries) this.held.set(e.llmId, e as LiveWireEntry);
    this.lastId = id;
    this.messages++;
  }

  /**
   * Every model the window shows equals the server's (numbers, rank and rank range): the
   * server's models in the window, and the models the page would list there (none stale).
   */
  expectWindowCurrent(window: LiveWindow): void {
    const board = serverBoard();
    const shows = (entries: Map<string, LiveWireEntry>) => {
      const ranked = [...entries.values()].filter((e) => e.ranks[sort] !== null).length;
      return [...entries.values()]
        .filter((e) => inWindow(window, e.ranks[sort] ?? null, ranked))
        .map((e) => e.llmId);
    };
    const ids = new Set([...shows(board), ...shows(this.held)]);
    expect(ids.size).toBeGreaterThan(0);
    for (const id of ids) expect(this.held.get(id)).toEqual(board.get(id));
  }

  expectAllCurrent(): void {
    expect(Object.fromEntries(this.held)).toEqual(Object.fromEntries(serverBoard()));
  }
}

function wsClient() {
  const client = createWSClient({
    url: api.baseUrl.replace('http', 'ws') + '/trpc',
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 100,
  });
  return { client, trpc: createTRPCClient<AppRouter>({ links: [wsLink({ client })] }) };
}

describe('rankings.liveWindow (compact, windowed)', () => {
  it.each(['score', 'wilson'] as const)(
    'board %s: every number in the window is current each tick; the board ends equal to the server, across a resume and a window change',
    async (followed) => {
      sort = followed;
      // A first board with every model voted on.
      await tick(3_000);
      const { client, trpc } = wsClient();
      const page = new PageBoard();
      let window: LiveWindow = { from: 1, to: 25 };
      const subscribe = () => {
        page.reset();
        return trpc.rankings.liveWindow.subscribe(
          { sort, window, ...(page.lastId ? { lastEventId: page.lastId } : {}) },
          { onData: (d) => page.apply(d.id, d.data) },
        );
      };
      let sub = subscribe();
      await until(() => page.messages === 1, 'the snapshot');
      page.expectAllCurrent();

      // The SSE / in-process path: the generator, one per subscriber, the same wire form.
      const ac = new AbortController();
      const sse = new PageBoard();
      const filter = boardFilter(sort);
      const generator = liveWireMessages(
        api.deps.feed,
        sort,
        filter,
        { from: 1, to: 25 },
        ac.signal,
        {
          metrics: api.deps.metrics,
        },
      );
      const consumed = (async () => {
        for await (const [id, data] of generator) sse.apply(id, data);
      })();

      let entered = 0;
      for (let i = 0; i < 40; i++) {
        const before = serverBoard();
        // Uniform voting with bursts on a few models, so models jump in and out of the window;
        // every third tick only models just below the window get votes (their intervals move
        // the rank ranges of models in the window, which themselves don't change).
        const below = llms.filter((l) => {
          const rank = current.get(l.id)?.ranks[sort] ?? 0;
          return rank > window.to && rank <= window.to + 20;
        });
        const id = i % 3 === 2 ? await tick(20, below) : await tick(200);
        for (let j = 0; j < 3; j++) {
          const lucky = llms[Math.floor(random() * llms.length)]!;
          tallies.get(lucky.id)!.up += Math.floor(random() * 300);
        }
        const after = serverBoard();
        for (const [llmId, e] of after) {
          const was = before.get(llmId)?.ranks[sort] ?? null;
          const now = e.ranks[sort] ?? null;
          if ((was === null || was > 25) && now !== null && now <= 25) entered++;
        }
        await until(() => page.lastId === id && sse.lastId === id, `diff ${i} on both paths`);
        page.expectWindowCurrent(window);
        sse.expectWindowCurrent({ from: 1, to: 25 });

        if (i === 15) {
          // Away for a while: the page resumes with its last id (a fresh compact snapshot).
          sub.unsubscribe();
          await tick(500);
          await tick(500);
          const snapshots = page.snapshots;
          sub = subscribe();
          await until(() => page.snapshots > snapshots, 'the resume');
          page.expectAllCurrent();
        }
        if (i === 28) {
          // The voter scrolled: a new window, a new room.
          sub.unsubscribe();
          window = { from: 26, to: 50 };
          const snapshots = page.snapshots;
          sub = subscribe();
          await until(() => page.snapshots > snapshots, 'the new window');
          page.expectAllCurrent();
        }
      }
      expect(entered).toBeGreaterThan(3);

      // Last, ticks that change only a few models: what they move elsewhere (ranks, ranges)
      // must still reach the page.
      await tick(10, llms.slice(0, 5));
      await tick(10, llms.slice(5, 10));

      // After the last diff, held-back entries arrive within LIVE_OUTSIDE_WINDOW_MS: the whole
      // board ends exactly equal to the server's, on both paths.
      const settled = () => {
        try {
          page.expectAllCurrent();
          sse.expectAllCurrent();
          return true;
        } catch {
          return false;
        }
      };
      await until(settled, 'the held-back entries', LIVE_OUTSIDE_WINDOW_MS + 5_000);
      page.expectAllCurrent();
      sse.expectAllCurrent();

      sub.unsubscribe();
      ac.abort();
      // Wake the generator so it sees the abort.
      await tick(10);
      await consumed;
      await client.close();
      await until(() => api.ws.liveSubscriptions() === 0, 'subscriptions to close');
    },
    60_000,
  );

  it('a subscriber of the top 25 gets ≤ 2 KB/s under a uniform 5,000 votes/s burst at the ranker pace (bytes counted, verbose for comparison)', async () => {
    sort = 'score';
    // The ranker's pace under that load: ~100 changed entries per diff, 150 entries/s.
    const tickMs = 680;
    const votesPerTick = Math.round((5_000 * tickMs) / 1_000);
    await tick(votesPerTick, llms, 0);
    const url = api.baseUrl.replace('http', 'ws') + '/trpc';
    const counter = (path: string, input: object) => {
      const socket = new WebSocket(url);
      const c = { socket, bytes: 0, frames: 0, first: 0 };
      socket.on('open', () =>
        socket.send(JSON.stringify({ id: 1, method: 'subscription', params: { path, input } })),
      );
      socket.on('message', (data: Buffer) => {
        // Wire size: payload and the server's (unmasked) frame header.
        const n = data.length;
        const size = n + (n < 126 ? 2 : n < 65_536 ? 4 : 10);
        if (data.includes('"type":"data"')) {
          if (c.frames++ < 2) c.first += size; // the snapshot and the config message
          c.bytes += size;
        }
      });
      return c;
    };
    const compact = counter('rankings.liveWindow', { sort: 'score', window: { from: 1, to: 25 } });
    const verbose = counter('rankings.live', { sort: 'score' });
    await until(() => compact.frames >= 2 && verbose.frames >= 2, 'both snapshots');
    const from = { compact: compact.bytes, verbose: verbose.bytes, at: Date.now() };
    let entries = 0;
    for (let i = 1; i <= 22; i++) {
      const started = Date.now();
      const before = new Map(current);
      await tick(votesPerTick, llms, i * 0.01);
      entries += [...current.values()].filter((e) => before.get(e.llmId) !== e).length;
      await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - started))));
    }
    const seconds = (Date.now() - from.at) / 1_000;
    const perSecond = (c: typeof compact, start: number) => (c.bytes - start) / seconds;
    const compactRate = perSecond(compact, from.compact);
    const verboseRate = perSecond(verbose, from.verbose);
    console.info(
      `bytes per subscriber: compact top-25 ${compactRate.toFixed(0)} B/s (snapshot+config ` +
        `${compact.first} B), verbose ${verboseRate.toFixed(0)} B/s; ` +
        `${(entries / seconds).toFixed(0)} entries/s over ${seconds.toFixed(1)} s`,
    );
    expect(entries / seconds).toBeGreaterThan(120);
    expect(verboseRate).toBeGreaterThan(10_000);
    expect(compactRate).toBeLessThanOrEqual(2_048);
    compact.socket.close();
    verbose.socket.close();
    await until(() => api.ws.liveSubscriptions() === 0, 'subscriptions to close');
  }, 60_000);

  it('refuses a bad window before any work', async () => {
    const { client, trpc } = wsClient();
    const error = await new Promise<unknown>((resolve) => {
      trpc.rankings.liveWindow.subscribe(
        { sort: 'score', window: { from: 30, to: 10 } },
        { onError: resolve, onData: () => resolve(new Error('got data')) },
      );
    });
    expect(String(error)).toMatch(/window\.from must not exceed window\.to|Invalid input/);
    expect(api.ws.liveSubscriptions()).toBe(0);
    await client.close();
  });
});
