import type { Rule } from './common.ts';
import {
  type Ballot,
  ballotView,
  evidence,
  flagVotes,
  groupBy,
  minutes,
  percent,
  verb,
} from './common.ts';

/**
 * Voters of one network whose only vote in the window is the same ballot on one model, when
 * they are many and most of the network's voters: one-shot ids. Honest voters of a network
 * vote on several models, or are few of its voters when they vote on one.
 */
export const singleModelPrefix: Rule = {
  name: 'single-model-prefix',
  detect(events, { thresholds: t }) {
    const view = ballotView(events);
    const votersOfNet = new Map<string, Set<string>>();
    for (const e of events) {
      if (!e.signals?.net) continue;
      let s = votersOfNet.get(e.signals.net);
      if (!s) votersOfNet.set(e.signals.net, (s = new Set()));
      s.add(e.voterId);
    }
    const single: Ballot[] = [];
    for (const [voterId, ballots] of view.byVoter) {
      const [only] = ballots;
      if (ballots.length === 1 && only?.net && view.modelsOf.get(voterId)?.size === 1)
        single.push(only);
    }
    const drafts = [];
    for (const [key, votes] of groupBy(single, (b) => `${b.net}:${b.llmId}:${b.value}`)) {
      const first = votes[0]!;
      const voters = votersOfNet.get(first.net)?.size ?? votes.length;
      const share = votes.length / voters;
      if (votes.length < t.singleModelVoters || share < t.concentration) continue;
      drafts.push({
        rule: this.name,
        subject: `net:${key}`,
        explanation:
          `${votes.length} voters from one network (${percent(share)}% of its ${voters}) cast ` +
          `no other vote in ${minutes(t.windowSec)} than: ${verb(first.value)} ${first.llmId}.`,
        evidence: evidence(votes, {
          windowSec: t.windowSec,
          counts: {
            singleModelVoters: votes.length,
            networkVoters: voters,
            sharePercent: percent(share),
          },
          thresholds: {
            singleModelVoters: t.singleModelVoters,
            sharePercent: percent(t.concentration),
          },
          prefixHash: first.net,
          llmId: first.llmId,
          direction: first.value,
        }),
        votes: flagVotes(votes),
      });
    }
    return drafts;
  },
};
