import type { RankRange } from '@llmpt/shared';

/** "could rank 2 to 5 at 95 % confidence": the rank range's words, on the board and model page. */
export function rankRangeText(range: RankRange): string {
  return range.best === range.worst
    ? `rank ${range.best} at 95 % confidence`
    : `could rank ${range.best} to ${range.worst} at 95 % confidence`;
}

/**
 * The rank range under a rank ("2–5"), from the shared `rankRanges` (docs/ui-contract.md): its
 * bounds in `data-best` / `data-worst`. A range of one rank draws nothing (the rank says it) but
 * keeps the element, so what is on screen can be checked against the rule for every row.
 */
export function RankRangeMark({ range }: { range: RankRange }) {
  const text = rankRangeText(range);
  const single = range.best === range.worst;
  return (
    <span
      className="rank-range"
      data-rank-range=""
      data-best={range.best}
      data-worst={range.worst}
      title={single ? undefined : text.replace(/^c/, 'C')}
    >
      {single ? null : <span aria-hidden="true">{`${range.best}–${range.worst}`}</span>}
      <span className="visually-hidden">{`, ${text}`}</span>
    </span>
  );
}

/** "7 of 20 votes", or "7 votes" when the board's minimum isn't known (polled or past boards). */
export function provisionalVotes(votes: number, minVotes: number | null): string {
  const unit = (n: number) => (n === 1 ? 'vote' : 'votes');
  return minVotes === null
    ? `${votes} ${unit(votes)}`
    : `${votes} of ${minVotes} ${unit(minVotes)}`;
}

/**
 * In the rank cell of a provisional model (votes, fewer than RANK_MIN_VOTES): no rank, its vote
 * count against the minimum ("7/20"), spoken "Provisional: 7 of 20 votes".
 */
export function ProvisionalMark({ votes, minVotes }: { votes: number; minVotes: number | null }) {
  const words = `Provisional: ${provisionalVotes(votes, minVotes)}`;
  return (
    <span
      className="no-rank provisional-mark"
      data-no-rank=""
      data-provisional=""
      data-votes={votes}
      data-min-votes={minVotes ?? undefined}
      title={`${words}; ranked from ${minVotes ?? 'a minimum of'} votes`}
    >
      <span aria-hidden="true">{minVotes === null ? 'prov.' : `${votes}/${minVotes}`}</span>
      <span className="visually-hidden">{words}</span>
    </span>
  );
}
