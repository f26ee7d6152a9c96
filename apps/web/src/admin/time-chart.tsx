import { useEffect, useId, useRef, useState } from 'react';
import type uPlot from 'uplot';

import { useTheme } from '../lib/theme.ts';
import { type ChartSpec, formatValue, latestSummary } from './overview-data.ts';

const HEIGHT = 170;
const PALETTE = ['--chart-1', '--chart-2', '--chart-3', '--chart-4', '--chart-5', '--chart-6'];

/** uPlot and its stylesheet: the same chunk the voters' model page loads, fetched on first use. */
const loadUPlot = () =>
  Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default);

interface TimeChartProps {
  spec: ChartSpec;
  /** Unix seconds of each point, ascending (shared by every chart of the overview). */
  xs: number[];
}

/**
 * One small live chart. Built once per set of lines and theme; a poll only swaps its data
 * (`setData`), so the canvas neither flickers nor loses the cursor. Resizes with its box.
 * @see https://github.com/leeoniya/uPlot/tree/master/docs
 */
export function TimeChart({ spec, xs }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const theme = useTheme();
  const [failed, setFailed] = useState(false);
  const labels = spec.lines.map((l) => l.label).join('\n');
  const data = useRef<uPlot.AlignedData>([[]]);

  // Declared first: on mount it fills `data` before the chart below is built from it.
  useEffect(() => {
    data.current = [xs, ...spec.lines.map((l) => l.values)];
    chart.current?.setData(data.current);
  }, [xs, spec]);

  useEffect(() => {
    const el = box.current;
    if (!el || labels === '') return;
    let cancelled = false;
    const resize = new ResizeObserver(() =>
      chart.current?.setSize({ width: el.clientWidth, height: HEIGHT }),
    );
    loadUPlot()
      .then((UPlot) => {
        if (cancelled) return;
        chart.current = new UPlot(options(el.clientWidth, spec), data.current, el);
        resize.observe(el);
      })
      .catch(() => {
        if (!cancelled) setFailed(true);
      });
    return () => {
      cancelled = true;
      resize.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
    // Rebuilt only when its lines or the theme change; new points go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [labels, theme, spec.unit]);

  const summaryId = useId();
  const summary = latestSummary(spec);
  return (
    <figure
      className="admin-chart"
      role="img"
      aria-label={spec.title}
      aria-describedby={summaryId}
      data-chart={spec.id}
    >
      <figcaption className="admin-chart-title">{spec.title}</figcaption>
      <div ref={box} className="admin-chart-canvas" style={{ minHeight: HEIGHT + 34 }}>
        {failed ? <p className="muted">The chart couldn’t be loaded.</p> : null}
        {labels === '' ? <p className="muted admin-chart-empty">No data yet.</p> : null}
      </div>
      <p id={summaryId} className="admin-chart-summary muted">
        {summary}
      </p>
    </figure>
  );
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function options(width: number, spec: ChartSpec): uPlot.Options {
  const text = cssVar('--muted');
  const grid = cssVar('--border');
  const axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    font: '11px system-ui, sans-serif',
  };
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    // Names only: values under the cursor would read "--" whenever it is off the chart.
    legend: { show: true, live: false },
    scales: {
      x: { time: true },
      y: {
        // Counts and rates start at 0, so a flat line near zero doesn't look like a swing.
        range: (_u, _min, max) => [
          0,
          spec.unit === 'percent' ? 100 : Math.max(1, Math.ceil((max || 0) * 1.15)),
        ],
      },
    },
    series: [
      {},
      ...spec.lines.map((line, i) => {
        const color = cssVar(PALETTE[i % PALETTE.length] ?? '--accent');
        return {
          label: line.label,
          stroke: color,
          width: 2,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => formatValue(v, spec.unit),
        };
      }),
    ],
    axes: [
      { ...axis, space: 70 },
      {
        ...axis,
        size: 44,
        values: (_u, ticks) => ticks.map((t) => (spec.unit === 'percent' ? `${t}%` : compact(t))),
      },
    ],
  };
}

function compact(n: number): string {
  if (Math.abs(n) >= 1_000_000) return `${Number((n / 1_000_000).toFixed(1))}M`;
  if (Math.abs(n) >= 1_000) return `${Number((n / 1_000).toFixed(1))}k`;
  return String(n);
}
