import type { Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';
import { type Ballot, readBallots, readTallies } from './vote.repository.ts';

const PAGE = 10_000;

/**
 * Postgres as the source for rebuilding Redis (tallies from llm_vote_counts, non-zero ballots
 * from votes, in keyset pages). Matches `RebuildSource` of @llmpt/vote-store structurally.
 */
export function postgresRebuildSource(db: Kysely<Database>) {
  return {
    tallies: () => readTallies(db),
    async *ballots(): AsyncGenerator<Ballot[]> {
      let after: { voterId: string; llmId: string } | null = null;
      for (;;) {
        const page = await readBallots(db, after, PAGE);
        if (page.length === 0) return;
        yield page;
        const last = page.at(-1)!;
        after = { voterId: last.voterId, llmId: last.llmId };
        if (page.length < PAGE) return;
      }
    },
  };
}
