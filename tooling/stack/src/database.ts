import { type SeedResult, createDb, migrateToLatest, seedLlms } from '@llmpt/db';

/**
 * Brings the database at `url` to the latest schema and upserts the model catalogue (both
 * idempotent): what every stack needs before its processes start.
 */
export async function prepareDatabase(url: string): Promise<SeedResult> {
  const db = createDb(url);
  try {
    await migrateToLatest(db);
    return await seedLlms(db);
  } finally {
    await db.destroy();
  }
}
