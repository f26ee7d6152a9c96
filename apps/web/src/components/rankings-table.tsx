import type { Llm, RankingSort, TrendSeries, VoteValue } from '@llmpt/shared';

import type { Ballot } from '../lib/ballot.ts';
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
  ballotOf: (llmId: string) => VoteValue;
  votingDisabled: boolean;
  /** Places each model gained (the rank arrows); a model missing has no arrow. */
  gains: ReadonlyMap<string, number>;
  /** How the arrows' spoken text ends: "in the last 24 hours". */
  since: string;
  /** Hourly scores per model for the sparklines (the live score is appended). */
  trends: Readonly<Record<string, TrendSeries>> | undefined;
  onVote: (llm: Llm, clicked: Ballot) => void;
}

const HEADERS = [
  ['rank', 'Rank'],
  ['model', 'Model'],
  ['vendor', 'Vendor'],
  ['score', 'Score'],
  ['up', 'Up'],
  ['down', 'Down'],
  ['wilson', 'Wilson'],
  ['trend', 'Trend'],
  ['vote', 'Vote'],
] as const;

const TITLES: Partial<Record<(typeof HEADERS)[number][0], string>> = {
  score: 'Upvotes minus downvotes',
  wilson: 'Wilson lower bound: with 95% confidence, at least this share of voters like the model',
  trend: 'Score over the last 24 hours',
};

/**
 * The leaderboard (docs/ui-contract.md): a real table, fixed column widths and row height, so
 * neither data arriving nor numbers changing move anything.
 */
export function RankingsTable(props: RankingsTableProps) {
  const { rows, loading, sort } = props;
  return (
    <table className="rankings" aria-busy={loading}>
      <caption className="visually-hidden">LLM rankings</caption>
      <thead>
        <tr>
          {HEADERS.map(([col, label]) => (
            <th
              key={col}
              scope="col"
              className={`col-${col}`}
              title={TITLES[col]}
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
              {HEADERS.map(([col]) => (
                <td key={col} className={`col-${col}`}>
                  <span className="bone" />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      ) : (
        <tbody key={props.board}>
          {rows.map((row) => (
            <RankingRow
              key={row.llm.id}
              row={row}
              ballot={props.ballotOf(row.llm.id)}
              votingDisabled={props.votingDisabled}
              gained={props.gains.get(row.llm.id) ?? 0}
              since={props.since}
              series={props.trends?.[row.llm.id]}
              onVote={props.onVote}
            />
          ))}
        </tbody>
      )}
    </table>
  );
}
