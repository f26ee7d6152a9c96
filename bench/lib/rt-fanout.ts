/**
 * The three fan-out "sides" measured by the fanout and socketIoPeer scenarios, with the same
 * rounds, audience size and client processes:
 * - ours: real api processes (startBenchStack); a round casts one real vote and times its diff
 *   from the ranker's `at` (XADD) to every subscriber;
 * - raw: bench/servers/raw-ws-server.ts; a round PUBLISHes the captured diff frame on Redis;
 * - socketIo: bench/servers/socket-io-server.ts; a round emits the frame through the Redis
 *   adapter from a listener-less Socket.IO server in this process.
 * Every side is triggered through exactly one Redis hop and delivers the same frame bytes.
 * Every mode interleaves: every audience stays connected and rounds alternate between sides, so
 * load from other work on this shared 2-core machine hits all sides alike. --full holds 3 ×
 * 50,000 sockets: each side's client processes get source addresses of their own (one address's
 * ~28,000 ephemeral ports would not do for 3 × 12,500).
 */
import { parseDiffEntry, rankingsKeys } from '@llmpt/vote-store';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

import { castVote, lastStreamId, waitForSnapshot } from './rt-api.ts';
import { signedVoters } from './voters.ts';
import { calibrateClock, rssKB, sleep, summarize, wallNow } from './rt-measure.ts';
import { capturedFrame, markFrame, startPeerServers } from './rt-peers.ts';
import { startBenchStack } from './stack.ts';
import type { BenchContext, BenchOptions } from './types.ts';
import { type Arrivals, ClientPool, type Traffic } from './ws-client-pool.ts';

export interface FanoutParams {
  subscribers: number;
  /** Counted rounds per side (plus one warm-up round each). */
  rounds: number;
  /** Server processes per side (api, raw peer, Socket.IO peer), each ≤ ~17,000 sockets. */
  shards: number;
  clientProcesses: number;
  /** Source addresses, split evenly between the sides measured (one per client process). */
  localAddresses: string[];
}

