import { listAudit } from '@llmpt/db';
import { type AuditPage, auditListInputSchema } from '@llmpt/shared';

import { adminProcedure, router } from '../trpc.ts';

export const adminAuditRouter = router({
  /** Newest first, filtered and keyset-paged (`before` = the previous page's `nextCursor`). */
  list: adminProcedure
    .input(auditListInputSchema)
    .query(async ({ ctx, input }): Promise<AuditPage> => {
      // The primary: an admin who just changed something expects to see it listed (no replica lag).
      const page = await listAudit(ctx.deps.db, input);
      return {
        entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })),
        nextCursor: page.nextCursor,
      };
    }),
});
