import { describeMove } from '../lib/trends.ts';

interface RankChangeProps {
  /** Places gained (positive) or lost (negative). */
  by: number;
  /** "in the last 24 hours", "since you opened the page". */
  since: string;
}

/** ▲3 / ▼2 beside a rank, with its own spoken text; nothing (same width) when unchanged. */
export function RankChange({ by, since }: RankChangeProps) {
  if (by === 0) return <span className="rank-change" aria-hidden="true" />;
  const up = by > 0;
  return (
    <span className="rank-change" data-rank-change={up ? 'up' : 'down'}>
      <span aria-hidden="true">
        {up ? '▲' : '▼'}
        {Math.abs(by)}
      </span>
      <span className="visually-hidden">{`, ${describeMove(by)} ${since}`}</span>
    </span>
  );
}
