import { createTestDatabase } from '@llmpt/devstack';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { sql } from 'kysely';

import { registerPoolMetrics } from '../src/pool-metrics.ts';
import { Databases } from '../src/read-router.ts';

let created: Awaited<ReturnType<typeof createTestDatabase>>;
let dbs: Databases;
let registry: Registry;

beforeAll(async () => {
  created = await createTestDatabase(inject('pgServerUrl'));
  // The same database as "primary" and "replica": two pools, as an api with a replica has.
  dbs = new Databases(created.url, { max: 2, replicaUrl: created.url, applicationName: 'pool-t' });
  registry = new Registry();
  registerPoolMetrics(registry, dbs);
});
afterAll(async () => {
  await dbs.destroy();
  await created.drop();
});

const series = async () => (await registry.metrics()).split('\n');

describe('db_pool_connections', () => {
  it('shows a pool exhausted while queries wait, and free again after', async () => {
    expect(await series()).toEqual(
      expect.arrayContaining([
        'db_pool_max_connections{pool="primary"} 2',
        'db_pool_max_connections{pool="replica"} 2',
        'db_pool_connections{pool="primary",state="in_use"} 0',
        'db_pool_connections{pool="primary",state="waiting"} 0',
      ]),
    );
    // Two transactions hold both connections; a third query must wait for one.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holders = [0, 1].map(() =>
      dbs.db.transaction().execute(async (trx) => {
        await sql`SELECT 1`.execute(trx);
        await held;
      }),
    );
    await expect.poll(() => dbs.pools()[0]!.inUse).toBe(2);
    const waiter = sql`SELECT 1`.execute(dbs.db);
    await expect.poll(() => dbs.pools()[0]!.waiting).toBe(1);
    expect(await series()).toEqual(
      expect.arrayContaining([
        'db_pool_connections{pool="primary",state="in_use"} 2',
        'db_pool_connections{pool="primary",state="waiting"} 1',
        'db_pool_connections{pool="replica",state="waiting"} 0',
      ]),
    );
    release();
    await Promise.all([...holders, waiter]);
    expect(await series()).toEqual(
      expect.arrayContaining([
        'db_pool_connections{pool="primary",state="in_use"} 0',
        'db_pool_connections{pool="primary",state="waiting"} 0',
        'db_pool_connections{pool="primary",state="idle"} 2',
      ]),
    );
  });
});
