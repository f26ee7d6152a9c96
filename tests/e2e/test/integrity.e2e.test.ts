import { createAdmin } from '@llmpt/db';
import type { IntegrityFlag } from '@llmpt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Browser } from './attack/browser.ts';
import {
  type Crowd,
  ballotRows,
  honestCrowd,
  inParallel,
  scoresOf,
  stuffingAttack,
} from './attack/crowd.ts';
import {
  AdminSession,
  type LiveScreen,
  flagsOn,
  heldOn,
  listedScore,
  openScreen,
  pgBallots,
  pgFlaggedBallots,
  pgScore,
  publicSummary,
} from './attack/observe.ts';
import { type Stack, startStack, waitUntil } from './stack.ts';

/**
 * Issue 13's scripted attack, end to end: real sockets from many source addresses of
 * 127.0.0.0/8 (the api sees each as the client: no proxy), two api processes, a worker sweeping
 * every 2 s, Postgres and Redis. Nothing is mocked; the detection rules run with their defaults.
 */

const SWEEP_MS = 2_000;
/** Generous "eventually": the sweep interval, a flush and a loaded CI machine, many times over. */
const EVENTUALLY_MS = 60_000;
const ATTACKERS = 300;
const ADMIN_PASSWORD = 'a long enough passphrase for the integrity e2e';

let stack: Stack;
let apis: string[];
let llms: string[];
let admin: AdminSession;
let honest: Crowd;
let screens: LiveScreen[];
/** The measured figures, printed as one JSON line at the end. */
const figures: Record<string, number | string> = {};

beforeAll(async () => {
  stack = await startStack({
    apis: 2,
    env: {
      // The front door is opened wide on purpose: issue 13 is about what gets past it (many
      // addresses, no cookies). The per-network limits would otherwise stop the attack's /24
      // at 10 ballots per model and 300 new voters an hour before any rule could see it.
      VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '100000',
      VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '100000',
      VOTE_RATE_LIMIT: '100000',
      VOTE_RATE_LIMIT_IP: '100000',
      INTEGRITY_SWEEP_MS: String(SWEEP_MS),
      // The worker's default (stack.ts flushes every 200 ms): the sweep reads flushed events, so
      // the detection delay measured here includes a production-like flush.
      FLUSH_EVERY_MS: '1000',
    },
  });
  apis = stack.apiUrls;
  const res = await fetch(`${apis[0]}/trpc/llm.list`);
  llms = ((await res.json()) as { result: { data: Array<{ id: string }> } }).result.data.map(
    (l) => l.id,
  );
  // As `npm run admin:create` does: the api's own argon2id hash, stored by the repository.
  const { hashPassword } = await import('../../../apps/api/src/admin/password.ts');
  await createAdmin(stack.db, 'integrity-admin', await hashPassword(ADMIN_PASSWORD));
  admin = await AdminSession.signIn(apis[0]!, 'integrity-admin', ADMIN_PASSWORD);
  screens = apis.map((url) => openScreen(url));
});

afterAll(async () => {
  console.log(`integrity-figures ${JSON.stringify(figures)}`);
  await Promise.all((screens ?? []).map((s) => s.stop()));
  await stack?.stop();
});

/** Waits until every screen, rankings.list of every api and Postgres show `score` for the model. */
async function everywhere(llmId: string, score: number): Promise<void> {
  const seen = async () => {
    const listed = await Promise.all(apis.map((a) => listedScore(a, llmId)));
    return {
      screens: screens.map((s) => s.score(llmId) ?? 0),
      listed,
      postgres: await pgScore(stack.db, llmId),
    };
  };
  const want = {
    screens: screens.map(() => score),
    listed: apis.map(() => score),
    postgres: score,
  };
  await waitUntil(
    async () => JSON.stringify(await seen()) === JSON.stringify(want),
    EVENTUALLY_MS,
  ).catch(() => undefined);
  expect(await seen()).toEqual(want);
}

