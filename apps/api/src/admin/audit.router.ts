// Owner: admin audit log (issue 12). Skeleton: refuses until implemented.
import { type AuditPage, auditListInputSchema } from '@llmpt/shared';
import { TRPCError } from '@trpc/server';

import { adminProcedure, router } from '../trpc.ts';

export const adminAuditRouter = router({
  list: adminProcedure.input(auditListInputSchema).query((): AuditPage => {
    throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'Not implemented yet' });
  }),
});
