import type { Llm, TrendSeries, VoteStatus, VoteValue } from '@llmpt/shared';
import { Link } from '@tanstack/react-router';
import { type RefObject, memo, useEffect, useMemo, useRef } from 'react';

import type { Ballot } from '../lib/ballot.ts';
import { formatTrending, formatWilson } from '../lib/format.ts';
import { ownVoteStatus } from '../lib/integrity.ts';
import type { LiveRankingRow } from '../lib/live/live-contract.ts';
import { OwnVoteStatus, RemovedMark } from './integrity-marks.tsx';
import { RankChange } from './rank-change.tsx';
import { ProvisionalMark, RankRangeMark, provisionalVotes } from './rank-marks.tsx';
import { Sparkline } from './sparkline.tsx';
import { VoteButtons } from './vote-buttons.tsx';

interface RankingRowProps {
  row: LiveRankingRow;
  /** Another model on the board has the same rank. */
  tied: boolean;
  ballot: VoteValue;
  /** Whether the voter's own vote on it counts (issue 13); not 'counted': buttons locked. */
  status: VoteStatus;
  /** Votes the integrity checks removed from it (0: none). */
  removed: number;
  votingDisabled: boolean;
  /** Places gained since the arrows' reference point (negative: lost). */
  gained: number;
  since: string;
  /** Drawn away from its rank while the order is paused: where it will move. */
  displaced: 'up' | 'down' | null;
  series: TrendSeries | undefined;
  /** RANK_MIN_VOTES as the ranker states it; null: not known (polled or past boards). */
  minVotes: number | null;
  /** The trending board: the time-decayed score gets its own column. */
  showTrending: boolean;
  onVote: (llm: Llm, clicked: Ballot) => void;
}

/** One model's row; re-renders only when its own data changes (a diff touches a few rows). */
export const RankingRow = memo(function RankingRow(props: RankingRowProps) {
  const { row, series } = props;
  const { llm, rank, up, down, score, wilson, sealed, trending } = row;
  const provisional = row.provisional && rank === null && !sealed;
  const ref = useRef<HTMLTableRowElement>(null);
  useHighlightOnChange(ref, `${rank}:${up}:${down}`);
  const trend = useMemo(() => [...(series?.score ?? []), score], [series, score]);
  const trendChange = trend.length > 1 ? score - (trend[0] ?? score) : null;
  const own = ownVoteStatus(props.status);
  const trendLabel =
    trendChange === null
      ? 'No score history yet'
      : `Score ${trendChange === 0 ? 'unchanged' : `${trendChange > 0 ? 'up' : 'down'} ${Math.abs(trendChange)}`} in the last 24 hours`;

  return (
    <tr ref={ref} data-llm-id={llm.id} data-out-of-place={props.displaced ?? undefined}>
      <td data-col="rank" className="col-rank">
        <div className="rank-cell">
          {provisional ? (
            <ProvisionalMark votes={up + down} minVotes={props.minVotes} />
          ) : rank === null ? (
            // Votes but no rank: the voter's own first vote, before the ranker's next tick.
            <span className="no-rank" data-no-rank="">
              <span aria-hidden="true">{up + down === 0 ? '–' : '…'}</span>
              <span className="visually-hidden">
                {up + down === 0 ? 'No votes yet' : 'Ranked in a moment'}
              </span>
            </span>
          ) : (
            <span className="rank-number">
              {props.tied ? (
                <span className="rank-tie" title="Tied: equal scores share a rank">
                  <span aria-hidden="true">=</span>
                  <span className="visually-hidden">tied at </span>
                </span>
              ) : null}
              <span className="rank-stack">
                <span data-rank-value="">{rank}</span>
                {row.rankRange && !sealed ? <RankRangeMark range={row.rankRange} /> : null}
              </span>
            </span>
          )}
          {props.displaced ? (
            <span
              className="rank-displaced"
              data-displaced={props.displaced}
              title={`New rank: this row moves ${props.displaced} when the order resumes`}
            >
              <span aria-hidden="true">{props.displaced === 'up' ? '↑' : '↓'}</span>
              <span className="visually-hidden">
                {`, new rank: moves ${props.displaced} when the order resumes`}
              </span>
            </span>
          ) : (
            <RankChange by={props.gained} since={props.since} />
          )}
        </div>
      </td>
      <th scope="row" data-col="model" className="col-model">
        <Link to="/models/$id" params={{ id: llm.id }} className="model-link" title={llm.name}>
          {llm.name}
        </Link>
        {own ? <OwnVoteStatus status={props.status} /> : null}
        {provisional ? (
          // Wide screens; phones say it in the meta line below the name.
          <span className="provisional-tag" data-testid="provisional-tag">
            Provisional · {provisionalVotes(up + down, props.minVotes)}
          </span>
        ) : null}
        <span className="model-meta">
          {/* A provisional model's line says so instead of the vendor: both don't fit a phone. */}
          {provisional ? null : llm.vendor}
          {provisional ? (
            // Short: a phone's model column fits "Provisional · 2/3" (votes of the minimum).
            <span className="provisional-note">
              Provisional ·{' '}
              {props.minVotes === null
                ? provisionalVotes(up + down, null)
                : `${up + down}/${props.minVotes}`}
            </span>
          ) : sealed ? null : (
            <span className="model-counts">
              {' · '}
              {up} up, {down} down
            </span>
          )}
        </span>
      </th>
      <td data-col="vendor" className="col-vendor">
        {llm.vendor}
      </td>
      {sealed ? (
        <SealedCells trending={props.showTrending} />
      ) : (
        <>
          <td data-col="score" className="col-score">
            {props.removed > 0 ? (
              <span className="score-with-removed">
                <span data-score-value="">{score}</span>
                <RemovedMark removed={props.removed} />
              </span>
            ) : (
              score
            )}
          </td>
          {props.showTrending ? (
            <td data-col="trending" className="col-trending">
              {formatTrending(trending)}
            </td>
          ) : null}
          <td data-col="up" className="col-up">
            {up}
          </td>
          <td data-col="down" className="col-down">
            {down}
          </td>
          <td data-col="wilson" className="col-wilson">
            {up + down === 0 ? <span className="muted">–</span> : formatWilson(wilson)}
          </td>
          <td data-col="trend" className="col-trend">
            <Sparkline values={trend} label={trendLabel} />
          </td>
        </>
      )}
      <td data-col="vote" className="col-vote">
        <VoteButtons
          name={llm.name}
          ballot={props.ballot}
          disabled={props.votingDisabled}
          lockedReason={own ? `Voting is off for ${llm.name}: ${own.explain}` : null}
          onVote={(clicked) => props.onVote(llm, clicked)}
        />
      </td>
    </tr>
  );
});

