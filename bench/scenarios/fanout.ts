/**
 * fanout: N WebSocket subscribers of `rankings.live` on real api processes; one real vote per
 * round; how long its diff takes to reach every subscriber. Side by side with a bare `ws` server
 * and a Socket.IO server broadcasting the very same frame bytes to the same N clients.
 *
 * Setup (bench/lib/rt-fanout.ts): startBenchStack (api ×shards, a worker whose ranker ticks every
 * 250 ms). Subscribers live in client processes (bench/clients/ws-subscribers.ts, ≤ 15,000
 * sockets each). Default: 10,000 subscribers, 10 rounds; --quick: 5,000, 5 rounds; --full:
 * 50,000 per side, each side from 4 client processes with source addresses of its own
 * (127.0.0.2..127.0.0.13) to 3 server processes, 6 rounds. Every mode keeps the three audiences
 * connected and alternates rounds ours / raw / Socket.IO, so load from other work on the machine
 * hits all alike. Each round starts after a random
 * 300–550 ms pause (the vote lands at a random point of the tick); round 0 of each side is a
 * warm-up, not counted. Every process uses one clock (bench/lib/rt-measure.ts wallNow:
 * performance.now() calibrated to Date.now()).
 *
 * Definitions (ms; quantiles are nearest-rank over every (round, subscriber) pair):
 * - deliverP50Ms / deliverP99Ms: vote → screen. From just before the POST /trpc/vote.cast (fresh
 *   voter cookie minted with GET /trpc/vote.mine, +1 on the board's #1 model, so the diff holds
 *   that one entry) to the arrival, at each subscriber, of the first diff frame carrying it.
 *   Includes the HTTP vote, the wait for the next ranker tick (0–250 ms by design), the publish,
 *   the api's XREAD and the fan-out.
 * - publishToDeliverP50Ms / P99Ms: from the diff's `at` (the ranker's Date.now() taken just
 *   before it serializes the diff and snapshot and runs the publish script that XADDs them;
 *   + 0.5 ms, the middle of that millisecond) to each subscriber's arrival: serialization, Redis
 *   hop, the api's XREAD, projection and fan-out. Our figure against the peers'.
 * - publishToLastMs: median over rounds of the time from `at` to the LAST subscriber's arrival.
 * - rawDeliverP50Ms / P99Ms, rawToLastMs: the bare `ws` peer (bench/servers/raw-ws-server.ts,
 *   sharded like the api), from just before the parent's Redis PUBLISH of the captured frame
 *   (its tracked id swapped for a same-length round marker) to each subscriber's arrival.
 * - ratioToRaw = rawDeliverP50Ms / publishToDeliverP50Ms (1.0: as fast as bare ws; goal ≥ 0.7).
 * - ratioToSocketIo = socketIoPeer's deliverP50Ms / publishToDeliverP50Ms (above 1: ours is
 *   faster). The Socket.IO side is measured here, interleaved with ours and raw (see
 *   bench/lib/rt-fanout.ts); socketIoPeer reports its figures.
 * - rssPerConnKB / rawRssPerConnKB: (sum of the server processes' VmRSS with every client
 *   subscribed, 1 s after the last one − VmRSS before any connection) / subscribers.
 * - ratioToRawByRound / ratioToSocketIoByRound: the same ratios per counted round, from each
 *   round's p50 (the sides' rounds run back to back); roundsAheadOfSocketIo: how many of them
 *   ours won (its p50 below Socket.IO's).
 * - missed: deliveries that never arrived within 15 s (summed over counted rounds).
 * - bytesPerSubscriberPerVote: wire bytes (WebSocket frames: payload + header) our subscribers
 *   received per counted round (one vote, its diff), counted at the clients, / live subscribers,
 *   averaged over rounds. bytesPerSubscriberPerSec: the same from the first counted round's start
 *   to the last one's end / its seconds (one vote every ~1–2 s here, not a vote load: see
 *   endToEnd for the figure at 5,000 votes/s). bytesPerSubscriberGoalPerSec: issue 16's goal at
 *   5,000 votes/s, for reference.
 */
import { pathToFileURL } from 'node:url';

import { BYTES_PER_SUBSCRIBER_GOAL } from '../lib/figures.ts';
import { type FanoutParams, fanoutParams, measureFanout } from '../lib/rt-fanout.ts';
import { fig, summarize } from '../lib/rt-measure.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types.ts';

export { fanoutParams };

export async function runFanout(ctx: BenchContext, p: FanoutParams): Promise<ScenarioResult> {
  const run = await measureFanout(ctx, p, ['ours', 'raw', 'socketIo']);
  const ours = run.ours!;
  const raw = run.raw!;
  const our = summarize(ours.latencies);
  const rawS = summarize(raw.latencies);
  const sio = summarize(run.socketIo?.latencies ?? []);
  return {
    subscribers: ours.subscribers,
    serverProcesses: p.shards,
    clientProcesses: Math.max(p.clientProcesses, Math.ceil(p.subscribers / 15_000)),
    rounds: p.rounds,
    interleaved: true,
    diffFrameBytes: Buffer.byteLength(run.frame),
    deliverP50Ms: fig(summarize(ours.fromVote).p50),
    deliverP99Ms: fig(summarize(ours.fromVote).p99),
    publishToDeliverP50Ms: fig(our.p50),
    publishToDeliverP99Ms: fig(our.p99),
    publishToLastMs: fig(summarize(ours.toLast).p50),
    rssPerConnKB: fig(ours.rssPerConnKB),
    bytesPerSubscriberPerVote: fig(ours.bytesPerSubscriberPerVote, 0),
    bytesPerSubscriberPerSec: fig(ours.bytesPerSubscriberPerSec, 0),
    bytesPerSubscriberGoalPerSec: BYTES_PER_SUBSCRIBER_GOAL,
    missed: ours.missed,
    rawSubscribers: raw.subscribers,
    rawDeliverP50Ms: fig(rawS.p50),
    rawDeliverP99Ms: fig(rawS.p99),
    rawToLastMs: fig(summarize(raw.toLast).p50),
    rawRssPerConnKB: fig(raw.rssPerConnKB),
    rawMissed: raw.missed,
    ratioToRaw: fig(rawS.p50 / our.p50, 2),
    ratioToSocketIo: fig(sio.p50 / our.p50, 2),
    ratioToRawByRound: byRound(raw.roundP50s, ours.roundP50s),
    ratioToSocketIoByRound: byRound(run.socketIo?.roundP50s ?? [], ours.roundP50s),
    roundsAheadOfSocketIo: ours.roundP50s.filter(
      (p50, i) => p50 < (run.socketIo?.roundP50s[i] ?? -Infinity),
    ).length,
  };
}

/** Per-round ratios `theirs / ours` of round p50s, space-separated (the table holds no lists). */
function byRound(theirs: number[], ours: number[]): string {
  return ours.map((p50, i) => fig((theirs[i] ?? NaN) / p50, 2) ?? '-').join(' ');
}

export const scenario: Scenario = {
  name: 'fanout',
  describe:
    'N ws subscribers of rankings.live: real vote → diff on every screen; vs bare ws and Socket.IO, same frame',
  run: (ctx) => runFanout(ctx, fanoutParams(ctx.opts)),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { devMain } = await import('../dev-run.ts');
  await devMain('fanout', (ctx, over) => runFanout(ctx, over(fanoutParams(ctx.opts))));
  process.exit(0);
}
