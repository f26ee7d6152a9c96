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
 * One address with one user agent that keeps starting over as a new voter (a script dropping
 * its cookie), its new ids mostly casting the same ballot. Blames the shared ballots.
 */
export const cookieChurn: Rule = {
  name: 'cookie-churn',
  detect(events, { thresholds: t }) {
    const view = ballotView(events);
    const drafts = [];
    for (const [client, g] of newVotersBy(events, (s) => (s.ip ? `${s.ip}|${s.ua}` : null))) {
      const top = concentrated(g.voters, view, t.churnNewVoters, t.concentration);
      if (!top) continue;
      const share = top.votes.length / g.voters.size;
      drafts.push({
        rule: this.name,
        subject: `client:${client}:${top.llmId}:${top.direction}`,
        explanation:
          `One address and browser started ${g.voters.size} new voter ids in ${minutes(t.windowSec)}; ` +
          `${top.votes.length} of them (${percent(share)}%) ${verb(top.direction)} ${top.llmId}.`,
        evidence: evidence(top.votes, {
          windowSec: t.windowSec,
          counts: {
            newVoters: g.voters.size,
            sameBallot: top.votes.length,
            sharePercent: percent(share),
          },
          thresholds: { newVoters: t.churnNewVoters, sharePercent: percent(t.concentration) },
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
