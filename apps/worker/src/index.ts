import { loadEnv } from './env.ts';
import { startWorker } from './worker-app.ts';

async function main(): Promise<void> {
  const env = loadEnv();
  const app = await startWorker(env);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`[worker] ${signal}: finishing jobs in hand`);
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error('[worker] close failed', err);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
