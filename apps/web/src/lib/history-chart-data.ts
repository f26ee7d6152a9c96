import type { HistoryPoint } from '@llmpt/shared';

export interface ChartSeries {
  /** Unix seconds, ascending. */
  xs: number[];
  scores: (number | null)[];
  ranks: (number | null)[];
}

export interface LivePoint {
  score: number;
  rank: number | null;
}

/**
 * The chart's aligned columns: the hourly points, then the live standing at `nowMs`, so even a
 * model with no history yet (a fresh install) has one point to draw. The live point replaces the
 * current hour's snapshot, which the worker took minutes ago and would otherwise draw a false dip
 * right before it. A live point older than the last hourly one (a skewed clock) is placed just
 * after it.
 */
export function chartSeries(
  points: readonly HistoryPoint[],
  live: LivePoint | null,
  nowMs: number,
): ChartSeries {
  const xs: number[] = [];
  const scores: (number | null)[] = [];
  const ranks: (number | null)[] = [];
  for (const p of points) {
    const t = Date.parse(p.hour) / 1000;
    if (!Number.isFinite(t) || (xs.length > 0 && t <= (xs.at(-1) ?? 0))) continue;
    xs.push(t);
    scores.push(p.score);
    ranks.push(p.rank);
  }
  if (live) {
    const currentHour = Math.floor(nowMs / 3_600_000) * 3600;
    while (xs.length > 0 && (xs.at(-1) ?? 0) >= currentHour) {
      xs.pop();
      scores.pop();
      ranks.pop();
    }
    xs.push(Math.max(Math.floor(nowMs / 1000), (xs.at(-1) ?? 0) + 1));
    scores.push(live.score);
    ranks.push(live.rank);
  }
  return { xs, scores, ranks };
}

/** Unix seconds of a release date `YYYY-MM-DD` (UTC midnight), or null. */
export function releaseSeconds(date: string | null): number | null {
  if (!date) return null;
  const t = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(t) ? null : t / 1000;
}

/** True when the release falls inside the drawn x range. */
export function releaseInRange(release: number | null, xs: readonly number[]): boolean {
  const first = xs[0];
  const last = xs.at(-1);
  return (
    release !== null &&
    first !== undefined &&
    last !== undefined &&
    release >= first &&
    release <= last
  );
}

const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

/** A sentence for everyone (and for the figure's description): how score and rank moved. */
export function describeHistory(
  series: ChartSeries,
  formatTime: (seconds: number) => string = (s) => when.format(s * 1000),
): string {
  const at = series.scores.flatMap((s, i) => (s === null ? [] : [i]));
  const first = at[0];
  const last = at.at(-1);
  if (first === undefined || last === undefined) return 'No data yet.';
  const score = (i: number) => series.scores[i] ?? 0;
  if (first === last) return `No hourly history yet: the score is ${score(last)} now.`;
  const since = formatTime(series.xs[first] ?? 0);
  return `Since ${since} the score went from ${score(first)} to ${score(last)}${rankPart(series.ranks)}.`;
}

/** ", and its rank from 9 to 3" — or stayed, or "no votes" (no rank) at either end. */
function rankPart(ranks: readonly (number | null)[]): string {
  const known = ranks.filter((r): r is number => r !== null);
  const from = known[0];
  const to = ranks.at(-1);
  if (from === undefined) return ', with no votes, so no rank';
  if (to === null || to === undefined) return `, and from rank ${from} to no votes now`;
  if (ranks[0] === null && known.length === 1) return `, and it got its first votes: rank ${to}`;
  return from === to ? `, and it stayed at rank ${to}` : `, and its rank from ${from} to ${to}`;
}

const DAY_MS = 86_400_000;

/**
 * The chart's default period: the shortest of `windows` (days) that holds every point, so a
 * site a few hours old opens on "24 hours" rather than on an almost empty "30 days".
 */
export function defaultWindow<T extends number>(
  points: readonly HistoryPoint[],
  windows: readonly T[],
  nowMs: number,
): T {
  const oldest = points.length > 0 ? Date.parse(points[0]?.hour ?? '') : nowMs;
  const span = Number.isFinite(oldest) ? nowMs - oldest : 0;
  const fits = windows.find((days) => days * DAY_MS >= span);
  return fits ?? (windows.at(-1) as T);
}

/** The points of the last `days` days. */
export function pointsWithin(
  points: readonly HistoryPoint[],
  days: number,
  nowMs: number,
): HistoryPoint[] {
  const from = nowMs - days * DAY_MS;
  return points.filter((p) => Date.parse(p.hour) >= from);
}
