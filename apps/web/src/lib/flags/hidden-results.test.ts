import type { Llm } from '@llmpt/shared';
import { describe, expect, it } from 'vitest';

import type { LiveRankingRow } from '../live/live-contract.ts';
import type { VoteState } from '../votes/vote-controller.ts';
import { shownRow } from './hidden-results.ts';

const row = (id: string, up: number, down: number, sealed = false): LiveRankingRow => ({
  rank: 1,
  llm: { id, name: id } as Llm,
  trending: 0,
  provisional: false,
  rankRange: null,
  ...(sealed
    ? { up: 0, down: 0, score: 0, wilson: 0, sealed: true }
    : { up, down, score: up - down, wilson: 0.5 }),
});

const state = (
  ballots: Record<string, 1 | -1>,
  ack?: { id: string; up: number; down: number },
): VoteState => ({
  ready: true,
  alert: null,
  confirmation: null,
  votes: new Map(
    Object.entries(ballots).map(([id, b]) => [
      id,
      {
        confirmed: b,
        desired: b,
        inFlight: false,
        status: 'counted' as const,
        ack:
          ack?.id === id
            ? { tally: { up: ack.up, down: ack.down }, from: 0, to: b, liveAtSend: null }
            : null,
      },
    ]),
  ),
});

describe('shownRow', () => {
  it('shows every tally when results are not hidden', () => {
    expect(shownRow(row('a', 3, 1), state({}), { hide: false, revealed: new Map() })).toMatchObject(
      {
        up: 3,
        down: 1,
        score: 2,
      },
    );
  });

  it('seals a model the voter has not voted on, keeping its rank', () => {
    const shown = shownRow(row('a', 3, 1), state({}), { hide: true, revealed: new Map() });
    expect(shown).toMatchObject({ rank: 1, sealed: true, up: 0, down: 0, score: 0 });
  });

  it('shows a voted model’s revealed tally, with a consistent score and Wilson bound', () => {
    const shown = shownRow(row('a', 0, 0, true), state({ a: 1 }), {
      hide: true,
      revealed: new Map([['a', { up: 9, down: 1, trending: 6.25 }]]),
    });
    expect(shown.sealed).toBeUndefined();
    expect(shown).toMatchObject({ up: 9, down: 1, score: 8, trending: 6.25 });
    expect(shown.wilson).toBeGreaterThan(0.5);
  });

  it('uses the vote’s answer until the revealed tallies are read, and stays sealed without either', () => {
    const hidden = { hide: true, revealed: new Map() };
    expect(
      shownRow(row('a', 0, 0, true), state({ a: -1 }, { id: 'a', up: 2, down: 5 }), hidden),
    ).toMatchObject({
      up: 2,
      down: 5,
      score: -3,
    });
    expect(shownRow(row('a', 0, 0, true), state({ a: -1 }), hidden).sealed).toBe(true);
  });

  it('keeps a row the server sealed hidden even with the flag off here (evaluation failed)', () => {
    expect(
      shownRow(row('a', 0, 0, true), state({}), { hide: false, revealed: new Map() }).sealed,
    ).toBe(true);
  });
});
