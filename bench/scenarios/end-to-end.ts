/**
 * endToEnd: the whole product under a sustained vote load with a live audience. Real api and
 * worker processes (flush jobs + ranker at its default 250 ms tick) on a fresh database and Redis
 * prefix; N subscribers holding the leaderboard page's own subscription (`rankings.liveWindow`,
 * ranks 1-25) and 1,000 more holding the verbose `rankings.live` (they carry the vote-to-screen
 * probes), in client processes; an open-loop generator
 * (bench/clients/vote-load.ts, its own process) targeting `targetVotesPerSec` for `durationS`
 * after `warmupS` at the same rate that is not counted (3 s; 5 s by default).
 * Default: 10,000 page subscribers (+ 1,000 probe subscribers), 5,000 votes/s, 60 s; --quick:
 * 5,000 (+ 1,000), 20 s. Until issue 14's last round the 10,000 held the verbose feed, which the
 * page stopped holding in issue 16 (11× the bytes): the audience is now what users' pages hold.
 * The api runs with WEB_CONCURRENCY=2 (two processes on one port): measured here with --quick
 * figures, one process reached 723 votes/s, vote→screen p99 2.6 s, its event loop blocked up to
 * 1.6 s by the fan-out of ~9 KB diffs to 5,000 sockets; two reached 2,401 votes/s, p99 680 ms
 * (machine shared with other work, load average ~8 both times).
 *
 * Definitions:
 * - votesPerSec: 2xx answers to vote.cast / window length (what was reached, not the target).
 * - errors: non-2xx answers + socket errors + requests still unanswered 2 s after the window.
 * - unsent: send slots dropped after waiting 1 s for a free connection (64 keep-alive
 *   connections): the server fell behind the open-loop schedule. Not errors, a shortfall.
 *   unsentSeconds: the window's seconds in which slots were dropped. queuedAtClose: slots due in
 *   the window but still queued when it closed (sent after it under the same 1 s rule; until
 *   issue 14's last round they were all counted unsent, though none had waited 1 s).
 * - voteP50Ms / voteP99Ms: vote.cast latency from the slot's due time (queueing included, so
 *   near 1 s, the queue's cap, whenever the target is not reached); voteServiceP99Ms: from the
 *   actual send.
 * - voteToScreenP50Ms / P99Ms: every 200 ms a probe voter (fresh cookie) casts +1 on a probe
 *   model the generator never touches; its acknowledged `up` count U identifies the first diff
 *   (read back from the rankings stream) whose entry for that model has up ≥ U. Per probe: from
 *   just before the POST to the moment the LAST of ~1,000 sampled subscribers received that diff.
 *   Quantiles (nearest rank) over probes. voteToScreenPerSubscriberP99Ms: the same over every
 *   (probe, sampled subscriber) pair. screenMisses: pairs never delivered.
 * - flushLagP99Ms / flushLagMaxMs: every 500 ms, the age of the oldest vote event still in any
 *   partition's outbox (flushed entries are XDEL'd, so the first entry is the oldest unflushed;
 *   what the worker's outbox_lag_seconds reports), p99 / max over the window. flushDrainMs: after
 *   the window, until every outbox is empty.
 * - apiCpuPct / workerCpuPct / serverCpuPct: (utime + stime) deltas from /proc/<pid>/stat over
 *   the window / wall time × 100 (100 = one core), summed over the api processes (the
 *   node:cluster primary and its workers with WEB_CONCURRENCY > 1), the worker, both.
 *   clientCpuPct: the subscriber and load processes (they share the same 2 cores).
 * - apiPeakRssMB / workerPeakRssMB: VmHWM from /proc/<pid>/status (largest api process).
 * - diffsPerSec, avgDiffEntries, avgDiffFrameKB (the frame a verbose subscriber gets, rebuilt
 *   from the stream); fanoutMBPerSec: the wire bytes every subscriber received over the window
 *   (both groups, counted at the clients), per second: what the api wrote.
 * - bytesPerSubscriberPerSec: wire bytes (WebSocket frames: payload + header, diffs and
 *   keep-alives) the probe subscribers received over the window, counted at the clients, / the
 *   subscribers' live socket-seconds over it (∫ live subscribers dt: one that dropped counts
 *   for the time it was connected); bytesPerSubscriberPerVote = that / votesPerSec.
 *   bytesPerSubscriberGoalPerSec: issue 16's goal (≤ 2 KB/s per subscriber at a uniform
 *   5,000 votes/s); bytesPerSubscriberToGoal = figure / goal (≤ 1: met).
 *   These hold the verbose `rankings.live` (every entry every tick; its tracked ids carry the
 *   probes): the figure before issue 16.
 * - subscribers / pageSubscribers: the audience, holding the leaderboard page's own subscription
 *   (issue 16): `rankings.liveWindow`, the compact form for ranks 1-25 (a first screen; the rest
 *   at most every 5 s); pageBytesPerSubscriberPerSec (…PerVote, …ToGoal): the same count for
 *   them. probeSubscribers: the verbose group.
 * - apiEventLoopP99Ms / MaxMs: the api's own nodejs_eventloop_lag_{p99,max}_seconds over the
 *   window (scraped from /metrics at the start, which resets it, and at the end): the worst
 *   process when each answers for itself; with WEB_CONCURRENCY > 1 the primary answers with
 *   prom-client's aggregated registry, and the figure is the processes' average.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { get } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { RankingsDiff } from '@llmpt/shared';
import {
  type RankingsStreamEntry,
  parseDiffEntry,
  partitionKeys,
  rankingsKeys,
} from '@llmpt/vote-store';
import { Redis } from 'ioredis';

import type { LoadConfig, LoadResult } from '../clients/vote-load.ts';
import { BYTES_PER_SUBSCRIBER_GOAL } from '../lib/figures.ts';
import { type CastAck, castVote, lastStreamId, waitForSnapshot } from '../lib/rt-api.ts';
import {
  CpuWindow,
  calibrateClock,
  childPids,
  fig,
  procMemKB,
  sleep,
  summarize,
  trackChild,
  wallNow,
} from '../lib/rt-measure.ts';
import { startBenchStack } from '../lib/stack.ts';
import { signedVoters } from '../lib/voters.ts';
import type { BenchContext, BenchOptions, Scenario, ScenarioResult } from '../lib/types.ts';
import { ClientPool } from '../lib/ws-client-pool.ts';

export interface EndToEndParams {
  /** Subscribers holding the page's subscription (rankings.liveWindow, ranks 1-25). */
  subscribers: number;
  /** Subscribers holding the verbose rankings.live, every one sampled: the probes' screens. */
  probeSubscribers: number;
  /** At the target rate before the window, not counted. */
  warmupS: number;
  durationS: number;
  targetVotesPerSec: number;
  /** api processes behind one port (node:cluster). */
  webConcurrency: number;
}