export function fanoutParams(opts: Pick<BenchOptions, 'quick' | 'full' | 'tiny'>): FanoutParams {
  if (opts.tiny) {
    return {
      subscribers: 200,
      rounds: 2,
      shards: 1,
      clientProcesses: 1,
      localAddresses: [],
    };
  }
  if (opts.full) {
    return {
      subscribers: 50_000,
      rounds: 6,
      shards: 3,
      clientProcesses: 4,
      // 127.0.0.2–127.0.0.13: four for each side's four client processes.
      localAddresses: Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 2}`),
    };
  }
  return {
    subscribers: opts.quick ? 5_000 : 10_000,
    rounds: opts.quick ? 5 : 10,
    shards: 1,
    clientProcesses: 1,
    localAddresses: [],
  };
}

/** Timings of one side, ms: per (round, subscriber) pair, and per round to the last one. */
export interface Side {
  subscribers: number;
  /** Publish → arrival. */
  latencies: number[];
  /** Vote sent → arrival (ours only). */
  fromVote: number[];
  toLast: number[];
  /** Publish → arrival p50 of each counted round, in order (rounds interleave across sides). */
  roundP50s: number[];
  /** Deliveries that never came within DELIVER_TIMEOUT_MS. */
  missed: number;
  rssPerConnKB: number;
  /**
   * Wire bytes received per subscriber (counted at the clients, ours only): per counted round
   * (one vote each, from just before the vote to its diff on every screen), and per second from
   * the first counted round's start to the last one's end (rounds of the other sides between).
   */
  bytesPerSubscriberPerVote: number;
  bytesPerSubscriberPerSec: number;
}

export interface FanoutRun {
  params: FanoutParams;
  ours: Side | null;
  raw: Side | null;
  socketIo: Side | null;
  frame: string;
}

/** The last run in this process: socketIoPeer reports its Socket.IO side if fanout measured it. */
export const lastFanoutRun: { run: FanoutRun | null } = { run: null };

type SideName = 'ours' | 'raw' | 'socketIo';

interface SideRunner {
  side: Side;
  /** Round r; round 0 is a warm-up and is not counted. */
  round(r: number): Promise<void>;
  stop(): Promise<void>;
}

const DELIVER_TIMEOUT_MS = 15_000;
const NONE: Arrivals = { count: 0, times: [] };
const pause = () => sleep(300 + Math.random() * 250);

/** Measures the given sides; `ours` (when listed) comes first: it captures the frame. */
export async function measureFanout(
  ctx: BenchContext,
  p: FanoutParams,
  sides: SideName[],
): Promise<FanoutRun> {
  calibrateClock();
  const frame = () => capturedFrame.frame ?? FALLBACK_FRAME;
  // Each side's own share of the source addresses: its sockets never compete for ports.
  const share = Math.floor(p.localAddresses.length / sides.length);
  const start = (name: SideName) => {
    const i = sides.indexOf(name);
    const side = {
      ...p,
      localAddresses: share > 0 ? p.localAddresses.slice(i * share, (i + 1) * share) : [],
    };
    return name === 'ours'
      ? startOurs(ctx, side)
      : name === 'raw'
        ? startRaw(ctx, side, frame)
        : startSocketIo(ctx, side, frame);
  };
  const runners = new Map<SideName, SideRunner>();
  try {
    for (const name of sides) runners.set(name, await start(name));
    for (let r = 0; r <= p.rounds; r++) {
      for (const runner of runners.values()) await runner.round(r);
    }
  } finally {
    for (const runner of [...runners.values()].reverse()) await runner.stop();
  }
  const run: FanoutRun = {
    params: p,
    ours: runners.get('ours')?.side ?? null,
    raw: runners.get('raw')?.side ?? null,
    socketIo: runners.get('socketIo')?.side ?? null,
    frame: frame(),
  };
  lastFanoutRun.run = run;
  return run;
}

function record(side: Side, pool: ClientPool, arrivals: Arrivals, from: number, complete: boolean) {
  const times = arrivals.times.filter(Number.isFinite);
  const latencies = times.map((t) => t - from);
  side.latencies.push(...latencies);
  side.roundP50s.push(summarize(latencies).p50);
  side.toLast.push(complete ? times.reduce((a, b) => Math.max(a, b), 0) - from : NaN);
  side.missed += pool.subscribed - arrivals.count;
  return times;
}

function newSide(pool: ClientPool, rssPerConnKB: number): Side {
  return {
    subscribers: pool.subscribed,
    latencies: [],
    fromVote: [],
    toLast: [],
    roundP50s: [],
    missed: 0,
    rssPerConnKB,
    bytesPerSubscriberPerVote: NaN,
    bytesPerSubscriberPerSec: NaN,
  };
}

/** Subscribers for one side, and its servers' RSS growth per connection. */
async function connect(
  ctx: BenchContext,
  p: FanoutParams,
  mode: 'trpc' | 'raw' | 'sio',
  urls: string[],
  serverPids: number[],
): Promise<{ pool: ClientPool; rssPerConnKB: number }> {
  await sleep(500);
  const rssBefore = rssKB(serverPids);
  const pool = await ClientPool.start({
    mode,
    urls,
    total: p.subscribers,
    processes: p.clientProcesses,
    localAddresses: p.localAddresses,
    log: (m) => ctx.log(`fanout: ${m}`),
  });
  await sleep(1000);
  if (pool.maxSkewMs > 2)
    ctx.log(
      `fanout: the system clock moved ${pool.maxSkewMs.toFixed(1)} ms while subscribing (wallNow follows it)`,
    );
  return { pool, rssPerConnKB: (rssKB(serverPids) - rssBefore) / pool.subscribed };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn());
}

async function startOurs(ctx: BenchContext, p: FanoutParams): Promise<SideRunner> {
  const stack = await startBenchStack(ctx, { apis: p.shards, workers: 1 });
  const redis = new Redis(ctx.redisUrl);
  const blocking = redis.duplicate();
  let pool: ClientPool | null = null;
  const stop = once(async () => {
    await pool?.stop();
    redis.disconnect();
    blocking.disconnect();
    await stack.stop();
  });
  try {
    const keys = rankingsKeys(stack.prefix);
    const snapshot = await waitForSnapshot(redis, keys);
    // +1 on the board's #1 keeps every rank: the diff holds that one entry.
    const top = snapshot.entries.find((e) => e.ranks.score === 1) ?? snapshot.entries[0]!;
    const voters = signedVoters(stack.env.VOTER_COOKIE_SECRET!, p.rounds + 1);
    const wsUrls = stack.apiUrls.map((u) => `${u.replace(/^http/, 'ws')}/trpc`);
    const apiPids = stack.apis.map((c) => c.pid ?? -1);
    const connected = await connect(ctx, p, 'trpc', wsUrls, apiPids);
    const subscribers = (pool = connected.pool);
    const side = newSide(subscribers, connected.rssPerConnKB);
    let first: { traffic: Traffic } | null = null;
    let roundBytes = 0;
    const round = async (r: number) => {
      if (r === 1) first = { traffic: await subscribers.traffic() };
      await pause();
      const after = await lastStreamId(redis, keys.diffs);
      const before = r > 0 ? await subscribers.traffic() : null;
      const t0 = wallNow();
      await castVote(stack.apiUrls[r % stack.apiUrls.length]!, voters[r]!, top.llmId, 1);
      const reply = await blocking.xread('BLOCK', 5000, 'STREAMS', keys.diffs, after);
      const entry = reply?.[0]?.[1][0];
      if (!entry) throw new Error('fanout: the vote produced no diff within 5 s');
      const diff = parseDiffEntry(entry);
      const complete = await subscribers.waitFor(diff.id, DELIVER_TIMEOUT_MS);
      const arrivals = (await subscribers.collect([diff.id])).get(diff.id) ?? NONE;
      if (r === 0) {
        capturedFrame.frame = await subscribers.frame(diff.id);
        return;
      }
      // `at` is Date.now(), the floor of the publish time: take the middle of its millisecond.
      const times = record(side, subscribers, arrivals, diff.at + 0.5, complete);
      side.fromVote.push(...times.map((t) => t - t0));
      const now = await subscribers.traffic();
      roundBytes += now.bytes - before!.bytes;
      side.bytesPerSubscriberPerVote = roundBytes / Math.max(1, now.live) / r;
      if (first)
        side.bytesPerSubscriberPerSec =
          (now.bytes - first.traffic.bytes) / (now.liveSeconds - first.traffic.liveSeconds);
    };
    return { side, round, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startRaw(
  ctx: BenchContext,
  p: FanoutParams,
  frame: () => string,
): Promise<SideRunner> {
  const channel = `bench:rawfanout:${process.pid}:${Date.now()}`;
  const peers = await startPeerServers('raw-ws-server.ts', p.shards, {
    redisUrl: ctx.redisUrl,
    channel,
  });
  const redis = new Redis(ctx.redisUrl);
  let pool: ClientPool | null = null;
  const stop = once(async () => {
    await pool?.stop();
    redis.disconnect();
    await peers.stop();
  });
  try {
    const connected = await connect(ctx, p, 'raw', peers.urls, peers.pids);
    const subscribers = (pool = connected.pool);
    const side = newSide(subscribers, connected.rssPerConnKB);
    const round = async (r: number) => {
      await pause();
      const { key, payload } = markFrame(frame(), r);
      const t0 = wallNow();
      await redis.publish(channel, payload);
      const complete = await subscribers.waitFor(key, DELIVER_TIMEOUT_MS);
      const arrivals = (await subscribers.collect([key])).get(key) ?? NONE;
      if (r > 0) record(side, subscribers, arrivals, t0, complete);
    };
    return { side, round, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startSocketIo(
  ctx: BenchContext,
  p: FanoutParams,
  frame: () => string,
): Promise<SideRunner> {
  const key = `bench:sio:${process.pid}:${Date.now()}`;
  const servers = await startPeerServers('socket-io-server.ts', p.shards, {
    redisUrl: ctx.redisUrl,
    key,
  });
  const pub = new Redis(ctx.redisUrl);
  const sub = pub.duplicate();
  // Emits only: no HTTP server, no clients of its own; the adapter carries it to the servers.
  const emitter = new Server({ adapter: createAdapter(pub, sub, { key }) });
  let pool: ClientPool | null = null;
  const stop = once(async () => {
    await pool?.stop();
    await emitter.close().catch(() => undefined);
    pub.disconnect();
    sub.disconnect();
    await servers.stop();
  });
  try {
    const connected = await connect(ctx, p, 'sio', servers.urls, servers.pids);
    const subscribers = (pool = connected.pool);
    const side = newSide(subscribers, connected.rssPerConnKB);
    const round = async (r: number) => {
      await pause();
      const marked = markFrame(frame(), r);
      const payload = JSON.parse(marked.payload) as unknown;
      const t0 = wallNow();
      emitter.to('rankings').emit('diff', payload);
      const complete = await subscribers.waitFor(marked.key, DELIVER_TIMEOUT_MS);
      const arrivals = (await subscribers.collect([marked.key])).get(marked.key) ?? NONE;
      if (r > 0) record(side, subscribers, arrivals, t0, complete);
    };
    return { side, round, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A real one-entry diff frame (rankings.live, board `score`) captured from a fanout run; the
 * peers use it only when ours did not run first in this process.
 */
export const FALLBACK_FRAME =
  '{"id":1,"result":{"type":"data","id":"1795772901850-0","data":{"id":"1795772901850-0","data":{"type":"diff","diff":{"id":"1795772901850-0","at":1795772901850,"entries":[{"llmId":"claude-2","up":1,"down":0,"score":1,"wilson":0.20654931179180275,"ranks":{"score":1}}]}}}}}';
