import type { Rule } from './common.ts';
import { ballotView, evidence, flagVotes, groupBy, minutes } from './common.ts';

/**
 * Many votes marked automated (navigator.webdriver, a headless or scripted user agent) from one
 * network. Blames the ballots cast by those automated requests.
 */
export const automation: Rule = {
  name: 'automation',
  detect(events, { thresholds: t }) {
    const view = ballotView(events);
    const automatedOf = groupBy(
      events.filter((e) => e.signals?.automated),
      (e) => e.signals?.net || null,
    );
    const ballotsOf = groupBy(
      view.ballots.filter((b) => b.automated),
      (b) => b.net || null,
    );
    const drafts = [];
    for (const [net, evs] of automatedOf) {
      const ballots = ballotsOf.get(net) ?? [];
      if (evs.length < t.automatedVotes || ballots.length === 0) continue;
      const voters = new Set(evs.map((e) => e.voterId)).size;
      drafts.push({
        rule: this.name,
        subject: `net:${net}`,
        explanation:
          `${evs.length} votes from automated browsers (${voters} voter ids) on one network in ` +
          `${minutes(t.windowSec)}; ${ballots.length} of their ballots still count.`,
        evidence: evidence(ballots, {
          windowSec: t.windowSec,
          counts: { automatedVotes: evs.length, voters, ballots: ballots.length },
          thresholds: { automatedVotes: t.automatedVotes },
          prefixHash: net,
        }),
        votes: flagVotes(ballots),
      });
    }
    return drafts;
  },
};
