import type { Overview, OverviewPoint } from '@llmpt/shared';
import type { OpsSample } from '@llmpt/vote-store';

/**
 * How votes_total's `result` labels are grouped on the page. `changed` (a ballot written) and
 * `unchanged` (the same ballot again, or a retract without one) were accepted; the per-voter/IP
 * limits and the per-network-per-model limit are rate limits; everything else was refused.
 */
const ACCEPTED = new Set(['changed', 'unchanged']);
const RATE_LIMITED = new Set(['rate_limited', 'network_limited']);
// Rejected: unknown_model, invalid_voter, not_ready, unreplicated, error (and any later label).

/** A process silent for more steps than this is gone: its last gauges are not carried on. */
const MAX_GAUGE_GAP = 3;

/** One step being summed over processes. */
interface Step {
  /** Counter deltas per minute, summed. */
  rates: Map<string, number>;
  ws: number;
  subs: number;
  lag: number | null;
  tick: number | null;
  /** The largest count seen per `queue.state` (every worker reads the same queues). */
  queues: Map<string, number>;
  api: number;
  worker: number;
  leader: string | null;
}

const newStep = (): Step => ({
  rates: new Map(),
  ws: 0,
  subs: 0,
  lag: null,
  tick: null,
  queues: new Map(),
  api: 0,
  worker: 0,
  leader: null,
});

export interface OverviewInput {
  stepMs: number;
  /** Bucket of `buckets[0]`. */
  firstBucket: number;
  /** Buckets read, oldest first: field (`role:processId`) → sample. */
  buckets: ReadonlyArray<ReadonlyMap<string, OpsSample>>;
  /** The first bucket to answer a point for; the ones before only serve as rate baselines. */
  fromBucket: number;
}

/**
 * Turns the processes' samples into the overview's points, one per bucket from `fromBucket` to
 * the last one read, oldest first. Rates are counter deltas between consecutive samples of the
 * SAME process, spread evenly over the steps between them, per minute; a counter lower than before
 * (the process restarted, its registry was reset) counts from zero, as Prometheus' rate() does,
 * so a restart never yields a negative rate. Gauges are summed (ws connections, subscriptions),
 * or taken once for what every worker reads alike (outbox lag: the largest; queue depths) or
 * what only the ranker leader knows (its tick). A process counts in a step it sampled in, in a
 * short gap between two of its samples, and in the newest step when its newest sample is from
 * the step before (late under load, not gone).
 */
export function overviewPoints(input: OverviewInput): Overview {
  const { stepMs, firstBucket, buckets, fromBucket } = input;
  const lastBucket = firstBucket + buckets.length - 1;
  const steps: Step[] = [];
  for (let b = fromBucket; b <= lastBucket; b++) steps.push(newStep());
  const stepAt = (bucket: number) =>
    bucket >= fromBucket && bucket <= lastBucket ? steps[bucket - fromBucket] : undefined;
  const caches = new Set<string>();

  // Each process's samples, in time order.
  const byProcess = new Map<string, Array<{ bucket: number; sample: OpsSample }>>();
  buckets.forEach((fields, i) => {
    for (const [field, sample] of fields) {
      const list = byProcess.get(field) ?? [];
      list.push({ bucket: firstBucket + i, sample });
      byProcess.set(field, list);
      for (const key of Object.keys(sample.c))
        if (key.startsWith('look.')) caches.add(key.slice('look.'.length));
    }
  });

  for (const [field, samples] of byProcess) {
    const role = field.slice(0, field.indexOf(':'));
    const processId = field.slice(field.indexOf(':') + 1);
    samples.forEach(({ bucket, sample }, i) => {
      const prev = samples[i - 1];
      const step = stepAt(bucket);
      if (step) addGauges(step, sample, role, processId);
      if (!prev) return;
      // A short silence (a slow sample): the last gauges stand for the steps in between.
      if (bucket - prev.bucket <= MAX_GAUGE_GAP)
        for (let b = prev.bucket + 1; b < bucket; b++) {
          const gap = stepAt(b);
          if (gap) addGauges(gap, prev.sample, role, processId);
        }
      // The increase is spread evenly over the steps since the previous sample, so the points
      // add up to exactly what the counters counted (Σ rate × step = increase).
      const minutes = ((bucket - prev.bucket) * stepMs) / 60_000;
      if (minutes <= 0) return;
      for (const [key, value] of Object.entries(sample.c)) {
        const before = prev.sample.c[key] ?? 0;
        const increase = value >= before ? value - before : value;
        if (increase === 0) continue;
        for (let b = prev.bucket + 1; b <= bucket; b++) {
          const s = stepAt(b);
          if (s) s.rates.set(key, (s.rates.get(key) ?? 0) + increase / minutes);
        }
      }
    });
    // The newest step still lacks this process's sample: late (a busy event loop), not gone.
    const newest = samples.at(-1);
    if (newest && newest.bucket === lastBucket - 1) {
      const step = stepAt(lastBucket);
      if (step) addGauges(step, newest.sample, role, processId);
    }
  }

  const points = steps.map((step, i) => toPoint(step, (fromBucket + i + 1) * stepMs, caches));
  const last = steps.at(-1);
  return {
    stepSec: stepMs / 1000,
    points,
    rankerLeader: last?.leader ?? null,
    processes: { api: last?.api ?? 0, worker: last?.worker ?? 0 },
  };
}

