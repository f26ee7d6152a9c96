import { sql, type Kysely } from 'kysely';

/**
 * pg_stat_statements and `llmpt_slow_queries`: the statements that cost the most time, slowest
 * mean first. The extension needs `shared_preload_libraries = 'pg_stat_statements'` and a
 * superuser (or an existing extension) to create it; where either is missing the migration still
 * succeeds, and the view says so in one row (query = 'pg_stat_statements unavailable: …'), so a
 * reader is told why it is empty instead of shown nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DO $$
    DECLARE
      reason text;
    BEGIN
      BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
        PERFORM 1 FROM pg_stat_statements LIMIT 1;
      EXCEPTION WHEN OTHERS THEN
        reason := SQLERRM;
      END;
      IF reason IS NULL THEN
        EXECUTE $v$
          CREATE VIEW llmpt_slow_queries AS
          SELECT s.query,
                 s.calls,
                 round(s.mean_exec_time::numeric, 3) AS mean_ms,
                 round(s.max_exec_time::numeric, 3) AS max_ms,
                 round(s.total_exec_time::numeric, 1) AS total_ms,
                 s.rows,
                 round(100 * s.shared_blks_hit::numeric
                       / nullif(s.shared_blks_hit + s.shared_blks_read, 0), 1) AS cache_hit_pct,
                 NULL::text AS note
          FROM pg_stat_statements s
          WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          ORDER BY s.mean_exec_time DESC
          LIMIT 50
        $v$;
      ELSE
        RAISE WARNING 'pg_stat_statements unavailable (%): llmpt_slow_queries explains instead', reason;
        EXECUTE format($v$
          CREATE VIEW llmpt_slow_queries AS
          SELECT 'pg_stat_statements unavailable: ' || %L AS query,
                 NULL::bigint AS calls, NULL::numeric AS mean_ms, NULL::numeric AS max_ms,
                 NULL::numeric AS total_ms, NULL::bigint AS rows, NULL::numeric AS cache_hit_pct,
                 'load it with shared_preload_libraries = ''pg_stat_statements'', CREATE EXTENSION pg_stat_statements as a superuser, then migrate down and up this migration' AS note
        $v$, reason);
      END IF;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW IF EXISTS llmpt_slow_queries`.execute(db);
  // Dropping the extension needs the rights creating it did: where a superuser installed it
  // (the cluster), the app's role leaves it in place.
  await sql`
    DO $$
    BEGIN
      DROP EXTENSION IF EXISTS pg_stat_statements;
    EXCEPTION WHEN insufficient_privilege OR dependent_objects_still_exist THEN
      RAISE NOTICE 'pg_stat_statements kept: %', SQLERRM;
    END $$`.execute(db);
}
