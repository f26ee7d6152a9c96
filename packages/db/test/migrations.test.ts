import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { migrateDown, migrateToLatest } from '../src/migrator.ts';
import { migrations } from '../src/migrations/index.ts';
import { openTestDb, type TestDb } from './helpers.ts';

const EXPECTED_RELATIONS = [
  'llm_score_history',
  'llm_vote_counts',
  'llms',
  'mv_vote_summary',
  'user_votes',
  'user_votes_default',
  'votes',
];

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
    expect(await migrateToLatest(t.db)).toEqual([]);
  });

  it('migrates down one step at a time to zero, then up again', async () => {
    const names = Object.keys(migrations);
    for (let i = names.length - 1; i >= 0; i--) {
      const [step] = await migrateDown(t.db);
      expect(step).toMatchObject({ migrationName: names[i], direction: 'Down', status: 'Success' });
    }
    expect(await appRelations()).toEqual([]);
    const { rows: functions } = await sql`
      SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public'`.execute(t.db);
    expect(functions).toEqual([]);

    const again = await migrateToLatest(t.db);
    expect(again).toHaveLength(names.length);
    expect(await appRelations()).toEqual(EXPECTED_RELATIONS);
  });
});
