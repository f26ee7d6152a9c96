/**
 * flatCost: is the api's cost per live subscriber flat as subscribers grow? The same rounds at
 * two audience sizes (default and --full: 10,000 then 50,000; --quick: 5,000 then 15,000),
 * each on a fresh stack of `apis` api processes (subscribers spread evenly over them) and a
 * worker, clients in processes of ≤ 15,000 sockets from source addresses 127.0.0.20–23.
 *
 * Per size, two kinds of round, `rounds` of each (after a random 300–550 ms pause):
 * - one-entry: one fresh voter's +1 on the board's #1 model (the diff holds that one entry);
 * - whole-board: a fresh voter's +1 on every model (the next diff or two hold ~every entry,
 *   as under a uniform vote load: the frame endToEnd's subscribers get).
 * A round runs from just before its votes until every subscriber holds every diff published
 * meanwhile (1.1 s after the last vote's answer, past the ranker's longest paced tick). The same
 * rounds first run with NO subscriber on the same stack: the fixed part (the votes, the feed
 * follower, the projection per room), taken off.
 *
 * Definitions (api CPU from /proc/<pid>/stat over the api processes):
 * - cpuUsPerSubscriberDiffA/B: (api CPU of the whole-board rounds − the same rounds without
 *   subscribers) / data messages the subscribers received in them (counted at the clients):
 *   µs per delivered diff per subscriber. oneEntry…: the same for one-entry rounds.
 * - diffWireBytesA/B, oneEntryDiffWireBytesA/B: wire bytes per delivered data message.
 * - rssPerConnKBA/B: (the api processes' VmRSS 1 s after every client subscribed − before any
 *   connection) / subscribers.
 * - cpuFlatness, oneEntryCpuFlatness, rssFlatness: B's figure / A's (1.0: flat).
 * - missed: rounds whose last diff did not reach every subscriber within 30 s (summed).
 * - subscriberDisconnectsA/B: subscribers closed by the server (e.g. more than 4 MiB behind).
 */
import { rankingsKeys } from '@llmpt/vote-store';
import { Redis } from 'ioredis';

import { castVote, lastStreamId, waitForSnapshot } from '../lib/rt-api.ts';
import { fig, procCpuMs, rssKB, sleep } from '../lib/rt-measure.ts';
import { startBenchStack } from '../lib/stack.ts';
import type { BenchContext, BenchOptions, Scenario, ScenarioResult } from '../lib/types.ts';
import { signedVoters } from '../lib/voters.ts';
import { ClientPool, MAX_SOCKETS_PER_PROCESS, type Traffic } from '../lib/ws-client-pool.ts';

export interface FlatCostParams {
  sizes: [number, number];
  apis: number;
  /** Counted rounds of each kind, per size. */
  rounds: number;
  /** An uncounted round of each kind first (JIT, connections). */
  warmup: boolean;
}

export function flatCostParams(
  opts: Pick<BenchOptions, 'quick' | 'full' | 'tiny'>,
): FlatCostParams {
  if (opts.tiny) return { sizes: [100, 300], apis: 2, rounds: 1, warmup: false };
  if (opts.quick) return { sizes: [5_000, 15_000], apis: 3, rounds: 2, warmup: true };
  return { sizes: [10_000, 50_000], apis: 3, rounds: opts.full ? 5 : 3, warmup: true };
}

const LOCAL_ADDRESSES = ['127.0.0.20', '127.0.0.21', '127.0.0.22', '127.0.0.23'];
const DELIVER_TIMEOUT_MS = 30_000;
/** Past RANKER_MAX_TICK_MS (1 s): every diff of a round's votes is published by then. */
const SETTLE_MS = 1_100;

type Kind = 'oneEntry' | 'wholeBoard';

interface RoundTotals {
  cpuMs: number;
  dataMessages: number;
  bytes: number;
}

interface SizeFigures {
  subscribers: number;
  rssPerConnKB: number;
  perKind: Record<Kind, { cpuUsPerSubscriberDiff: number; wireBytesPerDiff: number }>;
  missed: number;
  disconnects: number;
}

