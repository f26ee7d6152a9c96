/**
 * The admin dashboard's contract (issue 12): inputs validated by the api, shapes the SPA reads.
 * Outputs are plain interfaces (the api builds them; the SPA's types come from AppRouter).
 */
import { z } from 'zod';

import { LLM_STATUSES } from '../constants.ts';
import { llmCategorySchema, llmIdSchema } from './llm.schema.ts';

// ── Accounts and sessions ─────────────────────────────────────────────────────────────────

export const ADMIN_USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,31}$/;
export const adminUsernameSchema = z
  .string()
  .regex(
    ADMIN_USERNAME_PATTERN,
    'must be 3–32 characters: lowercase letters, digits, ".", "-" or "_"',
  );
/** Long passphrases welcome; argon2 hashes any length, the cap only bounds the work. */
export const adminPasswordSchema = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(1024, 'must be at most 1024 characters');

export const adminSignInInputSchema = z.strictObject({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(1024),
});
export type AdminSignInInput = z.infer<typeof adminSignInInputSchema>;

/** The header every admin mutation carries (the session's CSRF token). */
export const ADMIN_CSRF_HEADER = 'x-csrf-token';

/** Who is signed in, and what the page needs to act as them. */
export interface AdminMe {
  username: string;
  /** Sent back in `x-csrf-token` on every admin mutation. */
  csrfToken: string;
  /** The session ends after this long without a request. */
  idleTimeoutSec: number;
  /** ISO time the session ends regardless of activity. */
  expiresAt: string;
  links: AdminLinks;
}

export interface AdminLinks {
  grafana: string | null;
  prometheus: string | null;
  /** The BullMQ board (same session). */
  queues: string;
}

// ── Catalogue ─────────────────────────────────────────────────────────────────────────────

const isoDate = z.iso.date();
/** A web address voters can follow: http(s), a domain name, nothing a page could misread. */
function isPlainWebUrl(value: string): boolean {
  if (/[\s<>"'`]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      z.regexes.domain.test(url.hostname) &&
      url.username === '' &&
      url.password === ''
    );
  } catch {
    return false;
  }
}
const webUrl = z
  .string()
  .trim()
  .max(300)
  .refine(isPlainWebUrl, 'must be a web address starting with https:// (or http://)');

/** Every field a voter sees, validated as the database checks them (and a little stricter). */
export const llmAdminFieldsSchema = z.strictObject({
  name: z.string().trim().min(1).max(80),
  vendor: z.string().trim().min(1).max(60),
  family: z.string().trim().min(1).max(60),
  releaseDate: isoDate.nullable(),
  openWeights: z.boolean(),
  parametersB: z.number().positive().max(100_000).nullable(),
  contextWindow: z.number().int().positive().max(100_000_000).nullable(),
  categories: z
    .array(llmCategorySchema)
    .min(1, 'pick at least one category')
    .max(8)
    .refine((c) => new Set(c).size === c.length, 'each category once'),
  homepage: webUrl.nullable(),
  status: z.enum(LLM_STATUSES),
});
export type LlmAdminFields = z.infer<typeof llmAdminFieldsSchema>;

export const llmAdminCreateInputSchema = llmAdminFieldsSchema.extend({ id: llmIdSchema });
export type LlmAdminCreateInput = z.infer<typeof llmAdminCreateInputSchema>;

/**
 * A whole record as the form holds it, plus the `updatedAt` the admin started from: a change
 * made meanwhile by someone else is refused (CONFLICT) rather than overwritten.
 */
export const llmAdminUpdateInputSchema = llmAdminFieldsSchema.extend({
  id: llmIdSchema,
  expectedUpdatedAt: z.iso.datetime({ offset: true }),
});
export type LlmAdminUpdateInput = z.infer<typeof llmAdminUpdateInputSchema>;

export const llmAdminIdInputSchema = z.strictObject({ id: llmIdSchema });

// ── Feature flags and experiments ─────────────────────────────────────────────────────────

export const FLAG_KEY_PATTERN = /^[a-z][a-z0-9-]{1,47}$/;
export const flagKeySchema = z.string().regex(FLAG_KEY_PATTERN, 'must be a flag key');
// HIDE_RESULTS_FLAG lives in flags.ts: the page's first bundle needs it, and taking it from this
// module kept this module's zod schemas (and zod) in that bundle.

