/**
 * integrity: issue 13's scripted attack, measured. How long after a ballot-stuffing script's
 * last acknowledged vote the admins see a flag and every screen shows the model back at its
 * honest score, and how many honest votes the rules take out with it (false positives).
 * tests/e2e/test/integrity.e2e.test.ts proves the same runs with generous deadlines; this
 * measures them. The voters, the attack and the observers are that test's own
 * (tests/e2e/test/attack/).
 *
 * Setup: startBenchStack with 2 api processes and 1 worker (INTEGRITY_SWEEP_MS 2000, the rules'
 * default thresholds; the front-door limits raised, as startBenchStack does for load: the issue
 * is about what gets past them). An admin made by `npm run admin:create`, signed in on api A. A
 * live `rankings.live` subscriber on each api ("every screen").
 * 1. Honest voters: 200 (tiny 60) browsers on eight /24s of 127.1.0.0/16, one address and cookie
 *    each, browser User-Agents, 1–4 models each (70 % up, some change their mind).
 * 2. Attack: 300 cookie-less upvotes of one model from addresses inside 127.1.200.0/24, one
 *    User-Agent, as fast as 16 sockets go. Measured from the last acknowledged vote:
 *    `flagVisibleMs` (admin.integrity.list on A holds all 300 votes in open flags, polled every
 *    100 ms), `scoreBackOnScreensMs` (the later of the two live subscribers showing the model at
 *    its honest score), `scoreBackInPostgresMs` (llm_vote_counts at the honest score and the 300
 *    `votes` rows at 0 with `voided_by` set, polled every 100 ms).
 * 3. The same attack on another model from 127.1.202.0/24 with a new User-Agent and fingerprint
 *    (client.fp) on every vote: the same three figures with the suffix `Rotating`.
 *    Then the admin dismisses that attack's flags (admin.integrity.dismiss on A):
 *    `dismissMs` (the mutations' own time) and `restoreOnScreensMs` (from the first dismiss
 *    request until both live subscribers show the model at honest + 300 again).
 * 4. Busy NAT: 150 (tiny 60) honest voters behind four addresses of 127.1.210.0/24, 3–5 models
 *    each; then three sweeps.
 * `honestBallots`, `honestVoided` (honest ballots any flag holds, from integrity_flag_votes) and
 * `falsePositiveRate` = honestVoided / honestBallots over all honest voters (1 and 4).
 * `missed` counts attacks not fully flagged (or a dismissal not restored) within 60 s (tiny 25 s;
 * their figures are then absent).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

import {
  type Crowd,
  ballotRows,
  honestCrowd,
  scoresOf,
  stuffingAttack,
} from '../../tests/e2e/test/attack/crowd.ts';
import {
  AdminSession,
  type LiveScreen,
  flagsOn,
  heldOn,
  openScreen,
  pgBallots,
  pgFlaggedBallots,
  pgScore,
} from '../../tests/e2e/test/attack/observe.ts';
import { track } from '../lib/children.ts';
import { deleteKeysWithPrefix } from '../lib/redis-keys.ts';
import { fig, sleep } from '../lib/rt-measure.ts';
import { type BenchStack, startBenchStack, waitUntil } from '../lib/stack.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/types.ts';

const SWEEP_MS = 2_000;
const ATTACKERS = 300;
/** An attack not flagged and voided within this is counted as missed (tiny: 25 s, to fit 120 s). */
let GIVE_UP_MS = 60_000;
const POLL_MS = 100;
const ADMIN = 'bench-integrity-admin';
const PASSWORD = 'bench integrity passphrase, long enough';

