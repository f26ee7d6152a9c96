import type { Kysely } from 'kysely';

import type { Database } from '../schema/index.ts';
import {
  type Ballot,
  type VoidedBallot,
  readBallots,
  readTallies,
  readVoidedBallots,
} from './vote.repository.ts';

const PAGE = 10_000;

type Key = { voterId: string; llmId: string };

/** Keyset pages of a (voter_id, llm_id)-ordered reader, until a short page. */
async function* pages<T extends Key>(
  read: (after: Key | null, limit: number) => Promise<T[]>,
): AsyncGenerator<T[]> {
  let after: Key | null = null;
  for (;;) {
    const page = await read(after, PAGE);
    if (page.length === 0) return;
    yield page;
    const last = page.at(-1)!;
    after = { voterId: last.voterId, llmId: last.llmId };
    if (page.length < PAGE) return;
  }
}

/**
 * Postgres as the source for rebuilding Redis (tallies from llm_vote_counts, non-zero ballots
 * from votes, and the ballots integrity flags voided, in keyset pages). Matches `RebuildSource`
 * of @llmpt/vote-store structurally.
 */
export function postgresRebuildSource(db: Kysely<Database>) {
  return {
    tallies: () => readTallies(db),
    ballots: (): AsyncGenerator<Ballot[]> => pages((after, n) => readBallots(db, after, n)),
    voided: (): AsyncGenerator<VoidedBallot[]> =>
      pages((after, n) => readVoidedBallots(db, after, n)),
  };
}
