import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('votes')
    .addColumn('voter_id', 'text', (c) => c.notNull())
    .addColumn('llm_id', 'text', (c) => c.notNull().references('llms.id'))
    // 0 = retracted: the row stays so an older event arriving late still loses.
    .addColumn('value', 'smallint', (c) => c.notNull().check(sql`value IN (-1, 0, 1)`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('event_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('votes_pkey', ['voter_id', 'llm_id'])
    .execute();

  // Per-model scans (reconciliation, fraud voiding); the PK already serves per-voter lookups.
  await db.schema.createIndex('votes_llm_id_idx').on('votes').column('llm_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('votes').execute();
}
