import { sql, type Kysely } from 'kysely';

/**
 * Ranking integrity (issue 13): the signals kept with every vote event (keyed hashes, never a
 * raw address), compensating events (void / restore) in the same event log, the flags the
 * detection rules raise with the ballots they hold, and the bans a confirmed flag makes.
 * Nothing is ever deleted: a voided ballot is a `votes` row at 0 with `voided_by` set, and its
 * events (the vote, the void, a restore) all stay in `user_votes`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Signals: nullable (events before this migration, and after their retention ends).
  await db.schema
    .alterTable('user_votes')
    .addColumn('ip_hash', 'text')
    .addColumn('net_hash', 'text')
    .addColumn('ua_hash', 'text')
    .addColumn('fp_hash', 'text')
    .addColumn('new_voter', 'boolean')
    .addColumn('automated', 'boolean')
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('vote')
        .check(sql`kind IN ('vote', 'void', 'restore')`),
    )
    .addColumn('flag_id', 'bigint')
    .execute();
  // The sweep reads a recent window of events; retention nulls old signals by time.
  await db.schema
    .createIndex('user_votes_created_at_idx')
    .on('user_votes')
    .column('created_at')
    .execute();

  await db.schema.alterTable('votes').addColumn('voided_by', 'bigint').execute();
  await sql`CREATE INDEX votes_voided_by_idx ON votes (voided_by) WHERE voided_by IS NOT NULL`.execute(
    db,
  );

  await db.schema
    .createTable('integrity_flags')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('voiding', 'open', 'confirmed', 'restoring', 'dismissed')`),
    )
    /** What the flag is about (rule-specific: network, fingerprint, model…): one active flag each. */
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('explanation', 'text', (c) => c.notNull())
    .addColumn('evidence', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('reviewed_at', 'timestamptz')
    .addColumn('reviewed_by', 'text')
    .addColumn('ban_voters', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('ban_prefix', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('ban_until', 'timestamptz')
    .execute();
  await sql`CREATE UNIQUE INDEX integrity_flags_active_subject_idx ON integrity_flags (rule, subject)
    WHERE status IN ('voiding', 'open')`.execute(db);
  await sql`CREATE INDEX integrity_flags_status_idx ON integrity_flags (status, id)`.execute(db);

  await db.schema
    .createTable('integrity_flag_votes')
    .addColumn('flag_id', 'bigint', (c) => c.notNull().references('integrity_flags.id'))
    .addColumn('voter_id', 'text', (c) => c.notNull())
    .addColumn('llm_id', 'text', (c) => c.notNull())
    /** The ballot the flag voided (1 up, -1 down): what a dismissal puts back. */
    .addColumn('value', 'smallint', (c) => c.notNull().check(sql`value IN (-1, 1)`))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state IN ('held', 'voided', 'restored')`),
    )
    /** When the voter cast it. */
    .addColumn('voted_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('integrity_flag_votes_pkey', ['flag_id', 'voter_id', 'llm_id'])
    .execute();
  // A ballot is held by at most one flag at a time.
  await sql`CREATE UNIQUE INDEX integrity_flag_votes_ballot_idx ON integrity_flag_votes (voter_id, llm_id)
    WHERE state <> 'restored'`.execute(db);

  await db.schema
    .createTable('integrity_bans')
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('voter', 'prefix')`))
    /** A voter id, or a network's keyed hash. */
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .addColumn('flag_id', 'bigint', (c) => c.notNull().references('integrity_flags.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('integrity_bans_pkey', ['kind', 'subject'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('integrity_bans').execute();
  await db.schema.dropTable('integrity_flag_votes').execute();
  await db.schema.dropTable('integrity_flags').execute();
  await db.schema.alterTable('votes').dropColumn('voided_by').execute();
  await db.schema.dropIndex('user_votes_created_at_idx').execute();
  await db.schema
    .alterTable('user_votes')
    .dropColumn('ip_hash')
    .dropColumn('net_hash')
    .dropColumn('ua_hash')
    .dropColumn('fp_hash')
    .dropColumn('new_voter')
    .dropColumn('automated')
    .dropColumn('kind')
    .dropColumn('flag_id')
    .execute();
}
