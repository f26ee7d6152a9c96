import type { LeaderboardSearch } from '@llmpt/shared';
import { useQuery } from '@tanstack/react-query';
import { getRouteApi } from '@tanstack/react-router';
import { Suspense, lazy, useCallback, useMemo, useState } from 'react';

import { Leaderboard } from '../components/leaderboard.tsx';
import { AsOfPicker } from '../components/time-travel.tsx';
import { useHiddenResults } from '../lib/flags/use-hidden-results.ts';
import { useIntegritySummary } from '../lib/use-integrity-summary.ts';
import { useLiveRankings } from '../lib/live/use-live-rankings.ts';
import { usePageTitle } from '../lib/page-title.ts';
import { flagProvider, revealed, trpc, votes } from '../lib/trpc.ts';
import { useVoteState } from '../lib/votes/use-votes.ts';

const route = getRouteApi('/');

// Not on the first paint: the movers strip appears once its data does, and a past board is a
// page few visitors open. Their own chunks keep the first bundle small.
const MoversStrip = lazy(() =>
  import('../components/movers-strip.tsx').then((m) => ({ default: m.MoversStrip })),
);
const PastLeaderboard = lazy(() =>
  import('./past-leaderboard.tsx').then((m) => ({ default: m.PastLeaderboard })),
);

/** The history changes every 5 minutes (the worker's roll); the api caches it for a minute. */
const TRENDS_EVERY_MS = 5 * 60_000;

/** The home page: the live leaderboard, its view in the URL. */
export function LeaderboardPage() {
  usePageTitle(null);
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const onSearchChange = useCallback(
    (next: LeaderboardSearch, opts?: { replace?: boolean }) =>
      void navigate({ search: next, replace: opts?.replace ?? false }),
    [navigate],
  );
  // Retry starts a fresh live board (the current one keeps retrying on its own, with backoff).
  const [attempt, setAttempt] = useState(0);

  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>LLM leaderboard</h1>
        <p className="muted">
          Which language models do people like? Vote them up or down; press your vote again to take
          it back. Rankings update live.
        </p>
      </div>
      {search.asOf ? (
        <Suspense fallback={null}>
          <PastLeaderboard
            key={attempt}
            search={{ ...search, asOf: search.asOf }}
            onSearchChange={onSearchChange}
            onRetry={() => setAttempt((n) => n + 1)}
          />
        </Suspense>
      ) : (
        <LiveLeaderboard
          key={attempt}
          search={search}
          onSearchChange={onSearchChange}
          onRetry={() => setAttempt((n) => n + 1)}
        />
      )}
    </>
  );
}

export interface LiveLeaderboardProps {
  search: LeaderboardSearch;
  onSearchChange: (next: LeaderboardSearch, opts?: { replace?: boolean }) => void;
  onRetry: () => void;
}

function LiveLeaderboard({ search, onSearchChange, onRetry }: LiveLeaderboardProps) {
  const voteState = useVoteState(votes);
  const { hide, revealed: tallies, refresh } = useHiddenResults(revealed, voteState, flagProvider);
  const hidden = useMemo(() => ({ hide, revealed: tallies }), [hide, tallies]);
  // With results hidden, the tallies of the voter's models are read again when the feed moves
  // one of them (throttled to one read a second).
  const onEntries = useCallback(
    (ids: readonly string[]) => {
      if (hide && ids.some((id) => voteState.votes.get(id)?.confirmed)) refresh();
    },
    [hide, voteState, refresh],
  );
  const live = useLiveRankings({
    sort: search.sort ?? 'score',
    category: search.category,
    onEntries,
  });
  const integrity = useIntegritySummary();
  const names = useMemo(() => new Map(live.rows.map((r) => [r.llm.id, r.llm.name])), [live.rows]);
  const trends = useQuery(
    trpc.rankings.trends.queryOptions(undefined, {
      staleTime: TRENDS_EVERY_MS,
      refetchInterval: TRENDS_EVERY_MS,
    }),
  );
  return (
    <>
      <div className="board-tools">
        <Suspense fallback={null}>
          <MoversStrip names={names} />
        </Suspense>
        <AsOfPicker search={search} onChange={onSearchChange} />
      </div>
      <Leaderboard
        rows={live.rows}
        loading={live.loading}
        error={live.error}
        onRetry={onRetry}
        search={search}
        onSearchChange={onSearchChange}
        trends={trends.data}
        updatedAt={live.updatedAt}
        votes={votes}
        hidden={hidden}
        integrity={integrity}
        minVotes={live.rules?.minVotes ?? null}
      />
    </>
  );
}
