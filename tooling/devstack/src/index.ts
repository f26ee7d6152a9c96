export { FREE_PORT_RANGE, freePort, isPortFree, portOrFree } from './ports.ts';
export {
  createDatabase,
  databaseUrl,
  dropDatabase,
  postgresServerRuntime,
  releaseSignalHooks,
  runningEmbeddedPostgres,
  startEmbeddedPostgres,
} from './postgres.ts';
export type { EmbeddedPostgresOptions, PosixIds, PostgresServerRuntime } from './postgres.ts';
export { Tier, killOnExit } from './reaper.ts';
export type { KillOnExitOptions } from './reaper.ts';
export { startRedisServer } from './redis.ts';
export type { RedisServerOptions } from './redis.ts';
export {
  SYSTEM_COMMANDS,
  findExecutable,
  findOrInstall,
  findOrInstallAll,
} from './system-command.ts';
export type { SystemCommand } from './system-command.ts';
export { createTestDatabase, testKeyPrefix } from './testing.ts';
export type { TestDatabase } from './testing.ts';
export type { LocalService } from './types.ts';
