import { useEffect, useId, useRef, useState } from 'react';
import type uPlot from 'uplot';

import { type ChartSeries, releaseInRange, releaseSeconds } from '../lib/history-chart-data.ts';
import { type Theme, useTheme } from '../lib/theme.ts';

interface HistoryChartProps {
  name: string;
  /** Null while loading: the figure keeps its size, without a canvas. */
  series: ChartSeries | null;
  releaseDate: string | null;
  /** Shown under the chart and given as the figure's description. */
  summary: string;
}

const HEIGHT = 280;

/** Tick steps for counts and places: 1, 2, 5, 10, 20, 50 … never a fraction. */
const WHOLE_STEPS = Array.from({ length: 10 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/** uPlot and its stylesheet: fetched with the first chart, never part of the leaderboard. */
const loadUPlot = () =>
  Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default);

/**
 * Score and overall rank per hour on two axes (rank inverted: 1 at the top), the release date
 * drawn as a labelled vertical line when it falls in range. Canvas, so the figure carries the
 * accessible name and a text summary.
 * @see https://github.com/leeoniya/uPlot/tree/master/docs
 */
export function HistoryChart({ name, series, releaseDate, summary }: HistoryChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el || !series) return;
    let chart: uPlot | null = null;
    let cancelled = false;
    const resize = new ResizeObserver(() =>
      chart?.setSize({ width: el.clientWidth, height: HEIGHT }),
    );
    loadUPlot()
      .then((UPlot) => {
        if (cancelled) return;
        chart = new UPlot(
          options(el.clientWidth, theme, releaseDate, series.xs),
          toData(series),
          el,
        );
        resize.observe(el);
      })
      .catch(() => {
        if (!cancelled) setFailed(true);
      });
    return () => {
      cancelled = true;
      resize.disconnect();
      chart?.destroy();
    };
  }, [series, theme, releaseDate]);

  const summaryId = useId();
  return (
    <figure
      className="history-chart"
      role="img"
      aria-label={`Score and rank history for ${name}`}
      aria-describedby={summaryId}
      aria-busy={series === null}
    >
      <div ref={box} className="history-canvas" style={{ minHeight: HEIGHT }}>
        {failed ? <p className="muted">The chart couldn’t be loaded.</p> : null}
      </div>
      <figcaption id={summaryId} className="muted">
        {summary}
      </figcaption>
    </figure>
  );
}

function toData(s: ChartSeries): uPlot.AlignedData {
  return [s.xs, s.scores, s.ranks];
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Colours come from the theme's CSS variables: a theme switch rebuilds the chart. */
function options(
  width: number,
  _theme: Theme,
  releaseDate: string | null,
  xs: readonly number[],
): uPlot.Options {
  const text = cssVar('--muted');
  const grid = cssVar('--border');
  const scoreColor = cssVar('--accent');
  const rankColor = cssVar('--rank-line');
  const release = releaseSeconds(releaseDate);
  const few = xs.length <= 48;
  const axis = {
    stroke: text,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  };
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    // Series names only: values under the cursor read "--" whenever it is off the chart.
    legend: { show: true, live: false },
    scales: {
      x: {
        time: true,
        // A lone point (a fresh install) gets a readable hour either side. uPlot itself widens a
        // single time value to min + 86,400,000 s (its `86400 / ms` with ms = 1e-3): ~2.7 years.
        range: (_u, min, max) => {
          const only = xs.length === 1 ? xs[0] : undefined;
          return only === undefined ? [min, max] : [only - 3600, only + 3600];
        },
      },
      score: {
        range: (_u, min, max) => {
          const pad = Math.max(1, Math.round((max - min) * 0.1));
          return [min - pad, max + pad];
        },
      },
      rank: {
        dir: -1,
        range: (_u, min, max) => [Math.max(1, min - 1), max + 1],
      },
    },
    series: [
      {},
      {
        label: 'Score',
        scale: 'score',
        stroke: scoreColor,
        width: 2,
        points: { show: few, size: 6, fill: scoreColor },
        value: (_u, v) => (v === null ? '–' : String(v)),
      },
      {
        label: 'Rank',
        scale: 'rank',
        stroke: rankColor,
        width: 2,
        dash: [6, 4],
        points: { show: few, size: 6, fill: rankColor },
        value: (_u, v) => (v === null ? '–' : `#${v}`),
      },
    ],
    axes: [
      // Room for a time label per tick ("10:15am", "11/27").
      { ...axis, space: 90 },
      // Scores are whole numbers: so are their ticks, even over a range of 0 to 1.
      { ...axis, scale: 'score', label: 'Score', labelSize: 20, incrs: WHOLE_STEPS },
      {
        ...axis,
        scale: 'rank',
        side: 1,
        label: 'Rank',
        labelSize: 20,
        grid: { show: false },
        // Whole places only.
        incrs: WHOLE_STEPS,
        values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? `#${t}` : '')),
      },
    ],
    hooks: {
      draw: [
        (u) => {
          if (!releaseInRange(release, xs) || release === null) return;
          const x = Math.round(u.valToPos(release, 'x', true));
          const { ctx } = u;
          const { top, height } = u.bbox;
          const ratio = devicePixelRatio || 1;
          ctx.save();
          ctx.strokeStyle = text;
          ctx.setLineDash([3 * ratio, 3 * ratio]);
          ctx.lineWidth = ratio;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillStyle = text;
          ctx.font = `${12 * ratio}px system-ui, sans-serif`;
          // Label on the line's right, or its left near the right edge.
          const label = 'Released';
          const w = ctx.measureText(label).width;
          const right = x + 4 * ratio + w <= u.bbox.left + u.bbox.width;
          ctx.fillText(label, right ? x + 4 * ratio : x - 4 * ratio - w, top + 14 * ratio);
          ctx.restore();
        },
      ],
    },
  };
}
