import {
  type IntegritySummary,
  type LeaderboardSearch,
  type Llm,
  type RankingsTrends,
  boardKey,
  rankChange,
} from '@llmpt/shared';
import { Link } from '@tanstack/react-router';
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';

import type { Ballot, Tally } from '../lib/ballot.ts';
import { errorMessage, isUnreachable } from '../lib/errors.ts';
import { filterRows, vendorsOf } from '../lib/filter-rows.ts';
import { type HiddenResults, shownRow } from '../lib/flags/hidden-results.ts';
import { categoryLabel } from '../lib/format.ts';
import { outOfPlace, useFrozenOrder } from '../lib/frozen-order.ts';
import { removedOf, removedTotalText } from '../lib/integrity.ts';
import type { LiveRankingRow } from '../lib/live/live-contract.ts';
import { hasFilters, withoutFilters } from '../lib/search-params.ts';
import { useVoteState } from '../lib/votes/use-votes.ts';
import { type VoteController, ballotOf, statusOf } from '../lib/votes/vote-controller.ts';
import { BoardSummary } from './board-summary.tsx';
import { LeaderboardFilters } from './leaderboard-filters.tsx';
import { PausedOrder } from './paused-order.tsx';
import { RankAnnouncerRegion } from './rank-announcer.tsx';
import { RankingsTable } from './rankings-table.tsx';
import { StatusMessage } from './status-message.tsx';
import { VoteAlert } from './vote-alert.tsx';
import { VoteConfirmation } from './vote-confirmation.tsx';

export interface LeaderboardProps {
  /** The live board in display order (ranked, then the models with no votes). */
  rows: readonly LiveRankingRow[];
  loading: boolean;
  /** The latest failure of the live board; shown only when there is nothing else to show. */
  error: unknown;
  onRetry: () => void;
  search: LeaderboardSearch;
  onSearchChange: (next: LeaderboardSearch, opts?: { replace?: boolean }) => void;
  /** `rankings.trends` (24 h): sparklines, and the arrows of the overall score board. */
  trends: RankingsTrends | undefined;
  /** When the standings shown were last known current (ms since epoch), if known. */
  updatedAt?: number | null;
  votes: VoteController;
  /** Results hidden until the voter votes ('hide-results'); absent: shown. */
  hidden?: HiddenResults;
  /** Votes removed by the integrity checks (`integrity.summary`); absent: none shown. */
  integrity?: IntegritySummary;
  /** RANK_MIN_VOTES as the live snapshot states it; null or absent: not known. */
  minVotes?: number | null;
  /**
   * A past board ("as of"): static rows, voting off (a vote counts now, not then), no
   * announcements.
   */
  readOnly?: boolean;
  /** For tests: the announcer's throttle. */
  announceEveryMs?: number;
}

const idOf = (row: LiveRankingRow) => row.llm.id;
const SHOWN: HiddenResults = { hide: false, revealed: new Map() };

/**
 * The leaderboard below the heading: filters, what the ranks mean, the table and its states,
 * voting with optimistic tallies, an order that holds still under the pointer (and says so), and
 * the rank-change announcer. The route feeds it live rows; tests feed it fixed ones.
 */
