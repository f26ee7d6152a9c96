import { describe, expect, it } from 'vitest';

import {
  type RankInput,
  computeEntries,
  compareRanked,
  decayTrending,
  decayWeight,
  diffEntries,
  isProvisional,
  rankBoard,
  rankRanges,
  roundTrending,
  sortInterval,
  wilsonInterval,
  wilsonLowerBound,
  wilsonUpperBound,
} from '../src/index.ts';

const m = (id: string, up: number, down: number, extra: Partial<RankInput> = {}): RankInput => ({
  id,
  name: id,
  up,
  down,
  ...extra,
});

describe('wilsonInterval (95 %)', () => {
  it('matches the hand-computed interval of 8 up, 2 down', () => {
    // p = 0.8, n = 10, z = 1.96: centre (0.8 + 0.19207) / 1.38415 = 0.71673;
    // half-width 1.96 · √(0.016 + 0.0096036) / 1.38415 = 0.22657 → [0.4902, 0.9433].
    const [lo, hi] = wilsonInterval(8, 2);
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
  });

  it('is symmetric: the upper bound of a up, b down is 1 − the lower bound of b up, a down', () => {
    expect(wilsonUpperBound(3, 7)).toBeCloseTo(1 - wilsonLowerBound(7, 3), 12);
  });

  it('is exactly [0, 1] with no votes, 1 at the top with only upvotes and 0 at the bottom with none', () => {
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(wilsonInterval(5, 0)[1]).toBe(1);
    expect(wilsonInterval(0, 5)[0]).toBe(0);
  });
});

describe('sortInterval', () => {
  it('scales the approval interval to the score for the score board: n · (2p − 1)', () => {
    // 8 up 2 down: n = 10, approval [0.4902, 0.9433] → score [−0.196, 8.866]; the score 6 is in it.
    const [lo, hi] = sortInterval('score', { up: 8, down: 2 })!;
    expect(lo).toBeCloseTo(-0.196, 2);
    expect(hi).toBeCloseTo(8.866, 2);
  });

  it('is the Wilson interval on the wilson board, and none on the trending board', () => {
    expect(sortInterval('wilson', { up: 8, down: 2 })).toEqual(wilsonInterval(8, 2));
    expect(sortInterval('trending', { up: 8, down: 2 })).toBeNull();
  });
});

describe('rankRanges (1 + models clearly better … ranked − models clearly worse)', () => {
  it('gives hand-computed ranges on the wilson board', () => {
    // Approval intervals (z = 1.96, by the formula above, to three decimals):
    //   a 90/10  [0.826, 0.945]
    //   b 85/15  [0.767, 0.907]
    //   c 60/40  [0.502, 0.691]
    //   d 6/4    [0.313, 0.832]  few votes: wide
    //   e 5/95   [0.022, 0.112]
    // Clearly better = lower bound above my upper bound; clearly worse = upper below my lower.
    //   a: better none → best 1; worse c, e (0.691, 0.112 < 0.826) → worst 5 − 2 = 3
    //   b: better none → 1; worse c, e (< 0.767) → 3
    //   c: better a, b (0.826, 0.767 > 0.691) → 3; worse e → 4
    //   d: better none (a's 0.826 < d's 0.832) → 1; worse e (0.112 < 0.313) → 4
    //   e: better a, b, c, d → 5; worse none → 5
    const rows = [m('a', 90, 10), m('b', 85, 15), m('c', 60, 40), m('d', 6, 4), m('e', 5, 95)];
    const ranked = rankBoard(rows, 'wilson');
    expect(ranked.map((r) => [r.item.id, r.rank])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
      ['e', 5],
    ]);
    const ranges = rankRanges(
      'wilson',
      ranked.map((r) => ({ ...r.item, rank: r.rank })),
    );
    expect(ranges).toEqual([
      { best: 1, worst: 3 },
      { best: 1, worst: 3 },
      { best: 3, worst: 4 },
      { best: 1, worst: 4 },
      { best: 5, worst: 5 },
    ]);
  });

  it('puts every rank within its range, and leaves unranked rows and trending without one', () => {
    const rows = [m('x', 30, 3), m('y', 2, 0), m('z', 0, 0)];
    const ranked = rankBoard(rows, 'score', { minVotes: 3 });
    const withRank = ranked.map((r) => ({ ...r.item, rank: r.rank }));
    const ranges = rankRanges('score', withRank);
    expect(withRank.map((r) => r.rank)).toEqual([1, null, null]);
    expect(ranges).toEqual([{ best: 1, worst: 1 }, null, null]);
    expect(rankRanges('trending', withRank)).toEqual([null, null, null]);
    expect(rankRanges('score', [])).toEqual([]);
  });
});

