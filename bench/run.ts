/**
 * `npm run bench`: every scenario of bench/scenarios against loopback, bounded in time and count,
 * a table on stdout and bench/results/latest.json. Postgres and Redis from DATABASE_URL /
 * REDIS_URL, else throwaway ones. Exit code 1 if a scenario failed, 2 on a bad flag.
 *
 *   node --import tsx bench/run.ts [--quick | --full | --tiny] [--only vote,flush] [--out file]
 *   node --import tsx bench/run.ts --node 24 …   the same run on Node.js 24 (from the npm registry)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { API_STACK_USERS, stopApiStack } from './lib/api-stack.ts';
import { budgetOf } from './lib/budget.ts';
import { killTracked } from './lib/children.ts';
import { startInfra } from './lib/infra.ts';
import { disturbance, disturbanceSince, gitInfo, machineInfo } from './lib/machine.ts';
import { type BenchReport, formatTable, writeReport } from './lib/report.ts';
import type { BenchContext, BenchOptions, Scenario, ScenarioResult } from './lib/types.ts';

/** Run order: later scenarios read earlier figures (ratios) through ctx.results. */
const SCENARIOS = [
  ['ceiling', 'ceiling.ts'],
  ['rawVote', 'raw-vote.ts'],
  ['vote', 'vote.ts'],
  ['naivePeer', 'naive-peer.ts'],
  ['voteWait', 'vote-wait.ts'],
  ['rankingsRead', 'rankings-read.ts'],
  ['cache', 'cache.ts'],
  ['edgeRead', 'edge-read.ts'],
  ['seedLoad', 'seed-load.ts'],
  ['adminChange', 'admin-change.ts'],
  ['integrity', 'integrity.ts'],
  ['wsAbuse', 'ws-abuse.ts'],
  ['flush', 'flush.ts'],
  ['unitCost', 'unit-cost.ts'],
  ['fanout', 'fanout.ts'],
  ['socketIoPeer', 'socket-io-peer.ts'],
  ['endToEnd', 'end-to-end.ts'],
  ['flatCost', 'flat-cost.ts'],
] as const;
const NAMES: readonly string[] = SCENARIOS.map(([name]) => name);

const USAGE = `usage: npm run bench -- [--quick | --full | --tiny] [--only NAME,NAME] [--out FILE] [--profile]
  (none)         15 s windows, 1,000,000 flush events
  --quick        about 3 minutes in all (8 s windows, 200,000 flush events)
  --full         about 15 minutes (30 s windows, 1,000,000 flush events, most subscribers)
  --tiny         each scenario ~1–2 s, 1,000 flush events: for the harness test, not for figures
  --only LIST    just these scenarios (the others are reported as skipped):
                 ${NAMES.join(', ')}
  --out FILE     where to write the JSON (default bench/results/latest.json)
  --profile      api and worker run with --cpu-prof; profiles in bench/results/profiles/
  --node MAJOR   the whole run (every server and client process) on Node.js MAJOR, e.g. 24:
                 the registry's node-linux binary, fetched once by scripts/node-binary.sh
Postgres and Redis: DATABASE_URL and REDIS_URL (loopback only) if set, else throwaway servers.`;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function parseFlags(argv: string[]): { opts: BenchOptions; out: string; node: number | null } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      tiny: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      node: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if ([values.quick, values.full, values.tiny].filter(Boolean).length > 1)
    throw new Error('--quick, --full and --tiny exclude each other');
  const only =
    values.only
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? null;
  const unknown = only?.filter((n) => !NAMES.includes(n)) ?? [];
  if (only?.length === 0 || unknown.length > 0)
    throw new Error(`--only: unknown scenario ${unknown.join(', ') || '(none given)'}`);
  if (values.node !== undefined && !/^(2[2-9]|[3-9]\d)$/.test(values.node))
    throw new Error(`--node: a Node.js major line of 22 or later, e.g. 24 (got "${values.node}")`);
  return {
    node: values.node === undefined ? null : Number(values.node),
    opts: {
      quick: values.quick || values.tiny,
      full: values.full,
      tiny: values.tiny,
      profile: values.profile,
      only,
    },
    out: path.resolve(values.out ?? path.join(repoRoot, 'bench/results/latest.json')),
  };
}

