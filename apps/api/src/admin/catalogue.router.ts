// Owner: admin catalogue (issue 12). Skeleton: refuses until implemented.
import {
  type AdminLlm,
  llmAdminCreateInputSchema,
  llmAdminIdInputSchema,
  llmAdminUpdateInputSchema,
} from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import { adminProcedure, router } from '../trpc.ts';

const todo = (): never => {
  throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'Not implemented yet' });
};

export const adminCatalogueRouter = router({
  list: adminProcedure.query((): AdminLlm[] => todo()),
  create: adminProcedure.input(llmAdminCreateInputSchema).mutation((): AdminLlm => todo()),
  update: adminProcedure.input(llmAdminUpdateInputSchema).mutation((): AdminLlm => todo()),
  retire: adminProcedure.input(llmAdminIdInputSchema).mutation((): AdminLlm => todo()),
});
