import { randomBytes } from 'node:crypto';

import { createDatabase, dropDatabase } from './postgres.ts';
import type {} from './provided-context.ts';

/** A database private to one test file. */
export interface TestDatabase {
  url: string;
  /** Drops the database, disconnecting any client still using it. */
  drop(): Promise<void>;
}

/**
 * Creates an empty database with a unique name (`t_<pid>_<random>`) on the server of
 * `serverUrl`, typically `inject('pgServerUrl')`, so test files can run in parallel.
 */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(serverUrl, name);
  return { url, drop: () => dropDatabase(serverUrl, name) };
}

/**
 * A Redis key prefix (`t:<random>:`) unique to the caller, so test files sharing one Redis
 * never see each other's keys. Call it once per test file.
 */
export function testKeyPrefix(): string {
  return `t:${randomBytes(6).toString('hex')}:`;
}
