import { sql, type Kysely } from 'kysely';

// Frozen copies of the lists at the time of writing: a migration never imports app code.
const CATEGORIES = [
  'chat',
  'coding',
  'reasoning',
  'multimodal',
  'long-context',
  'small',
  'embedding',
  'agents',
];
const STATUSES = ['active', 'hidden', 'retired'];

export async function up(db: Kysely<any>): Promise<void> {
  // Shared by later tables: keeps updated_at honest whoever writes the row (admin UI, seed, psql).
  await sql`
    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END $$`.execute(db);

  await db.schema
    .createTable('llms')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('family', 'text', (c) => c.notNull())
    .addColumn('release_date', 'date')
    .addColumn('open_weights', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('parameters_b', 'numeric', (c) => c.check(sql`parameters_b > 0`))
    .addColumn('context_window', 'integer', (c) => c.check(sql`context_window > 0`))
    .addColumn('categories', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('homepage', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'llms_categories_known',
      sql`categories <@ ${sql.lit(`{${CATEGORIES.join(',')}}`)}::text[]`,
    )
    .addCheckConstraint(
      'llms_status_known',
      sql`status IN (${sql.join(STATUSES.map((s) => sql.lit(s)))})`,
    )
    .execute();

  // The list filters: vendor (case-insensitive equality), category (array containment), status.
  await db.schema
    .createIndex('llms_vendor_idx')
    .on('llms')
    .expression(sql`lower(vendor)`)
    .execute();
  await db.schema
    .createIndex('llms_categories_idx')
    .on('llms')
    .using('gin')
    .column('categories')
    .execute();
  await db.schema.createIndex('llms_status_idx').on('llms').column('status').execute();

  await sql`
    CREATE TRIGGER llms_set_updated_at BEFORE UPDATE ON llms
    FOR EACH ROW EXECUTE FUNCTION set_updated_at()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('llms').execute();
  await sql`DROP FUNCTION set_updated_at()`.execute(db);
}
