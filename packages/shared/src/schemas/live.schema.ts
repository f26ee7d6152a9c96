import { z } from 'zod';

import type { BoardKey } from '../board-key.ts';
import type { ConfigVersions } from './config.schema.ts';
import { LLM_CATEGORIES } from '../constants.ts';
import { llmCategorySchema, llmIdSchema } from './llm.schema.ts';
import { RANKING_SORTS, type RankingRules } from './rankings.schema.ts';
import { LIVE_WINDOW_MAX_RANK } from '../live-wire.ts';

export * from '../live-wire.ts';

export { type BoardKey, boardKey } from '../board-key.ts';

export const ALL_BOARD_KEYS: readonly BoardKey[] = [
  ...RANKING_SORTS,
  ...LLM_CATEGORIES.flatMap((c) => RANKING_SORTS.map((s) => `${c}:${s}` as const)),
];

/** One model's live standing. */
export interface RankingEntry {
  llmId: string;
  up: number;
  down: number;
  score: number;
  wilson: number;
  /** The time-decayed score (trending.ts), two decimals, as of the diff's `at`. */
  trending: number;
  /**
   * Rank (1-based) on every board the model is on, by `rankBoard` (ties share a rank); null on a
   * board the model is on but nobody has voted on it yet. A board the model is not on (a
   * category it isn't in) is absent.
   */
  ranks: Partial<Record<BoardKey, number | null>>;
}

/**
 * What the ranker publishes a few times a second when tallies changed: the entries whose tally
 * or any rank changed. `id` is the diff's global id (its Redis stream id).
 */
export interface RankingsDiff {
  id: string;
  /** When the ranker computed it (ms since epoch). */
  at: number;
  entries: RankingEntry[];
}

/** Every active model's entry, as of diff `id` ('0-0' before the first diff). */
export interface RankingsSnapshot {
  id: string;
  at: number;
  entries: RankingEntry[];
  /** The rules the ranks were computed by (absent from snapshots of before issue 15). */
  rules?: RankingRules;
}

/** What `rankings.live` and `llm.live` yield, each inside `tracked(id, message)`. */
export type LiveMessage =
  | { type: 'snapshot'; snapshot: RankingsSnapshot }
  | { type: 'diff'; diff: RankingsDiff }
  /**
   * The catalogue or the flags changed (admins): sent to every open subscription within a second
   * of the change, and once after each (re)subscription's snapshot or replay, so a page that
   * resumed learns what it missed. The page re-reads what is newer than it holds.
   */
  | { type: 'config'; config: ConfigVersions };

export const rankingsLiveInputSchema = z
  .strictObject({
    sort: z.enum(RANKING_SORTS).default('score'),
    category: llmCategorySchema.optional(),
    /** Resume after this diff id; the server replays what was missed or sends a fresh snapshot. */
    lastEventId: z
      .string()
      .regex(/^\d{1,16}-\d{1,10}$/, 'must be a rankings event id like 1732690000000-0')
      .optional(),
  })
  .optional();
export type RankingsLiveInput = z.infer<typeof rankingsLiveInputSchema>;

/** A page's visible ranks (`LiveWindow`), as `rankings.liveWindow` accepts them. */
export const liveWindowSchema = z
  .strictObject({
    from: z.number().int().min(1).max(LIVE_WINDOW_MAX_RANK),
    to: z.number().int().min(1).max(LIVE_WINDOW_MAX_RANK),
  })
  .refine((w) => w.from <= w.to, { message: 'window.from must not exceed window.to' });

/**
 * `rankings.liveWindow` (issue 16): the board in the compact wire form (live-wire.ts) for a page
 * showing the ranks `window`: entries in the window every tick, the others together at most
 * every LIVE_OUTSIDE_WINDOW_MS. `lastEventId` is accepted (the stock links resend it) but a
 * resume always starts with a fresh compact snapshot: held-back entries are not in the diffs a
 * replay would read.
 */
export const rankingsLiveWindowInputSchema = z.strictObject({
  sort: z.enum(RANKING_SORTS).default('score'),
  category: llmCategorySchema.optional(),
  window: liveWindowSchema,
  lastEventId: z
    .string()
    .regex(/^\d{1,16}-\d{1,10}$/, 'must be a rankings event id like 1732690000000-0')
    .optional(),
});
export type RankingsLiveWindowInput = z.input<typeof rankingsLiveWindowInputSchema>;

export const llmLiveInputSchema = z.strictObject({
  id: llmIdSchema,
  lastEventId: z
    .string()
    .regex(/^\d{1,16}-\d{1,10}$/)
    .optional(),
});
