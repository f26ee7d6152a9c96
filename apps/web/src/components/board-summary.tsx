import type { LlmCategory } from '@llmpt/shared';
import { Link } from '@tanstack/react-router';

import { categoryLabel, formatCount, formatUpdated } from '../lib/format.ts';
import type { LiveRankingRow } from '../lib/live/live-contract.ts';

interface BoardSummaryProps {
  /** The whole board (not only the rows a search leaves), with the voter's own votes counted. */
  rows: readonly LiveRankingRow[];
  loading: boolean;
  category: LlmCategory | undefined;
  updatedAt: number | null;
  /** Results are hidden until the voter votes: no vote total (it would add up hidden tallies). */
  hidden?: boolean;
}

/**
 * Above the table: how many votes and ranked models the board has, when it was last updated, and
 * what Score and Wilson mean in plain words, with a link to the methodology page.
 */
export function BoardSummary({ rows, loading, category, updatedAt, hidden }: BoardSummaryProps) {
  const votes = rows.reduce((n, r) => n + r.up + r.down, 0);
  const ranked = rows.reduce((n, r) => (r.rank === null ? n : n + 1), 0);
  const provisional = rows.reduce((n, r) => (r.rank === null && r.provisional ? n + 1 : n), 0);
  const waiting = rows.length - ranked - provisional;
  return (
    <section className="board-summary" aria-label="About this leaderboard">
      <p className="board-stats" data-testid="board-stats">
        {loading ? (
          'Loading…'
        ) : (
          <>
            {hidden ? (
              <span data-testid="results-hidden">
                <strong>Results hidden</strong> until you vote on a model
              </span>
            ) : (
              <span>
                <strong>{formatCount(votes)}</strong> {votes === 1 ? 'vote' : 'votes'}
                {category ? ` in ${categoryLabel(category)}` : ''}
              </span>
            )}
            <span>
              <strong>{ranked}</strong> {ranked === 1 ? 'model' : 'models'} ranked
            </span>
            {provisional > 0 ? (
              <span data-testid="provisional-count">
                <strong>{provisional}</strong> provisional
              </span>
            ) : null}
            <span>
              <strong>{waiting}</strong> without votes yet
            </span>
            {updatedAt !== null ? (
              <span>
                Updated{' '}
                <time dateTime={new Date(updatedAt).toISOString()}>{formatUpdated(updatedAt)}</time>
              </span>
            ) : null}
          </>
        )}
      </p>
      <p className="board-explain">
        <strong>Score</strong> is up-votes minus down-votes; equal scores share a rank.{' '}
        <span className="explain-wilson">
          <strong>Wilson</strong> is the share of voters who like a model, counted cautiously: few
          votes keep it low.{' '}
        </span>
        <Link to="/methodology">How ranking works</Link>
      </p>
    </section>
  );
}
