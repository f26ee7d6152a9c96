import { listAudit } from '@llmpt/db';
import { HIDE_RESULTS_FLAG, flagVariant, rolloutBucket } from '@llmpt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AdminBrowser } from './admin-client.ts';
import {
  counterValue,
  flagViews,
  flagsSettled,
  freshEvaluate,
  setFlag,
  signedInAdmin,
} from './flags-admin.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

const FLAG = HIDE_RESULTS_FLAG;
let a: TestApi;
let b: TestApi;
let admin: AdminBrowser;

beforeAll(async () => {
  a = await startTestApi();
  // A second api process of the same deployment (database, Redis prefix).
  b = await startTestApi({}, { shareWith: a });
  admin = await signedInAdmin(a, 'flag-admin');
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** Sets the flag on api A and waits until A evaluates with it. */
async function set(patch: { enabled: boolean; rolloutPercent: number; experiment: boolean }) {
  const view = await setFlag(admin, FLAG, patch);
  await flagsSettled(a, a.deps.config.versions.flags);
  return view;
}

/** `n` first visits, `concurrency` at a time. */
async function visits(n: number, concurrency = 16) {
  const out: Awaited<ReturnType<typeof freshEvaluate>>[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = Math.min(concurrency, n - i);
    out.push(...(await Promise.all(Array.from({ length: batch }, () => freshEvaluate(a.baseUrl)))));
  }
  return out;
}

describe('the rollout rule (@llmpt/shared)', () => {
  it('is stable, in [0, 100), and depends on the flag key too', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `voter-${i}`);
    for (const id of ids) {
      const bucket = rolloutBucket('f', id);
      expect(Number.isInteger(bucket) && bucket >= 0 && bucket < 100).toBe(true);
      expect(rolloutBucket('f', id)).toBe(bucket);
    }
    const same = ids.filter((id) => rolloutBucket('f', id) === rolloutBucket('g', id)).length;
    expect(same).toBeLessThan(100); // ~1 % expected when independent
    expect(flagVariant({ enabled: false, rolloutPercent: 100 }, 0)).toBe('off');
    expect(flagVariant({ enabled: true, rolloutPercent: 0 }, 0)).toBe('off');
    expect(flagVariant({ enabled: true, rolloutPercent: 100 }, 99)).toBe('on');
    expect(flagVariant({ enabled: true, rolloutPercent: 30 }, 29)).toBe('on');
    expect(flagVariant({ enabled: true, rolloutPercent: 30 }, 30)).toBe('off');
  });
});

