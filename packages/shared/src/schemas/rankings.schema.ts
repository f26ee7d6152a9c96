import { z } from 'zod';

import { llmCategorySchema } from './llm.schema.ts';

export const RANKING_SORTS = ['score', 'wilson'] as const;
export type RankingSort = (typeof RANKING_SORTS)[number];

export const rankingsListInputSchema = z
  .strictObject({
    sort: z.enum(RANKING_SORTS).default('score'),
    category: llmCategorySchema.optional(),
  })
  .optional();
export type RankingsListInput = z.infer<typeof rankingsListInputSchema>;
