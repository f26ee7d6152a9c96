import type { LlmCategory } from '@llmpt/shared';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useDeferredValue, useMemo, useState } from 'react';

import { ErrorBanner } from '../components/error-banner.tsx';
import { LeaderboardFilters } from '../components/leaderboard-filters.tsx';
import { RankingsTable } from '../components/rankings-table.tsx';
import { StatusMessage } from '../components/status-message.tsx';
import { errorMessage } from '../lib/errors.ts';
import { filterRows } from '../lib/filter-rows.ts';
import { categoryLabel } from '../lib/format.ts';
import { trpc } from '../lib/trpc.ts';
import { useCastVote } from '../lib/use-cast-vote.ts';

/** Polling until live updates (a later issue) push changes instead. */
const REFRESH_MS = 5_000;

/** The home page: the leaderboard, filterable by category and searchable, with voting. */
export function LeaderboardRoute() {
  const [category, setCategory] = useState<LlmCategory | null>(null);
  const [search, setSearch] = useState('');
  // Filtering is client-side (the list is the whole catalogue); keep typing responsive.
  const deferredSearch = useDeferredValue(search);

  const rankings = useQuery(
    trpc.rankings.list.queryOptions(category ? { category } : undefined, {
      refetchInterval: REFRESH_MS,
      placeholderData: keepPreviousData,
    }),
  );
  const ballots = useQuery(trpc.vote.mine.queryOptions());
  const { vote, error: voteError, dismissError } = useCastVote();

  const searched = deferredSearch.trim();
  const rows = useMemo(
    () => filterRows(rankings.data ?? [], deferredSearch),
    [rankings.data, deferredSearch],
  );

  return (
    <>
      <div className="page-heading">
        <h1>Leaderboard</h1>
        <p className="muted">
          One vote per model per browser. Click your vote again to take it back.
        </p>
      </div>

      <LeaderboardFilters
        category={category}
        onCategoryChange={setCategory}
        search={search}
        onSearchChange={setSearch}
      />

      <ErrorBanner message={voteError} onDismiss={dismissError} />

      {rankings.isPending ? (
        <StatusMessage title="Loading the leaderboard…" />
      ) : rankings.isError && !rankings.data ? (
        <StatusMessage
          tone="error"
          title="The leaderboard couldn’t be loaded."
          action={
            <button type="button" className="button" onClick={() => void rankings.refetch()}>
              Try again
            </button>
          }
        >
          {errorMessage(rankings.error)}
        </StatusMessage>
      ) : rows.length === 0 ? (
        <StatusMessage
          title={
            searched
              ? `No models match “${searched}”.`
              : category
                ? `No models in ${categoryLabel(category)} yet.`
                : 'No models yet.'
          }
          action={
            searched ? (
              <button type="button" className="button" onClick={() => setSearch('')}>
                Clear search
              </button>
            ) : null
          }
        />
      ) : (
        <>
          {rankings.isError ? (
            <p className="refresh-note" role="status">
              Couldn’t refresh the leaderboard; retrying. {errorMessage(rankings.error)}
            </p>
          ) : null}
          <RankingsTable
            rows={rows}
            ballots={ballots.data}
            // Until the voter's ballots are known, a click could not toggle correctly.
            votingDisabled={ballots.isLoading}
            stale={rankings.isPlaceholderData}
            onVote={vote}
          />
        </>
      )}
    </>
  );
}
