import { describe, expect, it } from 'vitest';

import { moveBallot, nextBallot, withTally } from './ballot.ts';

describe('nextBallot', () => {
  it('casts the clicked ballot, or retracts it when clicked again', () => {
    expect(nextBallot(0, 1)).toBe(1);
    expect(nextBallot(-1, 1)).toBe(1);
    expect(nextBallot(1, 1)).toBe(0);
    expect(nextBallot(-1, -1)).toBe(0);
  });
});

describe('moveBallot', () => {
  const tally = { up: 10, down: 4 };

  it.each([
    [0, 1, { up: 11, down: 4 }],
    [0, -1, { up: 10, down: 5 }],
    [1, 0, { up: 9, down: 4 }],
    [-1, 0, { up: 10, down: 3 }],
    [1, -1, { up: 9, down: 5 }],
    [-1, 1, { up: 11, down: 3 }],
    [1, 1, { up: 10, down: 4 }],
  ] as const)('%i → %i', (from, to, expected) => {
    expect(moveBallot(tally, from, to)).toEqual(expected);
  });

  it('is undone by the opposite move (the rollback)', () => {
    expect(moveBallot(moveBallot(tally, -1, 1), 1, -1)).toEqual(tally);
  });
});

describe('withTally', () => {
  it('recomputes score and Wilson bound and keeps the rest of the row', () => {
    const row = { rank: 3, llm: { id: 'm' }, up: 0, down: 0, score: 0, wilson: 0 };
    const next = withTally(row, { up: 9, down: 1 });
    expect(next).toMatchObject({ rank: 3, llm: { id: 'm' }, up: 9, down: 1, score: 8 });
    expect(next.wilson).toBeGreaterThan(0.5);
    expect(next.wilson).toBeLessThan(0.9);
  });
});
