import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('llm_score_history')
    .addColumn('llm_id', 'text', (c) => c.notNull().references('llms.id').onDelete('cascade'))
    // Whole UTC hours; epoch arithmetic is independent of the session's TimeZone.
    .addColumn('hour', 'timestamptz', (c) =>
      c.notNull().check(sql`extract(epoch FROM hour) % 3600 = 0`),
    )
    .addColumn('upvotes', 'bigint', (c) => c.notNull())
    .addColumn('downvotes', 'bigint', (c) => c.notNull())
    .addColumn('score', 'bigint', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('llm_score_history_pkey', ['llm_id', 'hour'])
    .execute();

  // "The board at hour H" reads; per-model charts use the primary key.
  await db.schema
    .createIndex('llm_score_history_hour_idx')
    .on('llm_score_history')
    .column('hour')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('llm_score_history').execute();
}