/**
 * The tally cells of a model the voter hasn't voted on while results are hidden: "Vote to see"
 * where the score is (the column every screen keeps), and the same words, read but not drawn, in
 * the others, so a screen reader moving along the row hears why each is empty.
 */
function SealedCells({ trending }: { trending: boolean }) {
  const hidden = (
    <>
      <span className="sealed-mark" aria-hidden="true">
        ·
      </span>
      <span className="visually-hidden">Vote to see</span>
    </>
  );
  return (
    <>
      <td data-col="score" className="col-score" data-sealed="">
        <span className="sealed-note" title="Results are hidden until you vote on this model">
          {/* Two unbreakable halves: "Vote" over "to see" in a narrow column, never "see" alone. */}
          <span>Vote</span> <span>to see</span>
        </span>
      </td>
      {trending ? (
        <td data-col="trending" className="col-trending" data-sealed="">
          {hidden}
        </td>
      ) : null}
      <td data-col="up" className="col-up" data-sealed="">
        {hidden}
      </td>
      <td data-col="down" className="col-down" data-sealed="">
        {hidden}
      </td>
      <td data-col="wilson" className="col-wilson" data-sealed="">
        {hidden}
      </td>
      <td data-col="trend" className="col-trend" data-sealed="">
        {hidden}
      </td>
    </>
  );
}

/**
 * Replays the row's highlight animation when `key` changes (not on mount). The attribute is
 * the DOM's, not React's, so a re-render never cuts it short; CSS disables the animation under
 * prefers-reduced-motion.
 */
function useHighlightOnChange(ref: RefObject<HTMLElement | null>, key: string): void {
  const previous = useRef(key);
  useEffect(() => {
    if (previous.current === key) return;
    previous.current = key;
    const el = ref.current;
    if (!el) return;
    el.removeAttribute('data-changed');
    void el.offsetWidth; // restart the animation if it is still running
    el.setAttribute('data-changed', '');
    const done = () => el.removeAttribute('data-changed');
    el.addEventListener('animationend', done, { once: true });
  }, [ref, key]);
}
