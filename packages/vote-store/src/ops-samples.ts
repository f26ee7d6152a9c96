import { hostname } from 'node:os';

import type { Redis } from 'ioredis';

/**
 * The admins' live overview (issue 12) without Prometheus: every api and worker process writes a
 * compact snapshot of its own prom-client registry to Redis every step, and the api's
 * `admin.overview` sums them. The values are the ones Prometheus scrapes (same registry, same
 * metric names), so the overview and Grafana cannot disagree on what a number means; they work
 * in every topology, with or without Prometheus.
 *
 * Layout: one hash per step, `{prefix}{ops}:{stepMs}:{bucket}` (bucket = floor(t / stepMs)),
 * field `{role}:{processId}`, value an {@link OpsSample} as JSON; the hash expires 65 minutes
 * after its last write. The step is in the key, so processes with different OPS_SAMPLE_MS never
 * mix their buckets (set it equal in api and worker: the overview reads the api's).
 */

export type OpsRole = 'api' | 'worker';

/** One process's reading at one moment. */
export interface OpsSample {
  /** When it was taken (ms since epoch). */
  t: number;
  /**
   * Cumulative counters since the process (its registry) started; they restart at 0 with it.
   * `v.<result>` votes_total, `req` / `req5xx` tRPC requests (all, server errors),
   * `hit.<layer>/<cache>` / `look.<layer>/<cache>` cache hits (hit or stale) and lookups,
   * `flushed` flush_events_total.
   */
  c: Record<string, number>;
  /**
   * Gauges as of `t`: `ws` ws_connections, `subs` live_subscriptions (all rooms), `lag` the
   * largest outbox_lag_seconds, `tick` ranker_tick_interval_seconds, `leader` ranker_is_leader,
   * `q.<queue>.<state>` bullmq_queue_jobs.
   */
  g: Record<string, number>;
}

/** How long a bucket is kept: the overview's hour and a margin. */
export const OPS_SAMPLE_TTL_MS = 65 * 60_000;

/** tRPC codes answered with a 5xx status (the rest are 2xx or 4xx). */
const SERVER_ERROR_CODES = new Set([
  'INTERNAL_SERVER_ERROR',
  'NOT_IMPLEMENTED',
  'BAD_GATEWAY',
  'SERVICE_UNAVAILABLE',
  'GATEWAY_TIMEOUT',
]);

/** A `code` label of trpc_request_duration_seconds that means the answer was a 5xx. */
export function isServerErrorCode(code: string): boolean {
  return SERVER_ERROR_CODES.has(code) || /^HTTP_5\d\d$/.test(code);
}

/** A reading of one metric as prom-client's `Metric#get()` returns it (structural). */
export interface MetricReading {
  values: Array<{
    value: number;
    labels: Partial<Record<string, string | number>>;
    metricName?: string;
  }>;
}

/** The part of a prom-client `Registry` the sampler uses. */
export interface MetricsRegistry {
  getSingleMetric(name: string): { get(): Promise<MetricReading> | MetricReading } | undefined;
}

type Into = (sample: OpsSample, value: number, labels: MetricReading['values'][number]) => void;

const add = (into: Record<string, number>, key: string, value: number) => {
  into[key] = (into[key] ?? 0) + value;
};

/**
 * What is read from each metric. A metric the registry lacks (the api has no flush counter, the
 * worker no votes_total) is skipped, so one table serves both roles.
 */
const READERS: ReadonlyArray<readonly [string, Into]> = [
  ['votes_total', (s, v, { labels }) => add(s.c, `v.${String(labels.result)}`, v)],
  [
    'trpc_request_duration_seconds',
    (s, v, { labels, metricName }) => {
      if (!metricName?.endsWith('_count')) return;
      add(s.c, 'req', v);
      if (isServerErrorCode(String(labels.code))) add(s.c, 'req5xx', v);
    },
  ],
  [
    'cache_requests_total',
    (s, v, { labels }) => {
      const cache = `${String(labels.layer)}/${String(labels.cache)}`;
      add(s.c, `look.${cache}`, v);
      if (labels.result === 'hit' || labels.result === 'stale') add(s.c, `hit.${cache}`, v);
    },
  ],
  ['flush_events_total', (s, v) => add(s.c, 'flushed', v)],
  ['ws_connections', (s, v) => add(s.g, 'ws', v)],
  ['live_subscriptions', (s, v) => add(s.g, 'subs', v)],
  ['outbox_lag_seconds', (s, v) => (s.g.lag = Math.max(s.g.lag ?? 0, v))],
  ['ranker_tick_interval_seconds', (s, v) => (s.g.tick = v)],
  ['ranker_is_leader', (s, v) => (s.g.leader = v)],
  [
    'bullmq_queue_jobs',
    (s, v, { labels }) => (s.g[`q.${String(labels.queue)}.${String(labels.state)}`] = v),
  ],
];

