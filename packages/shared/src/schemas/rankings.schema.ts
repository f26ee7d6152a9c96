import { z } from 'zod';

import { type Llm, llmCategorySchema } from './llm.schema.ts';

export const RANKING_SORTS = ['score', 'wilson'] as const;
export type RankingSort = (typeof RANKING_SORTS)[number];

export const rankingsListInputSchema = z
  .strictObject({
    sort: z.enum(RANKING_SORTS).default('score'),
    category: llmCategorySchema.optional(),
  })
  .optional();
export type RankingsListInput = z.infer<typeof rankingsListInputSchema>;

/** One row of `rankings.list`. */
export interface RankingRow {
  rank: number;
  llm: Llm;
  up: number;
  down: number;
  score: number;
  wilson: number;
}