const cpuMs = (pids: number[]) => pids.reduce((s, pid) => s + (procCpuMs(pid) ?? 0), 0);

async function measureSize(
  ctx: BenchContext,
  p: FlatCostParams,
  size: number,
): Promise<SizeFigures> {
  const stack = await startBenchStack(ctx, { apis: p.apis, workers: 1 });
  const redis = new Redis(ctx.redisUrl);
  let pool: ClientPool | null = null;
  try {
    const keys = rankingsKeys(stack.prefix);
    const snapshot = await waitForSnapshot(redis, keys);
    const models = snapshot.entries.map((e) => e.llmId);
    const top = snapshot.entries.find((e) => e.ranks.score === 1)?.llmId ?? models[0]!;
    const apiPids = stack.apis.map((c) => c.pid ?? -1);
    const perRound = { oneEntry: 1, wholeBoard: models.length };
    const voters = signedVoters(
      stack.env.VOTER_COOKIE_SECRET!,
      2 * (p.rounds + 1) * (perRound.oneEntry + perRound.wholeBoard),
    );
    let nextVoter = 0;

    /** One round; with a pool, until every subscriber holds every diff it caused. */
    const round = async (kind: Kind, r: number, subs: ClientPool | null) => {
      await sleep(300 + Math.random() * 250);
      const after = await lastStreamId(redis, keys.diffs);
      const before = subs ? await subs.traffic() : null;
      const cpu0 = cpuMs(apiPids);
      const targets = kind === 'oneEntry' ? [top] : models;
      const url = (i: number) => stack.apiUrls[(r + i) % stack.apiUrls.length]!;
      // 16 at a time: the votes of a round land within one or two ranker ticks.
      for (let i = 0; i < targets.length; i += 16) {
        await Promise.all(
          targets.slice(i, i + 16).map((m, j) => castVote(url(i + j), voters[nextVoter++]!, m, 1)),
        );
      }
      await sleep(SETTLE_MS);
      const ids = (await redis.xrange(keys.diffs, `(${after}`, '+')).map(([id]) => id);
      let missed = 0;
      if (subs && ids.length > 0) {
        if (!(await subs.waitFor(ids.at(-1)!, DELIVER_TIMEOUT_MS))) missed++;
      } else {
        await sleep(300); // the feed followers take the diffs in
      }
      const cpu = cpuMs(apiPids) - cpu0;
      const now = subs ? await subs.traffic() : null;
      return {
        cpuMs: cpu,
        dataMessages: now && before ? now.dataMessages - before.dataMessages : 0,
        bytes: now && before ? now.bytes - before.bytes : 0,
        missed,
      };
    };
    const rounds = async (
      kind: Kind,
      subs: ClientPool | null,
    ): Promise<RoundTotals & { missed: number }> => {
      const t = { cpuMs: 0, dataMessages: 0, bytes: 0, missed: 0 };
      if (p.warmup) await round(kind, 0, subs); // not counted
      for (let r = 1; r <= p.rounds; r++) {
        const one = await round(kind, r, subs);
        t.cpuMs += one.cpuMs;
        t.dataMessages += one.dataMessages;
        t.bytes += one.bytes;
        t.missed += one.missed;
      }
      return t;
    };

    const fixed = {
      oneEntry: await rounds('oneEntry', null),
      wholeBoard: await rounds('wholeBoard', null),
    };
    await sleep(500);
    const rssBefore = rssKB(apiPids);
    pool = await ClientPool.start({
      mode: 'trpc',
      urls: stack.apiUrls.map((u) => `${u.replace(/^http/, 'ws')}/trpc`),
      total: size,
      processes: Math.ceil(size / MAX_SOCKETS_PER_PROCESS),
      localAddresses: LOCAL_ADDRESSES,
      sample: 100,
      // 50,000 handshakes on a busy 2-core machine take minutes.
      connectTimeoutMs: 120_000,
      log: (m) => ctx.log(`flatCost: ${m}`),
    });
    await sleep(1000);
    const rssPerConnKB = (rssKB(apiPids) - rssBefore) / pool.subscribed;
    const figures = (kind: Kind, t: RoundTotals, base: RoundTotals) => ({
      cpuUsPerSubscriberDiff: ((t.cpuMs - base.cpuMs) * 1000) / Math.max(1, t.dataMessages),
      wireBytesPerDiff: t.bytes / Math.max(1, t.dataMessages),
    });
    const one = await rounds('oneEntry', pool);
    const whole = await rounds('wholeBoard', pool);
    const traffic: Traffic = await pool.traffic();
    ctx.log(
      `flatCost: ${size} subscribers: ${traffic.live} live at the end; data messages per ` +
        `subscriber per round: one-entry ${(one.dataMessages / traffic.live / p.rounds).toFixed(2)},` +
        ` whole-board ${(whole.dataMessages / traffic.live / p.rounds).toFixed(2)}`,
    );
    const subscribed = pool.subscribed;
    const { closedEarly } = await pool.stop();
    pool = null;
    return {
      subscribers: subscribed,
      rssPerConnKB,
      perKind: {
        oneEntry: figures('oneEntry', one, fixed.oneEntry),
        wholeBoard: figures('wholeBoard', whole, fixed.wholeBoard),
      },
      missed: one.missed + whole.missed,
      disconnects: closedEarly,
    };
  } finally {
    await pool?.stop();
    redis.disconnect();
    await stack.stop();
  }
}

