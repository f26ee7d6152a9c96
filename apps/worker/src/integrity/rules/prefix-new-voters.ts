import type { Rule } from './common.ts';
import {
  ballotView,
  concentrated,
  evidence,
  flagVotes,
  minutes,
  newVotersBy,
  percent,
  verb,
} from './common.ts';

/**
 * Many NEW voter ids from one network (IPv4 /24, IPv6 /64) in the window, most of them casting
 * the same ballot on one model: minted ids stuffing one model. Blames those ballots.
 */
export const prefixNewVoters: Rule = {
  name: 'prefix-new-voters',
  detect(events, { thresholds: t }) {
    const view = ballotView(events);
    const drafts = [];
    for (const [net, g] of newVotersBy(events, (s) => s.net || null)) {
      const top = concentrated(g.voters, view, t.prefixNewVoters, t.concentration);
      if (!top) continue;
      const share = top.votes.length / g.voters.size;
      drafts.push({
        rule: this.name,
        subject: `net:${net}:${top.llmId}:${top.direction}`,
        explanation:
          `${g.voters.size} new voter ids from one network in ${minutes(t.windowSec)}; ` +
          `${top.votes.length} of them (${percent(share)}%) ${verb(top.direction)} ${top.llmId}.`,
        evidence: evidence(top.votes, {
          windowSec: t.windowSec,
          counts: {
            newVoters: g.voters.size,
            sameBallot: top.votes.length,
            sharePercent: percent(share),
          },
          thresholds: { newVoters: t.prefixNewVoters, sharePercent: percent(t.concentration) },
          prefixHash: net,
          llmId: top.llmId,
          direction: top.direction,
        }),
        votes: flagVotes(top.votes),
      });
    }
    return drafts;
  },
};