describe('flags.evaluate', () => {
  it('is all off while disabled or at 0 %, all on at 100 %', async () => {
    for (const [patch, want] of [
      [{ enabled: false, rolloutPercent: 100, experiment: false }, false],
      [{ enabled: true, rolloutPercent: 0, experiment: false }, false],
      [{ enabled: true, rolloutPercent: 100, experiment: false }, true],
    ] as const) {
      await set(patch);
      for (const v of await visits(40)) {
        expect(v.evaluation.flags[FLAG]).toEqual({ value: want, variant: want ? 'on' : 'off' });
      }
    }
  });

  it('splits 1,000 new voters at 50 % within binomial bounds, counting each visit once per arm', async () => {
    await set({ enabled: false, rolloutPercent: 50, experiment: false });
    // Turning the experiment on starts its counters from zero.
    const view = await set({ enabled: true, rolloutPercent: 50, experiment: true });
    expect(view.arms.map((arm) => arm.exposures)).toEqual([0, 0]);
    const before = await (await fetch(a.metricsUrl!)).text();

    const all = await visits(1_000);
    const on = all.filter((v) => v.evaluation.flags[FLAG]!.value).length;
    // Binomial(1000, 0.5): σ ≈ 15.8; 4σ ≈ 64.
    expect(Math.abs(on - 500)).toBeLessThanOrEqual(64);
    // Every answer is the shared rule applied to the voter id the cookie carries.
    for (const v of all) {
      const want = flagVariant(
        { enabled: true, rolloutPercent: 50 },
        rolloutBucket(FLAG, v.voterId),
      );
      expect(v.evaluation.flags[FLAG]!.variant).toBe(want);
    }
    expect(new Set(all.map((v) => v.voterId)).size).toBe(1_000);

    const after = await (await fetch(a.metricsUrl!)).text();
    const exposures = (variant: string, text: string) =>
      counterValue(text, 'experiment_exposures_total', { flag: FLAG, variant });
    expect(exposures('on', after) - exposures('on', before)).toBe(on);
    expect(exposures('off', after) - exposures('off', before)).toBe(1_000 - on);
    // The admin page's counters (Redis, summed over processes) say the same.
    const arms = (await flagViews(admin)).find((f) => f.key === FLAG)!.arms;
    expect(arms).toEqual([
      { variant: 'on', exposures: on, votes: 0, votesPerVisit: 0 },
      { variant: 'off', exposures: 1_000 - on, votes: 0, votesPerVisit: 0 },
    ]);
  });

  it("counts an experiment's votes in the voter's arm, from any api process", async () => {
    await set({ enabled: true, rolloutPercent: 50, experiment: true });
    await flagsSettled(b, a.deps.config.versions.flags);
    const start = (await flagViews(admin)).find((f) => f.key === FLAG)!.arms;
    const voter = new Visitor(b.baseUrl);
    const first = (await voter.client().flags.evaluate.query()).flags[FLAG]!.variant;
    const [x, y] = (await b.deps.catalogue.all()).map((l) => l.id);
    const metricsBefore = await (await fetch(b.metricsUrl!)).text();
    await voter.client().vote.cast.mutate({ llmId: x!, value: 1 });
    await voter.client().vote.cast.mutate({ llmId: y!, value: -1 });
    await voter.client().vote.cast.mutate({ llmId: y!, value: -1 }); // unchanged: not a vote
    await voter.client().vote.cast.mutate({ llmId: y!, value: 0 }); // a retraction: not a vote
    const metricsAfter = await (await fetch(b.metricsUrl!)).text();
    const votes = (text: string) =>
      counterValue(text, 'experiment_votes_total', { flag: FLAG, variant: first });
    expect(votes(metricsAfter) - votes(metricsBefore)).toBe(2);

    const deadline = Date.now() + 10_000; // the Redis count is not awaited by the vote
    let arms = start;
    while (Date.now() < deadline) {
      arms = (await flagViews(admin)).find((f) => f.key === FLAG)!.arms;
      if (arms.find((arm) => arm.variant === first)!.votes === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const mine = arms.find((arm) => arm.variant === first)!;
    const startMine = start.find((arm) => arm.variant === first)!;
    expect(mine.votes).toBe(startMine.votes + 2);
    expect(mine.exposures).toBe(startMine.exposures + 1);
    expect(mine.votesPerVisit).toBeCloseTo(mine.votes / mine.exposures);
  });

  it('gives a voter the same variant on every call and on every api process', async () => {
    await set({ enabled: true, rolloutPercent: 50, experiment: false });
    await flagsSettled(b, a.deps.config.versions.flags);
    for (let i = 0; i < 10; i++) {
      const visitor = new Visitor(a.baseUrl);
      const first = (await visitor.client().flags.evaluate.query()).flags[FLAG]!.variant;
      const onB = new Visitor(b.baseUrl);
      for (const [k, v] of visitor.cookies) onB.cookies.set(k, v);
      for (let j = 0; j < 3; j++) {
        expect((await visitor.client().flags.evaluate.query()).flags[FLAG]!.variant).toBe(first);
        expect((await onB.client().flags.evaluate.query()).flags[FLAG]!.variant).toBe(first);
      }
    }
  });

  it("sees a change made on api A in api B's evaluate within a second", async () => {
    await set({ enabled: false, rolloutPercent: 100, experiment: false });
    await flagsSettled(b, a.deps.config.versions.flags);
    const voter = new Visitor(b.baseUrl);
    const before = await voter.client().flags.evaluate.query();
    expect(before.flags[FLAG]!.value).toBe(false);

    await setFlag(admin, FLAG, { enabled: true, rolloutPercent: 100, experiment: false });
    const deadline = Date.now() + 1_000;
    let now = before;
    while (!now.flags[FLAG]!.value && Date.now() < deadline) {
      now = await voter.client().flags.evaluate.query();
    }
    expect(now.flags[FLAG]!.value).toBe(true);
    expect(now.version).toBeGreaterThan(before.version);
  });
});

describe('admin.flags.update', () => {
  const auditOf = async () =>
    (await listAudit(a.deps.db, { targetType: 'flag', targetId: FLAG, limit: 100 })).entries;

  it('refuses a stale expectedUpdatedAt with CONFLICT and changes nothing', async () => {
    const view = await set({ enabled: true, rolloutPercent: 40, experiment: false });
    await set({ enabled: true, rolloutPercent: 60, experiment: false });
    const rows = await flagViews(admin);
    const audits = await auditOf();
    const version = a.deps.config.versions.flags;
    const r = await admin.call('admin.flags.update', 'mutation', {
      key: FLAG,
      enabled: false,
      rolloutPercent: 10,
      experiment: true,
      expectedUpdatedAt: view.updatedAt,
    });
    expect(r.status).toBe(409);
    expect(r.body.error!.data.code).toBe('CONFLICT');
    expect(await flagViews(admin)).toEqual(rows);
    expect(await auditOf()).toEqual(audits);
    expect(a.deps.config.versions.flags).toBe(version);
  });

  it('refuses bad input with BAD_REQUEST (an unknown flag: NOT_FOUND) and changes nothing', async () => {
    const current = (await flagViews(admin)).find((f) => f.key === FLAG)!;
    const good = {
      key: FLAG,
      enabled: true,
      rolloutPercent: 50,
      experiment: false,
      expectedUpdatedAt: current.updatedAt,
    };
    const rows = await flagViews(admin);
    const audits = await auditOf();
    for (const bad of [
      { ...good, rolloutPercent: 101 },
      { ...good, rolloutPercent: -1 },
      { ...good, rolloutPercent: 12.5 },
      { ...good, rolloutPercent: '50' },
      { ...good, enabled: 'yes' },
      { ...good, key: 'Hide Results' },
      { ...good, key: "x'; drop table feature_flags; --" },
      { ...good, expectedUpdatedAt: 'yesterday' },
      { ...good, extra: true },
      { key: FLAG, enabled: true },
      null,
    ]) {
      const r = await admin.call('admin.flags.update', 'mutation', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error!.data.code).toBe('BAD_REQUEST');
    }
    const unknown = await admin.call('admin.flags.update', 'mutation', {
      ...good,
      key: 'no-such-flag',
    });
    expect(unknown.status).toBe(404);
    expect(await flagViews(admin)).toEqual(rows);
    expect(await auditOf()).toEqual(audits);
  });

  it('records before and after, and the counts an experiment restart cleared', async () => {
    await set({ enabled: true, rolloutPercent: 50, experiment: false });
    const [update] = await auditOf();
    expect(update).toMatchObject({
      actor: 'flag-admin',
      action: 'flag.update',
      targetType: 'flag',
      targetId: FLAG,
      after: { enabled: true, rolloutPercent: 50, experiment: false },
    });
    // The state the CONFLICT test left.
    expect(update!.before).toEqual({ enabled: true, rolloutPercent: 60, experiment: false });
    await set({ enabled: true, rolloutPercent: 50, experiment: true });
    const [reset, restart] = await auditOf();
    expect(restart).toMatchObject({
      action: 'flag.update',
      before: { experiment: false },
      after: { experiment: true },
    });
    expect(reset).toMatchObject({ action: 'flag.experiment_reset', after: { arms: [] } });
    // The earlier tests' exposures, kept in the log as they were cleared.
    const cleared = (reset!.before as { arms: { exposures: number }[] }).arms;
    expect(cleared.reduce((n, arm) => n + arm.exposures, 0)).toBeGreaterThan(0);
    const arms = (await flagViews(admin)).find((f) => f.key === FLAG)!.arms;
    expect(arms.every((arm) => arm.exposures === 0 && arm.votes === 0)).toBe(true);
  });

  it('is for admins only', async () => {
    const voter = new Visitor(a.baseUrl);
    const list = await voter.fetch(`${a.baseUrl}/trpc/admin.flags.list`);
    expect(list.status).toBe(401);
  });
});