/** Counts the process in the step and adds its gauges. */
function addGauges(step: Step, sample: OpsSample, role: string, processId: string): void {
  if (role === 'api') step.api++;
  else if (role === 'worker') step.worker++;
  const g = sample.g;
  step.ws += g.ws ?? 0;
  step.subs += g.subs ?? 0;
  if (g.lag !== undefined) step.lag = Math.max(step.lag ?? 0, g.lag);
  if (g.leader === 1) {
    step.leader = processId;
    step.tick = g.tick ?? null;
  }
  for (const [key, value] of Object.entries(g))
    if (key.startsWith('q.')) step.queues.set(key, Math.max(step.queues.get(key) ?? 0, value));
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function toPoint(step: Step, t: number, caches: ReadonlySet<string>): OverviewPoint {
  const rate = (key: string) => step.rates.get(key) ?? 0;
  let accepted = 0;
  let limited = 0;
  let rejected = 0;
  for (const [key, value] of step.rates) {
    if (!key.startsWith('v.')) continue;
    const result = key.slice(2);
    if (ACCEPTED.has(result)) accepted += value;
    else if (RATE_LIMITED.has(result)) limited += value;
    else rejected += value;
  }
  const cacheHitRatio: Record<string, number | null> = {};
  for (const cache of [...caches].sort()) {
    const lookups = rate(`look.${cache}`);
    cacheHitRatio[cache] = lookups > 0 ? round(Math.min(1, rate(`hit.${cache}`) / lookups)) : null;
  }
  const queueDepth: Record<string, number> = {};
  const queueFailed: Record<string, number> = {};
  for (const [key, value] of step.queues) {
    const dot = key.lastIndexOf('.');
    const queue = key.slice(2, dot);
    const state = key.slice(dot + 1);
    if (state === 'failed') queueFailed[queue] = value;
    else queueDepth[queue] = (queueDepth[queue] ?? 0) + value;
  }
  const requests = rate('req');
  return {
    t,
    votesAccepted: round(accepted),
    votesRateLimited: round(limited),
    votesRejected: round(rejected),
    acknowledged: round(rate('v.changed')),
    flushed: round(rate('flushed')),
    outboxLagSec: step.lag,
    wsConnections: step.ws,
    subscriptions: step.subs,
    rankerTickSec: step.tick,
    cacheHitRatio,
    queueDepth,
    queueFailed,
    errorRate: requests > 0 ? round(Math.min(1, rate('req5xx') / requests)) : null,
  };
}
