import { sparklinePath } from '../lib/trends.ts';

const W = 72;
const H = 24;

interface SparklineProps {
  /** Scores, oldest first, the live one last. */
  values: readonly number[];
  /** Spoken instead of the drawing. */
  label: string;
}

/** A score trend as a tiny inline SVG (a canvas chart per row would cost far more). */
export function Sparkline({ values, label }: SparklineProps) {
  const path = sparklinePath(values, W, H);
  const first = values[0] ?? 0;
  const last = values.at(-1) ?? 0;
  const direction = last > first ? 'up' : last < first ? 'down' : 'flat';
  return (
    <svg
      className="sparkline"
      data-trend={direction}
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={label}
      focusable="false"
    >
      {path ? (
        <path d={path} />
      ) : (
        <line x1="0" x2={W} y1={H / 2} y2={H / 2} className="sparkline-none" />
      )}
    </svg>
  );
}
