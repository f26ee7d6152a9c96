import { findAdminById } from '@llmpt/db';
import { ADMIN_CSRF_HEADER } from '@llmpt/shared';
import { TRPCError, type TRPCProcedureType } from '@trpc/server';

import type { Context } from '../context.ts';
import { csrfTokenMatches, sameOrigin } from './csrf.ts';
import type { AdminSession } from './session.ts';

/** The admin a procedure runs for (set on `ctx.admin` by `adminProcedure`). */
export interface AdminPrincipal {
  id: number;
  username: string;
  /** The session's id (a hash of its token, never the token). */
  sessionId: string;
  /** The live session (CSRF token, when it ends) for `auth.me`. */
  session: AdminSession;
}

const unauthorized = () => new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in as an admin' });
const forbidden = (message: string) => new TRPCError({ code: 'FORBIDDEN', message });

/**
 * Proves the caller is a signed-in admin, or throws. Every transport runs it (the lean route,
 * batches and SSE through the stock adapter, WebSocket), since it is tRPC middleware.
 *
 * - 401 UNAUTHORIZED: no admin cookie, an unknown, idle-expired or past-its-end session, an
 *   account that is gone or disabled, or a session older than the account's epoch (password
 *   change, sign-out everywhere). A dead session is removed and, over HTTP, its cookie cleared.
 * - 403 FORBIDDEN, for mutations only, after the session is proven: over WebSocket (a socket
 *   has no per-call CSRF token); without the session's token in `x-csrf-token` (compared in
 *   constant time); or without a same-origin (or ALLOWED_ORIGINS) Origin header.
 *
 * The account is read from the primary on every call: admin traffic is tiny, and a disable or
 * epoch bump must bite at the very next request on every process.
 */
export async function authenticateAdmin(
  ctx: Context,
  type: TRPCProcedureType,
): Promise<AdminPrincipal> {
  const { adminSessions, db } = ctx.deps;
  const token = ctx.adminCookie.sent;
  if (token === '') throw unauthorized();
  const session = await adminSessions.read(token);
  if (!session) {
    ctx.adminCookie.clear();
    throw unauthorized();
  }
  const account = await findAdminById(db, session.adminId);
  if (!account || account.disabledAt !== null || account.sessionEpoch !== session.epoch) {
    await adminSessions.destroy(session.id, session.adminId);
    ctx.adminCookie.clear();
    throw unauthorized();
  }
  if (type === 'mutation') {
    if (ctx.transport === 'ws') {
      throw forbidden('Admin changes are made over HTTP, with the CSRF token');
    }
    if (!csrfTokenMatches(ctx.headers[ADMIN_CSRF_HEADER], session.csrfToken)) {
      throw forbidden('Missing or wrong CSRF token');
    }
    if (!sameOrigin(ctx.headers, ctx.deps.env.ALLOWED_ORIGINS)) {
      throw forbidden('Cross-site request refused');
    }
  }
  return { id: account.id, username: account.username, sessionId: session.id, session };
}