/** Honest level of a model: what the honest crowds' acknowledgements add up to. */
function honestScore(llmId: string, ...crowds: Crowd[]): number {
  const t = scoresOf(...crowds).get(llmId) ?? { up: 0, down: 0 };
  return t.up - t.down;
}

/** Waits until the admin queue's flags on `target` hold every attack vote and are open. */
async function attackFlagged(target: string, votes: number): Promise<IntegrityFlag[]> {
  let flags: IntegrityFlag[] = [];
  await waitUntil(async () => {
    flags = flagsOn(await admin.flags('pending'), target);
    return heldOn(flags, target) >= votes && flags.every((f) => f.status === 'open');
  }, EVENTUALLY_MS).catch(() => undefined);
  expect({ held: heldOn(flags, target), statuses: flags.map((f) => f.status) }).toEqual({
    held: votes,
    statuses: flags.map(() => 'open'),
  });
  return flags;
}

/** vote.mine of a sample of honest voters: every ballot counted, with the value acknowledged. */
async function honestUntouched(crowd: Crowd, sample = 40): Promise<void> {
  const step = Math.max(1, Math.floor(crowd.browsers.length / sample));
  for (let i = 0; i < crowd.browsers.length; i += step) {
    const browser = crowd.browsers[i]!;
    const acked = crowd.ballots.get(browser.voterId!)!;
    const want = Object.fromEntries(
      [...acked].flatMap(([llmId, value]) =>
        value === 0 ? [] : [[llmId, { value, status: 'counted' }]],
      ),
    );
    expect(await browser.mine(apis[i % apis.length]!)).toEqual(want);
  }
}

/** Honest ballots (non-zero) held voided by any flag, over all honest ballots. */
async function falsePositives(...crowds: Crowd[]): Promise<{ voided: number; ballots: number }> {
  const ids = crowds.flatMap((c) => [...c.ballots.keys()]);
  const flagged = await pgFlaggedBallots(stack.db, ids);
  return { voided: flagged.length, ballots: crowds.flatMap(ballotRows).length };
}

/** The attack's voter ids and their cookies. */
const identities = (attack: Crowd) => attack.browsers.flatMap((b) => b.identities);

