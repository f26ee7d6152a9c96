import { sql, type Kysely } from 'kysely';

/*
 * llm_vote_counts is maintained only by statement-level triggers on votes: a flush of 5,000
 * ballots is one trigger call that aggregates the transition tables into one delta per model.
 * Postgres allows transition tables only on single-event triggers, hence one per event.
 */

/** Adds the deltas produced by `source` (llm_id, up, down) to the counts, one row per model. */
function upsertDeltas(source: string): string {
  // ORDER BY llm_id: concurrent flushes lock count rows in the same order, so they cannot deadlock.
  return `
    INSERT INTO llm_vote_counts AS c (llm_id, upvotes, downvotes, score, updated_at)
    SELECT llm_id, sum(up), sum(down), sum(up) - sum(down), now()
    FROM (${source}) AS d
    GROUP BY llm_id
    HAVING sum(up) <> 0 OR sum(down) <> 0
    ORDER BY llm_id
    ON CONFLICT (llm_id) DO UPDATE SET
      upvotes = c.upvotes + excluded.upvotes,
      downvotes = c.downvotes + excluded.downvotes,
      score = c.score + excluded.score,
      updated_at = excluded.updated_at`;
}

const PLUS_NEW = `SELECT llm_id, (value = 1)::int AS up, (value = -1)::int AS down FROM new_rows`;
const MINUS_OLD = `SELECT llm_id, -((value = 1)::int) AS up, -((value = -1)::int) AS down FROM old_rows`;

const TRIGGERS = [
  { event: 'INSERT', referencing: 'NEW TABLE AS new_rows', source: PLUS_NEW },
  {
    event: 'UPDATE',
    referencing: 'OLD TABLE AS old_rows NEW TABLE AS new_rows',
    source: `${PLUS_NEW} UNION ALL ${MINUS_OLD}`,
  },
  { event: 'DELETE', referencing: 'OLD TABLE AS old_rows', source: MINUS_OLD },
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('llm_vote_counts')
    .addColumn('llm_id', 'text', (c) => c.primaryKey().references('llms.id').onDelete('cascade'))
    .addColumn('upvotes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('downvotes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('score', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  for (const t of TRIGGERS) {
    const fn = `llm_vote_counts_on_${t.event.toLowerCase()}`;
    await sql
      .raw(
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN ${upsertDeltas(t.source)}; RETURN NULL; END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER votes_${t.event.toLowerCase()}_counts AFTER ${t.event} ON votes
         REFERENCING ${t.referencing} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
      )
      .execute(db);
  }

  // TRUNCATE has no transition table; without this the counts would silently keep old tallies.
  await sql`
    CREATE FUNCTION llm_vote_counts_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE llm_vote_counts SET upvotes = 0, downvotes = 0, score = 0, updated_at = now()
      WHERE upvotes <> 0 OR downvotes <> 0;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER votes_truncate_counts AFTER TRUNCATE ON votes
    FOR EACH STATEMENT EXECUTE FUNCTION llm_vote_counts_on_truncate()`.execute(db);

  // Every model has a counts row from birth, however it was created (seed, admin UI, psql).
  await sql`
    CREATE FUNCTION llm_vote_counts_init() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO llm_vote_counts (llm_id) SELECT id FROM new_llms ORDER BY id
      ON CONFLICT (llm_id) DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER llms_init_vote_counts AFTER INSERT ON llms
    REFERENCING NEW TABLE AS new_llms FOR EACH STATEMENT EXECUTE FUNCTION llm_vote_counts_init()`.execute(
    db,
  );

  // Backfill from whatever is there (nothing on a fresh database; correct either way).
  await sql`
    INSERT INTO llm_vote_counts (llm_id, upvotes, downvotes, score)
    SELECT l.id,
           count(*) FILTER (WHERE v.value = 1),
           count(*) FILTER (WHERE v.value = -1),
           count(*) FILTER (WHERE v.value = 1) - count(*) FILTER (WHERE v.value = -1)
    FROM llms l LEFT JOIN votes v ON v.llm_id = l.id
    GROUP BY l.id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER llms_init_vote_counts ON llms`.execute(db);
  for (const event of ['insert', 'update', 'delete', 'truncate']) {
    await sql.raw(`DROP TRIGGER votes_${event}_counts ON votes`).execute(db);
    await sql.raw(`DROP FUNCTION llm_vote_counts_on_${event}()`).execute(db);
  }
  await sql`DROP FUNCTION llm_vote_counts_init()`.execute(db);
  await db.schema.dropTable('llm_vote_counts').execute();
}
