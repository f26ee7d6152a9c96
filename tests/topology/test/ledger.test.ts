import { describe, expect, it } from 'vitest';

import { type LedgerEntry, judge } from '../src/ledger.ts';

const e = (
  voter: number,
  llmId: string,
  value: 1 | -1 | 0,
  outcome: LedgerEntry['outcome'],
  status = outcome === 'acked' ? 200 : outcome === 'refused' ? 429 : 0,
): LedgerEntry => ({ voter, llmId, value, outcome, status, sentMs: 0, doneMs: 0 });

const ids = ['va', 'vb'];
const counts = (entries: Array<[string, number, number]>) =>
  new Map(entries.map(([id, up, down]) => [id, { up, down }]));

describe('judge: the ledger against Postgres', () => {
  it('finds nothing wrong when Postgres holds every last acknowledged ballot', () => {
    const entries = [e(0, 'm1', 1, 'acked'), e(0, 'm1', -1, 'acked'), e(1, 'm1', 1, 'acked')];
    const stored = {
      ballots: new Map([
        ['va|m1', -1],
        ['vb|m1', 1],
      ]),
      counts: counts([['m1', 1, 1]]),
    };
    expect(judge(entries, stored, ids)).toMatchObject({ lost: 0, doubleCounted: 0, acked: 3 });
  });

  it('counts an acknowledged ballot Postgres lacks as lost; a refused one never is', () => {
    const entries = [e(0, 'm1', 1, 'acked'), e(1, 'm2', 1, 'refused')];
    const stored = { ballots: new Map<string, number>(), counts: counts([]) };
    expect(judge(entries, stored, ids)).toMatchObject({ lost: 1, refused: 1 });
  });

  it('accepts either value after a vote that got no answer (or a 503), and says so', () => {
    const entries = [
      e(0, 'm1', 1, 'acked'),
      e(0, 'm1', -1, 'unknown'),
      e(1, 'm1', 1, 'refused', 503),
    ];
    for (const [a, b] of [
      [1, 0],
      [-1, 1],
    ]) {
      const stored = {
        ballots: new Map([
          ['va|m1', a!],
          ['vb|m1', b!],
        ]),
        counts: counts([]),
      };
      expect(judge(entries, stored, ids)).toMatchObject({ lost: 0, uncertain: 2, unknown: 1 });
    }
  });

  it('flags a model whose counts exceed its ballots (a vote counted twice)', () => {
    const stored = { ballots: new Map([['va|m1', 1]]), counts: counts([['m1', 2, 0]]) };
    expect(judge([e(0, 'm1', 1, 'acked')], stored, ids).doubleCounted).toBe(1);
  });
});
