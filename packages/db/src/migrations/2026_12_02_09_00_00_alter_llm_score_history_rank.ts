import { sql, type Kysely } from 'kysely';

/*
 * A model with no votes has no rank (shared/DESIGN.md "Ranks"): the history stores null for it,
 * and the ranks already stored are recomputed by the same rule, so rank arrows compare like
 * with like: rank() by score among the models that had votes that hour (ties share a rank),
 * null for the others. Until now every model was ranked, the unvoted ones tied with each other.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE llm_score_history ALTER COLUMN rank DROP NOT NULL`.execute(db);
  await sql`
    UPDATE llm_score_history h SET rank = r.rank
    FROM (
      SELECT llm_id, hour,
             CASE WHEN upvotes = 0 AND downvotes = 0 THEN NULL
                  ELSE rank() OVER (PARTITION BY hour, (upvotes = 0 AND downvotes = 0)
                                    ORDER BY score DESC)
             END AS rank
      FROM llm_score_history
    ) r
    WHERE h.llm_id = r.llm_id AND h.hour = r.hour AND h.rank IS DISTINCT FROM r.rank`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // The earlier rule: every model ranked by score that hour, ties (unvoted ones too) shared.
  await sql`
    UPDATE llm_score_history h SET rank = r.rank
    FROM (
      SELECT llm_id, hour, rank() OVER (PARTITION BY hour ORDER BY score DESC) AS rank
      FROM llm_score_history
    ) r
    WHERE h.llm_id = r.llm_id AND h.hour = r.hour AND h.rank IS DISTINCT FROM r.rank`.execute(db);
  await sql`ALTER TABLE llm_score_history ALTER COLUMN rank SET NOT NULL`.execute(db);
}
