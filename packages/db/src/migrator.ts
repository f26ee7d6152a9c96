import { Migrator, type Kysely, type MigrationResult } from 'kysely';

import { migrationProvider } from './migrations/index.ts';

function migratorFor(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: migrationProvider });
}

/** Throws the migration's own error (not Kysely's wrapper) with what ran before it attached. */
function unwrap(results: MigrationResult[] | undefined, error: unknown): MigrationResult[] {
  if (error) {
    const err = error instanceof Error ? error : new Error(JSON.stringify(error));
    Object.assign(err, { migrationResults: results ?? [] });
    throw err;
  }
  return results ?? [];
}

/**
 * Applies every pending migration (under Kysely's lock, so concurrent callers are safe) and
 * returns what ran; an empty list means already up to date.
 * @see migrations in ./migrations/index.ts
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const { results, error } = await migratorFor(db).migrateToLatest();
  return unwrap(results, error);
}

/**
 * Reverts the most recent migration (one step); an empty list means nothing was applied.
 * @see migrateToLatest
 */
export async function migrateDown(db: Kysely<any>): Promise<MigrationResult[]> {
  const { results, error } = await migratorFor(db).migrateDown();
  return unwrap(results, error);
}
