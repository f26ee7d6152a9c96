import { describe, expect, it } from 'vitest';

import {
  ALL_BOARD_KEYS,
  type RankableLlm,
  type RankingEntry,
  computeEntries,
  diffEntries,
  wilsonLowerBound,
} from '../src/index.ts';

const LLMS: RankableLlm[] = [
  { id: 'alpha', name: 'Alpha', categories: ['chat', 'coding'] },
  { id: 'bravo', name: 'Bravo', categories: ['chat'] },
  { id: 'charlie', name: 'Charlie', categories: ['coding', 'reasoning'] },
  { id: 'delta', name: 'Delta', categories: [] },
];

const byId = (entries: RankingEntry[]) => new Map(entries.map((e) => [e.llmId, e]));

describe('computeEntries', () => {
  it('ranks every model on the overall boards and on each of its categories', () => {
    const tallies = new Map([
      ['alpha', { up: 10, down: 2 }], // score 8, Wilson 0.552
      ['bravo', { up: 4, down: 0 }], // score 4, Wilson 0.510
      ['charlie', { up: 100, down: 90 }], // score 10, Wilson 0.456: most votes, least sure
    ]);
    const entries = computeEntries(LLMS, tallies);
    // Overall score order: charlie 10, alpha 8, bravo 4, delta 0.
    expect(entries.map((e) => e.llmId)).toEqual(['charlie', 'alpha', 'bravo', 'delta']);

    const e = byId(entries);
    expect(e.get('charlie')).toMatchObject({ up: 100, down: 90, score: 10 });
    expect(e.get('charlie')!.wilson).toBeCloseTo(wilsonLowerBound(100, 90), 12);
    expect(e.get('delta')).toMatchObject({ up: 0, down: 0, score: 0, wilson: 0 });

    expect(e.get('alpha')!.ranks).toEqual({
      score: 2,
      wilson: 1,
      // No trending values given: every voted model is at 0, one tie.
      trending: 1,
      'chat:score': 1,
      'chat:wilson': 1,
      'chat:trending': 1,
      'coding:score': 2,
      'coding:wilson': 1,
      'coding:trending': 1,
    });
    expect(e.get('bravo')!.ranks).toEqual({
      score: 3,
      wilson: 2,
      trending: 1,
      'chat:score': 2,
      'chat:wilson': 2,
      'chat:trending': 1,
    });
    expect(e.get('charlie')!.ranks).toEqual({
      score: 1,
      wilson: 3,
      trending: 1,
      'coding:score': 1,
      'coding:wilson': 2,
      'coding:trending': 1,
      'reasoning:score': 1,
      'reasoning:wilson': 1,
      'reasoning:trending': 1,
    });
    // A model in no category is only on the overall boards; with no votes it has no rank there.
    expect(e.get('delta')!.ranks).toEqual({ score: null, wilson: null, trending: null });
    // Every board key used is one the contract knows.
    for (const entry of entries)
      for (const key of Object.keys(entry.ranks)) expect(ALL_BOARD_KEYS).toContain(key);
  });

  it('gives tied models one rank, and orders them by name', () => {
    const llms: RankableLlm[] = [
      { id: 'z', name: 'Zulu', categories: [] },
      { id: 'y', name: 'Yankee', categories: [] },
      { id: 'x', name: 'Xray', categories: [] },
      { id: 'w', name: 'Whiskey', categories: [] },
    ];
    // x, y and z all score 2 (x with more upvotes: no matter); w scores 1.
    const tallies = new Map([
      ['x', { up: 5, down: 3 }],
      ['y', { up: 2, down: 0 }],
      ['z', { up: 2, down: 0 }],
      ['w', { up: 1, down: 0 }],
    ]);
    const entries = computeEntries(llms, tallies);
    expect(entries.map((e) => [e.llmId, e.ranks.score])).toEqual([
      ['x', 1],
      ['y', 1],
      ['z', 1],
      ['w', 4],
    ]);
    // By Wilson: y and z (2/0, 0.342) tie; x 5/3 is 0.306; w 1/0 is 0.207.
    expect(entries.map((e) => [e.llmId, e.ranks.wilson])).toEqual([
      ['x', 3],
      ['y', 1],
      ['z', 1],
      ['w', 4],
    ]);
  });

  it('ranks each category board on its own, by the same rule', () => {
    const llms: RankableLlm[] = [
      { id: 'a', name: 'A', categories: ['coding'] },
      { id: 'b', name: 'B', categories: ['coding', 'chat'] },
      { id: 'c', name: 'C', categories: ['chat'] },
      { id: 'd', name: 'D', categories: ['coding'] },
      { id: 'e', name: 'E', categories: ['coding'] },
    ];
    // Scores: a 5, b 2, c 9, d 2, e no votes. Overall: c 1, a 2, b 3, d 3, e none.
    // Coding (a, b, d, e): a 1, b 2, d 2, e none. Chat (b, c): c 1, b 2.
    const tallies = new Map([
      ['a', { up: 5, down: 0 }],
      ['b', { up: 3, down: 1 }],
      ['c', { up: 9, down: 0 }],
      ['d', { up: 2, down: 0 }],
    ]);
    const e = byId(computeEntries(llms, tallies));
    const on = (board: 'score' | 'coding:score' | 'chat:score') =>
      Object.fromEntries(
        [...e].flatMap(([id, x]) => (board in x.ranks ? [[id, x.ranks[board]]] : [])),
      );
    expect(on('score')).toEqual({ a: 2, b: 3, c: 1, d: 3, e: null });
    expect(on('coding:score')).toEqual({ a: 1, b: 2, d: 2, e: null });
    expect(on('chat:score')).toEqual({ b: 2, c: 1 });
  });

  it('counts a model without a tally as 0/0, unranked, and an empty catalogue as no entries', () => {
    expect(computeEntries([LLMS[3]!], new Map())).toEqual([
      {
        llmId: 'delta',
        up: 0,
        down: 0,
        score: 0,
        wilson: 0,
        trending: 0,
        ranks: { score: null, wilson: null, trending: null },
      },
    ]);
    expect(computeEntries([], new Map([['alpha', { up: 1, down: 0 }]]))).toEqual([]);
  });

  it('lists entries in the overall board’s display order: ranked, then no votes by name', () => {
    const entries = computeEntries(LLMS, new Map([['charlie', { up: 0, down: 1 }]]));
    expect(entries.map((x) => [x.llmId, x.ranks.score])).toEqual([
      ['charlie', 1],
      ['alpha', null],
      ['bravo', null],
      ['delta', null],
    ]);
  });
});

