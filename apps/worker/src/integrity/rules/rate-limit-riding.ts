import type { SweepEvent } from '@llmpt/db';

import type { Ballot, FlagDraft, Rule } from './common.ts';
import { ballotView, evidence, flagVotes, groupBy, minutes } from './common.ts';

/**
 * The least pace that counts, whatever the limit: with a low VOTE_RATE_LIMIT (a test cluster's
 * 5 a minute) a person clicking along would otherwise be "at the limit".
 */
const MIN_PER_MINUTE = 20;

/** Minutes (of the clock) in which `events` reached `perMinute`. */
function minutesAtLimit(events: readonly SweepEvent[], perMinute: number): number {
  const byMinute = new Map<number, number>();
  for (const e of events) {
    const m = Math.floor(e.createdAt.getTime() / 60_000);
    byMinute.set(m, (byMinute.get(m) ?? 0) + 1);
  }
  let n = 0;
  for (const c of byMinute.values()) if (c >= perMinute) n++;
  return n;
}

/**
 * A voter id, or an address, voting at about the rate limit (VOTE_RATE_LIMIT per minute) for
 * many minutes of the window: a script pacing itself under the limit. People do not cast
 * dozens of votes a minute for minutes on end. Blames the voter's ballots; for an address, the
 * one ballot most of its ballots are (see below).
 */
export const rateLimitRiding: Rule = {
  name: 'rate-limit-riding',
  detect(events, { thresholds: t }) {
    const view = ballotView(events);
    const perMinute = Math.max(MIN_PER_MINUTE, Math.ceil(t.rateLimitPerMin * t.rateRidingShare));
    const drafts: FlagDraft[] = [];
    const judge = (
      kind: 'voter' | 'address',
      key: string,
      evs: SweepEvent[],
      ballots: readonly Ballot[],
    ) => {
      if (evs.length < perMinute * t.rateRidingMinutes) return;
      const hot = minutesAtLimit(evs, perMinute);
      if (hot < t.rateRidingMinutes || ballots.length === 0) return;
      const nets = new Set(evs.map((e) => e.signals?.net ?? ''));
      const [net] = nets;
      drafts.push({
        rule: this.name,
        subject: `${kind}:${key}`,
        explanation:
          `One ${kind} cast ${evs.length} votes in ${minutes(t.windowSec)}, at ${perMinute} or more ` +
          `a minute (the limit is ${t.rateLimitPerMin}) in ${hot} separate minutes.`,
        evidence: evidence(ballots, {
          windowSec: t.windowSec,
          counts: { events: evs.length, minutesAtLimit: hot, ballots: ballots.length },
          thresholds: {
            votesPerMinute: perMinute,
            rateLimitPerMinute: t.rateLimitPerMin,
            minutes: t.rateRidingMinutes,
          },
          ...(nets.size === 1 && net ? { prefixHash: net } : {}),
        }),
        votes: flagVotes(ballots),
      });
    };
    for (const [voterId, evs] of groupBy(events, (e) => e.voterId))
      judge('voter', voterId, evs, view.byVoter.get(voterId) ?? []);
    const ballotsOfIp = groupBy(view.ballots, (b) => b.ip || null);
    for (const [ip, evs] of groupBy(events, (e) => e.signals?.ip || null)) {
      // An address is shared (a NAT's many people can reach its limit honestly): blamed only
      // when most of its ballots are the same one, and only for those.
      const ballots = ballotsOfIp.get(ip) ?? [];
      const top = [...groupBy(ballots, (b) => `${b.llmId}:${b.value}`).values()].sort(
        (a, b) => b.length - a.length,
      )[0];
      if (top && top.length / ballots.length >= t.concentration) judge('address', ip, evs, top);
    }
    return drafts;
  },
};
