import { describe, expect, it } from 'vitest';

import {
  chartSeries,
  describeHistory,
  releaseInRange,
  releaseSeconds,
} from './history-chart-data.ts';

const point = (hour: string, score: number, rank: number) => ({
  hour,
  up: 0,
  down: 0,
  score,
  rank,
});
const T = (iso: string) => Date.parse(iso) / 1000;

describe('chartSeries', () => {
  it('appends the live point after the hourly ones', () => {
    const series = chartSeries(
      [point('2026-11-27T07:00:00.000Z', 3, 5), point('2026-11-27T08:00:00.000Z', 4, 4)],
      { score: 6, rank: 2 },
      Date.parse('2026-11-27T09:42:10.500Z'),
    );
    expect(series).toEqual({
      xs: [T('2026-11-27T07:00:00Z'), T('2026-11-27T08:00:00Z'), T('2026-11-27T09:42:10Z')],
      scores: [3, 4, 6],
      ranks: [5, 4, 2],
    });
  });

  it("replaces the current hour's snapshot (taken minutes ago) with the live point", () => {
    const series = chartSeries(
      [point('2026-11-27T08:00:00.000Z', 1, 1), point('2026-11-27T09:00:00.000Z', 0, 1)],
      { score: 3, rank: 1 },
      Date.parse('2026-11-27T09:42:10.500Z'),
    );
    expect(series).toEqual({
      xs: [T('2026-11-27T08:00:00Z'), T('2026-11-27T09:42:10Z')],
      scores: [1, 3],
      ranks: [1, 1],
    });
  });

  it('draws a fresh install: no history, only the live point', () => {
    const now = Date.parse('2026-11-27T09:00:00Z');
    expect(chartSeries([], { score: 0, rank: null }, now)).toEqual({
      xs: [now / 1000],
      scores: [0],
      ranks: [null],
    });
  });

  it('keeps x strictly increasing even with a clock behind the server', () => {
    // The server already rolled 09:00 while this browser's clock still says 08:59: the live
    // point supersedes that snapshot too, and x never goes backwards.
    const series = chartSeries(
      [point('2026-11-27T07:00:00.000Z', 1, 1), point('2026-11-27T09:00:00.000Z', 1, 1)],
      { score: 2, rank: 1 },
      Date.parse('2026-11-27T08:59:00Z'),
    );
    expect(series.xs).toEqual([T('2026-11-27T07:00:00Z'), T('2026-11-27T08:59:00Z')]);
    expect(series.scores).toEqual([1, 2]);
  });
});

describe('release date', () => {
  it('is marked only inside the drawn range', () => {
    const xs = [T('2026-11-01T00:00:00Z'), T('2026-11-27T00:00:00Z')];
    expect(releaseInRange(releaseSeconds('2026-11-20'), xs)).toBe(true);
    expect(releaseInRange(releaseSeconds('2024-03-13'), xs)).toBe(false);
    expect(releaseInRange(releaseSeconds(null), xs)).toBe(false);
    expect(releaseSeconds('not a date')).toBeNull();
  });
});

describe('describeHistory', () => {
  const at = (s: number) => new Date(s * 1000).toISOString();
  it('sums up the score and rank over the range', () => {
    const series = chartSeries(
      [point('2026-11-26T00:00:00.000Z', 3, 9), point('2026-11-27T00:00:00.000Z', 8, 4)],
      { score: 10, rank: 3 },
      Date.parse('2026-11-27T00:30:00Z'),
    );
    expect(describeHistory(series, at)).toBe(
      'Since 2026-11-26T00:00:00.000Z the score went from 3 to 10, and its rank from 9 to 3.',
    );
    expect(describeHistory(chartSeries([], { score: 4, rank: null }, 0), at)).toBe(
      'No hourly history yet: the score is 4 now.',
    );
  });
});
