// Owner: feature flags (issue 12). Skeleton: refuses until implemented.
import type { FlagEvaluation } from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import { publicProcedure, router } from '../trpc.ts';

export const flagsRouter = router({
  /** Every flag's value for the calling voter (per voter: never cached). */
  evaluate: publicProcedure.query((): FlagEvaluation => {
    throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'Not implemented yet' });
  }),
});