export function endToEndParams(
  opts: Pick<BenchOptions, 'quick' | 'full' | 'tiny'>,
): EndToEndParams {
  if (opts.tiny) {
    return {
      subscribers: 200,
      probeSubscribers: 100,
      warmupS: 1,
      durationS: 3,
      targetVotesPerSec: 200,
      webConcurrency: 1,
    };
  }
  return {
    subscribers: opts.quick ? 5_000 : 10_000,
    probeSubscribers: 1_000,
    warmupS: opts.quick ? 3 : 5,
    durationS: opts.quick ? 20 : 60,
    targetVotesPerSec: 5_000,
    webConcurrency: 2,
  };
}

const PROBE_EVERY_MS = 200;
const PAGE_SUBSCRIPTION = {
  path: 'rankings.liveWindow',
  input: { sort: 'score', window: { from: 1, to: 25 } },
};
const VOTE_PARTITIONS = 16; // the apps' default; startBenchStack does not change it
const LOAD_SCRIPT = fileURLToPath(new URL('../clients/vote-load.ts', import.meta.url));

interface Probe {
  t0: number;
  ack: CastAck | null;
}

export async function runEndToEnd(ctx: BenchContext, p: EndToEndParams): Promise<ScenarioResult> {
  calibrateClock();
  const stack = await startBenchStack(ctx, {
    apis: 1,
    workers: 1,
    env: { WEB_CONCURRENCY: String(p.webConcurrency) },
  });
  const redis = new Redis(ctx.redisUrl);
  let pool: ClientPool | null = null;
  let pages: ClientPool | null = null;
  let load: ChildProcess | null = null;
  try {
    const keys = rankingsKeys(stack.prefix);
    const apiUrl = stack.apiUrls[0]!;
    const metricsUrl = stack.apiMetricsUrls[0]!;
    const snapshot = await waitForSnapshot(redis, keys);
    const models = snapshot.entries.map((e) => e.llmId);
    const probeModel = models.at(-1)!;
    const primary = stack.apis[0]!.pid ?? -1;
    // With WEB_CONCURRENCY > 1 the primary forks the api processes: wait until all are up.
    for (let i = 0; i < 100 && p.webConcurrency > 1; i++) {
      if (childPids(primary).length >= p.webConcurrency) break;
      await sleep(100);
    }
    const apiPids = [primary, ...(p.webConcurrency > 1 ? childPids(primary) : [])];
    const workerPid = stack.workers[0]!.pid ?? -1;

    pool = await ClientPool.start({
      mode: 'trpc',
      urls: [`${apiUrl.replace(/^http/, 'ws')}/trpc`],
      total: p.probeSubscribers,
      sample: p.probeSubscribers,
      // Its own source address: after the full run's earlier scenarios, 127.0.0.1's ephemeral
      // ports are partly held in TIME_WAIT (EADDRNOTAVAIL seen for 209 of 10,000 sockets).
      localAddresses: ['127.0.0.6'],
      log: (m) => ctx.log(`endToEnd: ${m}`),
    });
    // The audience: the leaderboard page's own subscription (issue 16), the compact feed for
    // ranks 1-25, a first screen. Its bytes are the page figure next to the goal; the pool above
    // keeps the verbose rankings.live, whose tracked ids carry the vote-to-screen probes.
    pages = await ClientPool.start({
      mode: 'trpc',
      urls: [`${apiUrl.replace(/^http/, 'ws')}/trpc`],
      total: p.subscribers,
      sample: 0,
      localAddresses: ['127.0.0.7'],
      subscribe: PAGE_SUBSCRIPTION,
      log: (m) => ctx.log(`endToEnd pages: ${m}`),
    });
    const probeVoters = signedVoters(
      stack.env.VOTER_COOKIE_SECRET!,
      Math.ceil((p.durationS * 1000) / PROBE_EVERY_MS) + 5,
    );

    const cfg: LoadConfig = {
      url: apiUrl,
      rate: p.targetVotesPerSec,
      warmupS: p.warmupS,
      durationS: p.durationS,
      connections: 64,
      voters: Math.min(2_000, Math.max(100, p.targetVotesPerSec / 2)),
      models: models.filter((m) => m !== probeModel),
    };
    load = trackChild(
      fork(LOAD_SCRIPT, [JSON.stringify(cfg)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const loadMessage = (type: string) =>
      new Promise<{ type: string; result?: LoadResult }>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`vote-load exited (${code})`));
        load!.once('exit', onExit);
        load!.on('message', function on(m: { type: string; result?: LoadResult }) {
          if (m.type !== type) return;
          load!.off('message', on);
          load!.off('exit', onExit);
          resolve(m);
        });
      });
    await loadMessage('ready');

    // Warm-up at the target rate, then the window.
    const windowStart = loadMessage('window');
    const done = loadMessage('done');
    load.send({ cmd: 'go' });
    await windowStart;
    const windowEnd = Date.now() + p.durationS * 1000;
    const startId = await lastStreamId(redis, keys.diffs);
    const trafficStartAt = performance.now();
    const trafficStart = await pool.traffic();
    const pageTrafficStart = await pages.traffic();
    const cpu = new CpuWindow([...apiPids, workerPid, ...pool.pids, ...pages.pids, load.pid ?? -1]);
    cpu.begin();
    await eventLoopLag(metricsUrl, p.webConcurrency); // resets the event-loop delay histograms
    const probes: Promise<Probe>[] = [];
    const lags: number[] = [];
    const lagTimer = setInterval(() => {
      void outboxLagMs(redis, stack.prefix).then((ms) => lags.push(ms));
    }, 500);
    // One fresh voter per probe: a second +1 by the same voter would change nothing.
    for (let i = 0; Date.now() < windowEnd && i < probeVoters.length; i++) {
      const t0 = wallNow();
      probes.push(
        castVote(apiUrl, probeVoters[i]!, probeModel, 1).then(
          (ack) => ({ t0, ack }),
          () => ({ t0, ack: null }),
        ),
      );
      await sleep(PROBE_EVERY_MS);
    }
    await sleep(Math.max(0, windowEnd - Date.now()));
    const cpuPct = cpu.end();
    const trafficEndAt = performance.now();
    const trafficEnd = await pool.traffic();
    const pageTrafficEnd = await pages.traffic();
    const loop = await eventLoopLag(metricsUrl, p.webConcurrency);
    clearInterval(lagTimer);
    const loadResult = (await done).result!;
    ctx.log(`endToEnd: 2xx per second: ${loadResult.okPerSecond.join(' ')}`);
    const settled = await Promise.all(probes);

    // Drain: the flush catches up; the last diffs reach the screens meanwhile.
    const drainStart = Date.now();
    let flushDrainMs = NaN;
    while (Date.now() - drainStart < 60_000) {
      if ((await outboxLagMs(redis, stack.prefix)) === 0) {
        flushDrainMs = Date.now() - drainStart;
        break;
      }
      await sleep(100);
    }
    await sleep(Math.max(0, 1500 - (Date.now() - drainStart)));

    const screens = await voteToScreen(
      redis,
      keys.diffs,
      startId,
      probeModel,
      settled,
      pool,
      windowEnd,
    );
    const mem = (pid: number) => (procMemKB(pid)?.hwmKB ?? NaN) / 1024;
    const sum = (pids: number[]) => pids.reduce((s, pid) => s + (cpuPct.get(pid) ?? NaN), 0);
    const apiCpu = sum(apiPids);
    const workerCpu = cpuPct.get(workerPid) ?? NaN;
    const { closedEarly } = await pool.stop();
    pool = null;
    const pageSubscribers = pages.subscribed;
    const pagePids = pages.pids;
    await pages.stop();
    pages = null;
    const pageBytesPerSubscriberPerSec =
      (pageTrafficEnd.bytes - pageTrafficStart.bytes) /
      (pageTrafficEnd.liveSeconds - pageTrafficStart.liveSeconds);
    const lag = summarize(lags);
    const votesPerSec = loadResult.ok / p.durationS;
    const bytesPerSubscriberPerSec =
      (trafficEnd.bytes - trafficStart.bytes) / (trafficEnd.liveSeconds - trafficStart.liveSeconds);
    return {
      subscribers: pageSubscribers,
      probeSubscribers: screens.subscribers,
      sampledSubscribers: screens.sampled,
      apiProcesses: p.webConcurrency,
      durationS: p.durationS,
      targetVotesPerSec: p.targetVotesPerSec,
      votesPerSec: fig(votesPerSec),
      errors: loadResult.non2xx + loadResult.socketErrors + loadResult.unanswered,
      non2xx: loadResult.non2xx,
      unsent: loadResult.unsent,
      unsentSeconds: loadResult.unsentSeconds.join(' '),
      queuedAtClose: loadResult.queuedAtClose,
      voteP50Ms: fig(loadResult.latencyP50Ms),
      voteP99Ms: fig(loadResult.latencyP99Ms),
      voteServiceP99Ms: fig(loadResult.serviceP99Ms),
      probes: screens.probes,
      voteToScreenP50Ms: fig(screens.all.p50),
      voteToScreenP99Ms: fig(screens.all.p99),
      voteToScreenPerSubscriberP99Ms: fig(screens.pairs.p99),
      screenMisses: screens.misses,
      diffsPerSec: fig(screens.diffs / p.durationS),
      avgDiffEntries: fig(screens.avgEntries),
      avgDiffFrameKB: fig(screens.avgFrameBytes / 1024),
      fanoutMBPerSec: fig(
        (trafficEnd.bytes - trafficStart.bytes + pageTrafficEnd.bytes - pageTrafficStart.bytes) /
          (trafficEndAt - trafficStartAt) /
          1e3,
      ),
      bytesPerSubscriberPerSec: fig(bytesPerSubscriberPerSec, 0),
      bytesPerSubscriberPerVote: fig(bytesPerSubscriberPerSec / votesPerSec, 2),
      bytesPerSubscriberGoalPerSec: BYTES_PER_SUBSCRIBER_GOAL,
      bytesPerSubscriberToGoal: fig(bytesPerSubscriberPerSec / BYTES_PER_SUBSCRIBER_GOAL, 2),
      pageSubscribers,
      pageBytesPerSubscriberPerSec: fig(pageBytesPerSubscriberPerSec, 0),
      pageBytesPerSubscriberPerVote: fig(pageBytesPerSubscriberPerSec / votesPerSec, 2),
      pageBytesPerSubscriberToGoal: fig(
        pageBytesPerSubscriberPerSec / BYTES_PER_SUBSCRIBER_GOAL,
        2,
      ),
      apiEventLoopP99Ms: fig(loop?.p99Ms ?? NaN),
      apiEventLoopMaxMs: fig(loop?.maxMs ?? NaN),
      flushLagP99Ms: fig(lag.p99, 0),
      flushLagMaxMs: fig(lag.max, 0),
      flushDrainMs: fig(flushDrainMs, 0),
      apiCpuPct: fig(apiCpu),
      workerCpuPct: fig(workerCpu),
      serverCpuPct: fig(apiCpu + workerCpu),
      clientCpuPct: fig(sum([...screens.clientPids, ...pagePids, load.pid ?? -1])),
      apiPeakRssMB: fig(Math.max(...apiPids.map(mem))),
      workerPeakRssMB: fig(mem(workerPid)),
      subscriberDisconnects: closedEarly,
    };
  } finally {
    if (load && load.exitCode === null && load.signalCode === null) {
      const exited = once(load, 'exit');
      load.kill('SIGKILL');
      await exited;
    }
    await pool?.stop();
    await pages?.stop();
    redis.disconnect();
    await stack.stop();
  }
}

