import { describe, expect, it } from 'vitest';

import { describeMove, sparklinePath } from './trends.ts';

describe('sparklinePath', () => {
  it('scales the series into the box, highest value at the top', () => {
    expect(sparklinePath([0, 10, 5], 100, 24, 2)).toBe('M0 22 L50 2 L100 12');
  });

  it('draws a flat series through the middle, and nothing with one point', () => {
    expect(sparklinePath([3, 3], 10, 20)).toBe('M0 10 L10 10');
    expect(sparklinePath([3], 10, 20)).toBeNull();
  });
});

describe('describeMove', () => {
  it('speaks places gained or lost', () => {
    expect(describeMove(3)).toBe('up 3 places');
    expect(describeMove(-1)).toBe('down 1 place');
    expect(describeMove(0)).toBe('no change');
  });
});
