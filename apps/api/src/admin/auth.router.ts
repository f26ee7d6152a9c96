// Owner: admin sign-in (issue 12). Skeleton: every procedure refuses until implemented.
import { type AdminMe, adminSignInInputSchema } from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import { adminProcedure, publicProcedure, router } from '../trpc.ts';

const todo = (): never => {
  throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'Not implemented yet' });
};

export const adminAuthRouter = router({
  signIn: publicProcedure.input(adminSignInInputSchema).mutation((): AdminMe => todo()),
  signOut: publicProcedure.mutation((): { ok: true } => todo()),
  signOutEverywhere: adminProcedure.mutation((): { ok: true } => todo()),
  me: adminProcedure.query((): AdminMe => todo()),
});
