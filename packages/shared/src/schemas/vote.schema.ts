import { z } from 'zod';

import { voteClientSignalsSchema } from './integrity.schema.ts';
import { llmIdSchema } from './llm.schema.ts';

export const voteValueSchema = z.union([z.literal(1), z.literal(-1), z.literal(0)], {
  error: 'value must be 1 (up), -1 (down) or 0 (retract)',
});

export const castVoteInputSchema = z.strictObject({
  llmId: llmIdSchema,
  value: voteValueSchema,
  /** What the browser adds for the integrity checks (issue 13); optional, votes work without. */
  client: voteClientSignalsSchema.optional(),
});
export type CastVoteInput = z.infer<typeof castVoteInputSchema>;

/** The instant acknowledgement of a vote: the model's tally right after it. */
export const castVoteResultSchema = z.object({
  llmId: llmIdSchema,
  up: z.number().int(),
  down: z.number().int(),
  score: z.number().int(),
  myVote: voteValueSchema,
});
export type CastVoteResult = z.infer<typeof castVoteResultSchema>;
