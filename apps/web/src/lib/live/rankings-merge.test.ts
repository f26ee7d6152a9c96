import type { Llm, RankingEntry } from '@llmpt/shared';
import { describe, expect, it } from 'vitest';

import { applyMessage, rowsFromEntries } from './rankings-merge.ts';
import { backoffWithJitter } from './transport-switch.ts';

const entry = (llmId: string, up: number, ranks: RankingEntry['ranks']): RankingEntry => ({
  llmId,
  up,
  down: 0,
  score: up,
  wilson: 0,
  trending: 0,
  ranks,
});
const llm = (id: string) => ({ id, name: id.toUpperCase() }) as Llm;
const catalogue = new Map(['a', 'b', 'c'].map((id) => [id, llm(id)]));

describe('applyMessage', () => {
  it('replaces everything on a snapshot and merges diffs entry by entry', () => {
    const snap = applyMessage(null, {
      type: 'snapshot',
      snapshot: {
        id: '1-0',
        at: 0,
        entries: [entry('a', 2, { score: 1 }), entry('b', 1, { score: 2 })],
      },
    });
    const next = applyMessage(snap, {
      type: 'diff',
      diff: {
        id: '2-0',
        at: 0,
        entries: [entry('b', 3, { score: 1 }), entry('a', 2, { score: 2 })],
      },
    });
    expect(next.get('b')).toMatchObject({ up: 3, ranks: { score: 1 } });
    expect(snap.get('b')).toMatchObject({ up: 1 });
    const reset = applyMessage(next, {
      type: 'snapshot',
      snapshot: { id: '3-0', at: 0, entries: [entry('c', 0, { score: 1 })] },
    });
    expect([...reset.keys()]).toEqual(['c']);
  });
});

describe('rowsFromEntries', () => {
  const entries = new Map([
    ['a', entry('a', 1, { score: 3, 'coding:score': 1 })],
    ['b', entry('b', 9, { score: 1 })],
    ['c', entry('c', 5, { score: 2 })],
    ['new', entry('new', 7, { score: 4 })],
  ]);

  it('orders by the rank on the board and names each row from the catalogue', () => {
    const { rows, unknown } = rowsFromEntries(entries, 'score', catalogue);
    expect(rows.map((r) => [r.rank, r.llm.name])).toEqual([
      [1, 'B'],
      [2, 'C'],
      [3, 'A'],
    ]);
    expect(unknown).toEqual(['new']);
  });

  it('lists tied models by name and models with no votes (rank null) last', () => {
    const board = new Map([
      ['c', entry('c', 0, { score: null })],
      ['b', entry('b', 2, { score: 1 })],
      ['a', entry('a', 2, { score: 1 })],
    ]);
    const { rows } = rowsFromEntries(board, 'score', catalogue);
    expect(rows.map((r) => [r.rank, r.llm.id])).toEqual([
      [1, 'a'],
      [1, 'b'],
      [null, 'c'],
    ]);
  });

  it('keeps only the models on that board', () => {
    const { rows } = rowsFromEntries(entries, 'coding:score', catalogue);
    expect(rows.map((r) => [r.rank, r.llm.id])).toEqual([[1, 'a']]);
  });
});

describe('backoffWithJitter', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    for (let i = 0; i < 50; i += 1) {
      const first = backoffWithJitter(0);
      expect(first).toBeGreaterThanOrEqual(250);
      expect(first).toBeLessThanOrEqual(500);
      const third = backoffWithJitter(2);
      expect(third).toBeGreaterThanOrEqual(1_000);
      expect(third).toBeLessThanOrEqual(2_000);
      const late = backoffWithJitter(20);
      expect(late).toBeGreaterThanOrEqual(5_000);
      expect(late).toBeLessThanOrEqual(10_000);
    }
  });
});

describe('rowsFromEntries: issue 15 fields', () => {
  it('marks provisional rows and gives ranked rows their range by the shared rule', () => {
    // Score intervals (n·(2p − 1) at the Wilson bounds): 40/0 → [33.0, 40]; 30/10 → [7.8, 28.7];
    // 12/2 → [2.8, 12.9]. 40/0 is clearly above both; the other two overlap: 2–3 each.
    const mk = (id: string, up: number, down: number, rank: number | null): RankingEntry => ({
      ...entry(id, up, { 'coding:score': rank }),
      down,
      score: up - down,
    });
    const board = new Map([
      ['a', mk('a', 40, 0, 1)],
      ['b', mk('b', 30, 10, 2)],
      ['c', mk('c', 12, 2, 3)],
      ['d', mk('d', 2, 0, null)],
      ['e', mk('e', 0, 0, null)],
    ]);
    const big = new Map([...catalogue, ['d', llm('d')], ['e', llm('e')]]);
    const { rows } = rowsFromEntries(board, 'coding:score', big);
    expect(rows.map((r) => [r.llm.id, r.provisional, r.rankRange])).toEqual([
      ['a', false, { best: 1, worst: 1 }],
      ['b', false, { best: 2, worst: 3 }],
      ['c', false, { best: 2, worst: 3 }],
      ['d', true, null],
      ['e', false, null],
    ]);
  });
});