describe('issue 13: a scripted attack from one /24, while 200 honest voters vote', () => {
  it('200 honest voters from eight other /24s vote 1–4 models each, both directions: counted everywhere', async () => {
    honest = await honestCrowd({
      apis,
      llms,
      count: 200,
      networks: [1, 2, 3, 4, 5, 6, 7, 8],
      hosts: 25,
      minVotes: 1,
      maxVotes: 4,
      seed: 13,
    });
    expect(honest.refused).toEqual([]);
    expect(honest.ballots.size).toBe(200);
    // Postgres holds every honest ballot once the worker flushed (the sweep reads it there).
    const target = llms[3]!;
    await everywhere(target, honestScore(target, honest));
  });

  it('300 cookie-less upvotes of one model from 127.1.200.0/24: flagged, voided everywhere, honest ballots untouched; confirm + ban: removed, and the /24 is refused', async () => {
    const target = llms[3]!;
    const level = honestScore(target, honest);
    const attack = await stuffingAttack({
      apis,
      target,
      count: ATTACKERS,
      network: 200,
      rotate: false,
      seed: 200,
    });
    expect(attack.refused).toEqual([]);
    expect(attack.ballots.size).toBe(ATTACKERS);
    figures.attackSec = Math.round(attack.lastAckAt - attack.firstAt) / 1000;

    const flags = await attackFlagged(target, ATTACKERS);
    figures.flagVisibleMs = Math.round(performance.now() - attack.lastAckAt);
    figures.rules = flags.map((f) => `${f.rule}:${heldOn([f], target)}`).join(' ');
    await everywhere(target, level);
    const onScreens = screens.map((s) => s.reached(target, level, attack.lastAckAt));
    expect(onScreens.every((t) => t !== null)).toBe(true);
    figures.scoreBackOnScreensMs = Math.round(
      Math.max(...onScreens.map((t) => t!)) - attack.lastAckAt,
    );

    // Postgres: every attack ballot a row at 0, voided by one of the flags; no honest ballot held.
    const attackers = identities(attack);
    const rows = await pgBallots(
      stack.db,
      target,
      attackers.map((a) => a.voterId),
    );
    const flagIds = new Set(flags.map((f) => String(f.id)));
    expect(rows.size).toBe(ATTACKERS);
    for (const row of rows.values()) {
      expect(row.value).toBe(0);
      expect(flagIds.has(row.voidedBy ?? '')).toBe(true);
    }
    expect(await falsePositives(honest)).toMatchObject({ voided: 0 });
    await honestUntouched(honest);
    // The attackers are told their vote is under review.
    for (const a of attackers.slice(0, 20)) {
      const browser = new Browser('127.1.200.1', '');
      expect(await browser.mine(apis[0]!, a.cookie)).toEqual({
        [target]: { value: 1, status: 'under_review' },
      });
    }

    // Confirm, banning the voter ids and the network.
    for (const f of flags) {
      const confirmed = await admin.confirm({
        flagId: f.id,
        banVoters: true,
        banPrefix: true,
        hours: 24,
      });
      expect(confirmed.status).toBe('confirmed');
    }
    for (const a of attackers.slice(0, 20)) {
      const browser = new Browser('127.1.200.1', '');
      await waitUntil(async () => {
        const mine = await browser.mine(apis[1]!, a.cookie);
        return mine[target]?.status === 'removed';
      }, EVENTUALLY_MS).catch(() => undefined);
      expect(await browser.mine(apis[1]!, a.cookie)).toEqual({
        [target]: { value: 1, status: 'removed' },
      });
    }
    // The public transparency figures on every api: these 300 removed, none under review.
    for (const api of apis) {
      await waitUntil(
        async () => (await publicSummary(api)).removedByModel[target] === ATTACKERS,
        EVENTUALLY_MS,
      ).catch(() => undefined);
      expect(await publicSummary(api)).toMatchObject({
        removedTotal: ATTACKERS,
        removedByModel: { [target]: ATTACKERS },
        underReview: 0,
      });
    }
    // A new voter from the banned /24 (another address in it) is refused; nothing changes.
    for (const api of apis) {
      const refused = await new Browser('127.1.200.250', 'Mozilla/5.0').cast(api, llms[5]!, 1);
      expect({ status: refused.status, appCode: refused.appCode }).toEqual({
        status: 403,
        appCode: 'VOTER_BANNED',
      });
    }
    // A banned voter id is refused from any network.
    const again = await fetch(`${apis[0]}/trpc/vote.cast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: attackers[0]!.cookie },
      body: JSON.stringify({ llmId: llms[6]!, value: 1 }),
    });
    expect(again.status).toBe(403);
    await everywhere(target, level);
    await everywhere(llms[5]!, honestScore(llms[5]!, honest));
  });

  it('the same attack on another model from 127.1.201.0/24, dismissed: its votes come back everywhere, and stay', async () => {
    const target = llms[7]!;
    const level = honestScore(target, honest);
    const attack = await stuffingAttack({
      apis,
      target,
      count: ATTACKERS,
      network: 201,
      rotate: false,
      seed: 201,
    });
    expect(attack.refused).toEqual([]);
    const flags = await attackFlagged(target, ATTACKERS);
    figures.flagVisibleMs2 = Math.round(performance.now() - attack.lastAckAt);
    await everywhere(target, level);

    for (const f of flags)
      expect((await admin.dismiss(f.id)).status).toMatch(/restoring|dismissed/);
    await everywhere(target, level + ATTACKERS);
    const attackers = identities(attack);
    const rows = await pgBallots(
      stack.db,
      target,
      attackers.map((a) => a.voterId),
    );
    expect([...rows.values()].filter((r) => r.value === 1 && r.voidedBy === null)).toHaveLength(
      ATTACKERS,
    );
    await waitUntil(
      async () => flagsOn(await admin.flags('all'), target).every((f) => f.status === 'dismissed'),
      EVENTUALLY_MS,
    ).catch(() => undefined);
    expect(
      flagsOn(await admin.flags('all'), target)
        .filter((f) => flags.some((g) => g.id === f.id))
        .map((f) => f.status),
    ).toEqual(flags.map(() => 'dismissed'));
    const browser = new Browser('127.1.201.1', '');
    expect(await browser.mine(apis[0]!, attackers[0]!.cookie)).toEqual({
      [target]: { value: 1, status: 'counted' },
    });
    for (const api of apis) {
      await waitUntil(
        async () => (await publicSummary(api)).removedByModel[target] === undefined,
        EVENTUALLY_MS,
      ).catch(() => undefined);
      expect((await publicSummary(api)).removedByModel[target]).toBeUndefined();
    }
    // A dismissal is final: later sweeps (the votes are still in their window) do not take
    // the restored votes out again.
    await new Promise((r) => setTimeout(r, 3 * SWEEP_MS + 1_000));
    await everywhere(target, level + ATTACKERS);
    expect(flagsOn(await admin.flags('pending'), target)).toEqual([]);
  });

  it('variant: rotating user agents and fingerprints (client.fp) from 127.1.202.0/24: still caught by the prefix rules', async () => {
    const target = llms[11]!;
    const level = honestScore(target, honest);
    const attack = await stuffingAttack({
      apis,
      target,
      count: ATTACKERS,
      network: 202,
      rotate: true,
      seed: 202,
    });
    expect(attack.refused).toEqual([]);
    const flags = await attackFlagged(target, ATTACKERS);
    figures.flagVisibleMsRotating = Math.round(performance.now() - attack.lastAckAt);
    figures.rulesRotating = flags.map((f) => `${f.rule}:${heldOn([f], target)}`).join(' ');
    await everywhere(target, level);
    const onScreens = screens.map((s) => s.reached(target, level, attack.lastAckAt));
    expect(onScreens.every((t) => t !== null)).toBe(true);
    figures.scoreBackOnScreensMsRotating = Math.round(
      Math.max(...onScreens.map((t) => t!)) - attack.lastAckAt,
    );
    // The network rules hold the votes: one prefix named in the evidence.
    for (const f of flags) expect(f.evidence.prefixHash).toEqual(expect.any(String));
    expect(new Set(flags.map((f) => f.evidence.prefixHash)).size).toBe(1);
    expect(await falsePositives(honest)).toMatchObject({ voided: 0 });
  });

  it('an honest busy NAT: 150 voters behind four addresses of one /24, 3–5 models each, is not flagged', async () => {
    const nat = await honestCrowd({
      apis,
      llms,
      count: 150,
      networks: [210],
      hosts: 4,
      minVotes: 3,
      maxVotes: 5,
      seed: 210,
    });
    expect(nat.refused).toEqual([]);
    // Flushed to Postgres (where the sweep reads), then three sweeps more.
    const some = [...scoresOf(nat).keys()].find(
      (id) => ![llms[3], llms[7], llms[11]].includes(id),
    )!;
    await everywhere(some, honestScore(some, honest, nat));
    await new Promise((r) => setTimeout(r, 3 * SWEEP_MS + 1_000));
    const fp = await falsePositives(honest, nat);
    expect(fp.voided).toBe(0);
    figures.honestBallots = fp.ballots;
    figures.honestVoided = fp.voided;
    figures.falsePositiveRate = fp.voided / fp.ballots;
    await honestUntouched(nat);
    await inParallel([...scoresOf(nat).keys()].slice(0, 10), 4, async (id) => {
      if ([llms[3], llms[7], llms[11]].includes(id)) return;
      expect(await pgScore(stack.db, id)).toBe(honestScore(id, honest, nat));
    });
  });
});
