import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { dismissFlag, postgresRebuildSource } from '@llmpt/db';
import type { VoteSignals } from '@llmpt/shared';
import {
  ConfigChannel,
  IntegrityStore,
  OutboxReader,
  rebuildUnreadyPartitions,
} from '@llmpt/vote-store';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DEFAULT_THRESHOLDS } from '../src/integrity/config.ts';
import { integrityApply, integritySweep } from '../src/integrity/sweep.ts';
import { flushPartition } from '../src/jobs/flush.processor.ts';
import { createMetrics } from '../src/metrics.ts';
import { startWorker } from '../src/worker-app.ts';
import { type Fixture, createFixture, outboxTotal, pgCounts, waitFor } from './helpers.ts';

let f: Fixture;
let target: string;

beforeEach(async () => {
  f = await createFixture();
  await rebuildUnreadyPartitions(f.store, postgresRebuildSource(f.db));
  target = f.llmIds[3]!;
});
afterEach(async () => {
  await f?.cleanup();
});

const signals = (over: Partial<VoteSignals>): VoteSignals => ({
  ip: 'ip',
  net: 'net',
  ua: 'ua',
  fp: '',
  newVoter: true,
  automated: false,
  ...over,
});

/** 200 honest voters on eight networks, 1-4 models each (deterministic). */
async function castHonest(): Promise<void> {
  for (let v = 0; v < 200; v++) {
    for (let k = 0; k <= v % 4; k++) {
      const llmId = f.llmIds[(v * 7 + k * 13) % 40]!;
      const r = await f.store.cast(`hon-${v}`, llmId, v % 5 === 0 ? -1 : 1, undefined, {
        ...signals({ ip: `ip-h${v}`, net: `net-h${v % 8}`, fp: `fp-h${v}` }),
        newVoter: k === 0,
      });
      expect(r.status).toBe('changed');
    }
  }
}

/** The attack: 300 new voters, one /24, rotating user agents and fingerprints. */
async function castAttack(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = await f.store.cast(
      `atk-${i}`,
      target,
      1,
      undefined,
      signals({ ip: `ip-a${i % 254}`, net: 'net-attack', ua: `ua-${i % 37}`, fp: `fp-a${i}` }),
    );
    expect(r.status).toBe('changed');
  }
}

async function tallies(): Promise<Map<string, { up: number; down: number }>> {
  const t = await f.store.tallies(f.llmIds);
  return new Map([...t].map(([id, { up, down }]) => [id, { up, down }]));
}

async function flushAll(): Promise<void> {
  const deps = {
    env: {
      FLUSH_BATCH_SIZE: 5000,
      FLUSH_BUDGET_MS: 60_000,
      FLUSH_CLAIM_IDLE_MS: 30_000,
      FLUSH_FAILPOINT: 'none' as const,
      FLUSH_AFTER_REPLICAS: 0,
      FLUSH_REPLICA_TIMEOUT_MS: 5_000,
    },
    db: f.db,
    reader: new OutboxReader(f.store, 'test'),
    metrics: createMetrics(),
    redis: f.store.redis,
  };
  for (let p = 0; p < f.store.partitions; p++) {
    await deps.reader.ensureGroup(p);
    await flushPartition(deps, p);
  }
}

