import { type RankRange, wilsonInterval } from '@llmpt/shared';

import { rankRangeText } from './rank-marks.tsx';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface ApprovalIntervalProps {
  up: number;
  down: number;
  /** The overall score board's rank range for the model (`rankings.list`); null: none. */
  rankRange: RankRange | null;
}

/**
 * The approval (share of upvotes) with its 95 % Wilson interval as a bar on a 0–100 % scale
 * (the shared `wilsonInterval`: its lower end is the Wilson column of the board), and the rank
 * range the intervals of the whole board allow.
 */
export function ApprovalInterval({ up, down, rankRange }: ApprovalIntervalProps) {
  const n = up + down;
  if (n === 0) return null;
  const [lo, hi] = wilsonInterval(up, down);
  const p = up / n;
  const label = `Approval ${pct(p)}; 95 % interval ${pct(lo)} to ${pct(hi)}, from ${n} ${n === 1 ? 'vote' : 'votes'}`;
  return (
    <section
      className="approval"
      aria-labelledby="approval-heading"
      data-testid="approval-interval"
    >
      <h2 id="approval-heading">How sure is that?</h2>
      <div
        className="interval-bar"
        role="img"
        aria-label={label}
        data-lower={lo}
        data-upper={hi}
        data-point={p}
      >
        <span className="interval-band" style={{ left: pct(lo), width: pct(hi - lo) }} />
        <span className="interval-point" style={{ left: pct(p) }} />
      </div>
      <div className="interval-scale" aria-hidden="true">
        <span>0%</span>
        <span>50%</span>
        <span>100%</span>
      </div>
      <p className="interval-text">
        <strong>{pct(p)}</strong> of {n} {n === 1 ? 'vote is' : 'votes are'} up; 95 % sure the true
        share is between <strong>{pct(lo)}</strong> and <strong>{pct(hi)}</strong>.
        {rankRange ? (
          <>
            {' '}
            On the overall board it{' '}
            <span
              data-testid="model-rank-range"
              data-best={rankRange.best}
              data-worst={rankRange.worst}
            >
              {rankRangeText(rankRange)}
            </span>
            .
          </>
        ) : null}
      </p>
    </section>
  );
}
