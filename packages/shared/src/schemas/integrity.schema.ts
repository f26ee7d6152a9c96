/**
 * Ranking integrity (issue 13): the signals kept with every vote, the detection rules' flags,
 * the admins' review of them, and what voters are shown. Inputs are zod schemas (the api
 * validates them); outputs are plain interfaces (the api builds them, the SPA reads them).
 */
import { z } from 'zod';

// ── Signals (sent by the SPA with a vote; the api adds the rest) ────────────────────────────

/**
 * What the voter's browser adds to a vote, all optional (the product works without them): the
 * FingerprintJS open-source visitor id (32 hex; a soft signal, hashed with a key before it is
 * stored) and `navigator.webdriver` (an automation signal).
 */
export const voteClientSignalsSchema = z.strictObject({
  fp: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'fp must be 32 lowercase hex characters (a FingerprintJS visitor id)')
    .optional(),
  webdriver: z.boolean().optional(),
});
export type VoteClientSignals = z.infer<typeof voteClientSignalsSchema>;

/**
 * What is kept with every vote event (outbox → `user_votes`): keyed hashes only, never a raw
 * address or user agent. `net` is the client's IPv4 /24 or IPv6 /64.
 */
export interface VoteSignals {
  /** Keyed hash of the client IP. */
  ip: string;
  /** Keyed hash of the client network (IPv4 /24, IPv6 /64). */
  net: string;
  /** Keyed hash of the User-Agent header ('' when none). */
  ua: string;
  /** Keyed hash of the browser fingerprint ('' when the browser sent none). */
  fp: string;
  /** The voter id was new with this vote (no vote of theirs accepted before). */
  newVoter: boolean;
  /** Automation seen: `navigator.webdriver`, or a headless/scripted User-Agent. */
  automated: boolean;
}

// ── Rules and flags ─────────────────────────────────────────────────────────────────────────

/** The detection rules, by name (stable: metrics labels, flags and the public page use them). */
export const INTEGRITY_RULES = [
  'prefix-new-voters',
  'fingerprint-new-voters',
  'model-burst',
  'single-model-prefix',
  'cookie-churn',
  'rate-limit-riding',
  'automation',
] as const;
export type IntegrityRule = (typeof INTEGRITY_RULES)[number];

/**
 * What voters are told each rule checks: no thresholds (they would help attackers). The admin
 * page shows a flag's own explanation, with its counts.
 */
export const INTEGRITY_RULE_PUBLIC: Record<IntegrityRule, { title: string; checks: string }> = {
  'prefix-new-voters': {
    title: 'Many new voters from one network',
    checks:
      'Many voter ids appearing for the first time from one network, all voting the same way on the same model.',
  },
  'fingerprint-new-voters': {
    title: 'Many voters from one browser',
    checks: 'Many voter ids coming from what looks like the same browser.',
  },
  'model-burst': {
    title: 'A burst on one model',
    checks:
      "Votes on one model far above that model's own usual rate, coming mostly from a few networks.",
  },
  'single-model-prefix': {
    title: 'One-model voters from a shared network',
    checks: 'Many voters from one network whose only vote is the same vote on the same model.',
  },
  'cookie-churn': {
    title: 'Cookie churn',
    checks: 'One address and browser that keeps starting over as a new voter.',
  },
  'rate-limit-riding': {
    title: 'Voting at the limit',
    checks: 'A voter or address that votes at the rate limit for long stretches.',
  },
  automation: {
    title: 'Automated browsers',
    checks: 'Many votes from scripted or headless browsers on one network.',
  },
};

/**
 * A flag's life: `voiding` (its votes are being taken out) → `open` (taken out, waiting for an
 * admin) → `confirmed` (kept out; bans may apply) or `restoring` (dismissed, being put back) →
 * `dismissed`. Each step is idempotent and resumed by the worker after a crash.
 */
export const FLAG_STATUSES = ['voiding', 'open', 'confirmed', 'restoring', 'dismissed'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];

