// Owner: live overview (issue 12). Skeleton: refuses until implemented.
import { type Overview, overviewInputSchema } from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import { adminProcedure } from '../trpc.ts';

export const adminOverviewProcedure = adminProcedure
  .input(overviewInputSchema)
  .query((): Overview => {
    throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'Not implemented yet' });
  });
