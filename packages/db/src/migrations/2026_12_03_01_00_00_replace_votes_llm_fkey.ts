import { type Kysely, sql } from 'kysely';

/**
 * Issue 14: the foreign key votes.llm_id -> llms.id checked and KEY-SHARE-locked the model's row
 * once per written ballot: about a fifth of the flush's Postgres time. Its two guarantees are
 * kept at batch granularity instead:
 * - a ballot names an existing model: applyVoteEvents locks the batch's models `FOR KEY SHARE`
 *   once per transaction (one statement for the whole batch) and refuses a batch naming a
 *   missing one, as the foreign key did;
 * - a model with ballots cannot be deleted, nor its id changed: this trigger refuses it with
 *   the same error code (23503). Its row lock waits for any flush holding the key share, and
 *   its check then sees that flush's committed ballots.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE votes DROP CONSTRAINT votes_llm_id_fkey`.execute(db);
  await sql`
    CREATE FUNCTION llmpt_llms_keep_voted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
      END IF;
      IF EXISTS (SELECT 1 FROM votes WHERE llm_id = OLD.id) THEN
        RAISE EXCEPTION 'model "%" still has ballots in votes', OLD.id
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER llms_keep_voted BEFORE DELETE OR UPDATE OF id ON llms
    FOR EACH ROW EXECUTE FUNCTION llmpt_llms_keep_voted()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER llms_keep_voted ON llms`.execute(db);
  await sql`DROP FUNCTION llmpt_llms_keep_voted()`.execute(db);
  await sql`
    ALTER TABLE votes ADD CONSTRAINT votes_llm_id_fkey
    FOREIGN KEY (llm_id) REFERENCES llms (id)`.execute(db);
}