export const flagUpdateInputSchema = z.strictObject({
  key: flagKeySchema,
  enabled: z.boolean(),
  rolloutPercent: z.number().int().min(0).max(100),
  experiment: z.boolean(),
  /** Refuses the change (CONFLICT) if someone changed the flag since (optimistic locking). */
  expectedUpdatedAt: z.iso.datetime({ offset: true }),
});
export type FlagUpdateInput = z.infer<typeof flagUpdateInputSchema>;

export type FlagVariant = 'on' | 'off';

/** One arm of an experiment: visits (exposures) and the outcome counted against them. */
export interface ExperimentArm {
  variant: FlagVariant;
  exposures: number;
  votes: number;
  /** votes / exposures; null before the first exposure. */
  votesPerVisit: number | null;
}

export interface FlagView {
  key: string;
  description: string;
  enabled: boolean;
  rolloutPercent: number;
  experiment: boolean;
  updatedAt: string;
  updatedBy: string | null;
  /**
   * Both arms ('on', 'off'), summed over every api process (Redis counters) since the experiment
   * was last turned on; Prometheus keeps the per-process history (experiment_*_total).
   */
  arms: ExperimentArm[];
}

/** What a voter's page gets from `flags.evaluate`: every flag's value for this voter. */
export interface FlagEvaluation {
  /** Bumped by every flag change: a page re-evaluates when the live feed reports a new one. */
  version: number;
  flags: Record<string, { value: boolean; variant: FlagVariant }>;
}

// ── Audit log ─────────────────────────────────────────────────────────────────────────────

export const auditListInputSchema = z
  .strictObject({
    q: z.string().trim().max(100).optional(),
    action: z.string().trim().max(64).optional(),
    actor: z.string().trim().max(64).optional(),
    targetType: z.string().trim().max(32).optional(),
    targetId: z.string().trim().max(64).optional(),
    /** The previous page's `nextCursor`. */
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(100).default(25),
  })
  .default({ limit: 25 });
export type AuditListInput = z.infer<typeof auditListInputSchema>;

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: number | null;
}

// ── Live overview ─────────────────────────────────────────────────────────────────────────

export const overviewInputSchema = z
  .strictObject({
    /** Only points after this time (ms since epoch): the page polls for what is new. */
    sinceMs: z.number().int().nonnegative().optional(),
  })
  .optional();

/** One step of the overview's charts, summed over every api and worker process. */
export interface OverviewPoint {
  /** End of the step (ms since epoch). */
  t: number;
  /** Per minute over the step. */
  votesAccepted: number;
  votesRateLimited: number;
  votesRejected: number;
  /** Votes acknowledged to voters (Redis) and rows flushed to Postgres, per minute. */
  acknowledged: number;
  flushed: number;
  /** Oldest unflushed vote's age; null when unknown. */
  outboxLagSec: number | null;
  wsConnections: number;
  subscriptions: number;
  rankerTickSec: number | null;
  /** Hit share per cache layer over the step (`l1/response`, `l1/catalogue`, …); null: no requests. */
  cacheHitRatio: Record<string, number | null>;
  /** Jobs waiting, active or delayed, per BullMQ queue. */
  queueDepth: Record<string, number>;
  /** Jobs that failed for good (kept by BullMQ until removed or retried), per queue. */
  queueFailed: Record<string, number>;
  /** Share of tRPC requests answered with a server error (5xx) over the step. */
  errorRate: number | null;
}

export interface Overview {
  stepSec: number;
  points: OverviewPoint[];
  /** The worker process holding the ranker's lease, if any. */
  rankerLeader: string | null;
  /** Processes that reported in the last step (api and worker). */
  processes: { api: number; worker: number };
}

/** A catalogue entry as admins see it: every voter-visible field, and when it last changed. */
export interface AdminLlm {
  id: string;
  name: string;
  vendor: string;
  family: string;
  releaseDate: string | null;
  openWeights: boolean;
  parametersB: number | null;
  contextWindow: number | null;
  categories: string[];
  homepage: string | null;
  status: (typeof LLM_STATUSES)[number];
  createdAt: string;
  updatedAt: string;
}