/** Age in ms of the oldest vote event not flushed yet, over every partition (0: all flushed). */
async function outboxLagMs(redis: Redis, prefix: string): Promise<number> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < VOTE_PARTITIONS; i++) {
    pipeline.xrange(partitionKeys(prefix, i).outbox, '-', '+', 'COUNT', 1);
  }
  const replies = (await pipeline.exec()) ?? [];
  const now = Date.now();
  let oldest = 0;
  for (const [err, entries] of replies) {
    const id = !err ? (entries as RankingsStreamEntry[])[0]?.[0] : undefined;
    if (id) oldest = Math.max(oldest, now - Number(id.split('-')[0]));
  }
  return oldest;
}

/** Bytes of the frame a `rankings.live` (board `score`) subscriber gets for this diff. */
function frameBytes(d: RankingsDiff): number {
  const entries = d.entries.map((e) => ({ ...e, ranks: { score: e.ranks.score } }));
  const data = JSON.stringify({ type: 'diff', diff: { ...d, entries } });
  const id = JSON.stringify(d.id);
  return Buffer.byteLength(
    `{"id":1,"result":{"type":"data","id":${id},"data":{"id":${id},"data":${data}}}}`,
  );
}

/**
 * The api processes' event-loop delay p99 and max since their previous scrape (prom-client resets
 * it on collect), the worst over the processes. Each scrape opens a new connection: node:cluster
 * hands connections to its processes round-robin; process_start_time_seconds tells them apart.
 */
