import type { Kysely } from 'kysely';

/**
 * Issue 14: no query reads the event log by voter (the sweep and retention read by time, the
 * summary and reconciliation by model, redelivery by event id), and keeping this index cost
 * the flush about a sixth of its Postgres time per event.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // On the partitioned parent: every partition's index goes with it.
  await db.schema.dropIndex('user_votes_voter_id_created_at_idx').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('user_votes_voter_id_created_at_idx')
    .on('user_votes')
    .columns(['voter_id', 'created_at'])
    .execute();
}
