import { z } from 'zod';

import type { RankRange } from '../rank.ts';
import { type Llm, catalogueVersionSchema, llmCategorySchema } from './llm.schema.ts';

/**
 * The boards' sorts: score (up − down), wilson (lower bound of the approval's 95 % interval),
 * trending (the score with every vote weighted by its age, trending.ts).
 */
export const RANKING_SORTS = ['score', 'wilson', 'trending'] as const;
export type RankingSort = (typeof RANKING_SORTS)[number];

export const rankingsListInputSchema = z
  .strictObject({
    sort: z.enum(RANKING_SORTS).default('score'),
    category: llmCategorySchema.optional(),
    /** The catalogue version the page needs (see catalogueVersionSchema). */
    catalogue: catalogueVersionSchema.optional(),
  })
  .optional();
export type RankingsListInput = z.infer<typeof rankingsListInputSchema>;

/** One row of `rankings.list`. */
export interface RankingRow {
  /**
   * Rank on the board asked for (ties share a rank); null: provisional (fewer votes than
   * RANK_MIN_VOTES) or no votes yet, listed after the ranked rows in that order.
   */
  rank: number | null;
  llm: Llm;
  up: number;
  down: number;
  score: number;
  wilson: number;
  /** The time-decayed score (the 'trending' sort's value), two decimals. */
  trending: number;
  /** Has votes, fewer than RANK_MIN_VOTES: listed, not ranked. */
  provisional: boolean;
  /** Best and worst rank within the 95 % intervals (`rankRanges`); null when unranked or trending. */
  rankRange: RankRange | null;
}

/** How the boards are ranked, as configured on the ranker (RANK_MIN_VOTES, TRENDING_HALF_LIFE_HOURS). */
export interface RankingRules {
  minVotes: number;
  trendingHalfLifeHours: number;
}

const HOUR_ISO = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });

/**
 * `rankings.asOf`: the board as it stood at the end of a past hour, from the stored hourly
 * history (the hour is floored to its start, UTC).
 */
export const rankingsAsOfInputSchema = z.strictObject({
  at: HOUR_ISO,
  sort: z.enum(RANKING_SORTS).default('score'),
  category: llmCategorySchema.optional(),
});
export type RankingsAsOfInput = z.input<typeof rankingsAsOfInputSchema>;

/** What `rankings.asOf` answers: the hour shown (its start, ISO UTC) and the rows as then. */
export interface RankingsAsOf {
  /** Start of the hour whose stored snapshot is shown; null when history has nothing that old. */
  hour: string | null;
  rows: RankingRow[];
}

export const MOVER_WINDOWS = ['24h', '7d'] as const;
export type MoverWindow = (typeof MOVER_WINDOWS)[number];

/** `rankings.movers`: the models whose rank and score moved most over the window. */
export const rankingsMoversInputSchema = z
  .strictObject({
    window: z.enum(MOVER_WINDOWS).default('24h'),
    limit: z.number().int().min(1).max(20).default(5),
  })
  .optional();
export type RankingsMoversInput = z.input<typeof rankingsMoversInputSchema>;

/** One model's move over a window (overall board by score, from the hourly history). */
export interface Mover {
  llmId: string;
  rankBefore: number | null;
  rankNow: number | null;
  /** Places gained (positive: up), null when unranked at either end (`rankChange`). */
  rankChange: number | null;
  scoreBefore: number;
  scoreNow: number;
  scoreChange: number;
}

export interface RankingsMovers {
  window: MoverWindow;
  /** The two hours compared (starts of hours, ISO UTC); null when history is empty. */
  from: string | null;
  to: string | null;
  /** Most places gained first (then score gained); at most `limit`. */
  risers: Mover[];
  /** Most places lost first (then score lost); at most `limit`. */
  fallers: Mover[];
}
