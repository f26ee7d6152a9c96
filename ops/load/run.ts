/**
 * `npm run load`: the seed's load test (artillery) against a running deployment.
 *
 *   npm run load -- [--target http://127.0.0.1:3000] [--duration 60] [--rate 10] [--ramp-to 100]
 *                   [--ws-users 1000] [--hold 30] [--allow-remote]
 *
 * Plays vote-flow.yml (open the page, think 5 s, cast a vote) and, alongside it, live-subscribers.yml
 * (--ws-users WebSocket clients holding a rankings.live subscription for --hold seconds). Prints
 * p50/p95/p99, request and vote rates, and the seed's expectations next to them. Artillery is
 * installed into ops/load/node_modules on first use (not a workspace: ~600 MB only this needs).
 *
 * The target's per-address and per-network vote limits (VOTE_RATE_LIMIT_IP 60/min,
 * VOTE_NEW_VOTERS_PER_NETWORK_HOUR 300, VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR 10) apply to the load
 * generator's single address, whose every virtual user is a new voter on one /24: start the
 * target with higher limits, or 429s are reported as "rate limited" votes rather than failures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const usage = `usage: npm run load -- [--target URL] [--duration 1..600] [--rate 1..2000] [--ramp-to 1..5000]
                     [--ws-users 0..20000] [--hold 1..600] [--allow-remote]`;

function fail(message: string): never {
  console.error(`load: ${message}\n${usage}`);
  process.exit(2);
}

const options = {
  target: { type: 'string', default: 'http://127.0.0.1:3000' },
  duration: { type: 'string', default: '60' },
  rate: { type: 'string', default: '10' },
  'ramp-to': { type: 'string', default: '100' },
  'ws-users': { type: 'string', default: '1000' },
  hold: { type: 'string', default: '30' },
  'allow-remote': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;
let values: ReturnType<typeof parseArgs<{ options: typeof options; strict: true }>>['values'];
try {
  ({ values } = parseArgs({
    strict: true,
    options,
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}

function intFlag(
  name: 'duration' | 'rate' | 'ramp-to' | 'ws-users' | 'hold',
  min: number,
  max: number,
): number {
  const raw = values[name];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    fail(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}
const duration = intFlag('duration', 1, 600);
const rate = intFlag('rate', 1, 2000);
const rampTo = intFlag('ramp-to', 1, 5000);
const wsUsers = intFlag('ws-users', 0, 20_000);
const hold = intFlag('hold', 1, 600);

let target: URL;
try {
  target = new URL(values.target);
} catch {
  fail(`--target must be a URL, got "${values.target}"`);
}
if (target.protocol !== 'http:' && target.protocol !== 'https:') {
  fail('--target must be http:// or https://');
}
const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname);
if (!loopback && !values['allow-remote']) {
  fail(`--target ${target.host} is not loopback; pass --allow-remote if you own that deployment`);
}

const artillery = path.join(here, 'node_modules', '.bin', 'artillery');
if (!existsSync(artillery)) {
  console.error('load: installing artillery into ops/load (first run only)…');
  // No install scripts: artillery's playwright engine would try to download browsers.
  const res = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: here,
    stdio: 'inherit',
  });
  if (res.status !== 0) fail('npm ci in ops/load failed');
}

const origin = target.origin;
const wsOrigin = origin.replace(/^http/, 'ws');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'llmpt-load-'));
const env = { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true' };

function runArtillery(script: string, overrides: object, out: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      artillery,
      ['run', '--overrides', JSON.stringify(overrides), '--output', out, path.join(here, script)],
      { cwd: here, env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

console.error(
  `load: ${duration} s against ${origin}: vote flow ${rate}→${rampTo} arrivals/s` +
    (wsUsers ? `, ${wsUsers} WebSocket subscribers held ${hold} s` : ''),
);
const runs = [
  runArtillery(
    'vote-flow.yml',
    {
      config: {
        target: origin,
        phases: [{ duration, arrivalRate: rate, rampTo, name: 'ramp' }],
      },
    },
    path.join(tmp, 'http.json'),
  ),
];
if (wsUsers > 0) {
  const connectSeconds = Math.max(1, Math.min(duration, Math.ceil(wsUsers / 200)));
  runs.push(
    runArtillery(
      'live-subscribers.yml',
      {
        config: {
          target: `${wsOrigin}/trpc`,
          phases: [{ duration: connectSeconds, arrivalCount: wsUsers, name: 'connect' }],
          variables: { hold: [Math.min(hold, duration)] },
        },
      },
      path.join(tmp, 'ws.json'),
    ),
  );
}
const codes = await Promise.all(runs);

interface Report {
  aggregate: {
    counters: Record<string, number>;
    rates: Record<string, number>;
    summaries: Record<string, { p50: number; p95: number; p99: number; max: number }>;
    firstMetricAt: number;
    lastMetricAt: number;
  };
}
const http = JSON.parse(await readFile(path.join(tmp, 'http.json'), 'utf8')) as Report;
const ws = wsUsers
  ? (JSON.parse(await readFile(path.join(tmp, 'ws.json'), 'utf8')) as Report)
  : null;
await rm(tmp, { recursive: true, force: true });

const c = http.aggregate.counters;
const rt = http.aggregate.summaries['http.response_time'];
const seconds = Math.max(1, (http.aggregate.lastMetricAt - http.aggregate.firstMetricAt) / 1000);
const requests = c['http.requests'] ?? 0;
const votes = c['vote.accepted'] ?? 0;
const limited = c['vote.rate_limited'] ?? 0;
const failed = Object.entries(c)
  .filter(([k]) => k.startsWith('errors.') || k.startsWith('vote.status_'))
  .reduce((sum, [, v]) => sum + v, 0);
const row = (label: string, value: string, seed = '') =>
  console.log(`${label.padEnd(28)}${value.padEnd(18)}${seed}`);
console.log(`\n${'figure'.padEnd(28)}${'measured'.padEnd(18)}seed expects`);
row('http p50', `${rt?.p50 ?? '-'} ms`);
row('http p95', `${rt?.p95 ?? '-'} ms`, '< 500 ms');
row('http p99', `${rt?.p99 ?? '-'} ms`, '< 1000 ms');
row('requests/s (mean)', (requests / seconds).toFixed(0), '5000+ (at full scale)');
row('requests', String(requests));
row('votes accepted', String(votes));
row('votes rate limited (429)', String(limited));
row('failed (errors + other)', String(failed));
if (ws) {
  const wc = ws.aggregate.counters;
  row('ws sessions created', String(wc['vusers.created'] ?? 0));
  row(
    'ws sessions completed',
    String(wc['vusers.completed'] ?? 0),
    '50,000+ concurrent (at full scale)',
  );
  row('ws sessions failed', String(wc['vusers.failed'] ?? 0));
}
const ok = codes.every((code) => code === 0) && failed === 0;
console.log(ok ? '\nload: passed' : '\nload: FAILED (see figures above; artillery checks p95/p99)');
process.exit(ok ? 0 : 1);
