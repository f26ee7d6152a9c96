import type { SweepEvent } from '@llmpt/db';
import { describe, expect, it } from 'vitest';

import { DEFAULT_THRESHOLDS } from '../src/integrity/config.ts';
import { automation } from '../src/integrity/rules/automation.ts';
import type { FlagDraft, Rule, RuleContext } from '../src/integrity/rules/common.ts';
import { cookieChurn } from '../src/integrity/rules/cookie-churn.ts';
import { fingerprintNewVoters } from '../src/integrity/rules/fingerprint-new-voters.ts';
import { RULES } from '../src/integrity/rules/index.ts';
import { modelBurst } from '../src/integrity/rules/model-burst.ts';
import { prefixNewVoters } from '../src/integrity/rules/prefix-new-voters.ts';
import { rateLimitRiding } from '../src/integrity/rules/rate-limit-riding.ts';
import { singleModelPrefix } from '../src/integrity/rules/single-model-prefix.ts';

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = new Date('2026-12-02T12:10:00Z');
const START = NOW.getTime() - 600_000;
const MODELS = Array.from({ length: 40 }, (_, i) => `m-${String(i).padStart(2, '0')}`);
const TARGET = 'm-07';
const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({
  now: NOW,
  thresholds: DEFAULT_THRESHOLDS,
  baseline: new Map(),
  ...over,
});

interface Signals {
  ip?: string;
  net?: string;
  ua?: string;
  fp?: string;
  newVoter?: boolean;
  automated?: boolean;
}
function ev(
  voterId: string,
  llmId: string,
  value: -1 | 0 | 1,
  at: number,
  s: Signals = {},
): SweepEvent {
  return {
    voterId,
    llmId,
    value,
    prevValue: 0,
    createdAt: new Date(at),
    signals: {
      ip: s.ip ?? `ip-${voterId}`,
      net: s.net ?? `net-${voterId}`,
      ua: s.ua ?? 'ua-chrome',
      fp: s.fp ?? '',
      newVoter: s.newVoter ?? true,
      automated: s.automated ?? false,
    },
  };
}

/** The attack: new cookie-less voters in one /24, all upvoting one model within a minute. */
function attack(
  opts: { n?: number; rotate?: boolean; fp?: string; start?: number } = {},
): SweepEvent[] {
  const { n = 300, rotate = true, start = START + 300_000 } = opts;
  return Array.from({ length: n }, (_, i) =>
    ev(`atk-${i}`, TARGET, 1, start + Math.floor((i * 60_000) / n), {
      ip: `ip-atk-${i % 254}`,
      net: 'net-attack',
      ua: rotate ? `ua-${i % 37}` : 'ua-bot',
      fp: opts.fp ?? (rotate ? `fp-atk-${i}` : ''),
    }),
  );
}

/** Honest voters from many networks: 1-5 models each, mostly upvotes, spread over the window. */
function honest(n = 200, seed = 1): SweepEvent[] {
  const r = rng(seed);
  const out: SweepEvent[] = [];
  for (let v = 0; v < n; v++) {
    const k = 1 + Math.floor(r() * 5);
    const picks = new Set<string>();
    while (picks.size < k) picks.add(MODELS[Math.floor(r() * MODELS.length)]!);
    for (const llm of picks)
      out.push(
        ev(`hon-${v}`, llm, r() < 0.75 ? 1 : -1, START + Math.floor(r() * 600_000), {
          net: `net-h${v % 25}`,
          fp: `fp-hon-${v}`,
          ua: `ua-${v % 6}`,
        }),
      );
  }
  return out;
}

/**
 * A busy NAT: many voters in one /24 behind ONE address with the same browser build, each
 * voting 3-5 random models of 40 (sharing a fingerprint too: identical lab machines).
 */
function busyNat(n = 150, seed = 2): SweepEvent[] {
  const r = rng(seed);
  const out: SweepEvent[] = [];
  for (let v = 0; v < n; v++) {
    const k = 3 + Math.floor(r() * 3);
    const picks = new Set<string>();
    while (picks.size < k) picks.add(MODELS[Math.floor(r() * MODELS.length)]!);
    for (const llm of picks)
      out.push(
        ev(`nat-${v}`, llm, r() < 0.8 ? 1 : -1, START + Math.floor(r() * 600_000), {
          ip: 'ip-nat',
          net: 'net-nat',
          ua: 'ua-chrome',
          fp: 'fp-lab',
        }),
      );
  }
  return out;
}

const sortByTime = (xs: SweepEvent[]) =>
  xs.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
const mix = (...parts: SweepEvent[][]) => sortByTime(parts.flat());
const run = (rule: Rule, events: SweepEvent[], c = ctx()) => rule.detect(events, c);
const voterSet = (d: FlagDraft) => new Set(d.votes.map((v) => v.voterId));