export async function runFlatCost(ctx: BenchContext, p: FlatCostParams): Promise<ScenarioResult> {
  const a = await measureSize(ctx, p, p.sizes[0]);
  const b = await measureSize(ctx, p, p.sizes[1]);
  const cpu = (s: SizeFigures, k: Kind) => s.perKind[k].cpuUsPerSubscriberDiff;
  const bytes = (s: SizeFigures, k: Kind) => s.perKind[k].wireBytesPerDiff;
  return {
    apiProcesses: p.apis,
    rounds: p.rounds,
    subscribersA: a.subscribers,
    subscribersB: b.subscribers,
    cpuUsPerSubscriberDiffA: fig(cpu(a, 'wholeBoard'), 2),
    cpuUsPerSubscriberDiffB: fig(cpu(b, 'wholeBoard'), 2),
    diffWireBytesA: fig(bytes(a, 'wholeBoard'), 0),
    diffWireBytesB: fig(bytes(b, 'wholeBoard'), 0),
    oneEntryCpuUsPerSubscriberDiffA: fig(cpu(a, 'oneEntry'), 2),
    oneEntryCpuUsPerSubscriberDiffB: fig(cpu(b, 'oneEntry'), 2),
    oneEntryDiffWireBytesA: fig(bytes(a, 'oneEntry'), 0),
    oneEntryDiffWireBytesB: fig(bytes(b, 'oneEntry'), 0),
    rssPerConnKBA: fig(a.rssPerConnKB),
    rssPerConnKBB: fig(b.rssPerConnKB),
    cpuFlatness: fig(cpu(b, 'wholeBoard') / cpu(a, 'wholeBoard'), 2),
    oneEntryCpuFlatness: fig(cpu(b, 'oneEntry') / cpu(a, 'oneEntry'), 2),
    rssFlatness: fig(b.rssPerConnKB / a.rssPerConnKB, 2),
    missed: a.missed + b.missed,
    subscriberDisconnectsA: a.disconnects,
    subscriberDisconnectsB: b.disconnects,
  };
}

export const scenario: Scenario = {
  name: 'flatCost',
  describe:
    'api CPU per delivered diff per subscriber and RSS per connection at two audience sizes over several api processes',
  // Two stacks, 10,000 then 50,000 handshakes and their rounds: more than a scenario's 600 s
  // when the machine is busy.
  timeLimitSec: (opts) => (opts.tiny || opts.quick ? 0 : 1500),
  run: (ctx) => runFlatCost(ctx, flatCostParams(ctx.opts)),
};
