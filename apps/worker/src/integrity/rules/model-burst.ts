import type { Rule } from './common.ts';
import { ballotView, evidence, flagVotes, groupBy, minutes, percent, verb } from './common.ts';

/** At most this many networks are blamed for one burst ("the few that dominate it"). */
const MAX_BLAMED_NETWORKS = 5;

/**
 * Votes on one model in the window far above the model's own rate over the preceding hours,
 * and a few networks holding a large share of them. Blames those networks' ballots in the
 * burst's direction; a burst spread over many networks (a launch, a link on a busy site) has
 * no network to blame and raises nothing.
 */
export const modelBurst: Rule = {
  name: 'model-burst',
  detect(events, { thresholds: t, baseline }) {
    const view = ballotView(events);
    const votes = new Map<string, number>();
    for (const e of events) if (e.value !== 0) votes.set(e.llmId, (votes.get(e.llmId) ?? 0) + 1);
    const ballotsOf = groupBy(view.ballots, (b) => b.llmId);
    const drafts = [];
    for (const [llmId, n] of votes) {
      const expected = ((baseline.get(llmId) ?? 0) * t.windowSec) / t.baselineSec;
      if (n < t.burstMinVotes || n < t.burstFactor * Math.max(expected, 1)) continue;
      const ballots = ballotsOf.get(llmId) ?? [];
      const dominant = [...groupBy(ballots, (b) => b.net || null)]
        .filter(([, bs]) => bs.length / ballots.length >= t.burstPrefixShare)
        .sort((a, b) => b[1].length - a[1].length)
        .slice(0, MAX_BLAMED_NETWORKS);
      const blamed = dominant.flatMap(([, bs]) => bs);
      if (blamed.length === 0) continue;
      const ups = blamed.filter((b) => b.value === 1).length;
      const direction: 1 | -1 = ups * 2 >= blamed.length ? 1 : -1;
      const affected = blamed.filter((b) => b.value === direction);
      const share = blamed.length / ballots.length;
      const [[onlyNet] = []] = dominant.length === 1 ? dominant : [];
      drafts.push({
        rule: this.name,
        subject: `llm:${llmId}:${direction}`,
        explanation:
          `${n} votes on ${llmId} in ${minutes(t.windowSec)}, against about ${Math.round(expected)} ` +
          `usually; ${dominant.length} network${dominant.length === 1 ? '' : 's'} cast ` +
          `${percent(share)}% of its ballots, ${affected.length} of them ${verb(direction)}.`,
        evidence: evidence(affected, {
          windowSec: t.windowSec,
          counts: {
            votes: n,
            expected: Math.round(expected),
            networks: dominant.length,
            networkSharePercent: percent(share),
            blamedBallots: affected.length,
          },
          thresholds: {
            minVotes: t.burstMinVotes,
            factor: t.burstFactor,
            networkSharePercent: percent(t.burstPrefixShare),
            baselineSec: t.baselineSec,
          },
          ...(onlyNet ? { prefixHash: onlyNet } : {}),
          llmId,
          direction,
        }),
        votes: flagVotes(affected),
      });
    }
    return drafts;
  },
};
