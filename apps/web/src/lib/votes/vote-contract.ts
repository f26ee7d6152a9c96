import type { CastVoteInput, CastVoteResult, MyVotes, VoteClientSignals } from '@llmpt/shared';

/**
 * The procedures voting calls, written out (as `LiveApi` is) so the controller and its test
 * server don't depend on the api's source; `trpc.ts` assigns the real client to it, which is
 * where a drift fails typechecking.
 */
export interface VoteApi {
  vote: {
    cast: {
      mutate(input: CastVoteInput & { client?: VoteClientSignals }): Promise<CastVoteResult>;
    };
    /** The caller's non-zero ballots by model id, each with whether it counts (issue 13). */
    mine: { query(): Promise<MyVotes> };
  };
}
