import { describe, expect, it } from 'vitest';

import { arrange, outOfPlace } from './frozen-order.ts';

const id = (r: { id: string }) => r.id;
const rows = (...ids: string[]) => ids.map((x) => ({ id: x }));

describe('arrange', () => {
  it('follows the live order when nothing is held', () => {
    const live = rows('a', 'b', 'c');
    expect(arrange(live, id, null)).toEqual({ rows: live, moved: 0 });
  });

  it('keeps the held order with the latest rows, and counts rows out of place', () => {
    const live = [
      { id: 'c', n: 3 },
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ];
    const { rows: shown, moved } = arrange(live, id, ['a', 'b', 'c']);
    expect(shown).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'c', n: 3 },
    ]);
    expect(shown[0]).toBe(live[1]);
    expect(moved).toBe(3);
    expect(arrange(rows('a', 'c', 'b'), id, ['a', 'b', 'c']).moved).toBe(2);
  });

  it('appends rows new to the board and drops rows that left it', () => {
    const { rows: shown, moved } = arrange(rows('d', 'a', 'c'), id, ['a', 'b', 'c']);
    expect(shown.map(id)).toEqual(['a', 'c', 'd']);
    expect(moved).toBe(3);
  });
});

describe('outOfPlace', () => {
  it('marks only the row that jumped, not every row it jumped over', () => {
    // Ranks 1-4, 6-89 in place; the model now 5th is still drawn where rank 89 was.
    const ranks = [1, 2, 3, 4, ...Array.from({ length: 84 }, (_, i) => i + 6), 5, 90];
    const marks = outOfPlace(ranks);
    expect(marks.filter((m) => m !== null)).toEqual(['up']);
    expect(marks[88]).toBe('up');
  });

  it('marks a row that fell as moving down, and nothing in a consistent order', () => {
    expect(outOfPlace([1, 50, 2, 3, 4])).toEqual([null, 'down', null, null, null]);
    expect(outOfPlace([1, 1, 3, null, null])).toEqual([null, null, null, null, null]);
    expect(outOfPlace([])).toEqual([]);
  });

  it('puts models without a rank last: one that got its first votes is out of place', () => {
    expect(outOfPlace([1, 2, null, 3, null])).toEqual([null, null, 'down', null, null]);
    // Fewest rows moved: the one ranked model goes up, past the two without votes.
    expect(outOfPlace([null, null, 1])).toEqual([null, null, 'up']);
  });
});
