import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { extractInputs } from '../../scripts/capacity.ts';
import { formattedCapacity } from '../../scripts/capacity-doc.ts';
import {
  type CapacityInputs,
  type Measured,
  UNIT_KEYS,
  type UnitKey,
  capacityFor,
  fanoutCostLine,
  limits,
} from '../../scripts/capacity-model.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

const measured = (value: number): Measured => ({
  value,
  unit: '',
  what: '',
  from: 'x.y',
  workload: '',
  commit: '0'.repeat(40),
  date: '2026-12-03T00:00:00.000Z',
  node: 'v22.0.0',
  loadAvg1m: 1,
});

/** Round numbers: every expected figure below is worked out by hand from these. */
const UNITS: Record<UnitKey, number> = {
  apiCpuUsPerVote: 100,
  workerCpuUsPerVote: 40,
  pgCpuUsPerVote: 30,
  redisCpuUsPerVote: 20,
  redisCommandsPerVote: 5,
  idleRedisCommandsPerSec: 1000,
  pgRowsPerVote: 3,
  pgEventsPerVote: 1,
  redisBytesPerBallot: 100,
  redisBytesPerSession: 200,
  apiIdleRssMB: 100,
  apiCpuUsPerRead: 50,
  readBytes: 5000,
  loadBytesPerSubscriberPerSec: 15_000,
  verboseLoadBytesPerSubscriberPerSec: 150_000,
  loadVotesPerSec: 5000,
  loadDiffsPerSec: 1.5,
  quietBytesPerSubscriberPerVote: 300,
  cpuUsPerSubscriberDiff: 30,
  diffWireBytes: 10_300,
  oneEntryCpuUsPerSubscriberDiff: 10,
  oneEntryDiffWireBytes: 300,
  rssPerConnKB: 10,
  flatSubscribersA: 1000,
  flatSubscribersB: 5000,
  flatCpuUsPerSubscriberDiffA: 30,
  flatOneEntryCpuUsPerSubscriberDiffA: 10,
  flatDiffWireBytesA: 10_300,
  flatRssPerConnKBA: 10,
  flushEventsPerSec: 40_000,
};

const INPUTS: CapacityInputs = {
  source: {
    report: 'fixed',
    mode: 'default',
    commit: '0'.repeat(40),
    dirty: false,
    startedAt: '2026-12-03T00:00:00.000Z',
    node: 'v22.0.0',
    loadAvg1m: 1,
    machine: '2 cores',
  },
  // 3,600 users at 10 votes an hour: 10 votes/s; 6 reads a minute: 360 reads/s.
  behaviour: {
    populations: [3600, 36_000],
    readsPerUserPerMinute: 6,
    votesPerUserPerHour: 10,
    liveShare: 0.5,
    ballotsPerUser: 5,
  },
  assumptions: {
    apiCpuTarget: 0.5,
    workerCpuTarget: 0.5,
    redisCpuTarget: 0.5,
    postgresTarget: 0.5,
    socketsPerApiProcess: 10_000,
    minApiProcesses: 2,
    minWorkers: 2,
    apiDbPool: 10,
    workerDbPool: 4,
    pgbouncerServerPool: 25,
    rankerTicksPerSec: 4,
    votePartitions: 16,
  },
  units: Object.fromEntries(UNIT_KEYS.map((k) => [k, measured(UNITS[k])])) as Record<
    UnitKey,
    Measured
  >,
};

