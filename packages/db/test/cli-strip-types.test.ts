/**
 * The migrate image runs packages/db's CLIs with Node itself (type stripping, no tsx, no
 * compiler): `node packages/db/src/migrate.ts && node packages/db/src/seed.ts`. Run them the same
 * way here, so syntax Node cannot strip (parameter properties, enums) in anything they import
 * fails this test instead of the Docker stack's migrate container.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createTestDatabase } from '@llmpt/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

const run = promisify(execFile);
const src = (file: string) => fileURLToPath(new URL(`../src/${file}`, import.meta.url));

describe('the db CLIs under plain node (type stripping)', () => {
  let created: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    created = await createTestDatabase(inject('pgServerUrl'));
  });
  afterAll(async () => {
    await created.drop();
  });

  it('migrates and seeds a fresh database', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: created.url };
    delete env.NODE_OPTIONS; // vitest's loader hooks must not help
    const migrate = await run(process.execPath, [src('migrate.ts')], { env });
    expect(migrate.stdout).toMatch(/migrate: applied .*create_llms/);
    const seed = await run(process.execPath, [src('seed.ts')], { env });
    expect(seed.stdout).toMatch(/seed: \d+ models \(\d+ inserted/);
    const again = await run(process.execPath, [src('seed.ts')], { env });
    expect(again.stdout).toMatch(/\(0 inserted, 0 updated, \d+ unchanged\)/);
  });
});