async function eventLoopLag(
  metricsUrl: string,
  processes: number,
): Promise<{ p99Ms: number; maxMs: number } | null> {
  const seen = new Map<string, { p99Ms: number; maxMs: number }>();
  for (let i = 0; i < processes * 4 && seen.size < processes; i++) {
    const text = await new Promise<string>((resolve, reject) => {
      get(metricsUrl, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    }).catch(() => '');
    const read = (name: string) =>
      Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);
    const started = read('process_start_time_seconds');
    if (!Number.isFinite(started) && Number.isFinite(read('nodejs_eventloop_lag_p99_seconds'))) {
      // node:cluster: the primary answers for every process with prom-client's aggregated
      // registry (start time omitted, the lag gauges averaged over the processes).
      return {
        p99Ms: read('nodejs_eventloop_lag_p99_seconds') * 1000,
        maxMs: read('nodejs_eventloop_lag_max_seconds') * 1000,
      };
    }
    if (!Number.isFinite(started) || seen.has(String(started))) continue;
    seen.set(String(started), {
      p99Ms: read('nodejs_eventloop_lag_p99_seconds') * 1000,
      maxMs: read('nodejs_eventloop_lag_max_seconds') * 1000,
    });
  }
  if (seen.size === 0) return null;
  const all = [...seen.values()];
  return {
    p99Ms: Math.max(...all.map((v) => v.p99Ms)),
    maxMs: Math.max(...all.map((v) => v.maxMs)),
  };
}

