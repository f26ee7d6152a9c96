import type { Rule } from './common.ts';
import {
  ballotView,
  concentrated,
  evidence,
  flagVotes,
  minutes,
  newVotersBy,
  oneNet,
  percent,
  verb,
} from './common.ts';

/**
 * Many new voter ids sharing one browser fingerprint (a soft signal: identical devices can
 * collide, hence the same-ballot share on top of the count). Blames the shared ballots.
 */
export const fingerprintNewVoters: Rule = {
  name: 'fingerprint-new-voters',
  detect(events, { thresholds: t }) {
    const view = ballotView(events);
    const drafts = [];
    for (const [fp, g] of newVotersBy(events, (s) => s.fp || null)) {
      const top = concentrated(g.voters, view, t.fingerprintVoters, t.concentration);
      if (!top) continue;
      const share = top.votes.length / g.voters.size;
      drafts.push({
        rule: this.name,
        subject: `fp:${fp}:${top.llmId}:${top.direction}`,
        explanation:
          `${g.voters.size} new voter ids from one browser fingerprint in ${minutes(t.windowSec)}; ` +
          `${top.votes.length} of them (${percent(share)}%) ${verb(top.direction)} ${top.llmId}.`,
        evidence: evidence(top.votes, {
          windowSec: t.windowSec,
          counts: {
            newVoters: g.voters.size,
            sameBallot: top.votes.length,
            sharePercent: percent(share),
            networks: g.nets.size,
          },
          thresholds: { newVoters: t.fingerprintVoters, sharePercent: percent(t.concentration) },
          fingerprintHash: fp,
          ...oneNet(g.nets),
          llmId: top.llmId,
          direction: top.direction,
        }),
        votes: flagVotes(top.votes),
      });
    }
    return drafts;
  },
};
