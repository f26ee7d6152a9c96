import { z } from 'zod';

import { LLM_CATEGORIES, LLM_ID_PATTERN, LLM_STATUSES } from '../constants.ts';

export const llmIdSchema = z
  .string()
  .regex(LLM_ID_PATTERN, 'must be a model id: lowercase letters, digits, ".", "-" or "_"');

export const llmCategorySchema = z.enum(LLM_CATEGORIES);

/**
 * The catalogue version a page needs (from a live `config` message): part of the URL, hence of
 * every cache key (the api's and nginx's), so a page that heard of a change never gets an answer
 * cached before it. The api waits (briefly) for its own copy to reach that version.
 */
export const catalogueVersionSchema = z.number().int().nonnegative();

/** A catalogue entry as the API returns it. */
export const llmSchema = z.object({
  id: llmIdSchema,
  name: z.string(),
  vendor: z.string(),
  family: z.string(),
  releaseDate: z.string().nullable(),
  openWeights: z.boolean(),
  parametersB: z.number().nullable(),
  contextWindow: z.number().int().nullable(),
  categories: z.array(llmCategorySchema),
  homepage: z.string().nullable(),
  status: z.enum(LLM_STATUSES),
});
export type Llm = z.infer<typeof llmSchema>;

export const llmListInputSchema = z
  .strictObject({
    category: llmCategorySchema.optional(),
    vendor: z.string().min(1).max(64).optional(),
    openWeights: z.boolean().optional(),
    search: z.string().trim().max(100).optional(),
    catalogue: catalogueVersionSchema.optional(),
  })
  .optional();
export type LlmListInput = z.infer<typeof llmListInputSchema>;

export const llmByIdInputSchema = z.strictObject({ id: llmIdSchema });
