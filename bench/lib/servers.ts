import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

import { budgetOf } from './budget.ts';
import { spawnTs, stopChild } from './children.ts';
import { type LoadResult, assertFewErrors, runLoad } from './load.ts';
import type { BenchContext } from './types.ts';
import { randomVoterCookies } from './voter-ids.ts';

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

/**
 * The vote workload every bare vote server gets (rawVote, naivePeer): a server script started
 * with `env`, POSTs of random models and values by the budget's voters (unsigned `vid`
 * cookies), the budget's connections and windows; stopped afterwards.
 */
export async function loadBareVoteServer(
  ctx: BenchContext,
  label: string,
  script: string,
  env: Record<string, string>,
  models: string[],
): Promise<LoadResult> {
  const b = budgetOf(ctx.opts);
  const server = await startServer(ctx, script, env);
  try {
    const load = await runLoad(ctx.repoRoot, {
      origin: server.url,
      workload: {
        kind: 'vote',
        path: '/',
        models,
        cookies: randomVoterCookies(b.voters),
        body: 'single',
      },
      connections: b.connections,
      warmupSec: b.warmupSec,
      durationSec: b.durationSec,
      maxRequests: b.maxRequests,
    });
    assertFewErrors(label, load);
    return load;
  } finally {
    await server.stop();
  }
}