let flags: ReturnType<typeof parseFlags>;
try {
  flags = parseFlags(process.argv.slice(2));
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}
if (flags.node !== null && flags.node !== Number(process.versions.node.split('.')[0])) {
  // The same command again under that Node.js: every child follows process.execPath.
  const bin = execFileSync(path.join(repoRoot, 'scripts/node-binary.sh'), [String(flags.node)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const run = spawnSync(path.join(bin, 'node'), [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
  process.exit(run.status ?? 1);
}
const { opts, out } = flags;
const budget = budgetOf(opts);
const startedAt = new Date();
// Before anything runs: the load average then says whether others were busy on the machine.
const machine = machineInfo();
const log = (msg: string) =>
  process.stderr.write(
    `[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)}s] ${msg}\n`,
  );
/** Set once the servers run: what an interrupted run must stop before it exits. */
let cleanup: () => Promise<void> = () => Promise.resolve();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping what this run started`);
    // Whatever is left then (tracked children, throwaway servers) is killed on exit.
    setTimeout(() => process.exit(130), 15_000).unref();
    void cleanup().finally(() => process.exit(130));
  });
}

const selected = (name: string) => !opts.only || opts.only.includes(name);
/** A scenario that hangs is recorded as failed; the run goes on. */
const SCENARIO_LIMIT_MS = { tiny: 120, quick: 300, default: 600, full: 1800 }[budget.mode] * 1000;

async function runScenario(ctx: BenchContext, name: string, file: string): Promise<ScenarioResult> {
  // Imported one by one: a scenario file that is missing or broken fails only its own entry.
  const mod = (await import(`./scenarios/${file}`)) as { scenario?: Scenario };
  const scenario = mod.scenario;
  if (scenario?.name !== name || typeof scenario.run !== 'function')
    throw new Error(`bench/scenarios/${file} does not export a scenario named "${name}"`);
  ctx.log(`── ${name}: ${scenario.describe}`);
  let timer: NodeJS.Timeout | undefined;
  const limitMs = Math.max(SCENARIO_LIMIT_MS, (scenario.timeLimitSec?.(ctx.opts) ?? 0) * 1000);
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`did not finish within ${limitMs / 1000} s`)),
      limitMs,
    );
  });
  try {
    return await Promise.race([scenario.run(ctx), limit]);
  } finally {
    clearTimeout(timer);
  }
}

const infra = await startInfra(log).catch((err: unknown) => {
  console.error(`cannot start Postgres/Redis: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
const ctx: BenchContext = {
  opts,
  pgServerUrl: infra.pgServerUrl,
  redisUrl: infra.redisUrl,
  repoRoot,
  log,
  results: {},
};
cleanup = async () => {
  killTracked();
  await stopApiStack(ctx).catch(() => undefined);
  await infra.stop();
};
const scenarios: Record<string, ScenarioResult> = {};
let failed = 0;
try {
  for (const [i, [name, file]] of SCENARIOS.entries()) {
    if (!selected(name)) {
      scenarios[name] = { skipped: true };
      continue;
    }
    const t0 = Date.now();
    const before = disturbance();
    try {
      const result = await runScenario(ctx, name, file);
      // Figures from a scenario the machine disturbed (stolen CPU, a VM pause) say so.
      const { stealSec, clockMovedMs } = disturbanceSince(before);
      scenarios[name] = ctx.results[name] = { ...result, stealSec, clockMovedMs };
      log(
        `${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
          (stealSec >= 1 || Math.abs(clockMovedMs) >= 50
            ? ` (disturbed: ${stealSec} s of CPU stolen, system clock moved ${clockMovedMs} ms)`
            : ''),
      );
    } catch (err) {
      failed++;
      const message = err instanceof Error ? err.message : String(err);
      scenarios[name] = ctx.results[name] = { error: message };
      log(`${name} FAILED: ${message}`);
    }
    // The shared api process goes as soon as no later scenario needs it (it would take CPU).
    if (!SCENARIOS.slice(i + 1).some(([n]) => selected(n) && API_STACK_USERS.has(n)))
      await stopApiStack(ctx).catch((err: unknown) =>
        log(`stopping the api stack: ${String(err)}`),
      );
  }
} finally {
  await stopApiStack(ctx).catch(() => undefined);
  await infra.stop();
}

const report: BenchReport = {
  startedAt: startedAt.toISOString(),
  durationSec: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
  mode: budget.mode,
  machine,
  git: gitInfo(repoRoot),
  infra: infra.describe,
  settings: {
    connections: budget.connections,
    warmupSec: budget.warmupSec,
    durationSec: budget.durationSec,
    voters: budget.voters,
    flushEvents: budget.flushEvents,
  },
  scenarios,
};
await writeReport(out, report);
console.log(formatTable(scenarios));
console.log(
  `\n${report.mode} run, ${report.durationSec} s; written to ${path.relative(process.cwd(), out) || out}`,
);
process.exit(failed > 0 ? 1 : 0);