/** `npm run admin:create -- --user NAME` with the password on stdin, against the stack's database. */
async function createAdmin(ctx: BenchContext, stack: BenchStack): Promise<void> {
  const child = track(
    spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/api/src/cli/admin.ts', 'create', '--user', ADMIN],
      { cwd: ctx.repoRoot, env: { ...process.env, ...stack.env }, stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin!.end(`${PASSWORD}\n`);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`admin:create exited ${code}: ${output.trim()}`);
}

/** Polls `check` every POLL_MS until true: when it was (performance.now()), or null. */
async function when(check: () => Promise<boolean>): Promise<number | null> {
  const deadline = performance.now() + GIVE_UP_MS;
  for (;;) {
    const ok = await check().catch(() => false);
    const at = performance.now();
    if (ok) return at;
    if (at > deadline) return null;
    await sleep(POLL_MS);
  }
}

/** One attack, and how long each place took to show it undone. */
async function measureAttack(
  stack: BenchStack,
  admin: AdminSession,
  screens: LiveScreen[],
  opts: { target: string; level: number; network: number; rotate: boolean },
): Promise<ScenarioResult | null> {
  const attack = await stuffingAttack({
    apis: stack.apiUrls,
    target: opts.target,
    count: ATTACKERS,
    network: opts.network,
    rotate: opts.rotate,
    seed: opts.network,
  });
  if (attack.refused.length > 0)
    throw new Error(`${attack.refused.length} attack votes refused: the front door is not open`);
  const from = attack.lastAckAt;
  const attackers = attack.browsers.flatMap((b) => b.identities.map((i) => i.voterId));
  const [flagged, postgres] = await Promise.all([
    when(async () => {
      const flags = flagsOn(await admin.flags('pending'), opts.target);
      return heldOn(flags, opts.target) >= ATTACKERS && flags.every((f) => f.status === 'open');
    }),
    // The score alone could read the honest level before the attack was even flushed: also
    // every attack ballot's row voided.
    when(async () => {
      if ((await pgScore(stack.db, opts.target)) !== opts.level) return false;
      const rows = await pgBallots(stack.db, opts.target, attackers);
      return (
        [...rows.values()].filter((r) => r.value === 0 && r.voidedBy !== null).length === ATTACKERS
      );
    }),
  ]);
  const onScreens = await Promise.all(
    screens.map((s) => when(async () => s.reached(opts.target, opts.level, from) !== null)),
  );
  if (flagged === null || postgres === null || onScreens.includes(null)) return null;
  const screenAt = Math.max(
    ...screens.map((s) => s.reached(opts.target, opts.level, from) ?? Infinity),
  );
  return {
    attackSec: fig((attack.lastAckAt - attack.firstAt) / 1000),
    flagVisibleMs: fig(flagged - from),
    scoreBackOnScreensMs: fig(screenAt - from),
    scoreBackInPostgresMs: fig(postgres - from),
  };
}

export async function runIntegrity(ctx: BenchContext): Promise<ScenarioResult> {
  const tiny = ctx.opts.tiny;
  GIVE_UP_MS = tiny ? 25_000 : 60_000;
  ctx.log('starting a stack of 2 api processes and 1 worker (integrity sweep every 2 s)');
  const stack = await startBenchStack(ctx, {
    apis: 2,
    workers: 1,
    env: { INTEGRITY_SWEEP_MS: String(SWEEP_MS) },
  });
  for (const child of [...stack.apis, ...stack.workers]) track(child);
  let screens: LiveScreen[] = [];
  try {
    const apis = stack.apiUrls;
    await createAdmin(ctx, stack);
    const admin = await AdminSession.signIn(apis[0]!, ADMIN, PASSWORD);
    const res = await fetch(`${apis[0]}/trpc/llm.list`);
    const llms = (
      (await res.json()) as { result: { data: Array<{ id: string }> } }
    ).result.data.map((l) => l.id);
    screens = apis.map((url) => openScreen(url));

    ctx.log(`integrity: ${tiny ? 60 : 200} honest voters on eight /24s`);
    const honest = await honestCrowd({
      apis,
      llms,
      count: tiny ? 60 : 200,
      networks: [1, 2, 3, 4, 5, 6, 7, 8],
      hosts: 25,
      minVotes: 1,
      maxVotes: 4,
      seed: 13,
    });
    const level = (id: string, ...crowds: Crowd[]) => {
      const t = scoresOf(...crowds).get(id) ?? { up: 0, down: 0 };
      return t.up - t.down;
    };
    const [first, second] = [llms[3]!, llms[11]!];
    // Honest votes flushed before the attack: the baseline the rules see is the honest one.
    await waitUntil(
      async () => (await pgScore(stack.db, first)) === level(first, honest),
      GIVE_UP_MS,
    );

    const result: ScenarioResult = { sweepMs: SWEEP_MS, attackVotes: ATTACKERS, missed: 0 };
    ctx.log('integrity: 300 cookie-less upvotes from one /24');
    const plain = await measureAttack(stack, admin, screens, {
      target: first,
      level: level(first, honest),
      network: 200,
      rotate: false,
    });
    if (plain) Object.assign(result, plain);
    else (result.missed as number)++;

    ctx.log('integrity: the same with rotating user agents and fingerprints');
    const rotating = await measureAttack(stack, admin, screens, {
      target: second,
      level: level(second, honest),
      network: 202,
      rotate: true,
    });
    if (rotating) for (const [k, v] of Object.entries(rotating)) result[`${k}Rotating`] = v;
    else (result.missed as number)++;

    // An admin dismisses the rotating attack's flags: until both screens show the votes back.
    if (rotating) {
      ctx.log('integrity: dismissing the second attack');
      const back = level(second, honest) + ATTACKERS;
      const sent = performance.now();
      for (const f of flagsOn(await admin.flags('pending'), second)) await admin.dismiss(f.id);
      const answered = performance.now();
      const screensBack = await Promise.all(
        screens.map((s) => when(async () => s.reached(second, back, sent) !== null)),
      );
      if (screensBack.includes(null)) (result.missed as number)++;
      else {
        result.dismissMs = fig(answered - sent);
        result.restoreOnScreensMs = fig(
          Math.max(...screens.map((s) => s.reached(second, back, sent) ?? Infinity)) - sent,
        );
      }
    }

    ctx.log(`integrity: a busy NAT of ${tiny ? 60 : 150} voters in one /24`);
    const nat = await honestCrowd({
      apis,
      llms,
      count: tiny ? 60 : 150,
      networks: [210],
      hosts: 4,
      minVotes: 3,
      maxVotes: 5,
      seed: 210,
    });
    const natModel = [...scoresOf(nat).keys()].find((id) => id !== first && id !== second)!;
    await waitUntil(
      async () => (await pgScore(stack.db, natModel)) === level(natModel, honest, nat),
      GIVE_UP_MS,
    );
    await sleep(3 * SWEEP_MS + 1_000);
    const voters = [...honest.ballots.keys(), ...nat.ballots.keys()];
    const voided = (await pgFlaggedBallots(stack.db, voters)).length;
    const ballots = ballotRows(honest).length + ballotRows(nat).length;
    return {
      ...result,
      honestBallots: ballots,
      honestVoided: voided,
      falsePositiveRate: fig(voided / ballots, 4),
    };
  } finally {
    await Promise.all(screens.map((s) => s.stop().catch(() => undefined)));
    await stack.stop();
    await deleteKeysWithPrefix(ctx.redisUrl, stack.prefix);
  }
}

export const scenario: Scenario = {
  name: 'integrity',
  describe:
    '300 cookie-less upvotes from one /24 amid honest voters: until flagged, and the score back on every screen and in Postgres; false positives',
  run: runIntegrity,
};
