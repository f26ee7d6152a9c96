import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // LATERAL per model so both user_votes aggregates use the (llm_id, created_at) index of each
  // partition instead of scanning the whole event log on every refresh.
  await sql`
    CREATE MATERIALIZED VIEW mv_vote_summary AS
    SELECT l.id AS llm_id,
           l.name,
           l.vendor,
           l.status,
           coalesce(c.upvotes, 0)::bigint AS upvotes,
           coalesce(c.downvotes, 0)::bigint AS downvotes,
           coalesce(c.score, 0)::bigint AS score,
           recent.votes_24h,
           latest.last_vote_at
    FROM llms l
    LEFT JOIN llm_vote_counts c ON c.llm_id = l.id
    CROSS JOIN LATERAL (
      SELECT count(*)::bigint AS votes_24h
      FROM user_votes u
      WHERE u.llm_id = l.id AND u.value <> 0
        AND u.created_at > now() - interval '24 hours' AND u.created_at <= now()
    ) recent
    CROSS JOIN LATERAL (
      SELECT max(u.created_at) AS last_vote_at FROM user_votes u WHERE u.llm_id = l.id
    ) latest`.execute(db);

  // REFRESH ... CONCURRENTLY needs a unique index covering every row.
  await sql`CREATE UNIQUE INDEX mv_vote_summary_llm_id_idx ON mv_vote_summary (llm_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP MATERIALIZED VIEW mv_vote_summary`.execute(db);
}
