import { z } from 'zod';

import { llmIdSchema } from './llm.schema.ts';

/** `llm.history`: one model's hourly history over the last `days` days. */
export const llmHistoryInputSchema = z.strictObject({
  id: llmIdSchema,
  days: z.number().int().min(1).max(90).default(30),
});
export type LlmHistoryInput = z.input<typeof llmHistoryInputSchema>;

/** One hourly snapshot of a model: its tally and overall rank by score at that hour. */
export const historyPointSchema = z.object({
  /** Start of the hour, ISO 8601 UTC (`2026-11-27T10:00:00.000Z`). */
  hour: z.string(),
  up: z.number().int(),
  down: z.number().int(),
  score: z.number().int(),
  /**
   * Overall rank by score that hour, by the shared `rankBoard` (ties share a rank); null when
   * the model had no votes yet.
   */
  rank: z.number().int().nullable(),
});
export type HistoryPoint = z.infer<typeof historyPointSchema>;

export const llmHistorySchema = z.object({
  llmId: llmIdSchema,
  /** Oldest first; the current hour is refreshed every few minutes by the worker. */
  points: z.array(historyPointSchema),
});
export type LlmHistory = z.infer<typeof llmHistorySchema>;

/** `rankings.trends`: every model's recent hourly score and rank, for sparklines and arrows. */
export const rankingsTrendsInputSchema = z
  .strictObject({
    hours: z.number().int().min(1).max(168).default(24),
  })
  .optional();
export type RankingsTrendsInput = z.input<typeof rankingsTrendsInputSchema>;

export const trendSeriesSchema = z.object({
  /** Hourly scores, oldest first (only the hours the model was snapshotted). */
  score: z.array(z.number().int()),
  /** The overall rank at the same hours (null: no votes yet that hour). */
  rank: z.array(z.number().int().nullable()),
});
export type TrendSeries = z.infer<typeof trendSeriesSchema>;

export const rankingsTrendsSchema = z.object({
  hours: z.number().int(),
  /** Keyed by model id; a model with no snapshot in the window is absent. */
  series: z.record(z.string(), trendSeriesSchema),
});
export type RankingsTrends = z.infer<typeof rankingsTrendsSchema>;
