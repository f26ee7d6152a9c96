import { describe, expect, it } from 'vitest';

import { RankAnnouncer, type RankedModel } from './rank-announcer.ts';

const board = (...names: string[]): RankedModel[] =>
  names.map((name, i) => ({ id: name.toLowerCase(), name, rank: i + 1 }));

function announcerWithClock() {
  let now = 0;
  const announcer = new RankAnnouncer({ minIntervalMs: 10_000, now: () => now });
  return { announcer, advance: (ms: number) => (now += ms) };
}

describe('RankAnnouncer', () => {
  it('takes the first ranks of a board as the baseline, not as news', () => {
    const { announcer } = announcerWithClock();
    expect(announcer.update('score', board('A', 'B', 'C'))).toEqual({
      message: null,
      retryInMs: null,
    });
    expect(announcer.update('score', board('A', 'B', 'C')).message).toBeNull();
  });

  it('announces the biggest move and how many others moved', () => {
    const { announcer } = announcerWithClock();
    announcer.update('score', board('A', 'B', 'C', 'D'));
    expect(announcer.update('score', board('D', 'A', 'B', 'C')).message).toBe(
      'D moved up 3 places to rank 1; 3 other models changed rank.',
    );
  });

  it('says at most one thing per interval, then sums up what happened meanwhile', () => {
    const { announcer, advance } = announcerWithClock();
    announcer.update('score', board('A', 'B', 'C'));
    expect(announcer.update('score', board('B', 'A', 'C')).message).toBe(
      'B moved up 1 place to rank 1; 1 other model changed rank.',
    );
    advance(4_000);
    expect(announcer.update('score', board('C', 'B', 'A'))).toEqual({
      message: null,
      retryInMs: 6_000,
    });
    advance(3_000);
    expect(announcer.update('score', board('C', 'A', 'B'))).toEqual({
      message: null,
      retryInMs: 3_000,
    });
    advance(3_000);
    // Against the ranks last announced (B, A, C): C gained the most.
    expect(announcer.update('score', board('C', 'A', 'B')).message).toBe(
      'C moved up 2 places to rank 1; 1 other model changed rank.',
    );
  });

  it('starts over on another board', () => {
    const { announcer } = announcerWithClock();
    announcer.update('score', board('A', 'B'));
    expect(announcer.update('coding:score', board('B', 'A')).message).toBeNull();
    expect(announcer.update('coding:score', board('A', 'B')).message).toBe(
      'A moved up 1 place to rank 1; 1 other model changed rank.',
    );
  });

  it('mentions a lone move without others', () => {
    const { announcer } = announcerWithClock();
    announcer.update('score', board('A', 'B'));
    const moved = [
      { id: 'a', name: 'A', rank: 1 },
      { id: 'b', name: 'B', rank: 3 },
    ];
    expect(announcer.update('score', moved).message).toBe('B moved down 1 place to rank 3.');
  });

  it('announces a model’s first votes, and never a move from or to "no votes"', () => {
    const { announcer, advance } = announcerWithClock();
    const unranked = (id: string) => ({ id, name: id.toUpperCase(), rank: null });
    announcer.update('score', [unranked('a'), unranked('b'), unranked('c')]);
    expect(
      announcer.update('score', [{ id: 'c', name: 'C', rank: 1 }, unranked('a'), unranked('b')])
        .message,
    ).toBe('C got its first votes: rank 1.');
    advance(10_000);
    // B enters at 1 and C drops to 2; the entry is the news.
    expect(
      announcer.update('score', [
        { id: 'b', name: 'B', rank: 1 },
        { id: 'c', name: 'C', rank: 2 },
        unranked('a'),
      ]).message,
    ).toBe('B got its first votes: rank 1; 1 other model changed rank.');
    advance(10_000);
    // C loses its votes: a change, but nothing to headline.
    expect(
      announcer.update('score', [{ id: 'b', name: 'B', rank: 1 }, unranked('a'), unranked('c')]),
    ).toEqual({ message: null, retryInMs: null });
  });
});
