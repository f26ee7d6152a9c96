import { type LeaderboardSearch, type Llm, type RankingsTrends, boardKey } from '@llmpt/shared';
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';

import { type Ballot, type Tally, withTally } from '../lib/ballot.ts';
import { errorMessage, isUnreachable } from '../lib/errors.ts';
import { filterRows, vendorsOf } from '../lib/filter-rows.ts';
import { useFrozenOrder } from '../lib/frozen-order.ts';
import type { LiveRankingRow } from '../lib/live/live-contract.ts';
import { hasFilters, withoutFilters } from '../lib/search-params.ts';
import { useVoteState } from '../lib/votes/use-votes.ts';
import { type VoteController, ballotOf, displayTally } from '../lib/votes/vote-controller.ts';
import { LeaderboardFilters } from './leaderboard-filters.tsx';
import { RankAnnouncerRegion } from './rank-announcer.tsx';
import { RankingsTable } from './rankings-table.tsx';
import { StatusMessage } from './status-message.tsx';
import { VoteAlert } from './vote-alert.tsx';

export interface LeaderboardProps {
  /** The live board in rank order. */
  rows: readonly LiveRankingRow[];
  loading: boolean;
  /** The latest failure of the live board; shown only when there is nothing else to show. */
  error: unknown;
  onRetry: () => void;
  search: LeaderboardSearch;
  onSearchChange: (next: LeaderboardSearch, opts?: { replace?: boolean }) => void;
  /** `rankings.trends` (24 h): sparklines, and the arrows of the overall score board. */
  trends: RankingsTrends | undefined;
  votes: VoteController;
  /** For tests: the announcer's throttle. */
  announceEveryMs?: number;
}

const idOf = (row: LiveRankingRow) => row.llm.id;

/**
 * The leaderboard below the heading: filters, the table and its states, voting with optimistic
 * tallies, an order that holds still under the pointer, and the rank-change announcer. The
 * route feeds it live rows; tests feed it fixed ones.
 */
export function Leaderboard(props: LeaderboardProps) {
  const { rows, search, votes } = props;
  const sort = search.sort ?? 'score';
  const board = boardKey(sort, search.category);
  const voteState = useVoteState(votes);

  const shown = useMemo(
    () => rows.map((r) => withTally(r, displayTally(voteState, r.llm.id, r))),
    [rows, voteState],
  );
  const order = useFrozenOrder(shown, idOf);
  const filters = useDeferredValue(search);
  const visible = useMemo(
    () =>
      filterRows(order.rows, { q: filters.q, vendor: filters.vendor, open: filters.open === '1' }),
    [order.rows, filters],
  );
  const rankGains = useRankGains(board, rows, props.trends);
  const ranked = useMemo(
    () => rows.map((r) => ({ id: r.llm.id, name: r.llm.name, rank: r.rank })),
    [rows],
  );
  const vendors = useMemo(() => vendorsOf(rows, search.vendor), [rows, search.vendor]);

  // A vote compares against the live tally as it was on screen before the click.
  const live = useRef(new Map<string, Tally>());
  useEffect(() => {
    live.current = new Map(rows.map((r) => [r.llm.id, r]));
  }, [rows]);
  const onVote = useCallback(
    (llm: Llm, clicked: Ballot) =>
      votes.vote({ id: llm.id, name: llm.name }, clicked, live.current.get(llm.id) ?? null),
    [votes],
  );
  const ballot = useCallback((id: string) => ballotOf(voteState, id), [voteState]);

  const loading = props.loading && rows.length === 0;
  const failed = rows.length === 0 && props.error != null;
  const filtered = hasFilters(search);

  return (
    <>
      <LeaderboardFilters search={search} onChange={props.onSearchChange} vendors={vendors} />

      {failed ? (
        <StatusMessage
          tone="error"
          title={
            isUnreachable(props.error)
              ? 'Can’t reach the server.'
              : 'The leaderboard couldn’t be loaded.'
          }
          action={
            <button type="button" className="button" onClick={props.onRetry}>
              Retry
            </button>
          }
        >
          {isUnreachable(props.error)
            ? 'Check your connection. The page keeps trying by itself, or retry now.'
            : errorMessage(props.error)}
        </StatusMessage>
      ) : !loading && visible.length === 0 ? (
        <StatusMessage
          title={filtered ? 'No models match your filters.' : 'No models yet.'}
          action={
            filtered ? (
              <button
                type="button"
                className="button"
                onClick={() => props.onSearchChange(withoutFilters(search))}
              >
                Clear filters
              </button>
            ) : null
          }
        />
      ) : (
        // Hovering or focusing this holds the row order still; the numbers keep updating.
        <div className="board" {...order.zoneProps}>
          <div className="board-status">
            <p className="board-count">
              {loading ? 'Loading models…' : `${visible.length} of ${rows.length} models`}
            </p>
            {order.moved > 0 ? (
              <button type="button" className="link-button" onClick={order.release}>
                {order.moved} rank {order.moved === 1 ? 'change' : 'changes'} — show
              </button>
            ) : null}
          </div>
          {/* Focusable so keyboard users can scroll it when it overflows on a narrow screen. */}
          <div className="table-scroll" role="region" aria-label="Leaderboard" tabIndex={0}>
            <RankingsTable
              rows={visible}
              loading={loading}
              sort={sort}
              board={board}
              ballotOf={ballot}
              votingDisabled={!voteState.ready}
              gains={rankGains.gains}
              since={rankGains.since}
              trends={props.trends?.series}
              onVote={onVote}
            />
          </div>
        </div>
      )}

      <RankAnnouncerRegion board={board} models={ranked} minIntervalMs={props.announceEveryMs} />
      <VoteAlert alert={voteState.alert} onDismiss={votes.dismissAlert} />
    </>
  );
}

/**
 * Places each model gained, for the rank arrows. On the overall score board, against its rank
 * 24 hours ago (the oldest point of `rankings.trends`). History ranks are competition ranks by
 * score (ties share a rank), so they are compared with the same kind of rank now, not with the
 * board's position (which breaks ties by name): ten models tied at 0 haven't moved. On other
 * boards, or with no history yet, against the board's rank when the voter opened it.
 */
function useRankGains(
  board: string,
  rows: readonly LiveRankingRow[],
  trends: RankingsTrends | undefined,
): { gains: ReadonlyMap<string, number>; since: string } {
  const [opened, setOpened] = useState<{ board: string; ranks: Map<string, number> } | null>(null);
  if (rows.length > 0 && opened?.board !== board) {
    setOpened({ board, ranks: new Map(rows.map((r) => [r.llm.id, r.rank])) });
  }
  return useMemo(() => {
    const gains = new Map<string, number>();
    const series = board === 'score' ? trends?.series : undefined;
    if (series && Object.keys(series).length > 0) {
      let rankNow = 0;
      rows.forEach((row, i) => {
        if (i === 0 || row.score < (rows[i - 1]?.score ?? row.score)) rankNow = i + 1;
        const before = series[row.llm.id]?.rank[0];
        if (before !== undefined) gains.set(row.llm.id, before - rankNow);
      });
      return { gains, since: `in the last ${trends?.hours ?? 24} hours` };
    }
    if (opened?.board === board) {
      for (const row of rows) {
        const before = opened.ranks.get(row.llm.id);
        if (before !== undefined) gains.set(row.llm.id, before - row.rank);
      }
    }
    return { gains, since: 'since you opened the page' };
  }, [board, rows, trends, opened]);
}