/** Compensating events per ballot, of one kind. */
async function eventsPerBallot(kind: 'void' | 'restore'): Promise<number[]> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM user_votes WHERE kind = ${kind} GROUP BY voter_id, llm_id`.execute(
    f.db,
  );
  return rows.map((r) => r.n);
}

describe('integrity sweep', () => {
  it('flags the attack, voids exactly its ballots, and a dismissal puts them back', async () => {
    await castHonest();
    const honest = await tallies();
    await castAttack();
    await flushAll();
    expect((await pgCounts(f.db)).get(target)!.up).toBe(honest.get(target)!.up + 300);

    const metrics = createMetrics();
    const subscriber = new Redis(f.env.REDIS_URL!);
    const config = new ConfigChannel(f.redis, subscriber, f.env.REDIS_PREFIX, (err) => {
      throw err;
    });
    const integrity = new IntegrityStore(f.redis, f.env.REDIS_PREFIX);
    const deps = {
      db: f.db,
      store: f.store,
      integrity,
      bump: () => config.bump('integrity'),
      metrics,
      log: () => {},
      warn: (msg: string) => {
        throw new Error(msg);
      },
      thresholds: DEFAULT_THRESHOLDS,
      maxEvents: 200_000,
    };
    try {
      // With the rules off (test stacks), the sweep raises nothing.
      expect((await integritySweep({ ...deps, rulesEnabled: false })).raised).toEqual([]);
      expect((await tallies()).get(target)!.up).toBe(honest.get(target)!.up + 300);

      const first = await integritySweep(deps);
      expect(first.raised).toEqual([
        {
          rule: 'prefix-new-voters',
          flagId: expect.any(String) as string,
          added: 300,
          created: true,
        },
      ]);
      const flagId = first.raised[0]!.flagId;
      expect(first.transitions).toMatchObject({
        voided: 300,
        finished: [{ flagId, status: 'open' }],
      });
      // Redis: the model is back at its honest level; honest voters keep every ballot.
      expect(await tallies()).toEqual(honest);
      expect(await f.store.ballotsOf('atk-5')).toEqual({});
      expect((await integrity.statuses([flagId])).get(flagId)).toBe('open');
      expect((await config.refresh()).integrity).toBe(1);

      // Postgres after the flush: counts equal the honest tallies, one void event per ballot.
      await flushAll();
      expect(await pgCounts(f.db)).toEqual(honest);
      expect(await eventsPerBallot('void')).toEqual(Array(300).fill(1));
      const voided = await f.db
        .selectFrom('votes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('voided_by', '=', Number(flagId))
        .executeTakeFirstOrThrow();
      expect(Number(voided.n)).toBe(300);

      // The next sweep sees the same window: nothing new, nothing moves.
      const second = await integritySweep(deps);
      expect(second.raised).toEqual([]);
      expect(second.transitions.voided).toBe(0);
      const text = await metrics.registry.metrics();
      expect(text).toContain('integrity_rule_fired_total{rule="prefix-new-voters"} 1');
      expect(text).toContain('integrity_votes_flagged_total{rule="prefix-new-voters"} 300');
      expect(text).toContain('integrity_rule_fired_total{rule="model-burst"} 0');
      expect(text).toContain('integrity_votes_voided_total 300');
      expect(text).toContain('integrity_flags{status="open"} 1');
      expect(text).toContain('integrity_detection_delay_seconds_count 1');

      // An admin dismisses: the api adds an integrity-apply job; its handler restores them.
      expect(await dismissFlag(f.db, { flagId, by: 'admin' })).toMatchObject({
        flag: { status: 'restoring' },
      });
      const applied = await integrityApply(deps);
      expect(applied).toMatchObject({ restored: 300, finished: [{ flagId, status: 'dismissed' }] });
      expect((await tallies()).get(target)!.up).toBe(honest.get(target)!.up + 300);
      expect(await f.store.ballotsOf('atk-5')).toEqual({ [target]: 1 });
      await flushAll();
      expect(await pgCounts(f.db)).toEqual(await tallies());
      expect(await eventsPerBallot('restore')).toEqual(Array(300).fill(1));

      // Judged honest: the sweep does not take the same votes out again.
      const third = await integritySweep(deps);
      expect(third.raised).toEqual([]);
      expect((await tallies()).get(target)!.up).toBe(honest.get(target)!.up + 300);
    } finally {
      await config.stop();
    }
  });

  it('a worker killed mid-way through voiding resumes: every ballot voided exactly once', async () => {
    await castHonest();
    const honest = await tallies();
    await castAttack();
    const env = {
      DATABASE_URL: f.env.DATABASE_URL,
      REDIS_URL: f.env.REDIS_URL!,
      REDIS_PREFIX: f.env.REDIS_PREFIX,
      BULL_PREFIX: f.env.BULL_PREFIX,
      VOTE_PARTITIONS: String(f.env.VOTE_PARTITIONS),
      FLUSH_EVERY_MS: '100',
      FLUSH_CLAIM_IDLE_MS: '500',
      INTEGRITY_SWEEP_MS: '500',
      RANKER_ENABLED: 'false',
      METRICS_PORT: '-1',
      LOG_LEVEL: 'error',
    };
    const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      env: { ...process.env, ...env, INTEGRITY_FAILPOINT: 'mid-voiding' },
      stdio: 'inherit',
    });
    const signal = await new Promise<NodeJS.Signals | null>((r) =>
      child.once('exit', (_code, sig) => r(sig)),
    );
    expect(signal).toBe('SIGKILL');
    // Killed between Redis and Postgres: some ballots voided, none recorded as such.
    const flag = await f.db
      .selectFrom('integrity_flags')
      .select(['id', 'status'])
      .executeTakeFirstOrThrow();
    expect(flag.status).toBe('voiding');
    const up = (await tallies()).get(target)!.up;
    expect(up).toBeLessThan(honest.get(target)!.up + 300);
    expect(up).toBeGreaterThan(honest.get(target)!.up);

    const { loadEnv } = await import('../src/env.ts');
    const app = await startWorker(loadEnv(env));
    try {
      await waitFor(
        async () =>
          (
            await f.db
              .selectFrom('integrity_flags')
              .select('status')
              .where('id', '=', flag.id)
              .executeTakeFirstOrThrow()
          ).status,
        (s) => s === 'open',
      );
      await waitFor(
        () => outboxTotal(f),
        (n) => n === 0,
      );
      await waitFor(
        () => eventsPerBallot('void'),
        (xs) => xs.length === 300,
      );
    } finally {
      await app.close();
    }
    expect(await tallies()).toEqual(honest);
    expect(await eventsPerBallot('void')).toEqual(Array(300).fill(1));
    expect(await pgCounts(f.db)).toEqual(honest);
    const held = await f.db
      .selectFrom('integrity_flag_votes')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    expect(held.map((r) => [r.state, Number(r.n)])).toEqual([['voided', 300]]);
  });
});
