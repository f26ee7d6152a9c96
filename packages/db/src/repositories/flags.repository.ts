import type { Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';

/** A feature flag as stored (feature_flags). */
export interface FlagRecord {
  key: string;
  description: string;
  enabled: boolean;
  rolloutPercent: number;
  experiment: boolean;
  updatedBy: string | null;
  updatedAt: Date;
}

/** What an admin may change of a flag. */
export interface FlagChange {
  enabled: boolean;
  rolloutPercent: number;
  experiment: boolean;
  updatedBy: string;
}

const COLUMNS = [
  'key',
  'description',
  'enabled',
  'rollout_percent',
  'experiment',
  'updated_by',
  'updated_at',
] as const;

function toRecord(r: {
  key: string;
  description: string;
  enabled: boolean;
  rollout_percent: number;
  experiment: boolean;
  updated_by: string | null;
  updated_at: Date;
}): FlagRecord {
  return {
    key: r.key,
    description: r.description,
    enabled: r.enabled,
    rolloutPercent: Number(r.rollout_percent),
    experiment: r.experiment,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at,
  };
}

/** Every flag, by key. Read it from the primary where a change must be seen at once. */
export async function listFlags(db: Kysely<Database>): Promise<FlagRecord[]> {
  const rows = await db.selectFrom('feature_flags').select(COLUMNS).orderBy('key').execute();
  return rows.map(toRecord);
}

/**
 * One flag, locked (FOR UPDATE) until the caller's transaction ends: the optimistic check of
 * `updated_at` and the write that follows it see the same row. Undefined: no such flag.
 */
export async function lockFlag(
  trx: Kysely<Database>,
  key: string,
): Promise<FlagRecord | undefined> {
  const row = await trx
    .selectFrom('feature_flags')
    .select(COLUMNS)
    .where('key', '=', key)
    .forUpdate()
    .executeTakeFirst();
  return row && toRecord(row);
}

/** Writes an admin's change (updated_at is set by the table's trigger) and returns the row. */
export async function updateFlag(
  trx: Kysely<Database>,
  key: string,
  change: FlagChange,
): Promise<FlagRecord> {
  const row = await trx
    .updateTable('feature_flags')
    .set({
      enabled: change.enabled,
      rollout_percent: change.rolloutPercent,
      experiment: change.experiment,
      updated_by: change.updatedBy,
    })
    .where('key', '=', key)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return toRecord(row);
}