/**
 * Reads the metrics the overview needs from a registry. Each is read with `get()`, which runs
 * its collect (outbox lag and queue depths come from Redis then, as at a scrape); only these
 * metrics, not the whole registry with its default process metrics.
 */
export async function readOpsSample(
  registry: MetricsRegistry,
  now = Date.now(),
): Promise<OpsSample> {
  const sample: OpsSample = { t: now, c: {}, g: {} };
  for (const [name, into] of READERS) {
    const metric = registry.getSingleMetric(name);
    if (!metric) continue;
    const reading = await metric.get();
    for (const value of reading.values) into(sample, value.value, value);
  }
  return sample;
}

export function opsBucketKey(prefix: string, stepMs: number, bucket: number): string {
  return `${prefix}{ops}:${stepMs}:${bucket}`;
}

/** The buckets `from`…`to` (inclusive), each as field → sample, in one pipeline. */
export async function readOpsBuckets(
  redis: Redis,
  prefix: string,
  stepMs: number,
  from: number,
  to: number,
): Promise<Array<Map<string, OpsSample>>> {
  if (to < from) return [];
  const pipe = redis.pipeline();
  for (let b = from; b <= to; b++) pipe.hgetall(opsBucketKey(prefix, stepMs, b));
  const replies = (await pipe.exec()) ?? [];
  return replies.map(([err, reply]) => {
    if (err) throw err;
    const out = new Map<string, OpsSample>();
    for (const [field, json] of Object.entries(reply as Record<string, string>)) {
      const sample = parseSample(json);
      if (sample) out.set(field, sample);
    }
    return out;
  });
}

/** A malformed entry (another version, a hand edit) is skipped rather than failing the page. */
function parseSample(json: string): OpsSample | null {
  try {
    const s = JSON.parse(json) as Partial<OpsSample> | null;
    if (typeof s?.t !== 'number' || typeof s.c !== 'object' || typeof s.g !== 'object') return null;
    if (s.c === null || s.g === null) return null;
    return s as OpsSample;
  } catch {
    return null;
  }
}

/** Samplers made in this process: a second one (tests run several apps) gets its own id. */
let samplersMade = 0;

export interface OpsSamplerOptions {
  redis: Redis;
  prefix: string;
  role: OpsRole;
  /** OPS_SAMPLE_MS. */
  stepMs: number;
  registry: MetricsRegistry;
  /** Default `host:pid` (the ranker lock's form), `host:pid/N` for the Nth sampler of a process. */
  processId?: string;
  onError?: (err: unknown) => void;
}

/**
 * Samples this process's registry once per step into Redis: once at start, then in the middle
 * of every step, so timer jitter never moves a sample into a neighbouring bucket. A sample is
 * one pipelined HSET + PEXPIRE; a failed one is reported and the next step tries again.
 * @see readOpsSample
 */
export class OpsSampler {
  readonly processId: string;
  readonly field: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** Bucket of the last sample taken: the next goes to a later one, never over it. */
  private lastBucket = -1;

  constructor(private readonly opts: OpsSamplerOptions) {
    samplersMade++;
    this.processId =
      opts.processId ?? `${hostname()}:${process.pid}${samplersMade > 1 ? `/${samplersMade}` : ''}`;
    this.field = `${opts.role}:${this.processId}`;
  }

  /** Takes a sample now (unless this step has one already), then one every step. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (Math.floor(Date.now() / this.opts.stepMs) > this.lastBucket) this.tick();
    else this.scheduleNext();
  }

  /** Stops sampling and waits for a sample in flight (its connection may close next). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Reads the registry and writes the sample of `now`'s bucket (replacing this process's
   * sample there, if any).
   */
  async sample(now = Date.now()): Promise<OpsSample> {
    const { redis, prefix, stepMs, registry } = this.opts;
    const sample = await readOpsSample(registry, now);
    const bucket = Math.floor(now / stepMs);
    this.lastBucket = Math.max(this.lastBucket, bucket);
    const key = opsBucketKey(prefix, stepMs, bucket);
    const replies = await redis
      .pipeline()
      .hset(key, this.field, JSON.stringify(sample))
      .pexpire(key, OPS_SAMPLE_TTL_MS)
      .exec();
    for (const [err] of replies ?? []) if (err) throw err;
    return sample;
  }

  private tick(): void {
    this.running = this.sample()
      .then(
        () => undefined,
        (err: unknown) => this.opts.onError?.(err),
      )
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.scheduleNext();
      });
  }

  /**
   * The middle of the step after the last one sampled (or of the current step, if that one was
   * missed): one sample per step, so a step's sample is never replaced by a later one, which
   * would hide from the overview what happened between the two.
   */
  private scheduleNext(): void {
    const { stepMs } = this.opts;
    const now = Date.now();
    const bucket = Math.max(this.lastBucket + 1, Math.floor(now / stepMs));
    const at = bucket * stepMs + stepMs / 2;
    this.timer = setTimeout(() => this.tick(), Math.max(0, at - now));
    this.timer.unref();
  }
}