describe('diffEntries', () => {
  const before = computeEntries(
    LLMS,
    new Map([
      ['alpha', { up: 5, down: 0 }],
      ['bravo', { up: 3, down: 0 }],
      ['charlie', { up: 1, down: 0 }],
    ]),
  );

  it('is empty when nothing changed', () => {
    const same = computeEntries(
      LLMS,
      new Map([
        ['alpha', { up: 5, down: 0 }],
        ['bravo', { up: 3, down: 0 }],
        ['charlie', { up: 1, down: 0 }],
      ]),
    );
    expect(diffEntries(byId(before), same)).toEqual([]);
  });

  it('reports the voted model and every model whose rank moved', () => {
    // bravo overtakes alpha: both change rank; charlie and delta keep theirs.
    const after = computeEntries(
      LLMS,
      new Map([
        ['alpha', { up: 5, down: 0 }],
        ['bravo', { up: 7, down: 0 }],
        ['charlie', { up: 1, down: 0 }],
      ]),
    );
    const diff = diffEntries(byId(before), after);
    expect(diff.map((e) => e.llmId).sort()).toEqual(['alpha', 'bravo']);
    expect(byId(diff).get('alpha')!.ranks.score).toBe(2);
    expect(byId(diff).get('bravo')).toMatchObject({ up: 7, ranks: { score: 1 } });
  });

  it('reports a count change that moves no rank, and a model it has not seen', () => {
    const after = computeEntries(
      LLMS,
      new Map([
        ['alpha', { up: 5, down: 0 }],
        ['bravo', { up: 3, down: 0 }],
        ['charlie', { up: 1, down: 1 }],
      ]),
    );
    expect(diffEntries(byId(before), after).map((e) => e.llmId)).toEqual(['charlie']);

    const withoutDelta = new Map(byId(before));
    withoutDelta.delete('delta');
    expect(diffEntries(withoutDelta, before).map((e) => e.llmId)).toEqual(['delta']);
    expect(diffEntries(new Map(), before)).toEqual(before);
  });

  it('reports a model whose set of boards changed', () => {
    const recategorized = LLMS.map((l) =>
      l.id === 'delta' ? { ...l, categories: ['small' as const] } : l,
    );
    const after = computeEntries(
      recategorized,
      new Map([
        ['alpha', { up: 5, down: 0 }],
        ['bravo', { up: 3, down: 0 }],
        ['charlie', { up: 1, down: 0 }],
      ]),
    );
    expect(diffEntries(byId(before), after).map((e) => e.llmId)).toEqual(['delta']);
  });
});
