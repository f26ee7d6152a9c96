import type { Llm, RankingSort, TrendSeries, VoteStatus, VoteValue } from '@llmpt/shared';
import { Fragment } from 'react';

import type { Ballot } from '../lib/ballot.ts';
import type { Displacement } from '../lib/frozen-order.ts';
import type { LiveRankingRow } from '../lib/live/live-contract.ts';
import { RankingRow } from './ranking-row.tsx';

/** Skeleton rows while the first data loads: the table keeps its final height. */
const SKELETON_ROWS = 12;

export interface RankingsTableProps {
  rows: readonly LiveRankingRow[];
  /** True until the board's first rows: skeleton rows, aria-busy. */
  loading: boolean;
  sort: RankingSort;
  /** Identifies the board: switching boards re-mounts the rows (no highlight storm). */
  board: string;
  /** Which rank the Rank column shows: "overall" or "in Coding" (the header's title). */
  rankScope: string;
  /** Ranks two or more models share on the board. */
  tied: ReadonlySet<number>;
  ballotOf: (llmId: string) => VoteValue;
  /** Whether the voter's own vote on a model counts (issue 13). */
  statusOf?: (llmId: string) => VoteStatus;
  /** Votes the integrity checks removed, per model (absent: none shown). */
  removedOf?: (llmId: string) => number;
  votingDisabled: boolean;
  /** Places each model gained (the rank arrows); a model missing has no arrow. */
  gains: ReadonlyMap<string, number>;
  /** How the arrows' spoken text ends: "in the last 24 hours". */
  since: string;
  /** Rows drawn away from their rank while the order is paused, and where they will go. */
  displaced: ReadonlyMap<string, Exclude<Displacement, null>>;
  /** Hourly scores per model for the sparklines (the live score is appended). */
  trends: Readonly<Record<string, TrendSeries>> | undefined;
  /** RANK_MIN_VOTES as the ranker states it; null: not known. */
  minVotes: number | null;
  onVote: (llm: Llm, clicked: Ballot) => void;
}

const HEADERS = [
  ['rank', 'Rank'],
  ['model', 'Model'],
  ['vendor', 'Vendor'],
  ['score', 'Score'],
  ['trending', 'Trending'],
  ['up', 'Up'],
  ['down', 'Down'],
  ['wilson', 'Wilson'],
  ['trend', 'Trend'],
  ['vote', 'Vote'],
] as const;

const TITLES: Partial<Record<(typeof HEADERS)[number][0], string>> = {
  score: 'Upvotes minus downvotes',
  wilson:
    'The share of voters who like the model, counted cautiously: at least this share, 95% sure',
  trend: 'Score over the last 24 hours',
  trending: 'Score with every vote weighted by its age: a vote counts half after a half-life',
};

type Column = (typeof HEADERS)[number][0];

/**
 * The leaderboard (docs/ui-contract.md): a real table, fixed column widths and row height, so
 * neither data arriving nor numbers changing move anything. The models with no votes come last,
 * under a "No votes yet" row.
 */
export function RankingsTable(props: RankingsTableProps) {
  const { rows, loading, sort } = props;
  // The Trending column only on the trending board (the contract's nine columns elsewhere).
  const headers = HEADERS.filter(([col]) => col !== 'trending' || sort === 'trending');
  const isProvisional = (r: LiveRankingRow) => r.rank === null && r.provisional && !r.sealed;
  const firstProvisional = rows.findIndex(isProvisional);
  const provisional = rows.filter(isProvisional).length;
  const firstUnvoted = rows.findIndex((r) => r.rank === null && !isProvisional(r));
  const unvoted = firstUnvoted < 0 ? 0 : rows.length - firstUnvoted;
  const group = (testId: string, label: string, hint: string) => (
    // One cell per column, not a colspan: narrow screens hide columns, and a row spanning them
    // all would give the hidden ones width. The label overflows the first cell.
    <tr className="group-row" data-testid={testId}>
      {headers.map(([col], c) =>
        c === 0 ? (
          <th key={col} scope="rowgroup" className={`col-${col} group-label`}>
            {label}
            <span className="group-hint"> · {hint}</span>
          </th>
        ) : (
          <td key={col} className={`col-${col}`} />
        ),
      )}
    </tr>
  );
  const models = (n: number) => `${n} ${n === 1 ? 'model' : 'models'}`;
  return (
    <table className="rankings" aria-busy={loading}>
      <caption className="visually-hidden">LLM rankings</caption>
      <thead>
        <tr>
          {headers.map(([col, label]) => (
            <th
              key={col}
              scope="col"
              className={`col-${col}`}
              title={
                col === 'rank'
                  ? `Rank ${props.rankScope}; equal scores share a rank. Below it: the ranks the model could hold at 95 % confidence`
                  : TITLES[col as Column]
              }
              aria-sort={col === sort ? 'descending' : undefined}
            >
              {label}
            </th>
          ))}
        </tr>
      </thead>
      {loading ? (
        <tbody aria-hidden="true">
          {Array.from({ length: SKELETON_ROWS }, (_, i) => (
            <tr key={i} className="skeleton">
              {headers.map(([col]) => (
                <td key={col} className={`col-${col}`}>
                  <span className="bone" />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      ) : (
        <tbody key={props.board}>
          {rows.map((row, i) => (
            <Fragment key={row.llm.id}>
              {i === firstProvisional
                ? group(
                    'provisional-group',
                    `Provisional · ${models(provisional)}`,
                    props.minVotes === null
                      ? 'too few votes to rank yet'
                      : `ranked from ${props.minVotes} votes`,
                  )
                : null}
              {i === firstUnvoted
                ? group(
                    'no-votes-group',
                    `No votes yet · ${models(unvoted)}`,
                    'not ranked until someone votes',
                  )
                : null}
              <RankingRow
                row={row}
                tied={row.rank !== null && props.tied.has(row.rank)}
                ballot={props.ballotOf(row.llm.id)}
                status={props.statusOf?.(row.llm.id) ?? 'counted'}
                removed={row.sealed ? 0 : (props.removedOf?.(row.llm.id) ?? 0)}
                votingDisabled={props.votingDisabled}
                gained={props.gains.get(row.llm.id) ?? 0}
                since={props.since}
                displaced={props.displaced.get(row.llm.id) ?? null}
                series={props.trends?.[row.llm.id]}
                minVotes={props.minVotes}
                showTrending={sort === 'trending'}
                onVote={props.onVote}
              />
            </Fragment>
          ))}
        </tbody>
      )}
    </table>
  );
}
