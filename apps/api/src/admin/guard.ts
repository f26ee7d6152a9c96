import { TRPCError, type TRPCProcedureType } from '@trpc/server';

import type { Context } from '../context.ts';

/** The admin a procedure runs for (set on `ctx.admin` by `adminProcedure`). */
export interface AdminPrincipal {
  id: number;
  username: string;
  /** The session's id (a hash of its token, never the token). */
  sessionId: string;
}

/**
 * Proves the caller is a signed-in admin, or throws UNAUTHORIZED (no or dead session) /
 * FORBIDDEN (CSRF, transport). Fails closed: until this is implemented nothing gets through.
 */
export function authenticateAdmin(
  _ctx: Context,
  _type: TRPCProcedureType,
): Promise<AdminPrincipal> {
  return Promise.reject(new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in as an admin' }));
}
