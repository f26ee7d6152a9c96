// CLI: `npm run db:backup` takes one backup now, as the scheduled job does, with the worker's
// environment (DATABASE_URL, REDIS_URL or REDIS_SENTINELS, BACKUP_DIR, BACKUP_KEEP, …), and
// prints its manifest. Exit 0 done, 1 failed (a bad variable is named).
import { VoteStore, createRedis, redisTargetOf } from '@llmpt/vote-store';

import { loadEnv } from '../env.ts';
import { runBackup } from '../jobs/backup.processor.ts';
import { createMetrics } from '../metrics.ts';

async function main(): Promise<void> {
  const env = loadEnv();
  const redis = createRedis(redisTargetOf(env), 'worker', {
    warn: (_obj, msg) => console.error(`db:backup: Redis: ${msg}`),
    info: () => {},
  });
  try {
    const store = new VoteStore(redis, {
      prefix: env.REDIS_PREFIX,
      partitions: env.VOTE_PARTITIONS,
    });
    const manifest = await runBackup({
      env,
      store,
      metrics: createMetrics(),
      log: (m) => console.error(`db:backup: ${m}`),
    });
    console.log(JSON.stringify(manifest, null, 2));
  } finally {
    await redis.quit().catch(() => {});
  }
}

main().catch((err: unknown) => {
  console.error(`db:backup: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
