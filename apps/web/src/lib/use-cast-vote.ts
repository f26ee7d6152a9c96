import type { VoteValue } from '@llmpt/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';

import { type Ballot, type Tally, moveBallot, nextBallot, withTally } from './ballot.ts';
import { errorMessage } from './errors.ts';
import { type MyBallots, type RankingRow, trpc } from './trpc.ts';

const rankingsFilter = trpc.rankings.list.pathFilter();
const mineKey = trpc.vote.mine.queryKey();
const castKey = trpc.vote.cast.mutationKey();

function setBallot(ballots: MyBallots, llmId: string, value: VoteValue): MyBallots {
  const next = { ...ballots };
  if (value === 0) delete next[llmId];
  else next[llmId] = value;
  return next;
}

/**
 * Casting a ballot with an optimistic update: the button and the row's tally change at once,
 * are replaced by the server's tally when it answers, and are rolled back if it refuses (rate
 * limit, unknown model…). Rows are re-sorted by one refetch after the last vote of a burst, not
 * on every click, so the row under the pointer doesn't jump away between two clicks.
 */
export function useCastVote() {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);

  const updateRow = (llmId: string, update: (row: RankingRow) => RankingRow) => {
    queryClient.setQueriesData<RankingRow[]>(rankingsFilter, (rows) =>
      rows?.map((row) => (row.llm.id === llmId ? update(row) : row)),
    );
  };
  const updateMine = (update: (ballots: MyBallots) => MyBallots) => {
    queryClient.setQueryData(mineKey, (ballots) => (ballots ? update(ballots) : ballots));
  };

  const mutation = useMutation(
    trpc.vote.cast.mutationOptions({
      onMutate: async ({ llmId, value }) => {
        // An in-flight poll would overwrite the optimistic tally with one from before the vote.
        await queryClient.cancelQueries(rankingsFilter);
        // Cancelling the first load of `mine` would leave it empty; buttons wait for it instead.
        if (queryClient.getQueryData(mineKey)) {
          await queryClient.cancelQueries({ queryKey: mineKey });
        }
        const from: VoteValue = queryClient.getQueryData(mineKey)?.[llmId] ?? 0;
        updateRow(llmId, (row) => withTally(row, moveBallot(row, from, value)));
        updateMine((ballots) => setBallot(ballots, llmId, value));
        return { from };
      },
      onSuccess: (result) => {
        setError(null);
        const tally: Tally = { up: result.up, down: result.down };
        updateRow(result.llmId, (row) => withTally(row, tally));
        updateMine((ballots) => setBallot(ballots, result.llmId, result.myVote));
      },
      onError: (err, { llmId, value }, context) => {
        setError(errorMessage(err));
        if (!context) return;
        // Undo only this vote, so other votes still in flight keep their optimistic state.
        updateRow(llmId, (row) => withTally(row, moveBallot(row, value, context.from)));
        updateMine((ballots) =>
          (ballots[llmId] ?? 0) === value ? setBallot(ballots, llmId, context.from) : ballots,
        );
        // The vote may have landed even though the answer was lost (network error).
        void queryClient.invalidateQueries({ queryKey: mineKey });
      },
      onSettled: () => {
        // After the last of a burst of votes, fetch the real order (and any lost update) once.
        if (queryClient.isMutating({ mutationKey: castKey }) === 1) {
          void queryClient.invalidateQueries(rankingsFilter);
        }
      },
    }),
  );

  const { mutate } = mutation;
  const dismissError = useCallback(() => setError(null), []);
  /** Votes `clicked` on a model, or retracts it if that is already the voter's ballot. */
  const vote = useCallback(
    (llmId: string, clicked: Ballot) => {
      // Read the cache, not a render's props: two quick clicks must see each other's effect.
      const current = queryClient.getQueryData(mineKey)?.[llmId] ?? 0;
      mutate({ llmId, value: nextBallot(current, clicked) });
    },
    [queryClient, mutate],
  );

  return { vote, error, dismissError };
}
