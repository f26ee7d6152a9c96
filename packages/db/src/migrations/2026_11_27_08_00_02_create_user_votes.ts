import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_votes')
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('voter_id', 'text', (c) => c.notNull())
    .addColumn('llm_id', 'text', (c) => c.notNull())
    .addColumn('value', 'smallint', (c) => c.notNull().check(sql`value IN (-1, 0, 1)`))
    .addColumn('prev_value', 'smallint', (c) => c.notNull().check(sql`prev_value IN (-1, 0, 1)`))
    // A unique key on a partitioned table must contain the partition key.
    .addPrimaryKeyConstraint('user_votes_pkey', ['event_id', 'created_at'])
    .modifyEnd(sql`PARTITION BY RANGE (created_at)`)
    .execute();

  await db.schema
    .createIndex('user_votes_llm_id_created_at_idx')
    .on('user_votes')
    .columns(['llm_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('user_votes_voter_id_created_at_idx')
    .on('user_votes')
    .columns(['voter_id', 'created_at'])
    .execute();

  // Catches events outside every monthly partition, so an insert never fails; a job watches it.
  await sql`CREATE TABLE user_votes_default PARTITION OF user_votes DEFAULT`.execute(db);

  // This month and the next two (UTC); later months are created ahead by the maintenance job.
  await sql`
    DO $$
    DECLARE
      first_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
      lo timestamp;
    BEGIN
      FOR i IN 0..2 LOOP
        lo := first_month + make_interval(months => i);
        EXECUTE format(
          'CREATE TABLE %I PARTITION OF user_votes FOR VALUES FROM (%L) TO (%L)',
          'user_votes_p' || to_char(lo, 'YYYYMM'),
          to_char(lo, 'YYYY-MM-DD"T"HH24:MI:SS"+00"'),
          to_char(lo + interval '1 month', 'YYYY-MM-DD"T"HH24:MI:SS"+00"')
        );
      END LOOP;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // Dropping the parent drops every partition with it.
  await db.schema.dropTable('user_votes').execute();
}
