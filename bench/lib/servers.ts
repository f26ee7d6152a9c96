import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

import { spawnTs, stopChild } from './children.ts';
import type { BenchContext } from './types.ts';

export interface BenchServer {
  /** http://127.0.0.1:PORT */
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts one of `bench/servers/*.ts` in its own process (its own core, away from the load
 * generator) and resolves once it printed `{"listening":PORT}` on stdout.
 */
export async function startServer(
  ctx: BenchContext,
  script: string,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<BenchServer> {
  const child = spawnTs(ctx.repoRoot, `bench/servers/${script}`, { ...env, PORT: '0' });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${signal ?? code}) before listening`));
    });
    lines.on('line', (line) => {
      const match = /^\{"listening":(\d+)\}$/.exec(line.trim());
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child, 2_000);
    throw err;
  });
  return { url: `http://127.0.0.1:${port}`, child, stop: () => stopChild(child, 5_000) };
}
