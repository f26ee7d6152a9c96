import { describe, expect, it } from 'vitest';

import { roundTrending, trendingFromHourly } from '../src/trending.ts';

const H = 3_600_000;
const at = (hours: number, score: number) => ({ hourMs: hours * H, score });

describe('trendingFromHourly (the trending value of a past hour, from hourly snapshots)', () => {
  const points = [at(0, 10), at(3, 14), at(6, 15)];

  it('weights each hour’s net votes by its age at the hour shown', () => {
    // Half-life 3 h, at hour 6: 10·2^−2 + 4·2^−1 + 1·2^0 = 2.5 + 2 + 1.
    expect(trendingFromHourly(points, 6 * H, 3 * H)).toBe(5.5);
    // Three hours later, nothing new: every term halved once more: 1.25 + 1 + 0.5.
    expect(trendingFromHourly(points, 9 * H, 3 * H)).toBe(2.75);
  });

  it('ignores snapshots after the hour shown', () => {
    // At hour 3: 10·2^−1 + 4 = 9 (hour 6's vote has not happened yet).
    expect(trendingFromHourly(points, 3 * H, 3 * H)).toBe(9);
    expect(trendingFromHourly(points, 0, 3 * H)).toBe(10);
  });

  it('counts lost votes (a falling score) negatively, and nothing as 0', () => {
    // Half-life 1 h: 5 net up at hour 0 (weight ½), then 3 net down at hour 1: 2.5 − 3.
    expect(trendingFromHourly([at(0, 5), at(1, 2)], H, H)).toBe(-0.5);
    expect(trendingFromHourly([], 5 * H, H)).toBe(0);
  });

  it('at a 6 h half-life, matches the live rule’s figures once rounded', () => {
    // 10 net votes 3 h before the hour shown: 10·2^−½ = 7.0711 → 7.07 (decayTrending's example).
    expect(roundTrending(trendingFromHourly([at(0, 10)], 3 * H, 6 * H))).toBe(7.07);
  });
});
