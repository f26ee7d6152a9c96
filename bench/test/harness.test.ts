import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type {} from '@llmpt/devstack';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: inject('pgServerUrl'), REDIS_URL: inject('redisUrl') },
        // Every scenario at its smallest: ~3 minutes with unitCost and flatCost (two stacks).
        timeout: 330_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const ALL = [
  'ceiling',
  'rawVote',
  'vote',
  'naivePeer',
  'voteWait',
  'rankingsRead',
  'cache',
  'edgeRead',
  'seedLoad',
  'adminChange',
  'integrity',
  'wsAbuse',
  'flush',
  'unitCost',
  'fanout',
  'socketIoPeer',
  'endToEnd',
  'flatCost',
];

/** Figures that are numbers but may legitimately be 0 or negative in a tiny, noisy run. */
const NUMERIC: Record<string, string[]> = {
  fanout: ['rssPerConnKB'],
  socketIoPeer: ['rssPerConnKB'],
  endToEnd: ['flushLagP99Ms', 'errors'],
  // Differences of CPU readings (10 ms ticks) over a second or two: any sign in a tiny run.
  unitCost: [
    'workerCpuUsPerVote',
    'pgCpuUsPerVote',
    'redisCpuUsPerVote',
    'redisCommandsPerVote',
    'apiCpuUsPerRead',
    'idleRedisCommandsPerSec',
    'voteErrors',
  ],
  flatCost: [
    'cpuUsPerSubscriberDiffA',
    'cpuUsPerSubscriberDiffB',
    'oneEntryCpuUsPerSubscriberDiffA',
    'oneEntryCpuUsPerSubscriberDiffB',
    'rssPerConnKBA',
    'rssPerConnKBB',
    // cpuFlatness, oneEntryCpuFlatness, rssFlatness: B / A, null when A read 0 (a tiny run).
    'missed',
    'subscriberDisconnectsA',
    'subscriberDisconnectsB',
  ],
  wsAbuse: ['bytesForOneVote', 'bytesForOneFrame'],
  // A config message often reaches B's page before A's answer: 0 ms from the answer.
  adminChange: ['catalogueWsP50Ms', 'catalogueWsMaxMs', 'flagsWsP50Ms', 'flagsWsMaxMs', 'missed'],
  // No honest vote voided is the expected outcome: 0.
  integrity: ['honestVoided', 'falsePositiveRate', 'missed'],
  // Under 200 req/s the board may not change within a TTL: any share, 0 included.
  seedLoad: [
    'rankingsHitRate',
    'shellNon2xx',
    'rankingsListNon2xx',
    'voteMineNon2xx',
    'voteCastNon2xx',
    'non2xx',
    'connectionErrors',
    'abandonedAtEnd',
  ],
};

/** The figures each scenario must report, every one a number > 0. */
const REQUIRED: Record<string, string[]> = {
  fanout: [
    'subscribers',
    'deliverP50Ms',
    'deliverP99Ms',
    'rawDeliverP50Ms',
    'ratioToRaw',
    'ratioToSocketIo',
    // Issue 16: bytes received per subscriber, counted at the clients, next to the goal.
    'bytesPerSubscriberPerVote',
    'bytesPerSubscriberPerSec',
    'bytesPerSubscriberGoalPerSec',
  ],
  socketIoPeer: ['deliverP50Ms', 'deliverP99Ms'],
  endToEnd: [
    'votesPerSec',
    'voteToScreenP99Ms',
    'serverCpuPct',
    'apiPeakRssMB',
    'bytesPerSubscriberPerSec',
    'bytesPerSubscriberPerVote',
    'bytesPerSubscriberGoalPerSec',
    'bytesPerSubscriberToGoal',
  ],
  unitCost: [
    'votes',
    'apiCpuUsPerVote',
    'pgRowsPerVote',
    'pgEventsPerVote',
    'redisBytesPerBallot',
    'redisBytesPerSession',
    'apiIdleRssMB',
    'readRps',
    'readGzipBytes',
  ],
  flatCost: [
    'subscribersA',
    'subscribersB',
    'diffWireBytesA',
    'diffWireBytesB',
    'oneEntryDiffWireBytesA',
    'oneEntryDiffWireBytesB',
  ],
  ceiling: ['rps', 'p50Ms', 'p99Ms'],
  rawVote: ['rps', 'p99Ms'],
  vote: [
    'rps',
    'p50Ms',
    'p99Ms',
    'ratioToCeiling',
    'ratioToRawVote',
    'ratioToNaive',
    'ratioToNaiveNonDurable',
    'batchRps',
  ],
  naivePeer: ['rps', 'p99Ms', 'nonDurableRps', 'nonDurableP99Ms', 'ratioToNonDurable'],
  voteWait: ['noWaitRps', 'waitRps', 'waitP99Ms', 'waitRatio'],
  rankingsRead: ['rps', 'p99Ms', 'ratioToCeiling'],
  cache: ['overallHitRate', 'l1HitRate', 'lookups'],
  edgeRead: [
    'rps',
    'p99Ms',
    'staticRps',
    'ratioToStatic',
    'plainRps',
    'plainP99Ms',
    'plainStaticRps',
    'plainRatioToStatic',
    'hitRate',
    'fromCacheRate',
    'gzipBytes',
    'plainBytes',
  ],
  seedLoad: [
    'rps',
    'targetRps',
    'p50Ms',
    'p95Ms',
    'p99Ms',
    'requests',
    'shellRequests',
    'rankingsListRequests',
    'voteMineRequests',
    'voteCastRequests',
    'rankingsFromCacheRate',
  ],
  adminChange: [
    'rounds',
    'catalogueListP50Ms',
    'catalogueListMaxMs',
    'flagsEvaluateP50Ms',
    'flagsEvaluateMaxMs',
    'catalogueUpdateP50Ms',
    'flagsUpdateP50Ms',
    'catalogueWsFromRequestP50Ms',
    'flagsWsFromRequestP50Ms',
  ],
  flush: ['rowsPerSec', 'rawRowsPerSec', 'ratioToRaw'],
  integrity: [
    'attackVotes',
    'honestBallots',
    'flagVisibleMs',
    'scoreBackOnScreensMs',
    'scoreBackInPostgresMs',
    'flagVisibleMsRotating',
    'scoreBackOnScreensMsRotating',
    'scoreBackInPostgresMsRotating',
    'dismissMs',
    'restoreOnScreensMs',
  ],
  wsAbuse: ['subscriptionsStarted', 'allowedBytesForOneVote', 'healthzWorstMs'],
};

