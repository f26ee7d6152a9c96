// Owner: feature flags (issue 12). Skeleton: refuses until implemented.
import { type FlagView, flagUpdateInputSchema } from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import { adminProcedure, router } from '../trpc.ts';

const todo = (): never => {
  throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'Not implemented yet' });
};

export const adminFlagsRouter = router({
  list: adminProcedure.query((): FlagView[] => todo()),
  update: adminProcedure.input(flagUpdateInputSchema).mutation((): FlagView => todo()),
});
