/**
 * Runs the real-time scenarios (fanout, socketIoPeer, endToEnd) without bench/run.ts, with
 * smaller figures while developing:
 *
 *   node --import tsx bench/dev-run.ts fanout,socketIoPeer [--quick|--full] [--n 2000] [--rounds 3]
 *   node --import tsx bench/dev-run.ts endToEnd --quick --n 2000 --duration 10 --rate 2000 [--web-concurrency 2]
 *   node --import tsx bench/scenarios/fanout.ts --n 2000          (same, one scenario)
 *
 * Postgres: BENCH_PG_URL (a server URL; the scenarios create their own databases) or an embedded
 * throwaway one; Redis: REDIS_URL or a throwaway redis-server. Results print as JSON on stdout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { type LocalService, startEmbeddedPostgres, startRedisServer } from '@llmpt/devstack';

import type { BenchContext, ScenarioResult } from './lib/types.ts';

const NAMES = ['fanout', 'socketIoPeer', 'endToEnd'] as const;
type Name = (typeof NAMES)[number];

/** A scenario's own entry passes its run function (importing it from here would deadlock). */
export type DevRunner = (
  ctx: BenchContext,
  override: <T extends object>(base: T) => T,
) => Promise<ScenarioResult>;

export async function devMain(only?: Name, runOnly?: DevRunner): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      tiny: { type: 'boolean', default: false },
      n: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      'web-concurrency': { type: 'string' },
    },
  });
  const names = only ? [only] : (positionals[0] ?? NAMES.join(',')).split(',');
  for (const n of names) {
    if (!NAMES.includes(n as Name)) throw new Error(`unknown scenario ${n} (${NAMES.join(', ')})`);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const over = {
    subscribers: num(values.n),
    rounds: num(values.rounds),
    durationS: num(values.duration),
    targetVotesPerSec: num(values.rate),
    webConcurrency: num(values['web-concurrency']),
  };
  const pick = <T extends object>(base: T): T => {
    const out = { ...base } as Record<string, unknown>;
    for (const [k, v] of Object.entries(over)) if (v !== undefined && k in out) out[k] = v;
    return out as T;
  };

  const services: LocalService[] = [];
  const tmp = await mkdtemp(path.join(tmpdir(), 'llmpt-rt-bench-'));
  try {
    let pgServerUrl = process.env.BENCH_PG_URL;
    if (!pgServerUrl) {
      const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), persistent: false });
      services.push(pg);
      pgServerUrl = pg.url;
    }
    let redisUrl = process.env.REDIS_URL;
    if (!redisUrl) {
      const redis = await startRedisServer({ dataDir: path.join(tmp, 'redis'), appendOnly: false });
      services.push(redis);
      redisUrl = redis.url;
    }
    const ctx: BenchContext = {
      opts: {
        quick: values.quick || values.tiny,
        full: values.full,
        tiny: values.tiny,
        only: names,
      },
      pgServerUrl,
      redisUrl,
      repoRoot: fileURLToPath(new URL('..', import.meta.url)),
      log: (m) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`),
      results: {},
    };
    for (const name of names) {
      const started = Date.now();
      let result: ScenarioResult;
      if (runOnly) {
        result = await runOnly(ctx, pick);
      } else if (name === 'fanout') {
        const { runFanout, fanoutParams } = await import('./scenarios/fanout.ts');
        result = await runFanout(ctx, pick(fanoutParams(ctx.opts)));
      } else if (name === 'socketIoPeer') {
        const { runSocketIoPeer, socketIoParams } = await import('./scenarios/socket-io-peer.ts');
        result = await runSocketIoPeer(ctx, pick(socketIoParams(ctx.opts)));
      } else {
        const { runEndToEnd, endToEndParams } = await import('./scenarios/end-to-end.ts');
        result = await runEndToEnd(ctx, pick(endToEndParams(ctx.opts)));
      }
      ctx.results[name] = result;
      ctx.log(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const { capturedFrame } = await import('./lib/rt-peers.ts');
    if (capturedFrame.frame) ctx.log(`captured diff frame: ${capturedFrame.frame}`);
    console.log(JSON.stringify(ctx.results, null, 2));
  } finally {
    for (const s of services.reverse()) await s.stop().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await devMain();
  process.exit(0);
}
