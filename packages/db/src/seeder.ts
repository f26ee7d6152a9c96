import { sql, type Kysely } from 'kysely';

import { upsertLlms } from './repositories/llm.repository.ts';
import { inTransaction } from './repositories/transaction.ts';
import type { Database } from './schema/index.ts';
import { SEED_LLMS, type SeedLlm } from './seed-data/llms.ts';

export interface SeedResult {
  /** Models in the seed data. */
  models: number;
  inserted: number;
  /** Existing models whose facts changed. */
  updated: number;
  /** llm_vote_counts rows created for models that had none. */
  countsCreated: number;
}

/**
 * Upserts the seed catalogue in one transaction; idempotent (a second run inserts and updates
 * nothing). New models start with a zero row in llm_vote_counts; existing tallies and statuses
 * are never touched.
 * @see SEED_LLMS for the data, upsertLlms for the upsert rules.
 */
export async function seedLlms(
  db: Kysely<Database>,
  llms: readonly SeedLlm[] = SEED_LLMS,
): Promise<SeedResult> {
  return inTransaction(db, async (trx) => {
    const { inserted, updated } = await upsertLlms(trx, llms);
    // The llms insert trigger already creates these rows; this keeps the seed correct without it.
    const counts = await sql`
      INSERT INTO llm_vote_counts (llm_id)
      SELECT unnest(${llms.map((l) => l.id)}::text[])
      ON CONFLICT (llm_id) DO NOTHING`.execute(trx);
    return {
      models: llms.length,
      inserted,
      updated,
      countsCreated: Number(counts.numAffectedRows ?? 0n),
    };
  });
}
