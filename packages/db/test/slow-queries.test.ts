import { randomBytes } from 'node:crypto';

import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { createDb } from '../src/client.ts';
import { migrateToLatest } from '../src/migrator.ts';

// A role that owns its database but may not create pg_stat_statements (not a trusted
// extension): a managed Postgres, or a cluster set up before the extension was created.
const role = `t_nosuper_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('pgServerUrl') });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin.query(`CREATE DATABASE ${role} OWNER ${role}`);
});
afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${role} WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

describe('llmpt_slow_queries without pg_stat_statements', () => {
  it('migrates anyway, and the view says why it is empty and what to do', async () => {
    const url = new URL(inject('pgServerUrl'));
    url.username = role;
    url.password = password;
    url.pathname = `/${role}`;
    const db = createDb(url.toString(), { max: 1 });
    try {
      await migrateToLatest(db);
      const { rows } = await sql<{ query: string; calls: number | null; note: string }>`
        SELECT query, calls, note FROM llmpt_slow_queries`.execute(db);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.query).toMatch(
        /^pg_stat_statements unavailable: permission denied to create extension "pg_stat_statements"/,
      );
      expect(rows[0]!.calls).toBeNull();
      expect(rows[0]!.note).toContain("shared_preload_libraries = 'pg_stat_statements'");
    } finally {
      await db.destroy();
    }
  });
});
