export { freePort } from './ports.ts';
export { createDatabase, databaseUrl, dropDatabase, startEmbeddedPostgres } from './postgres.ts';
export type { EmbeddedPostgresOptions } from './postgres.ts';
export { startRedisServer } from './redis.ts';
export type { RedisServerOptions } from './redis.ts';
export { createTestDatabase, testKeyPrefix } from './testing.ts';
export type { TestDatabase } from './testing.ts';
export type { LocalService } from './types.ts';
