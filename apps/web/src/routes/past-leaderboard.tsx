import type { LeaderboardSearch } from '@llmpt/shared';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';

import { Leaderboard } from '../components/leaderboard.tsx';
import { AsOfBanner, AsOfPicker } from '../components/time-travel.tsx';
import { fromListRow } from '../lib/live/live-contract.ts';
import { trpc, votes } from '../lib/trpc.ts';
import type { LiveLeaderboardProps } from './leaderboard.tsx';

/**
 * The board as of a past hour (`rankings.asOf`): static rows from the stored history, under a
 * banner that says so and leads back to the live board; votes are off (a vote counts now).
 */
export function PastLeaderboard({
  search,
  onSearchChange,
  onRetry,
}: LiveLeaderboardProps & { search: LeaderboardSearch & { asOf: string } }) {
  const past = useQuery(
    trpc.rankings.asOf.queryOptions(
      {
        at: search.asOf,
        sort: search.sort ?? 'score',
        ...(search.category ? { category: search.category } : {}),
      },
      // A finished hour never changes.
      { staleTime: Infinity },
    ),
  );
  const rows = useMemo(() => (past.data?.rows ?? []).map(fromListRow), [past.data]);
  return (
    <>
      <div className="board-tools">
        <AsOfBanner search={search} hour={past.data?.hour} />
        <AsOfPicker search={search} onChange={onSearchChange} />
      </div>
      <Leaderboard
        rows={rows}
        loading={past.isPending}
        error={past.error}
        onRetry={onRetry}
        search={search}
        onSearchChange={onSearchChange}
        trends={undefined}
        votes={votes}
        readOnly
      />
    </>
  );
}