export function Leaderboard(props: LeaderboardProps) {
  const { rows, search, votes } = props;
  const sort = search.sort ?? 'score';
  const board = boardKey(sort, search.category);
  const voteState = useVoteState(votes);

  const hidden = props.hidden ?? SHOWN;
  const shown = useMemo(
    () => rows.map((r) => shownRow(r, voteState, hidden)),
    [rows, voteState, hidden],
  );
  const order = useFrozenOrder(shown, idOf);
  const filters = useDeferredValue(search);
  const visible = useMemo(
    () =>
      filterRows(order.rows, { q: filters.q, vendor: filters.vendor, open: filters.open === '1' }),
    [order.rows, filters],
  );
  // Rows drawn away from their rank while the order is held: marked, and counted in the notice.
  const displaced = useMemo(() => {
    const marks = new Map<string, 'up' | 'down'>();
    if (!order.frozen) return marks;
    const where = outOfPlace(order.rows.map((r) => r.rank));
    order.rows.forEach((r, i) => {
      const mark = where[i];
      if (mark) marks.set(r.llm.id, mark);
    });
    return marks;
  }, [order.frozen, order.rows]);
  // Ranks two or more models share on this board (whatever the filters show): "=2".
  const tied = useMemo(() => {
    const seen = new Set<number>();
    const twice = new Set<number>();
    for (const r of rows) {
      if (r.rank === null) continue;
      if (seen.has(r.rank)) twice.add(r.rank);
      seen.add(r.rank);
    }
    return twice;
  }, [rows]);
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
      votes.vote(
        { id: llm.id, name: llm.name },
        clicked,
        (hidden.hide ? hidden.revealed.get(llm.id) : live.current.get(llm.id)) ?? null,
      ),
    [votes, hidden],
  );
  const ballot = useCallback((id: string) => ballotOf(voteState, id), [voteState]);
  const status = useCallback((id: string) => statusOf(voteState, id), [voteState]);
  const { integrity } = props;
  const removed = useCallback((id: string) => removedOf(integrity, id), [integrity]);
  const removedTotal = removedTotalText(integrity);

  const loading = props.loading && rows.length === 0;
  const failed = rows.length === 0 && props.error != null;
  const filtered = hasFilters(search);
  const rankedCount = shown.reduce((n, r) => (r.rank === null ? n : n + 1), 0);
  const scope = search.category ? `in ${categoryLabel(search.category)}` : 'overall';

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
        <>
          <BoardSummary
            rows={shown}
            loading={loading}
            category={search.category}
            updatedAt={props.updatedAt ?? null}
            hidden={hidden.hide || rows.some((r) => r.sealed)}
          />
          {!loading && rankedCount === 0 ? (
            <p className="first-vote" data-testid="first-vote-invite">
              <strong>No votes {search.category ? 'in this category ' : ''}yet.</strong> Be the
              first: ▲ for a model you like, ▼ for one you don’t.
            </p>
          ) : null}
          {/* Hovering or focusing this holds the row order still; the numbers keep updating. */}
          <div
            className="board"
            data-hide-results={hidden.hide ? '' : undefined}
            {...order.zoneProps}
          >
            <div className="board-status">
              {order.frozen && order.moved > 0 ? (
                <PausedOrder displaced={[...displaced.values()]} onShow={order.release} />
              ) : (
                <p className="board-count" data-testid="board-count">
                  {loading ? 'Loading models…' : boardCount(visible.length, rows.length, search)}
                </p>
              )}
            </div>
            {/* Focusable so keyboard users can scroll it when it overflows on a narrow screen. */}
            <div className="table-scroll" role="region" aria-label="Leaderboard" tabIndex={0}>
              <RankingsTable
                rows={visible}
                loading={loading}
                sort={sort}
                board={board}
                rankScope={scope}
                tied={tied}
                ballotOf={ballot}
                statusOf={status}
                removedOf={removed}
                votingDisabled={!voteState.ready || props.readOnly === true}
                gains={rankGains.gains}
                since={rankGains.since}
                displaced={displaced}
                trends={props.trends?.series}
                minVotes={props.minVotes ?? null}
                onVote={onVote}
              />
            </div>
          </div>
          {removedTotal ? (
            <p className="board-integrity muted" data-testid="removed-total">
              {removedTotal} · <Link to="/integrity">how we check</Link>
            </p>
          ) : null}
        </>
      )}

      {props.readOnly ? null : (
        <RankAnnouncerRegion board={board} models={ranked} minIntervalMs={props.announceEveryMs} />
      )}
      <VoteConfirmation
        confirmation={voteState.alert ? null : voteState.confirmation}
        votes={votes}
      />
      <VoteAlert alert={voteState.alert} onDismiss={votes.dismissAlert} />
    </>
  );
}

/**
 * "Showing 12 of 102 models · ranks are overall, filters only hide rows": which rank the Rank
 * column shows, in words, whenever the view is narrowed.
 */
export function boardCount(shown: number, all: number, search: LeaderboardSearch): string {
  const narrowed = Boolean(search.q || search.vendor || search.open);
  const count = narrowed ? `Showing ${shown} of ${all} models` : `${all} models`;
  if (search.category) {
    return `${count} in ${categoryLabel(search.category)} · ranks within ${categoryLabel(search.category)}`;
  }
  return narrowed
    ? `${count} · ranks are overall; filters only hide rows`
    : `${count} · ranks are overall`;
}

/**
 * Places each model gained, for the rank arrows. On the overall score board, against its rank
 * at the start of `rankings.trends` (24 hours ago): the history stores ranks by the same rule as
 * the board (the shared `rankBoard`), so they compare like with like. On other boards, or with no
 * history yet, against the board's rank when the voter opened it. No arrow when either side has
 * no rank (`rankChange`): a model with no votes then or now hasn't moved.
 */
function useRankGains(
  board: string,
  rows: readonly LiveRankingRow[],
  trends: RankingsTrends | undefined,
): { gains: ReadonlyMap<string, number>; since: string } {
  const [opened, setOpened] = useState<{
    board: string;
    ranks: Map<string, number | null>;
  } | null>(null);
  if (rows.length > 0 && opened?.board !== board) {
    setOpened({ board, ranks: new Map(rows.map((r) => [r.llm.id, r.rank])) });
  }
  return useMemo(() => {
    const gains = new Map<string, number>();
    const series = board === 'score' ? trends?.series : undefined;
    if (series && Object.keys(series).length > 0) {
      for (const row of rows) {
        const by = rankChange(series[row.llm.id]?.rank[0], row.rank);
        if (by !== null) gains.set(row.llm.id, by);
      }
      return { gains, since: `in the last ${trends?.hours ?? 24} hours` };
    }
    if (opened?.board === board) {
      for (const row of rows) {
        const by = rankChange(opened.ranks.get(row.llm.id), row.rank);
        if (by !== null) gains.set(row.llm.id, by);
      }
    }
    return { gains, since: 'since you opened the page' };
  }, [board, rows, trends, opened]);
}
