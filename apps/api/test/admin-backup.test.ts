import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  type Database,
  type Kysely,
  createAdmin,
  createDb,
  disableAdmin,
  dumpDatabase,
  recordAudit,
  restoreDatabase,
  sql,
} from '@llmpt/db';
import { databaseUrl, dropDatabase } from '@llmpt/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApi, startTestApi } from './helpers.ts';
import { AdminBrowser, makeAdmin } from './admin-client.ts';

let api: TestApi;
let dir: string;
let restored: Kysely<Database> | undefined;
const target = `llmpt_admin_restore_${process.pid}_${Date.now()}`;

beforeAll(async () => {
  api = await startTestApi();
  dir = await mkdtemp(path.join(tmpdir(), 'llmpt-admin-backup-'));
}, 120_000);
afterAll(async () => {
  await restored?.destroy();
  await dropDatabase(api.deps.env.DATABASE_URL, target).catch(() => undefined);
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

const snapshot = (db: Kysely<Database>) =>
  Promise.all([
    db.selectFrom('admin_users').selectAll().orderBy('id').execute(),
    db.selectFrom('admin_audit_log').selectAll().orderBy('id').execute(),
    db.selectFrom('feature_flags').selectAll().orderBy('key').execute(),
  ]);

describe('backups hold the admin tables', () => {
  it('restores admins, the audit log and flags as they were; new rows follow them; the log stays append-only', async () => {
    const { db } = api.deps;
    await makeAdmin(api, 'keeper');
    const gone = await makeAdmin(api, 'leaver');
    await disableAdmin(db, gone.id);
    expect((await new AdminBrowser(api.baseUrl).signIn('keeper')).status).toBe(200);
    await recordAudit(db, {
      actorId: null,
      actor: 'cli:test',
      action: 'admin.disable',
      targetType: 'admin',
      targetId: 'leaver',
      before: { a: 1 },
      after: { a: 2 },
    });
    // An admin's change to the one flag the migration seeds: the dump's row must win.
    await db
      .updateTable('feature_flags')
      .set({ enabled: true, rollout_percent: 37, updated_by: 'keeper' })
      .where('key', '=', 'hide-results')
      .execute();
    const before = await snapshot(db);

    const file = path.join(dir, 'postgres.dump');
    const dump = await dumpDatabase({ databaseUrl: api.deps.env.DATABASE_URL, file });
    expect(dump.rows).toMatchObject({ admin_users: 2, feature_flags: 1 });
    expect(dump.rows.admin_audit_log).toBe(before[1].length);

    const targetUrl = databaseUrl(api.deps.env.DATABASE_URL, target);
    const result = await restoreDatabase({ file, targetUrl });
    expect(result.rows).toMatchObject({
      admin_users: 2,
      feature_flags: 1,
      admin_audit_log: before[1].length,
    });
    restored = createDb(targetUrl, { max: 2 });
    expect(await snapshot(restored)).toEqual(before);

    // Serial ids continue after the restored rows (sequences set from the data).
    const next = await createAdmin(restored, 'newcomer', before[0][0]!.password_hash);
    expect(next.id).toBeGreaterThan(Math.max(...before[0].map((r) => r.id)));
    const id = await recordAudit(restored, {
      actorId: null,
      actor: 'cli:test',
      action: 'admin.create',
      targetId: 'newcomer',
    });
    expect(id).toBeGreaterThan(Math.max(...before[1].map((r) => Number(r.id))));

    // The restored log is as append-only as the original.
    for (const statement of [
      sql`DELETE FROM admin_audit_log`,
      sql`UPDATE admin_audit_log SET actor = 'someone else'`,
      sql`TRUNCATE admin_audit_log`,
    ]) {
      await expect(statement.execute(restored)).rejects.toThrow(/append-only/);
    }
  });
});
