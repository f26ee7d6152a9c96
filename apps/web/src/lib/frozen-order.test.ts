import { describe, expect, it } from 'vitest';

import { arrange } from './frozen-order.ts';

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
