import { type Kysely, sql } from 'kysely';

import type { Database } from '../schema/index.ts';

/** One admin action as recorded: who, what, before/after, when, from where. */
export interface AuditRecord {
  /** Null for the command line and for failed sign-ins (no account is proven). */
  actorId: number | null;
  actor: string;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditEntryRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditQuery {
  /** Free text: matches actor, action, target id (substring, case-insensitive). */
  q?: string | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  /** Keyset paging: entries with an id below this one (the previous page's `nextCursor`). */
  before?: number | undefined;
  limit: number;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/**
 * Appends one entry. Pass the transaction that made the change, so the change and its record
 * commit together or not at all.
 */
export async function recordAudit(db: Kysely<Database>, r: AuditRecord): Promise<number> {
  const row = await db
    .insertInto('admin_audit_log')
    .values({
      actor_id: r.actorId,
      actor: r.actor,
      action: r.action,
      target_type: r.targetType ?? null,
      target_id: r.targetId ?? null,
      before: json(r.before),
      after: json(r.after),
      ip: r.ip ?? null,
      user_agent: r.userAgent ? r.userAgent.slice(0, 512) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Newest first, `limit` at a time; `nextCursor` is null on the last page. */
export async function listAudit(
  db: Kysely<Database>,
  query: AuditQuery,
): Promise<{ entries: AuditEntryRow[]; nextCursor: number | null }> {
  let qb = db.selectFrom('admin_audit_log').selectAll();
  if (query.before !== undefined) qb = qb.where('id', '<', String(query.before));
  if (query.action) qb = qb.where('action', '=', query.action);
  if (query.actor) qb = qb.where('actor', '=', query.actor);
  if (query.targetType) qb = qb.where('target_type', '=', query.targetType);
  if (query.targetId) qb = qb.where('target_id', '=', query.targetId);
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    qb = qb.where((eb) =>
      eb.or([
        eb('actor', 'ilike', like),
        eb('action', 'ilike', like),
        eb('target_id', 'ilike', like),
        eb(sql<string>`coalesce(before::text, '') || coalesce(after::text, '')`, 'ilike', like),
      ]),
    );
  }
  const rows = await qb
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  return {
    entries: page.map((r) => ({
      id: Number(r.id),
      at: r.at,
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      before: r.before ?? null,
      after: r.after ?? null,
      ip: r.ip,
      userAgent: r.user_agent,
    })),
    nextCursor: rows.length > query.limit ? Number(page[page.length - 1]!.id) : null,
  };
}
