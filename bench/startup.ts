/**
 * Start-up to healthy of one worker and one api spawned together, as @llmpt/stack starts them:
 * until the api answers /readyz, the worker /healthz (its cold start is over) and a vote is
 * accepted (404 for an unknown model rather than 503). Each run uses a fresh Redis prefix, so the
 * worker restores every vote partition from Postgres, as after a crash that lost Redis.
 *
 *   node --import tsx bench/startup.ts [--runs 5] [--modes production,development,before]
 *     [--before DIR]   mode `before`: another checkout's apps (with its own node_modules) from
 *                      their source under tsx, as an earlier version started them
 *
 * Postgres and Redis: DATABASE_URL / REDIS_URL (loopback) if set, else throwaway ones. Modes
 * alternate run by run, so both see the same machine load.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { createDatabase, dropDatabase, freePort } from '@llmpt/devstack';
import {
  type AppProcess,
  type RunMode,
  acceptsVotes,
  answers200,
  bundleIfStale,
  prepareDatabase,
  spawnApp,
} from '@llmpt/stack';

import { startInfra } from './lib/infra.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    modes: { type: 'string', default: 'production,development' },
    before: { type: 'string' },
  },
});
const runs = Number(values.runs);
type Mode = RunMode | 'before';
const modes = values.modes.split(',') as Mode[];
if (modes.includes('before') && !values.before) throw new Error('mode before needs --before DIR');
const infra = await startInfra((msg) => console.error(msg));
const dbName = `llmpt_startup_${process.pid}`;
const dbUrl = await createDatabase(infra.pgServerUrl, dbName);
await prepareDatabase(dbUrl);
if (modes.includes('production')) await bundleIfStale(['api', 'worker']);

type Figures = [apiReady: number, workerHealthy: number, votes: number, all: number, stop: number];
const results = new Map<string, Figures[]>();
try {
  for (let run = 0; run < runs; run++) {
    for (const mode of modes) {
      const label = mode === 'before' ? `before (${path.basename(values.before!)})` : mode;
      const figures = await once(mode, `su:${process.pid}:${run}:${mode}:`);
      results.set(label, [...(results.get(label) ?? []), figures]);
      console.error(`${label} #${run + 1}: ${figures.map((s) => s.toFixed(2)).join(' ')} s`);
    }
  }
} finally {
  await dropDatabase(infra.pgServerUrl, dbName);
  await infra.stop();
}

const COLUMNS = ['apiReady', 'workerHealthy', 'votesAccepted', 'allHealthy', 'stop'];
for (const [label, rows] of results) {
  console.log(`${label} (${rows.length} runs, seconds: median (min–max))`);
  COLUMNS.forEach((name, i) => {
    const xs = rows.map((r) => r[i]!).sort((a, b) => a - b);
    const median = xs[Math.floor(xs.length / 2)]!;
    console.log(
      `  ${name.padEnd(14)} ${median.toFixed(2)} (${xs[0]!.toFixed(2)}–${xs.at(-1)!.toFixed(2)})`,
    );
  });
}

async function once(mode: Mode, prefix: string): Promise<Figures> {
  const [port, apiMetrics, workerMetrics] = [await freePort(), await freePort(), await freePort()];
  const env = {
    DATABASE_URL: dbUrl,
    REDIS_URL: infra.redisUrl,
    REDIS_PREFIX: prefix,
    BULL_PREFIX: `${prefix}bull`,
    VOTER_COOKIE_SECRET: 'startup-secret-startup-secret-startup',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    METRICS_HOST: '127.0.0.1',
  };
  const started = performance.now();
  const worker = start('worker', mode, { ...env, METRICS_PORT: String(workerMetrics) });
  const api = start('api', mode, { ...env, PORT: String(port), METRICS_PORT: String(apiMetrics) });
  const apiUrl = `http://127.0.0.1:${port}`;
  const at = { api: 0, worker: 0, votes: 0 };
  const since = () => (performance.now() - started) / 1000;
  while (!(at.api && at.worker && at.votes)) {
    if (!worker.running() || !api.running()) throw new Error(`a process exited (${mode})`);
    if (since() > 180) throw new Error(`not healthy within 180 s (${mode})`);
    const ok = (check: Promise<boolean>) => check.catch(() => false);
    if (!at.api && (await ok(answers200(`${apiUrl}/readyz`)))) at.api = since();
    if (!at.worker && (await ok(answers200(`http://127.0.0.1:${workerMetrics}/healthz`))))
      at.worker = since();
    if (at.api && !at.votes && (await ok(acceptsVotes(apiUrl)))) at.votes = since();
    await new Promise((r) => setTimeout(r, 50));
  }
  const stopping = performance.now();
  await Promise.all([api.stop(), worker.stop()]);
  const stop = (performance.now() - stopping) / 1000;
  return [at.api, at.worker, at.votes, Math.max(at.api, at.worker, at.votes), stop];
}

/** Through @llmpt/stack, or (`before`) another checkout's source under its own tsx. */
function start(app: 'api' | 'worker', mode: Mode, env: Record<string, string>): AppProcess {
  if (mode !== 'before') return spawnApp({ app, name: app, mode, env, stdout: 'ignore' });
  const child = spawn(process.execPath, ['--import', 'tsx', `apps/${app}/src/index.ts`], {
    cwd: values.before,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  void exited.then(() => (done = true));
  return {
    app,
    name: app,
    pid: child.pid ?? -1,
    child,
    exited,
    running: () => !done,
    async stop() {
      if (done) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
