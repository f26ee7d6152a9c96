/**
 * socketIoPeer: the seed's own choice for real-time, Socket.IO 4 with @socket.io/redis-adapter,
 * broadcasting the same diff frame to the same N clients, so fanout can say how ours compares.
 *
 * Setup (bench/lib/rt-fanout.ts): bench/servers/socket-io-server.ts ×shards (1; --full: 3
 * processes, ≤ ~17,000 sockets each); clients emit `subscribe` and join room `rankings`. The
 * broadcast is emitted in the bench process by a Socket.IO server without listeners that shares
 * the adapter (`io.to('rankings').emit('diff', frame)`): the adapter publishes it on Redis and
 * every serving process broadcasts it to its room, so each delivery includes one Redis hop, like
 * ours (ranker XADD → api XREAD) and the raw peer (PUBLISH → SUBSCRIBE). The clients are the same
 * bare `ws` clients as for ours (bench/clients/ws-subscribers.ts speaks Engine.IO v4 /
 * Socket.IO v5), so client-side cost is equal for all three (socket.io-client itself is heavier).
 * Payload: the diff frame captured from our real run, sent as an object, so the wire message is
 * `42["diff",<frame>]` (the frame's bytes + 10).
 *
 * When fanout ran earlier in this process it has already measured this side, interleaved round
 * by round with ours and raw (fairer on a shared machine): those figures are reported
 * (`measured: "with fanout"`). Run alone, it measures Socket.IO only (`measured: "alone"`), with
 * a frame captured from an earlier fanout run.
 *
 * Definitions (ms, nearest-rank quantiles over every (round, subscriber) pair; round 0 is a
 * warm-up; rounds 300–550 ms apart):
 * - deliverP50Ms / deliverP99Ms: from just before the emit to each subscriber's arrival (one clock
 *   in every process: bench/lib/rt-measure.ts wallNow).
 * - toLastMs: median over rounds of the time to the LAST subscriber.
 * - rssPerConnKB: (sum of the Socket.IO processes' VmRSS with every client subscribed, 1 s after
 *   the last one − VmRSS before any connection) / subscribers.
 * - fanoutRatioToSocketIo = deliverP50Ms / fanout.publishToDeliverP50Ms (above 1: ours is faster;
 *   the same figure as fanout.ratioToSocketIo).
 */
import { pathToFileURL } from 'node:url';

import { type FanoutParams, fanoutParams, lastFanoutRun, measureFanout } from '../lib/rt-fanout.ts';
import { fig, summarize } from '../lib/rt-measure.ts';
import { capturedFrame } from '../lib/rt-peers.ts';
import type { BenchContext, BenchOptions, Scenario, ScenarioResult } from '../lib/types.ts';

/** Same N, rounds, shards and client processes as fanout. */
export const socketIoParams = (opts: Pick<BenchOptions, 'quick' | 'full' | 'tiny'>): FanoutParams =>
  fanoutParams(opts);

export async function runSocketIoPeer(ctx: BenchContext, p: FanoutParams): Promise<ScenarioResult> {
  const earlier = lastFanoutRun.run;
  const reuse = earlier?.socketIo && sameParams(earlier.params, p) ? earlier : null;
  const run = reuse ?? (await measureFanout(ctx, p, ['socketIo']));
  const side = run.socketIo!;
  const s = summarize(side.latencies);
  const ours = reuse?.ours
    ? summarize(reuse.ours.latencies).p50
    : ctx.results.fanout?.publishToDeliverP50Ms;
  const ratio = typeof ours === 'number' ? fig(s.p50 / ours, 2) : null;
  // fanout ran in another way (alone, other figures): complete its ratio (the runner keeps the objects).
  if (!reuse && ctx.results.fanout && !('error' in ctx.results.fanout)) {
    ctx.results.fanout.ratioToSocketIo = ratio;
  }
  return {
    subscribers: side.subscribers,
    serverProcesses: p.shards,
    rounds: p.rounds,
    measured: reuse ? 'with fanout' : 'alone',
    payload: capturedFrame.frame ? 'captured' : 'fallback',
    payloadBytes: Buffer.byteLength(run.frame),
    deliverP50Ms: fig(s.p50),
    deliverP99Ms: fig(s.p99),
    toLastMs: fig(summarize(side.toLast).p50),
    rssPerConnKB: fig(side.rssPerConnKB),
    missed: side.missed,
    fanoutRatioToSocketIo: ratio,
  };
}

function sameParams(a: FanoutParams, b: FanoutParams): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export const scenario: Scenario = {
  name: 'socketIoPeer',
  describe: 'Socket.IO + Redis adapter broadcasting the same diff frame to the same N clients',
  run: (ctx) => runSocketIoPeer(ctx, socketIoParams(ctx.opts)),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { devMain } = await import('../dev-run.ts');
  await devMain('socketIoPeer', (ctx, over) =>
    runSocketIoPeer(ctx, over(socketIoParams(ctx.opts))),
  );
  process.exit(0);
}
