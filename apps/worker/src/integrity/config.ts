import { z } from 'zod';

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const share = z.coerce.number().gt(0).max(1);

/**
 * The integrity sweep's settings and the detection rules' thresholds (issue 13), spread into the
 * worker's env schema. Defaults catch a stuffing attack of a few hundred voter ids from one
 * network while a busy shared network (many voters spread over many models) stays unflagged:
 * every "many voters" rule also asks that most of them cast the SAME ballot, since a ranking is
 * only harmed by votes that concentrate.
 */
export const integrityEnvShape = {
  /**
   * Run the detection rules (false: the sweep only moves flags in transition on). Off in test
   * stacks whose every voter comes from 127.0.0.1: to the rules, that crowd is one network.
   */
  INTEGRITY_RULES_ENABLED: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(true),
  /** Run the detection sweep (and the flags' voiding/restoring transitions) this often. */
  INTEGRITY_SWEEP_MS: count(500, 3_600_000).default(5_000),
  /** The rules look at the vote events of this many seconds before each sweep. */
  INTEGRITY_WINDOW_SEC: count(10, 86_400).default(600),
  /** A model's own baseline for the burst rule: its votes over this long before the window. */
  INTEGRITY_BASELINE_SEC: count(60, 7 * 86_400).default(3 * 3600),
  /** At most this many events per sweep (the newest are kept). */
  INTEGRITY_SWEEP_MAX_EVENTS: count(100, 5_000_000).default(200_000),
  /** Share of a group of voters that must cast the same ballot for a "many voters" rule. */
  INTEGRITY_CONCENTRATION: share.default(0.6),
  /** prefix-new-voters: new voter ids from one network on one (model, direction). */
  INTEGRITY_PREFIX_NEW_VOTERS: count(2, 1_000_000).default(20),
  /** fingerprint-new-voters: new voter ids sharing one browser fingerprint. */
  INTEGRITY_FINGERPRINT_VOTERS: count(2, 1_000_000).default(10),
  /** model-burst: votes on one model in the window, at least… */
  INTEGRITY_BURST_MIN_VOTES: count(2, 1_000_000).default(50),
  /** …and this many times its baseline rate… */
  INTEGRITY_BURST_FACTOR: z.coerce.number().min(1).max(10_000).default(10),
  /** …of which a network with at least this share is blamed. */
  INTEGRITY_BURST_PREFIX_SHARE: share.default(0.2),
  /** single-model-prefix: voters of one network whose only vote is the same one. */
  INTEGRITY_SINGLE_MODEL_VOTERS: count(2, 1_000_000).default(20),
  /** cookie-churn: new voter ids from one address and user agent. */
  INTEGRITY_CHURN_NEW_VOTERS: count(2, 1_000_000).default(10),
  /** The api's votes-per-minute limit (same variable and default as apps/api). */
  VOTE_RATE_LIMIT: count(1, 1_000_000).default(60),
  /** rate-limit-riding: a minute counts as "at the limit" from this share of VOTE_RATE_LIMIT… */
  INTEGRITY_RATE_RIDING_SHARE: share.default(0.8),
  /** …and a voter or address is flagged after this many such minutes in the window. */
  INTEGRITY_RATE_RIDING_MINUTES: count(1, 1440).default(5),
  /** automation: votes marked automated from one network. */
  INTEGRITY_AUTOMATED_VOTES: count(1, 1_000_000).default(20),
};

type IntegrityEnv = {
  [K in keyof typeof integrityEnvShape]: z.output<(typeof integrityEnvShape)[K]>;
};

/** What the rules compare their counts with (see integrityEnvShape for each). */
export interface IntegrityThresholds {
  windowSec: number;
  baselineSec: number;
  concentration: number;
  prefixNewVoters: number;
  fingerprintVoters: number;
  burstMinVotes: number;
  burstFactor: number;
  burstPrefixShare: number;
  singleModelVoters: number;
  churnNewVoters: number;
  rateLimitPerMin: number;
  rateRidingShare: number;
  rateRidingMinutes: number;
  automatedVotes: number;
}

export function thresholdsOf(env: IntegrityEnv): IntegrityThresholds {
  return {
    windowSec: env.INTEGRITY_WINDOW_SEC,
    baselineSec: env.INTEGRITY_BASELINE_SEC,
    concentration: env.INTEGRITY_CONCENTRATION,
    prefixNewVoters: env.INTEGRITY_PREFIX_NEW_VOTERS,
    fingerprintVoters: env.INTEGRITY_FINGERPRINT_VOTERS,
    burstMinVotes: env.INTEGRITY_BURST_MIN_VOTES,
    burstFactor: env.INTEGRITY_BURST_FACTOR,
    burstPrefixShare: env.INTEGRITY_BURST_PREFIX_SHARE,
    singleModelVoters: env.INTEGRITY_SINGLE_MODEL_VOTERS,
    churnNewVoters: env.INTEGRITY_CHURN_NEW_VOTERS,
    rateLimitPerMin: env.VOTE_RATE_LIMIT,
    rateRidingShare: env.INTEGRITY_RATE_RIDING_SHARE,
    rateRidingMinutes: env.INTEGRITY_RATE_RIDING_MINUTES,
    automatedVotes: env.INTEGRITY_AUTOMATED_VOTES,
  };
}

/** The defaults, parsed (for tests and tools). */
export const DEFAULT_THRESHOLDS: IntegrityThresholds = thresholdsOf(
  z.object(integrityEnvShape).parse({}),
);