describe('npm run bench (tiny run)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-bench-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every scenario and writes each figure to --out', async () => {
    const out = path.join(dir, 'latest.json');
    const run = await runBench(['--tiny', '--out', out]);
    expect(run.stderr).not.toMatch(/FAILED/);
    expect(run.code).toBe(0);
    // The table names every scenario.
    for (const name of ALL) expect(run.stdout).toContain(name);

    const report = JSON.parse(await readFile(out, 'utf8')) as {
      mode: string;
      startedAt: string;
      durationSec: number;
      machine: Record<string, unknown>;
      git: { commit: unknown; dirty: unknown };
      scenarios: Record<string, Record<string, unknown>>;
    };
    expect(report.mode).toBe('tiny');
    expect(Number.isNaN(Date.parse(report.startedAt))).toBe(false);
    expect(report.durationSec).toBeGreaterThan(0);
    for (const key of ['cores', 'memoryGiB'])
      expect(typeof report.machine[key], key).toBe('number');
    for (const key of ['cpuModel', 'os']) expect(typeof report.machine[key], key).toBe('string');
    expect(report.machine.node).toBe(process.version);
    expect(report.git.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(typeof report.git.dirty).toBe('boolean');

    for (const [name, keys] of Object.entries(REQUIRED)) {
      const figures = report.scenarios[name];
      expect(figures, name).toBeDefined();
      expect(figures, name).not.toHaveProperty('error');
      for (const key of keys) {
        expect(figures?.[key], `${name}.${key}`).toEqual(expect.any(Number));
        expect(figures?.[key] as number, `${name}.${key}`).toBeGreaterThan(0);
      }
      for (const key of NUMERIC[name] ?? [])
        expect(figures?.[key], `${name}.${key}`).toEqual(expect.any(Number));
      expect(figures?.errors ?? 0, `${name}.errors`).toBe(0);
    }
    // The naive peer records what each run's sessions saw. The test's Postgres is given, so it
    // is left as it is (fsync may be off there); only the other run's sessions turn
    // synchronous_commit off.
    const naive = report.scenarios.naivePeer;
    for (const key of ['fsync', 'synchronousCommit', 'fullPageWrites', 'nonDurableFsync'])
      expect(naive?.[key], `naivePeer.${key}`).toMatch(/^(on|off)$/);
    expect(naive?.nonDurableSynchronousCommit, 'naivePeer.nonDurableSynchronousCommit').toBe('off');
    expect(naive?.settingsFrom).toBe('DATABASE_URL, as given');
    // Every step of the seed's visit was answered through nginx, without an error.
    for (const step of ['shell', 'rankingsList', 'voteMine', 'voteCast'])
      expect(report.scenarios.seedLoad?.[`${step}Non2xx`], `seedLoad.${step}Non2xx`).toBe(0);
    // Every admin change reached api B (its live page, llm.list, flags.evaluate).
    expect(report.scenarios.adminChange?.missed, 'adminChange.missed').toBe(0);
    // Both attacks were flagged and undone everywhere; no honest vote went with them.
    expect(report.scenarios.integrity?.missed, 'integrity.missed').toBe(0);
    expect(report.scenarios.integrity?.honestVoided, 'integrity.honestVoided').toBe(0);
    // Every diff of the flat-cost rounds reached every subscriber.
    expect(report.scenarios.flatCost?.missed, 'flatCost.missed').toBe(0);
  });

  it('refuses a bad flag with usage and exit code 2, running nothing', async () => {
    const out = path.join(dir, 'never.json');
    const run = await runBench(['--quik', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: npm run bench');
    await expect(stat(out)).rejects.toThrow();

    const unknown = await runBench(['--only', 'ceiling,nope', '--out', out]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('nope');
  });
});
