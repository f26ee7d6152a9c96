import { sql, type Kysely } from 'kysely';

/**
 * Admins, their append-only audit log, and feature flags (issue 12). Sessions and lockout
 * counters live in Redis (short-lived, expiring); what must survive and be searched is here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_users')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) =>
      c
        .notNull()
        .unique()
        .check(sql`username ~ '^[a-z0-9][a-z0-9._-]{2,31}$'`),
    )
    /** argon2id, PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash). */
    .addColumn('password_hash', 'text', (c) =>
      c.notNull().check(sql`password_hash LIKE '$argon2id$%'`),
    )
    .addColumn('disabled_at', 'timestamptz')
    /** Bumped by "sign out everywhere", a password change and disabling: older sessions die. */
    .addColumn('session_epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_sign_in_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    CREATE TRIGGER admin_users_set_updated_at BEFORE UPDATE ON admin_users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at()`.execute(db);

  await db.schema
    .createTable('admin_audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    /** Null for actions of the command line (admin:create …) and of failed sign-ins. */
    .addColumn('actor_id', 'integer', (c) => c.references('admin_users.id'))
    /** The username as it was (kept even if the account is renamed or disabled later). */
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) =>
      c.notNull().check(sql`action ~ '^[a-z][a-z0-9_.:-]{1,63}$'`),
    )
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema
    .createIndex('admin_audit_log_at_idx')
    .on('admin_audit_log')
    .column('at')
    .execute();
  await db.schema
    .createIndex('admin_audit_log_target_idx')
    .on('admin_audit_log')
    .columns(['target_type', 'target_id'])
    .execute();
  await db.schema
    .createIndex('admin_audit_log_action_idx')
    .on('admin_audit_log')
    .column('action')
    .execute();
  // Append-only: nothing updates, deletes or truncates the log, whoever connects.
  await sql`
    CREATE FUNCTION admin_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'admin_audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER admin_audit_log_no_change BEFORE UPDATE OR DELETE ON admin_audit_log
    FOR EACH ROW EXECUTE FUNCTION admin_audit_log_append_only()`.execute(db);
  await sql`
    CREATE TRIGGER admin_audit_log_no_truncate BEFORE TRUNCATE ON admin_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_append_only()`.execute(db);

  await db.schema
    .createTable('feature_flags')
    .addColumn('key', 'text', (c) => c.primaryKey().check(sql`key ~ '^[a-z][a-z0-9-]{1,47}$'`))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    /** Share of voter ids (by a stable hash of flag key and voter id) that get the flag on. */
    .addColumn('rollout_percent', 'smallint', (c) =>
      c
        .notNull()
        .defaultTo(100)
        .check(sql`rollout_percent BETWEEN 0 AND 100`),
    )
    /** Records exposures and outcomes per variant (an A/B experiment on the flag). */
    .addColumn('experiment', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`
    CREATE TRIGGER feature_flags_set_updated_at BEFORE UPDATE ON feature_flags
    FOR EACH ROW EXECUTE FUNCTION set_updated_at()`.execute(db);
  // The product's one shipped flag, off until an admin turns it on.
  await db
    .insertInto('feature_flags')
    .values({
      key: 'hide-results',
      description:
        "Hide results until you vote: a voter sees a model's tally only after voting on it",
      enabled: false,
      rollout_percent: 100,
      experiment: false,
    })
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('feature_flags').execute();
  await db.schema.dropTable('admin_audit_log').execute();
  await sql`DROP FUNCTION admin_audit_log_append_only()`.execute(db);
  await db.schema.dropTable('admin_users').execute();
}
