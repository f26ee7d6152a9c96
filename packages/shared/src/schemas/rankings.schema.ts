import { z } from 'zod';

import { type Llm, catalogueVersionSchema, llmCategorySchema } from './llm.schema.ts';

export const RANKING_SORTS = ['score', 'wilson'] as const;
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
  /** Rank on the board asked for (ties share a rank); null: no votes yet (listed last). */
  rank: number | null;
  llm: Llm;
  up: number;
  down: number;
  score: number;
  wilson: number;
}