/** The numbers behind a flag: what the rule counted, over which window, and where. */
export interface FlagEvidence {
  /** Length of the window the rule looked at, seconds. */
  windowSec: number;
  /** Counts the rule measured against its thresholds, by name (e.g. newVoters: 300). */
  counts: Record<string, number>;
  /** The thresholds it compared them with (admins only; never public). */
  thresholds: Record<string, number>;
  /** Keyed hash of the network (IPv4 /24, IPv6 /64), when the rule is about one. */
  prefixHash?: string;
  /** Keyed hash of the fingerprint, when the rule is about one. */
  fingerprintHash?: string;
  /** The model, when the rule is about one. */
  llmId?: string;
  /** The direction of the votes, when the rule is about one: 1 up, -1 down. */
  direction?: 1 | -1;
  /** First and last affected vote (ISO). */
  firstVoteAt: string;
  lastVoteAt: string;
}

/** One flag as the admins' review queue shows it. */
export interface IntegrityFlag {
  id: number;
  rule: IntegrityRule;
  status: FlagStatus;
  /** One sentence: what was seen, with the counts (e.g. "300 new voter ids from one /24 …"). */
  explanation: string;
  evidence: FlagEvidence;
  /** Votes the flag holds (voided while it is open or confirmed). */
  votes: number;
  /** Distinct voter ids among them. */
  voters: number;
  /** Per model: votes the flag holds. */
  byModel: Array<{ llmId: string; votes: number }>;
  createdAt: string;
  reviewedAt: string | null;
  reviewedBy: string | null;
  /** Bans made when it was confirmed. */
  ban: { voters: boolean; prefix: boolean; until: string } | null;
}

export const flagIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const integrityListInputSchema = z.strictObject({
  /** Which flags: those waiting for review (voiding, open, restoring) or all. Default open. */
  status: z.enum(['pending', 'confirmed', 'dismissed', 'all']).default('pending'),
  /** Keyset page: flags with a smaller id. */
  before: flagIdSchema.optional(),
  limit: z.number().int().min(1).max(100).default(50),
});
export type IntegrityListInput = z.input<typeof integrityListInputSchema>;

export interface IntegrityList {
  flags: IntegrityFlag[];
  /** Pass as `before` for the next page; null at the end. */
  next: number | null;
  /** Flags waiting for an admin (open). */
  pending: number;
}

/** The longest ban a confirmation may make. */
export const MAX_BAN_HOURS = 24 * 90;

export const integrityConfirmInputSchema = z.strictObject({
  flagId: flagIdSchema,
  /** Ban the flag's voter ids and/or its network for `hours` (nothing banned when both false). */
  banVoters: z.boolean().default(false),
  banPrefix: z.boolean().default(false),
  hours: z
    .number()
    .int()
    .min(1, 'a ban lasts at least 1 hour')
    .max(MAX_BAN_HOURS, `a ban lasts at most ${MAX_BAN_HOURS} hours`)
    .default(24),
});
export type IntegrityConfirmInput = z.input<typeof integrityConfirmInputSchema>;

export const integrityDismissInputSchema = z.strictObject({ flagId: flagIdSchema });
export type IntegrityDismissInput = z.infer<typeof integrityDismissInputSchema>;

// ── What voters see ─────────────────────────────────────────────────────────────────────────

/** Whether one of the voter's own votes counts. */
export const VOTE_STATUSES = ['counted', 'under_review', 'removed'] as const;
export type VoteStatus = (typeof VOTE_STATUSES)[number];

/** vote.mine: the caller's votes by model id, each with whether it counts. */
export type MyVotes = Record<string, { value: 1 | -1; status: VoteStatus }>;

/** The public transparency figures: votes removed (open or confirmed flags), per model. */
export interface IntegritySummary {
  /** Changes with every flag transition (the `integrity` config version). */
  version: number;
  removedTotal: number;
  /** Models with removed votes only. */
  removedByModel: Record<string, number>;
  /** Votes under review (open flags) among removedTotal. */
  underReview: number;
}
