import type { OverviewPoint } from '@llmpt/shared';

/** The overview keeps the last hour. */
export const WINDOW_MS = 3_600_000;

/**
 * The points after a poll: the new ones appended (a point at a time already held is replaced by
 * the newer answer), ascending, and nothing older than an hour before the newest.
 */
export function mergePoints(
  held: readonly OverviewPoint[],
  incoming: readonly OverviewPoint[],
  windowMs = WINDOW_MS,
): OverviewPoint[] {
  const byTime = new Map<number, OverviewPoint>();
  for (const p of held) byTime.set(p.t, p);
  for (const p of incoming) if (Number.isFinite(p.t)) byTime.set(p.t, p);
  const all = [...byTime.values()].sort((a, b) => a.t - b.t);
  const newest = all.at(-1)?.t;
  return newest === undefined ? [] : all.filter((p) => p.t > newest - windowMs);
}

export interface Line {
  label: string;
  values: (number | null)[];
}

export type Unit = 'perMin' | 'seconds' | 'percent' | 'count';

export interface ChartSpec {
  id: string;
  title: string;
  unit: Unit;
  lines: Line[];
}

/** Every key a record-valued field (`cacheHitRatio`, `queueDepth`) takes over the points, sorted. */
export function keysOf(
  points: readonly OverviewPoint[],
  field: 'cacheHitRatio' | 'queueDepth' | 'queueFailed',
): string[] {
  const keys = new Set<string>();
  for (const p of points) for (const k of Object.keys(p[field])) keys.add(k);
  return [...keys].sort();
}

const pct = (v: number | null | undefined): number | null =>
  v === null || v === undefined ? null : Math.round(v * 1000) / 10;

/** The overview's charts, in the order shown. Ratios become percentages. */
export function chartSpecs(points: readonly OverviewPoint[]): ChartSpec[] {
  const col = (f: (p: OverviewPoint) => number | null) => points.map(f);
  return [
    {
      id: 'votes',
      title: 'Votes per minute',
      unit: 'perMin',
      lines: [
        { label: 'Accepted', values: col((p) => p.votesAccepted) },
        { label: 'Rate limited', values: col((p) => p.votesRateLimited) },
        { label: 'Rejected', values: col((p) => p.votesRejected) },
      ],
    },
    {
      id: 'flush',
      title: 'Acknowledged vs flushed per minute',
      unit: 'perMin',
      lines: [
        { label: 'Acknowledged', values: col((p) => p.acknowledged) },
        { label: 'Flushed', values: col((p) => p.flushed) },
      ],
    },
    {
      id: 'lag',
      title: 'Outbox lag',
      unit: 'seconds',
      lines: [{ label: 'Oldest unflushed vote', values: col((p) => p.outboxLagSec) }],
    },
    {
      id: 'realtime',
      title: 'WebSocket connections and subscriptions',
      unit: 'count',
      lines: [
        { label: 'Connections', values: col((p) => p.wsConnections) },
        { label: 'Subscriptions', values: col((p) => p.subscriptions) },
      ],
    },
    {
      id: 'cache',
      title: 'Cache hit rate',
      unit: 'percent',
      lines: keysOf(points, 'cacheHitRatio').map((k) => ({
        label: k,
        values: col((p) => pct(p.cacheHitRatio[k])),
      })),
    },
    {
      id: 'queues',
      title: 'Queue depth (waiting, active, delayed) and failed jobs',
      unit: 'count',
      lines: [
        ...keysOf(points, 'queueDepth').map((k) => ({
          label: k,
          values: col((p) => p.queueDepth[k] ?? null),
        })),
        ...keysOf(points, 'queueFailed').map((k) => ({
          label: `${k} failed`,
          values: col((p) => p.queueFailed[k] ?? null),
        })),
      ],
    },
    {
      id: 'errors',
      title: 'Error rate (5xx)',
      unit: 'percent',
      lines: [{ label: 'Server errors', values: col((p) => pct(p.errorRate)) }],
    },
  ];
}

/** A value as the legend and summary print it. */
export function formatValue(v: number | null | undefined, unit: Unit): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const n = Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 10) / 10;
  switch (unit) {
    case 'perMin':
      return `${n}/min`;
    case 'seconds':
      return `${n} s`;
    case 'percent':
      return `${n}%`;
    case 'count':
      return String(n);
  }
}

/**
 * The figure's text: each line's latest value and its highest over the hour ("Now: Accepted
 * 0/min, Rejected 0/min. Peak: Accepted 300/min, Rejected 60/min."), so a spike that already
 * passed is still said.
 */
export function latestSummary(spec: ChartSpec): string {
  if (spec.lines.length === 0) return 'No data yet.';
  const part = (f: (values: readonly (number | null)[]) => number | null) =>
    spec.lines.map((l) => `${l.label} ${formatValue(f(l.values), spec.unit)}`).join(', ');
  return `Now: ${part(lastKnown)}. Peak: ${part(peak)}.`;
}

function peak(values: readonly (number | null)[]): number | null {
  let max: number | null = null;
  for (const v of values) if (v !== null && (max === null || v > max)) max = v;
  return max;
}

function lastKnown(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}
