import { rankingsListInputSchema } from '@llmpt/shared';

import { publicProcedure, router } from '../trpc.ts';

export const rankingsRouter = router({
  /** The leaderboard: rank, model, up, down, score and Wilson lower bound. */
  list: publicProcedure
    .input(rankingsListInputSchema)
    .query(({ ctx, input }) =>
      ctx.deps.rankings.list({ sort: input?.sort ?? 'score', category: input?.category }),
    ),
});