async function voteToScreen(
  redis: Redis,
  diffsKey: string,
  startId: string,
  probeModel: string,
  probes: Probe[],
  pool: ClientPool,
  windowEnd: number,
) {
  const entries = (await redis.xrange(diffsKey, `(${startId}`, '+')) as RankingsStreamEntry[];
  const diffs = entries.map(parseDiffEntry).map((d) => ({
    id: d.id,
    at: d.at,
    entries: d.entries.length,
    frameBytes: frameBytes(d),
    probeUp: d.entries.find((e) => e.llmId === probeModel)?.up ?? -1,
  }));
  const arrivals = await pool.collect(diffs.map((d) => d.id));
  const all: number[] = [];
  const pairs: number[] = [];
  let misses = 0;
  let sampled = 0;
  let counted = 0;
  for (const { t0, ack } of probes) {
    if (!ack) continue;
    const diff = diffs.find((d) => d.probeUp >= ack.up);
    const times = diff ? (arrivals.get(diff.id)?.times ?? []) : [];
    sampled = Math.max(sampled, times.length);
    if (!diff || times.length === 0) {
      misses += sampled;
      continue;
    }
    counted++;
    let last = 0;
    for (const t of times) {
      if (!Number.isFinite(t)) {
        misses++;
        continue;
      }
      pairs.push(t - t0);
      last = Math.max(last, t - t0);
    }
    all.push(last);
  }
  return {
    subscribers: pool.subscribed,
    sampled,
    probes: counted,
    all: summarize(all),
    pairs: summarize(pairs),
    misses,
    diffs: diffs.filter((d) => d.at <= windowEnd).length,
    avgEntries: diffs.reduce((s, d) => s + d.entries, 0) / Math.max(1, diffs.length),
    avgFrameBytes: diffs.reduce((s, d) => s + d.frameBytes, 0) / Math.max(1, diffs.length),
    clientPids: pool.pids,
  };
}

export const scenario: Scenario = {
  name: 'endToEnd',
  describe: 'sustained votes with a live audience: vote→screen, flush lag, server CPU and RSS',
  run: (ctx) => runEndToEnd(ctx, endToEndParams(ctx.opts)),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { devMain } = await import('../dev-run.ts');
  await devMain('endToEnd', (ctx, over) => runEndToEnd(ctx, over(endToEndParams(ctx.opts))));
  process.exit(0);
}
