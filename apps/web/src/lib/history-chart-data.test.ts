import { describe, expect, it } from 'vitest';

import {
  chartSeries,
  defaultWindow,
  pointsWithin,
  describeHistory,
  releaseInRange,
  releaseSeconds,
} from './history-chart-data.ts';

const point = (hour: string, score: number, rank: number | null) => ({
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

  it('says a rank that held, a first vote, and a model nobody voted on in plain words', () => {
    const now = Date.parse('2026-11-27T02:30:00Z');
    const hist = (r0: number | null, r1: number | null) => [
      point('2026-11-27T00:00:00.000Z', r0 === null ? 0 : 2, r0),
      point('2026-11-27T01:00:00.000Z', 2, r1),
    ];
    const say = (r0: number | null, r1: number | null, live: number | null) =>
      describeHistory(chartSeries(hist(r0, r1), { score: 2, rank: live }, now), at);
    expect(say(1, 1, 1)).toMatch(/, and it stayed at rank 1\.$/);
    expect(say(null, null, 4)).toMatch(/, and it got its first votes: rank 4\.$/);
    expect(say(null, null, null)).toMatch(/, with no votes, so no rank\.$/);
    expect(say(3, 2, 5)).toMatch(/, and its rank from 3 to 5\.$/);
  });
});

describe('the chart’s period', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  const points = (...hours: string[]) => hours.map((h) => point(h, 1, 1));

  it('opens on the shortest period that holds all the history', () => {
    const windows = [1, 7, 30, 90] as const;
    expect(defaultWindow([], windows, now)).toBe(1);
    expect(defaultWindow(points('2026-11-27T08:00:00.000Z'), windows, now)).toBe(1);
    expect(defaultWindow(points('2026-11-25T08:00:00.000Z'), windows, now)).toBe(7);
    expect(defaultWindow(points('2026-10-01T08:00:00.000Z'), windows, now)).toBe(90);
    expect(defaultWindow(points('2025-01-01T00:00:00.000Z'), windows, now)).toBe(90);
  });

  it('keeps the points of the period', () => {
    const all = points('2026-11-20T12:00:00.000Z', '2026-11-26T13:00:00.000Z');
    expect(pointsWithin(all, 1, now)).toEqual([all[1]]);
    expect(pointsWithin(all, 7, now)).toEqual(all);
  });
});