describe('the capacity model (scripts/capacity-model.ts)', () => {
  it('fits the fan-out cost line through the two measured frames', () => {
    // (300 B, 10 µs) and (10,300 B, 30 µs): 0.002 µs per byte, 9.4 µs at 0 bytes.
    const line = fanoutCostLine(INPUTS);
    expect(line.b).toBeCloseTo(0.002, 12);
    expect(line.a).toBeCloseTo(9.4, 12);
  });

  it('a quiet board: each vote its own diff, up to the ranker’s ticks', () => {
    const c = capacityFor(INPUTS, 3600);
    expect(c.votesPerSec).toBeCloseTo(10, 12);
    expect(c.readsPerSec).toBeCloseTo(360, 12);
    expect(c.liveSubscribers).toBe(1800);
    // 10 votes/s × 300 B = 3,000 B/s < the paced 15,000: quiet; 4 diffs/s of 750 B.
    expect(c.fanoutRegime).toBe('quiet');
    expect(c.bytesPerSubscriberPerSec).toBeCloseTo(3000, 9);
    expect(c.diffsPerSubscriberPerSec).toBe(4);
    expect(c.bytesPerDiff).toBeCloseTo(750, 9);
    expect(c.cpuUsPerSubscriberDiff).toBeCloseTo(10.9, 9);
    // 10 × 100 µs; 360 × 50 µs; 1,800 × 4 × 10.9 µs.
    expect(c.apiCores.votes).toBeCloseTo(0.001, 12);
    expect(c.apiCores.reads).toBeCloseTo(0.018, 12);
    expect(c.apiCores.fanout).toBeCloseTo(0.07848, 12);
    expect(c.apiCores.total).toBeCloseTo(0.09748, 12);
    expect(c.apiProcesses).toBe(2);
    expect(c.apiBoundBy).toBe('minimum');
    // 2 × 100 MiB + 1,800 × 10 KiB.
    expect(c.apiMemoryBytes).toBe(209_715_200 + 18_432_000);
    expect(c.workerCores).toBeCloseTo(0.0004, 12);
    expect(c.workers).toBe(2);
    expect(c.redisCommandsPerSec).toBeCloseTo(1050, 9);
    expect(c.redisCores).toBeCloseTo(0.0002, 12);
    // 3,600 × (5 × 100 + 200).
    expect(c.redisMemoryBytes).toBe(2_520_000);
    expect(c.pgRowsPerSec).toBeCloseTo(30, 9);
    expect(c.pgEventsPerSec).toBeCloseTo(10, 9);
    expect(c.pgCores).toBeCloseTo(0.0003, 12);
    expect(c.pgShare).toBeCloseTo(0.00025, 12);
    // 2 apis × 10 + 2 workers × 4; PgBouncer holds at most 25 to Postgres.
    expect(c.pgClientConnections).toBe(28);
    expect(c.pgServerConnections).toBe(25);
    // 1,800 × 3,000 + 360 × 5,000.
    expect(c.egressBytesPerSec).toBeCloseTo(7_200_000, 6);
    expect(c.utilization.redis).toBeCloseTo(0.0004, 12);
    expect(c.utilization.postgres).toBeCloseTo(0.0005, 12);
    expect(c.saturatesFirst).toBe('postgres');
  });

  it('a busy board: the paced figure holds', () => {
    const c = capacityFor(INPUTS, 36_000);
    // 100 votes/s × 300 B = 30,000 B/s ≥ 15,000: paced, 1.5 diffs/s of 10,000 B.
    expect(c.fanoutRegime).toBe('paced');
    expect(c.bytesPerSubscriberPerSec).toBe(15_000);
    expect(c.diffsPerSubscriberPerSec).toBe(1.5);
    expect(c.bytesPerDiff).toBeCloseTo(10_000, 9);
    expect(c.cpuUsPerSubscriberDiff).toBeCloseTo(29.4, 9);
    // 18,000 × 1.5 × 29.4 µs + 100 × 100 µs + 3,600 × 50 µs = 0.9838 cores: 2 at 50 %.
    expect(c.apiCores.fanout).toBeCloseTo(0.7938, 12);
    expect(c.apiCores.total).toBeCloseTo(0.9838, 12);
    expect(c.apiProcesses).toBe(2);
    expect(c.apiBoundBy).toBe('cpu');
    expect(c.egressBytesPerSec).toBeCloseTo(288_000_000, 3);
  });

  it('where one Redis primary and one Postgres stop', () => {
    const l = limits(INPUTS);
    // 50 % of a core / 20 µs; 50 % of 40,000 events/s at 1 event per vote.
    expect(l.redisVotesPerSec).toBeCloseTo(25_000, 9);
    expect(l.postgresVotesPerSec).toBeCloseTo(20_000, 9);
    // At 10 votes per user per hour: × 360.
    expect(l.redisUsers).toBeCloseTo(9_000_000, 3);
    expect(l.postgresUsers).toBeCloseTo(7_200_000, 3);
    expect(l.redisCommandsPerCoreSec).toBeCloseTo(250_000, 6);
  });
});

describe('docs/capacity.md', () => {
  it('is exactly what npm run capacity makes of docs/capacity.inputs.json', async () => {
    const inputs = JSON.parse(
      await readFile(`${repoRoot}/docs/capacity.inputs.json`, 'utf8'),
    ) as CapacityInputs;
    const doc = await readFile(`${repoRoot}/docs/capacity.md`, 'utf8');
    expect(doc).toBe(await formattedCapacity(inputs));
    // Every unit comes from a real run, none from a tiny one.
    expect(inputs.source.mode).not.toBe('tiny');
    for (const key of UNIT_KEYS) expect(inputs.units[key].value, key).toEqual(expect.any(Number));
  });

  it('refuses a report that lacks a unit, naming it, and a tiny run', () => {
    const report = {
      startedAt: '2026-12-03T00:00:00.000Z',
      mode: 'quick',
      machine: { cores: 2, cpuModel: 'x', memoryGiB: 1, node: 'v22.0.0' },
      git: { commit: null, dirty: false },
      scenarios: { flush: { error: 'boom' } },
    };
    expect(() => extractInputs(report, 'r.json', INPUTS)).toThrow(/flush\.rowsPerSec \(boom\)/);
    expect(() => extractInputs({ ...report, mode: 'tiny' }, 'r.json', INPUTS)).toThrow(/tiny/);
  });
});
