import type { BenchOptions } from './types.ts';

export type BenchMode = 'tiny' | 'quick' | 'default' | 'full';

/** How long and how much each of the HTTP and flush scenarios may run, per mode. */
export interface Budget {
  mode: BenchMode;
  /** Load-generator connections: the same for every HTTP scenario. */
  connections: number;
  /** Warm-up before each timed window (its figures are discarded). */
  warmupSec: number;
  /** Timed window of each HTTP scenario. */
  durationSec: number;
  /** Timed window of the extra `?batch=1` run of `vote`. */
  batchDurationSec: number;
  /** Count bound of one timed window, whatever the rate (far above any figure seen here). */
  maxRequests: number;
  /** Voter cookies minted through `vote.mine` before the `vote` window (and ids for its peers). */
  voters: number;
  /** Events queued in the outbox for `flush`. */
  flushEvents: number;
}

export function modeOf(opts: BenchOptions): BenchMode {
  if (opts.tiny) return 'tiny';
  if (opts.full) return 'full';
  return opts.quick ? 'quick' : 'default';
}

const TABLE: Record<BenchMode, Omit<Budget, 'mode' | 'maxRequests' | 'connections'>> = {
  // The harness test: every figure present and > 0, nothing more.
  tiny: { warmupSec: 0.5, durationSec: 1.5, batchDurationSec: 1, voters: 300, flushEvents: 1_000 },
  // ~90 s for ceiling..flush, so `--quick` with the fan-out scenarios stays within ~3 minutes.
  quick: {
    warmupSec: 2,
    durationSec: 8,
    batchDurationSec: 4,
    voters: 5_000,
    flushEvents: 200_000,
  },
  default: {
    warmupSec: 3,
    durationSec: 15,
    batchDurationSec: 8,
    voters: 20_000,
    flushEvents: 1_000_000,
  },
  full: {
    warmupSec: 5,
    durationSec: 30,
    batchDurationSec: 15,
    voters: 20_000,
    flushEvents: 1_000_000,
  },
};

export function budgetOf(opts: BenchOptions): Budget {
  const mode = modeOf(opts);
  const b = TABLE[mode];
  return { mode, connections: 64, ...b, maxRequests: Math.ceil(b.durationSec * 200_000) };
}
