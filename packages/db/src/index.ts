// @llmpt/db: the Postgres schema, its migrations and the repositories over it.
export { createDb, poolStats, type CreateDbOptions, type PoolStats } from './client.ts';
export { registerPoolMetrics } from './pool-metrics.ts';
export { Databases, type DatabasesOptions } from './read-router.ts';
export { migrateDown, migrateToLatest } from './migrator.ts';
export { migrations } from './migrations/index.ts';
export { seedLlms, type SeedResult } from './seeder.ts';
export { SEED_LLMS, type SeedLlm } from './seed-data/llms.ts';
export type * from './schema/index.ts';

export * from './repositories/history.repository.ts';
export * from './repositories/llm.repository.ts';
export * from './repositories/maintenance.repository.ts';
export * from './repositories/vote.repository.ts';
export { inTransaction } from './repositories/transaction.ts';
export { postgresRebuildSource } from './repositories/rebuild-source.ts';

// Re-exported so consumers share this package's kysely instance and types.
export { sql } from 'kysely';
export type { Kysely, RawBuilder, Selectable, Sql, Transaction } from 'kysely';
export * from './repositories/partition.repository.ts';
export { withPgClient } from './repositories/pg-client.ts';
export * from './backup/index.ts';
export * from './repositories/reconcile.repository.ts';
export * from './repositories/audit.repository.ts';
export * from './repositories/admin.repository.ts';
export * from './repositories/flags.repository.ts';
export * from './repositories/integrity.repository.ts';
export * from './repositories/public-dump.repository.ts';
export * from './repositories/trending.repository.ts';
