import { loadEnv } from './env.ts';
import { type WorkerApp, startWorker } from './worker-app.ts';

/**
 * A stop request always ends the process within this long: jobs in hand get 15 s (see
 * worker-app.ts), then the queues and connections close; a Redis that went away first must not
 * keep the process waiting forever.
 */
const SHUTDOWN_TIMEOUT_MS = 20_000;

/**
 * Calls `stop` on SIGTERM, SIGINT, or when the IPC channel from the process that started us
 * closes (`npm start` or a test runner gave us one and died, even by SIGKILL). Installed before
 * anything else: the cold start may wait long on Redis and Postgres, and must stop on request.
 */
function onStopRequest(stop: (reason: string) => void): void {
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (process.channel) process.once('disconnect', () => stop('parent process exited'));
}

async function main(): Promise<void> {
  const env = loadEnv();
  const starting = new AbortController();
  let app: WorkerApp | undefined;
  let stopping = false;
  const close = (running: WorkerApp) => {
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('[worker] close failed', err);
        process.exit(1);
      },
    );
  };
  onStopRequest((reason) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker] ${reason}: ${app ? 'finishing jobs in hand' : 'stopping the start-up'}`);
    setTimeout(() => {
      console.error('[worker] shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    if (app) close(app);
    else starting.abort(new Error(reason));
  });

  try {
    app = await startWorker(env, { signal: starting.signal });
  } catch (err) {
    // startWorker closed what it had opened.
    if (starting.signal.aborted) process.exit(0);
    throw err;
  }
  // Asked to stop just as the start-up finished, past its last abort check.
  if (stopping) close(app);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
