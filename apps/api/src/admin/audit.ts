import { type Database, type Kysely, recordAudit } from '@llmpt/db';

import type { Context } from '../context.ts';
import type { AdminPrincipal } from './guard.ts';

/** What an admin did, as the caller knows it; who and from where come from the context. */
export interface AuditAction {
  /** `area.verb`, e.g. `catalogue.update`, `flag.update`, `admin.sign_in`. */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  /** The record before and after the change (never secrets or hashes); omitted: null. */
  before?: unknown;
  after?: unknown;
  /**
   * Who, when it is not the signed-in admin: a failed sign-in names the username tried
   * (`id: null`: nothing is proven). Leave unset inside admin procedures.
   */
  actor?: { id: number | null; name: string };
}

/** The part of a tRPC context the audit reads (`admin` is set by `adminProcedure`). */
export type AuditContext = Pick<Context, 'deps' | 'ip' | 'userAgent'> & {
  admin?: AdminPrincipal | null;
};

/**
 * Appends one entry to the append-only audit log, with the actor, client address and user agent
 * taken from `ctx`. Pass the transaction that makes the change as `db`, so the change and its
 * record commit together or not at all; without it the primary is used.
 *
 * @throws Error when neither `ctx.admin` nor `entry.actor` says who acted (a bug, not input).
 * @see recordAudit in @llmpt/db
 */
export async function audit(
  ctx: AuditContext,
  entry: AuditAction,
  db?: Kysely<Database>,
): Promise<number> {
  const actor =
    entry.actor ?? (ctx.admin ? { id: ctx.admin.id, name: ctx.admin.username } : undefined);
  if (!actor) throw new Error(`audit(${entry.action}): no admin on the context and no actor`);
  return recordAudit(db ?? ctx.deps.db, {
    actorId: actor.id,
    actor: actor.name,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    before: entry.before,
    after: entry.after,
    ip: ctx.ip || null,
    userAgent: ctx.userAgent || null,
  });
}
