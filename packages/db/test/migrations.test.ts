import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { migrateDown, migrateToLatest } from '../src/migrator.ts';
import { migrations } from '../src/migrations/index.ts';
import { insertFixtureLlms, openTestDb, type TestDb } from './helpers.ts';

const EXPECTED_RELATIONS = [
  'admin_audit_log',
  'admin_users',
  'feature_flags',
  'integrity_bans',
  'integrity_flag_votes',
  'integrity_flags',
  'llm_score_history',
  'llm_vote_counts',
  'llms',
  'mv_vote_summary',
  'public_dumps',
  'user_votes',
  'user_votes_default',
  'votes',
];

/** Indexes of the integrity migration (issue 13), by table. */
const INTEGRITY_INDEXES = [
  'integrity_bans_pkey',
  'integrity_flag_votes_ballot_idx',
  'integrity_flag_votes_pkey',
  'integrity_flags_active_subject_idx',
  'integrity_flags_pkey',
  'integrity_flags_status_idx',
  'user_votes_created_at_idx',
  'votes_voided_by_idx',
];

async function integrityIndexes(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT indexname AS name FROM pg_indexes
    WHERE schemaname = 'public' AND (tablename LIKE 'integrity\_%'
      OR indexname IN ('user_votes_created_at_idx', 'votes_voided_by_idx'))
    ORDER BY 1`.execute(t.db);
  return rows.map((r) => r.name);
}

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb({ migrate: false });
});
afterAll(() => t.close());

async function appRelations(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm')
      AND c.relname NOT LIKE 'kysely\\_%' AND c.relname NOT LIKE 'user\\_votes\\_p%'
    ORDER BY 1`.execute(t.db);
  return rows.map((r) => r.name);
}

