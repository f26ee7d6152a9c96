import { adminAuditRouter } from '../admin/audit.router.ts';
import { adminAuthRouter } from '../admin/auth.router.ts';
import { adminCatalogueRouter } from '../admin/catalogue.router.ts';
import { adminFlagsRouter } from '../admin/flags.router.ts';
import { adminIntegrityRouter } from '../admin/integrity.router.ts';
import { adminOverviewProcedure } from '../admin/overview.router.ts';
import { router } from '../trpc.ts';

/** The admin dashboard's procedures: everything but `auth.signIn`/`signOut` is `adminProcedure`. */
export const adminRouter = router({
  auth: adminAuthRouter,
  overview: adminOverviewProcedure,
  catalogue: adminCatalogueRouter,
  flags: adminFlagsRouter,
  integrity: adminIntegrityRouter,
  audit: adminAuditRouter,
});
