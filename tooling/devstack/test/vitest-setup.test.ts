import { Redis } from 'ioredis';
import pg from 'pg';
import { expect, inject, it } from 'vitest';

import { createTestDatabase, testKeyPrefix } from '../src/index.ts';

it('provides the given DATABASE_URL / REDIS_URL, or servers of its own', () => {
  const { DATABASE_URL, REDIS_URL } = process.env;
  expect(inject('pgServerUrl')).toEqual(DATABASE_URL || expect.stringMatching(/^postgres:\/\//));
  expect(inject('redisUrl')).toEqual(
    REDIS_URL || expect.stringMatching(/^redis:\/\/127\.0\.0\.1:/),
  );
});

it('provides a Postgres server to create test databases on, and a Redis', async () => {
  const database = await createTestDatabase(inject('pgServerUrl'));
  try {
    expect(new URL(database.url).pathname).toMatch(/^\/t_\d+_[0-9a-f]{8}$/);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
      expect(`/${rows[0]?.db}`).toBe(new URL(database.url).pathname);
    } finally {
      await client.end();
    }
  } finally {
    await database.drop();
  }

  const prefix = testKeyPrefix();
  expect(prefix).toMatch(/^t:[0-9a-f]{12}:$/);
  expect(testKeyPrefix()).not.toBe(prefix);
  const redis = new Redis(inject('redisUrl'));
  try {
    await redis.set(`${prefix}k`, 'v', 'EX', 60);
    expect(await redis.get(`${prefix}k`)).toBe('v');
  } finally {
    await redis.del(`${prefix}k`);
    redis.disconnect();
  }
});