describe('migrations', () => {
  it('registers every file of the migrations folder, named YYYY_MM_DD_HH_MM_SS_<verb>_<noun>', async () => {
    const dir = path.join(import.meta.dirname, '../src/migrations');
    const files = (await readdir(dir))
      .filter((f) => f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(Object.keys(migrations)).toEqual(files);
    for (const name of files) expect(name).toMatch(/^\d{4}(_\d{2}){5}_[a-z]+_[a-z0-9_]+$/);
  });

  it('migrates up, reports nothing on a second run', async () => {
    const applied = await migrateToLatest(t.db);
    expect(applied.map((r) => r.migrationName)).toEqual(Object.keys(migrations));
    expect(applied.every((r) => r.status === 'Success')).toBe(true);
    expect(await appRelations()).toEqual(EXPECTED_RELATIONS);
    expect(await integrityIndexes()).toEqual(INTEGRITY_INDEXES);
    expect(await migrateToLatest(t.db)).toEqual([]);
  });

  it('migrates down one step at a time to zero, then up again', async () => {
    const names = Object.keys(migrations);
    for (let i = names.length - 1; i >= 0; i--) {
      const [step] = await migrateDown(t.db);
      expect(step).toMatchObject({ migrationName: names[i], direction: 'Down', status: 'Success' });
    }
    expect(await appRelations()).toEqual([]);
    expect(await integrityIndexes()).toEqual([]);
    const { rows: functions } = await sql`
      SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public'`.execute(t.db);
    expect(functions).toEqual([]);

    const again = await migrateToLatest(t.db);
    expect(again).toHaveLength(names.length);
    expect(await appRelations()).toEqual(EXPECTED_RELATIONS);
  });
  it('lists the slowest statements in llmpt_slow_queries (pg_stat_statements loaded)', async () => {
    await sql`SELECT pg_sleep(0.05), 'slow-query-marker'`.execute(t.db);
    const { rows } = await sql<{
      query: string;
      calls: number;
      mean_ms: number;
      note: string | null;
    }>`
      SELECT query, calls, mean_ms, note FROM llmpt_slow_queries`.execute(t.db);
    const marker = rows.find((r) => r.query.includes('pg_sleep'));
    expect(marker).toMatchObject({ calls: 1, note: null });
    expect(marker!.mean_ms).toBeGreaterThanOrEqual(50);
  });

  it('drops the event log index by voter, and puts it back on the way down', async () => {
    const userVotesIndexes = async () =>
      (
        await sql<{ name: string }>`
          SELECT indexname AS name FROM pg_indexes WHERE tablename = 'user_votes' ORDER BY 1`.execute(
          t.db,
        )
      ).rows.map((r) => r.name);
    const latest = [
      'user_votes_created_at_idx',
      'user_votes_llm_id_created_at_idx',
      'user_votes_pkey',
    ];
    expect(await userVotesIndexes()).toEqual(latest);
    const [dumps] = await migrateDown(t.db);
    expect(dumps?.migrationName).toBe('2026_12_03_03_00_00_create_public_dumps');
    const [fkey] = await migrateDown(t.db);
    expect(fkey?.migrationName).toBe('2026_12_03_01_00_00_replace_votes_llm_fkey');
    const [step] = await migrateDown(t.db);
    expect(step?.migrationName).toBe('2026_12_03_00_00_00_drop_user_votes_voter_index');
    expect(await userVotesIndexes()).toEqual([...latest, 'user_votes_voter_id_created_at_idx']);
    await migrateToLatest(t.db);
    expect(await userVotesIndexes()).toEqual(latest);
  });

  it('replaces the foreign key from votes to llms by the guard trigger, and back on the way down', async () => {
    const guards = async () =>
      (
        await sql<{ name: string }>`
          SELECT conname AS name FROM pg_constraint WHERE conname = 'votes_llm_id_fkey'
          UNION ALL SELECT tgname FROM pg_trigger WHERE tgname = 'llms_keep_voted'`.execute(t.db)
      ).rows.map((r) => r.name);
    expect(await guards()).toEqual(['llms_keep_voted']);
    const [dumps] = await migrateDown(t.db);
    expect(dumps?.migrationName).toBe('2026_12_03_03_00_00_create_public_dumps');
    const [step] = await migrateDown(t.db);
    expect(step?.migrationName).toBe('2026_12_03_01_00_00_replace_votes_llm_fkey');
    expect(await guards()).toEqual(['votes_llm_id_fkey']);
    await migrateToLatest(t.db);
    expect(await guards()).toEqual(['llms_keep_voted']);
  });

  it('recomputes stored history ranks by the rank rule: no votes null, ties shared', async () => {
    const [dumps] = await migrateDown(t.db);
    expect(dumps?.migrationName).toBe('2026_12_03_03_00_00_create_public_dumps');
    const [fkey] = await migrateDown(t.db);
    expect(fkey?.migrationName).toBe('2026_12_03_01_00_00_replace_votes_llm_fkey');
    const [dropVoterIndex] = await migrateDown(t.db);
    expect(dropVoterIndex?.migrationName).toBe('2026_12_03_00_00_00_drop_user_votes_voter_index');
    const [integrity] = await migrateDown(t.db);
    expect(integrity?.migrationName).toBe('2026_12_02_20_00_00_create_integrity');
    const [admin] = await migrateDown(t.db);
    expect(admin?.migrationName).toBe('2026_12_02_16_00_00_create_admin');
    const [view] = await migrateDown(t.db);
    expect(view?.migrationName).toBe('2026_12_02_12_00_00_create_slow_queries_view');
    const [step] = await migrateDown(t.db);
    expect(step?.migrationName).toBe('2026_12_02_09_00_00_alter_llm_score_history_rank');
    const ids = (await insertFixtureLlms(t.db, 4)) as [string, string, string, string];
    const hour = new Date('2026-11-27T10:00:00Z');
    // As the earlier roll stored them: rank() over every model, the unvoted one tied with 1/1.
    await t.db
      .insertInto('llm_score_history')
      .values([
        { llm_id: ids[0], hour, upvotes: 2, downvotes: 0, score: 2, rank: 1 },
        { llm_id: ids[1], hour, upvotes: 0, downvotes: 0, score: 0, rank: 2 },
        { llm_id: ids[2], hour, upvotes: 1, downvotes: 1, score: 0, rank: 2 },
        { llm_id: ids[3], hour, upvotes: 0, downvotes: 3, score: -3, rank: 4 },
      ])
      .execute();
    const ranks = async () =>
      (await t.db.selectFrom('llm_score_history').select(['llm_id', 'rank']).execute())
        .sort((a, b) => (a.llm_id < b.llm_id ? -1 : 1))
        .map((r) => r.rank);

    await migrateToLatest(t.db);
    expect(await ranks()).toEqual([1, null, 2, 3]);
    // Down past the public dumps, the foreign key's guard, the voter index, the integrity and
    // admin tables and the view to the rank migration again.
    await migrateDown(t.db);
    await migrateDown(t.db);
    await migrateDown(t.db);
    await migrateDown(t.db);
    await migrateDown(t.db);
    await migrateDown(t.db);
    await migrateDown(t.db);
    expect(await ranks()).toEqual([1, 2, 2, 4]);
    await migrateToLatest(t.db);
    await t.db.deleteFrom('llm_score_history').execute();
  });
});