describe('integrity rules on synthetic events', () => {
  const honestAll = mix(honest(), busyNat());

  it('every rule stays silent on 200 honest voters and a busy NAT', () => {
    for (const rule of RULES) expect(run(rule, honestAll), rule.name).toEqual([]);
  });

  it('prefix-new-voters fires on the attack with its counts, blaming only the attack ballots', () => {
    const drafts = run(prefixNewVoters, mix(attack(), honest(), busyNat()));
    expect(drafts).toHaveLength(1);
    const [d] = drafts as [FlagDraft];
    expect(d.votes).toHaveLength(300);
    expect([...voterSet(d)].every((v) => v.startsWith('atk-'))).toBe(true);
    expect(d.evidence).toMatchObject({
      counts: { newVoters: 300, sameBallot: 300, sharePercent: 100 },
      prefixHash: 'net-attack',
      llmId: TARGET,
      direction: 1,
      windowSec: 600,
    });
    expect(d.explanation).toBe(
      `300 new voter ids from one network in 10 minutes; 300 of them (100%) upvoted ${TARGET}.`,
    );
    expect(d.evidence.firstVoteAt).toBe(new Date(START + 300_000).toISOString());
    expect(Date.parse(d.evidence.lastVoteAt)).toBeLessThan(START + 360_000);
  });

  it('prefix-new-voters: a network below the count, or whose new voters spread, does not fire', () => {
    expect(run(prefixNewVoters, attack({ n: 19 }))).toEqual([]);
    // 40 new voters, only 20 of them (50%) on the same ballot: under the 60% share.
    const spread = [
      ...attack({ n: 20 }),
      ...Array.from({ length: 20 }, (_, i) =>
        ev(`o-${i}`, MODELS[i]!, 1, START + i * 1000, { net: 'net-attack' }),
      ),
    ];
    expect(run(prefixNewVoters, sortByTime(spread))).toEqual([]);
  });

  it('fingerprint-new-voters fires on many ids of one browser, not on rotated fingerprints', () => {
    const shared = attack({ n: 30, fp: 'fp-one' }).map((e, i) => ({
      ...e,
      signals: { ...e.signals!, net: `net-x${i}` },
    }));
    const [d, ...rest] = run(fingerprintNewVoters, mix(shared, honest()));
    expect(rest).toEqual([]);
    expect(d?.votes).toHaveLength(30);
    expect(d?.evidence).toMatchObject({
      fingerprintHash: 'fp-one',
      counts: { newVoters: 30, sameBallot: 30, networks: 30 },
    });
    expect(d?.evidence.prefixHash).toBeUndefined();
    expect(run(fingerprintNewVoters, mix(attack(), honest()))).toEqual([]);
  });

  it('cookie-churn fires on one address and browser minting ids for one ballot', () => {
    const churn = Array.from({ length: 12 }, (_, i) =>
      ev(`churn-${i}`, TARGET, -1, START + i * 5_000, { ip: 'ip-1', net: 'net-1', ua: 'ua-x' }),
    );
    const [d, ...rest] = run(cookieChurn, mix(churn, honest(), busyNat()));
    expect(rest).toEqual([]);
    expect(d?.votes.map((v) => v.value)).toEqual(Array(12).fill(-1));
    expect(d?.evidence).toMatchObject({
      counts: { newVoters: 12 },
      prefixHash: 'net-1',
      direction: -1,
    });
    expect(d?.explanation).toContain('started 12 new voter ids');
    // Rotating user agents: every (address, browser) has few ids, so churn is silent (the
    // prefix rules are the ones that catch that attack).
    expect(run(cookieChurn, attack())).toEqual([]);
  });

  it('single-model-prefix fires on one-vote voters of one network, not on honest single votes', () => {
    const [d, ...rest] = run(singleModelPrefix, mix(attack(), honest(), busyNat()));
    expect(rest).toEqual([]);
    expect(d?.votes).toHaveLength(300);
    expect(d?.evidence).toMatchObject({
      counts: { singleModelVoters: 300, networkVoters: 300, sharePercent: 100 },
      prefixHash: 'net-attack',
    });
    // Returning voters (not new) are judged too: the rule is about one-shot ids, not new ones.
    const returning = attack({ n: 25 }).map((e) => ({
      ...e,
      signals: { ...e.signals!, newVoter: false },
    }));
    expect(run(singleModelPrefix, returning)).toHaveLength(1);
    // The same 25 in a network with 100 other voters are 20% of it: silent.
    const crowd = Array.from({ length: 100 }, (_, i) => [
      ev(`c-${i}`, MODELS[i % 40]!, 1, START + i, { net: 'net-attack' }),
      ev(`c-${i}`, MODELS[(i + 1) % 40]!, 1, START + i, { net: 'net-attack' }),
    ]).flat();
    expect(run(singleModelPrefix, mix(returning, crowd))).toEqual([]);
  });

  it('model-burst fires on a burst from few networks over an empty or low baseline only', () => {
    const events = mix(attack(), honest());
    const [d, ...rest] = run(modelBurst, events);
    expect(rest).toEqual([]);
    expect(d?.evidence).toMatchObject({ llmId: TARGET, prefixHash: 'net-attack', direction: 1 });
    expect(d?.evidence.counts.blamedBallots).toBe(300);
    expect(d?.evidence.counts.votes).toBeGreaterThanOrEqual(300);
    expect([...voterSet(d!)].every((v) => v.startsWith('atk-'))).toBe(true);
    // The model usually gets 1,000 votes per 10 minutes (18,000 in 3 hours): 300 is no burst.
    expect(run(modelBurst, events, ctx({ baseline: new Map([[TARGET, 18_000]]) }))).toEqual([]);
    // A burst spread over 100 networks has no network to blame.
    const spread = attack().map((e, i) => ({
      ...e,
      signals: { ...e.signals!, net: `n-${i % 100}` },
    }));
    expect(run(modelBurst, spread)).toEqual([]);
  });

  it('rate-limit-riding fires on a voter and an address at the limit for minutes', () => {
    // 50 events a minute (limit 60; "at the limit" from 48) for 6 minutes, toggling 25 models.
    const bot: SweepEvent[] = [];
    for (let m = 0; m < 6; m++)
      for (let k = 0; k < 50; k++)
        bot.push(
          ev('bot', MODELS[k % 25]!, k % 2 ? 1 : -1, START + m * 60_000 + k * 1_000, {
            ip: 'ip-bot',
            net: 'net-bot',
          }),
        );
    // An address at the limit whose ballots are mostly one: many ids, one model.
    const farm = Array.from({ length: 300 }, (_, i) =>
      ev(`farm-${i}`, TARGET, 1, START + Math.floor(i / 50) * 60_000 + (i % 50) * 1_000, {
        ip: 'ip-farm',
        net: 'net-farm',
      }),
    );
    const drafts = run(rateLimitRiding, mix(bot, farm, honest()));
    expect(drafts.map((d) => d.subject).sort()).toEqual(['address:ip-farm', 'voter:bot']);
    expect(drafts.find((d) => d.subject === 'address:ip-farm')?.votes).toHaveLength(300);
    // The bot's own address is not blamed as an address: its ballots spread over 25 models
    // (as a busy NAT's would), so only the voter is.
    const voter = drafts.find((d) => d.subject === 'voter:bot');
    expect(voter?.evidence.counts).toEqual({ events: 300, minutesAtLimit: 6, ballots: 25 });
    expect(voter?.votes).toHaveLength(25);
    // Four such minutes are not enough (5 needed).
    expect(run(rateLimitRiding, bot.slice(0, 200))).toEqual([]);
    // Nor are 40 a minute.
    expect(
      run(
        rateLimitRiding,
        bot.filter((_, i) => i % 50 < 40),
      ),
    ).toEqual([]);
    // Under a low limit (5 a minute), no pace a person can keep counts: at least 20 a minute.
    const slow = ctx({ thresholds: { ...DEFAULT_THRESHOLDS, rateLimitPerMin: 5 } });
    const steady = Array.from({ length: 40 }, (_, i) =>
      ev('steady', MODELS[i % 40]!, 1, START + i * 15_000, { ip: 'ip-s', net: 'net-s' }),
    );
    expect(run(rateLimitRiding, steady, slow)).toEqual([]);
  });

  it('automation fires on many automated votes from one network', () => {
    const bots = attack({ n: 25 }).map((e) => ({
      ...e,
      signals: { ...e.signals!, automated: true },
    }));
    const [d, ...rest] = run(automation, mix(bots, honest()));
    expect(rest).toEqual([]);
    expect(d?.evidence.counts).toEqual({ automatedVotes: 25, voters: 25, ballots: 25 });
    expect(run(automation, bots.slice(0, 19))).toEqual([]);
  });

  it('the rotated attack among honest traffic: flagged ballots are exactly the attack', () => {
    const events = mix(attack({ rotate: true }), honest(200, 7), busyNat(150, 8));
    const blamed = new Set<string>();
    for (const rule of RULES)
      for (const d of rule.detect(events, ctx())) for (const v of d.votes) blamed.add(v.voterId);
    expect(blamed.size).toBe(300);
    expect([...blamed].every((v) => v.startsWith('atk-'))).toBe(true);
  });

  it('a retracted or changed ballot is judged by its current value', () => {
    const events = attack({ n: 30 });
    const later = START + 500_000;
    // Ten of them retract: they hold no ballot to void any more.
    const retract = events
      .slice(0, 10)
      .map((e) => ev(e.voterId, TARGET, 0, later, { net: 'net-attack' }));
    const [d] = run(prefixNewVoters, sortByTime([...events, ...retract]));
    expect(d?.votes).toHaveLength(20);
    expect(d?.votes.every((v) => v.votedAt.getTime() < later)).toBe(true);
  });
});
