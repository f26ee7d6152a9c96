import type { Ballot } from '../lib/ballot.ts';
import { formatCount, formatScore } from '../lib/format.ts';
import type { MyBallots, RankingRow } from '../lib/trpc.ts';
import { VoteButtons } from './vote-buttons.tsx';

interface RankingsTableProps {
  rows: readonly RankingRow[];
  /** The voter's ballots; undefined while unknown. */
  ballots: MyBallots | undefined;
  votingDisabled: boolean;
  /** True while showing the previous category's rows as the next one loads. */
  stale: boolean;
  onVote: (llmId: string, clicked: Ballot) => void;
}

export function RankingsTable({
  rows,
  ballots,
  votingDisabled,
  stale,
  onVote,
}: RankingsTableProps) {
  return (
    // Focusable so keyboard users can scroll it when it overflows on a narrow screen.
    <div className="table-scroll" role="region" aria-label="Leaderboard" tabIndex={0}>
      <table className="rankings" aria-busy={stale} data-stale={stale || undefined}>
        <caption className="visually-hidden">
          Models ranked by score (upvotes minus downvotes), refreshed every 5 seconds
        </caption>
        <thead>
          <tr>
            <th scope="col" className="col-rank">
              #
            </th>
            <th scope="col">Model</th>
            <th scope="col" className="col-vendor">
              Vendor
            </th>
            <th scope="col" className="col-num">
              Score
            </th>
            <th scope="col" className="col-num col-count">
              Up
            </th>
            <th scope="col" className="col-num col-count">
              Down
            </th>
            <th scope="col" className="col-vote">
              Vote
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ rank, llm, up, down, score }) => (
            <tr key={llm.id}>
              <td className="col-rank">{rank}</td>
              <th scope="row" className="col-model">
                {llm.homepage ? (
                  <a href={llm.homepage} target="_blank" rel="noopener noreferrer">
                    {llm.name}
                  </a>
                ) : (
                  llm.name
                )}
                {/* Shown instead of the Vendor column on narrow screens. */}
                <span className="model-vendor">{llm.vendor}</span>
              </th>
              <td className="col-vendor">{llm.vendor}</td>
              <td className="col-num col-score">{formatScore(score)}</td>
              <td className="col-num col-count">{formatCount(up)}</td>
              <td className="col-num col-count">{formatCount(down)}</td>
              <td className="col-vote">
                <VoteButtons
                  name={llm.name}
                  ballot={ballots?.[llm.id] ?? 0}
                  disabled={votingDisabled}
                  onVote={(clicked) => onVote(llm.id, clicked)}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
