import { describe, expect, it } from 'vitest';

import {
  type RankInput,
  compareRanked,
  hasVotes,
  rankBoard,
  rankChange,
  wilsonLowerBound,
} from '../src/index.ts';

const m = (id: string, up: number, down: number, name = id): RankInput => ({ id, name, up, down });

/** [id, rank] in display order. */
const ranks = (items: RankInput[], sort: 'score' | 'wilson') =>
  rankBoard(items, sort).map((r) => [r.item.id, r.rank]);

describe('rankBoard (the one rank rule)', () => {
  it('gives equal scores the same rank and skips the places they fill (1, 1, 3)', () => {
    // Scores: a 3, b 3, c 2, d 3, e 1.
    const items = [m('a', 3, 0), m('b', 5, 2), m('c', 2, 0), m('d', 4, 1), m('e', 1, 0)];
    expect(ranks(items, 'score')).toEqual([
      ['a', 1],
      ['b', 1],
      ['d', 1],
      ['c', 4],
      ['e', 5],
    ]);
  });

  it('ranks a tie by value only: more upvotes do not break it', () => {
    // x 5/3 and y 2/0 both score 2; the old rule put x first as rank 1 and y as rank 2.
    expect(ranks([m('y', 2, 0), m('x', 5, 3)], 'score')).toEqual([
      ['x', 1],
      ['y', 1],
    ]);
  });

  it('leaves models with no votes unranked, after every ranked one, by name', () => {
    // Scores: Zed none, Amy none, down -2, up 1, even 0 (1 up 1 down: voted, so ranked).
    const items = [
      m('zed', 0, 0, 'Zed'),
      m('down', 0, 2, 'Down'),
      m('amy', 0, 0, 'Amy'),
      m('up', 1, 0, 'Up'),
      m('even', 1, 1, 'Even'),
    ];
    expect(ranks(items, 'score')).toEqual([
      ['up', 1],
      ['even', 2],
      ['down', 3],
      ['amy', null],
      ['zed', null],
    ]);
    expect(hasVotes({ up: 1, down: 1 })).toBe(true);
    expect(hasVotes({ up: 0, down: 0 })).toBe(false);
  });

  it('ranks nobody on a board without votes (a fresh install)', () => {
    const items = ['c', 'a', 'b'].map((id) => m(id, 0, 0));
    expect(ranks(items, 'score')).toEqual([
      ['a', null],
      ['b', null],
      ['c', null],
    ]);
    expect(ranks(items, 'wilson').map(([, r]) => r)).toEqual([null, null, null]);
    expect(rankBoard([], 'score')).toEqual([]);
  });

  it('sorts on the Wilson lower bound, ties included', () => {
    // Lower bounds (95 %): 90/10 0.8256, 9/1 0.5958, p 2/0 0.3424, q 2/0 0.3424, 0/3 0, 0/10 0.
    const items = [
      m('nine', 9, 1),
      m('p', 2, 0),
      m('ninety', 90, 10),
      m('none3', 0, 3),
      m('q', 2, 0),
      m('none10', 0, 10),
      m('unvoted', 0, 0),
    ];
    expect(wilsonLowerBound(90, 10)).toBeCloseTo(0.8256, 4);
    expect(wilsonLowerBound(9, 1)).toBeCloseTo(0.5958, 4);
    expect(wilsonLowerBound(2, 0)).toBeCloseTo(0.3424, 4);
    expect(ranks(items, 'wilson')).toEqual([
      ['ninety', 1],
      ['nine', 2],
      ['p', 3],
      ['q', 3],
      // No upvotes is exactly 0 however many downvotes (the formula alone gives ±1e-17).
      // Within the tie, names compare numbers by value: none3 before none10.
      ['none3', 5],
      ['none10', 5],
      ['unvoted', null],
    ]);
    // By score the same models order differently: 90/10 80, nine 8, p 2, q 2, 0/3 -3, 0/10 -10.
    expect(ranks(items, 'score')).toEqual([
      ['ninety', 1],
      ['nine', 2],
      ['p', 3],
      ['q', 3],
      ['none3', 5],
      ['none10', 6],
      ['unvoted', null],
    ]);
  });

  it('orders names the same way everywhere: case-blind, numbers by value', () => {
    const items = [m('b', 1, 0, 'GPT-10'), m('a', 1, 0, 'gpt-4'), m('c', 1, 0, 'Claude')];
    expect(rankBoard(items, 'score').map((r) => r.item.name)).toEqual([
      'Claude',
      'gpt-4',
      'GPT-10',
    ]);
  });
});

describe('compareRanked', () => {
  it('orders rows that carry ranks as rankBoard does: rank, unranked last, name in a tie', () => {
    const rows = [
      { id: 'u', name: 'U', rank: null },
      { id: 'b', name: 'B', rank: 1 },
      { id: 'c', name: 'C', rank: 3 },
      { id: 'a', name: 'A', rank: 1 },
      { id: 't', name: 'T', rank: null },
    ];
    expect([...rows].sort(compareRanked).map((r) => r.id)).toEqual(['a', 'b', 'c', 't', 'u']);
  });
});

describe('rankChange', () => {
  it('counts places gained, and is null when either side has no rank', () => {
    expect(rankChange(47, 2)).toBe(45);
    expect(rankChange(2, 47)).toBe(-45);
    expect(rankChange(3, 3)).toBe(0);
    expect(rankChange(null, 2)).toBeNull();
    expect(rankChange(undefined, 2)).toBeNull();
    expect(rankChange(5, null)).toBeNull();
  });
});
