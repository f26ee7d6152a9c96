// CLI: `npm run migrate -w @llmpt/db` applies pending migrations; safe to run repeatedly.
import { createDb } from './client.ts';
import { dbEnv } from './env.ts';
import { migrateToLatest } from './migrator.ts';

async function main(): Promise<void> {
  const db = createDb(dbEnv().DATABASE_URL, { max: 1, applicationName: 'llmpt-migrate' });
  try {
    const results = await migrateToLatest(db);
    if (results.length === 0) console.log('migrate: already up to date');
    for (const r of results) console.log(`migrate: applied ${r.migrationName}`);
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  const failed = (
    err as { migrationResults?: { status: string; migrationName: string }[] }
  ).migrationResults?.find((r) => r.status === 'Error');
  console.error(
    `migrate: failed${failed ? ` in ${failed.migrationName}` : ''}: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exitCode = 1;
});
