import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type VoteResult =
  | 'changed'
  | 'unchanged'
  | 'rate_limited'
  | 'network_limited'
  | 'unknown_model'
  | 'not_ready'
  | 'unreplicated'
  | 'invalid_voter'
  | 'error';

/** One registry per process (tests build several apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    requestDuration: new Histogram({
      name: 'trpc_request_duration_seconds',
      help: 'tRPC request duration by procedure, type and outcome code',
      labelNames: ['path', 'type', 'code'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    votes: new Counter({
      name: 'votes_total',
      help: 'vote.cast calls by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    redisScript: new Histogram({
      name: 'redis_script_duration_seconds',
      help: 'Round-trip time of Redis Lua scripts',
      labelNames: ['script'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by layer (l1 in-process, l2 Redis, l3 nginx), cache and result',
      labelNames: ['layer', 'cache', 'result'] as const,
      registers: [registry],
    }),
    clientRtt: new Histogram({
      name: 'client_rtt_seconds',
      help: 'Round-trip latency measured and reported by browsers, per transport',
      labelNames: ['transport'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wsConnections: new Gauge({
      name: 'ws_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
    }),
    votesWithoutReplica: new Counter({
      name: 'votes_without_replica_total',
      help: 'Votes acknowledged while no Redis replica was attached to confirm them (VOTE_ACK_WITHOUT_REPLICA=accept)',
      registers: [registry],
    }),
    replicaLag: new Gauge({
      name: 'db_replica_lag_seconds',
      help: 'Replication lag of the Postgres replica as this process measures it (-1: down or none answering)',
      registers: [registry],
    }),
    wsRefused: new Counter({
      name: 'ws_refused_total',
      help: 'WebSockets closed (1008) for breaking a per-socket limit, by limit',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    subscriptions: new Gauge({
      name: 'live_subscriptions',
      help: 'Active live subscriptions by room kind',
      labelNames: ['room'] as const,
      registers: [registry],
    }),
    liveMessages: new Counter({
      name: 'live_messages_total',
      help: 'Live messages sent to subscribers, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    liveBytes: new Counter({
      name: 'live_bytes_total',
      help: 'Bytes of live frames written to WebSocket subscribers',
      registers: [registry],
    }),
    diffBytes: new Histogram({
      name: 'rankings_diff_bytes',
      help: 'Serialized size of one rankings diff as sent to one room',
      buckets: [128, 256, 512, 1024, 2048, 4096, 16384, 65536],
      registers: [registry],
    }),
    diffEntries: new Histogram({
      name: 'rankings_diff_entries',
      help: 'Entries per rankings diff received from the ranker',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200],
      registers: [registry],
    }),
    experimentExposures: new Counter({
      name: 'experiment_exposures_total',
      help: 'Evaluations of an experiment flag for a voter (one per page visit), by flag and variant',
      labelNames: ['flag', 'variant'] as const,
      registers: [registry],
    }),
    experimentVotes: new Counter({
      name: 'experiment_votes_total',
      help: "Accepted votes of voters in an experiment, by flag and the voter's variant",
      labelNames: ['flag', 'variant'] as const,
      registers: [registry],
    }),
    voteToDiff: new Histogram({
      name: 'vote_to_diff_seconds',
      help: 'From a vote acknowledged by this process to the first diff that carries it',
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5],
      registers: [registry],
    }),
  };
  return {
    ...metrics,
    /** The vote path's series, resolved once (see HistogramSeries). */
    series: {
      castVoteScript: new HistogramSeries(metrics.redisScript, { script: 'cast-vote' }),
      votes: seriesByValue((result: VoteResult) => new CounterSeries(metrics.votes, { result })),
      /** `trpc_request_duration_seconds` of a successful call, by type and path label. */
      requestOk: {
        query: seriesByValue(
          (path: string) =>
            new HistogramSeries(metrics.requestDuration, { path, type: 'query', code: 'OK' }),
        ),
        mutation: seriesByValue(
          (path: string) =>
            new HistogramSeries(metrics.requestDuration, { path, type: 'mutation', code: 'OK' }),
        ),
      },
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

type Labels = Partial<Record<string, string>>;
interface HistogramValues {
  labels: Labels;
  sum: number;
  count: number;
  bucketValues: Record<number, number>;
}
interface CounterValues {
  labels: Labels;
  value: number;
}
/** prom-client 15's layout: one entry per label set in `hashMap`, replaced wholesale on reset. */
interface Internals<Values> {
  hashMap: Record<string, Values>;
  upperBounds: number[];
}

/**
 * One series of a histogram (a fixed label set), resolved once. prom-client checks and hashes
 * the labels on every observation, its own `labels()` children too: with three observations per
 * vote that was ~4 % of the vote path's CPU. The first observation goes through prom-client,
 * which creates the series; later ones add to its values directly (prom-client 15's layout,
 * checked by test/metrics-series.test.ts), and a reset is noticed (a new map) and re-resolved.
 */
export class HistogramSeries {
  private values: HistogramValues | undefined;
  private map: unknown;

  constructor(
    private readonly histogram: Histogram<string>,
    private readonly labels: Labels,
  ) {}

  observe(value: number): void {
    const internals = this.histogram as unknown as Internals<HistogramValues>;
    const values = this.values;
    if (values === undefined || this.map !== internals.hashMap) {
      this.histogram.observe(this.labels, value);
      this.map = internals.hashMap;
      this.values = find(internals.hashMap, this.labels);
      return;
    }
    values.sum += value;
    values.count += 1;
    for (const bound of internals.upperBounds) {
      if (value <= bound) {
        values.bucketValues[bound] = (values.bucketValues[bound] ?? 0) + 1;
        return;
      }
    }
  }
}

/** One series of a counter, resolved once (as HistogramSeries). */
export class CounterSeries {
  private values: CounterValues | undefined;
  private map: unknown;

  constructor(
    private readonly counter: Counter<string>,
    private readonly labels: Labels,
  ) {}

  inc(): void {
    const internals = this.counter as unknown as Internals<CounterValues>;
    const values = this.values;
    if (values === undefined || this.map !== internals.hashMap) {
      this.counter.inc(this.labels);
      this.map = internals.hashMap;
      this.values = find(internals.hashMap, this.labels);
      return;
    }
    values.value += 1;
  }
}

function find<Values extends { labels: Labels }>(
  map: Record<string, Values>,
  labels: Labels,
): Values | undefined {
  const names = Object.keys(labels);
  return Object.values(map).find(
    (v) =>
      Object.keys(v.labels).length === names.length &&
      names.every((name) => v.labels[name] === labels[name]),
  );
}

/** Series made on first use, one per value (the values are a small fixed set). */
function seriesByValue<Key, Series>(make: (key: Key) => Series): (key: Key) => Series {
  const made = new Map<Key, Series>();
  return (key) => {
    let series = made.get(key);
    if (!series) made.set(key, (series = make(key)));
    return series;
  };
}