describe('provisional models (RANK_MIN_VOTES)', () => {
  it('lists models under the minimum after the ranked ones and before those with no votes', () => {
    // minVotes 5: big 10/0 and mid 4/1 are ranked; tiny 3/0 (3 votes) is provisional even with the
    // best approval; none 0/0 has no votes.
    const items = [m('tiny', 3, 0), m('none', 0, 0), m('mid', 4, 1), m('big', 10, 0)];
    const ranked = rankBoard(items, 'score', { minVotes: 5 });
    expect(ranked.map((r) => [r.item.id, r.rank])).toEqual([
      ['big', 1],
      ['mid', 2],
      ['tiny', null],
      ['none', null],
    ]);
    expect(isProvisional({ up: 3, down: 0 }, 5)).toBe(true);
    expect(isProvisional({ up: 0, down: 0 }, 5)).toBe(false);
    expect(isProvisional({ up: 4, down: 1 }, 5)).toBe(false);
  });

  it('orders rows that carry ranks the same way (compareRanked)', () => {
    const rows = [
      { rank: null, id: 'none', name: 'A none', up: 0, down: 0 },
      { rank: null, id: 'tiny', name: 'Z tiny', up: 3, down: 0 },
      { rank: 1, id: 'big', name: 'Big', up: 10, down: 0 },
    ];
    expect(rows.sort(compareRanked).map((r) => r.id)).toEqual(['big', 'tiny', 'none']);
  });
});

describe('trending (time-decayed score)', () => {
  const H = 3_600_000;
  it('halves a vote’s weight every half-life', () => {
    expect(decayWeight(0, 6 * H)).toBe(1);
    expect(decayWeight(6 * H, 6 * H)).toBe(0.5);
    expect(decayWeight(12 * H, 6 * H)).toBe(0.25);
    // 10 net upvotes 3 h ago at a 6 h half-life: 10 · 2^(−0.5) = 7.0711.
    expect(decayTrending(10, 0, 3 * H, 6 * H)).toBeCloseTo(7.0711, 4);
    expect(roundTrending(7.0710678)).toBe(7.07);
    expect(Object.is(roundTrending(-0.001), 0)).toBe(true);
  });

  it('ranks the trending board by the published (rounded) value, and diffs a changed one', () => {
    const llms = [
      { id: 'old', name: 'Old', categories: [] },
      { id: 'new', name: 'New', categories: [] },
    ];
    const tallies = new Map([
      ['old', { up: 100, down: 0 }],
      ['new', { up: 20, down: 0 }],
    ]);
    // Old got its 100 votes 24 h ago (100 · 2^−4 = 6.25); new its 20 in the last minute (≈ 20).
    const trending = new Map([
      ['old', 6.25],
      ['new', 19.96],
    ]);
    const entries = computeEntries(llms, tallies, { trending, minVotes: 1 });
    const byId = new Map(entries.map((e) => [e.llmId, e]));
    expect(byId.get('new')!.ranks.trending).toBe(1);
    expect(byId.get('old')!.ranks.trending).toBe(2);
    expect(byId.get('old')!.ranks.score).toBe(1);
    const later = computeEntries(llms, tallies, {
      trending: new Map([
        ['old', 6.249],
        ['new', 19.9],
      ]),
    });
    // old rounds to 6.25 again: not re-sent; new moved to 19.9: re-sent.
    expect(diffEntries(byId, later).map((e) => e.llmId)).toEqual(['new']);
  });
});
