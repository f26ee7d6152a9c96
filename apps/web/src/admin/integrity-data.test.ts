import { MAX_BAN_HOURS } from '@llmpt/shared';
import { describe, expect, it } from 'vitest';

import {
  canReview,
  confirmSummary,
  countName,
  dismissSummary,
  evidenceCounts,
  formatWindow,
  parseBanHours,
  shortHash,
} from './integrity-data.ts';

describe('review queue helpers', () => {
  it('pairs each count with its threshold, thresholds without a count last', () => {
    expect(
      evidenceCounts({
        counts: { newVoters: 300, models: 1 },
        thresholds: { newVoters: 50, minShare: 80 },
      }),
    ).toEqual([
      { name: 'newVoters', count: 300, threshold: 50 },
      { name: 'models', count: 1, threshold: null },
      { name: 'minShare', count: null, threshold: 80 },
    ]);
    expect(countName('newVoters')).toBe('new voters');
  });

  it('shortens hashes and words windows', () => {
    expect(shortHash('3f9a0c12d4e5b6a7980f')).toBe('3f9a0c12d4…');
    expect(shortHash('abc')).toBe('abc');
    expect(formatWindow(60)).toBe('60 s');
    expect(formatWindow(600)).toBe('10 min');
    expect(formatWindow(7200)).toBe('2 h');
    expect(formatWindow(5400)).toBe('1 h 30 min');
  });

  it('accepts whole ban hours within the api’s range only', () => {
    expect(parseBanHours(' 24 ')).toEqual({ hours: 24 });
    expect(parseBanHours('')).toHaveProperty('error');
    expect(parseBanHours('1.5')).toHaveProperty('error');
    expect(parseBanHours('0')).toEqual({ error: 'A ban lasts at least 1 hour.' });
    expect(parseBanHours(String(MAX_BAN_HOURS + 1))).toEqual({
      error: `A ban lasts at most ${MAX_BAN_HOURS} hours.`,
    });
  });

  it('says what each action will do', () => {
    const flag = { votes: 300, voters: 298 };
    expect(confirmSummary(flag, { voters: false, prefix: false, hours: 24 })).toBe(
      'Its 300 votes stay removed; nobody is banned.',
    );
    expect(confirmSummary(flag, { voters: true, prefix: true, hours: 48 })).toBe(
      'Its 300 votes stay removed, and 298 voter ids and its network can’t vote for 48 hours.',
    );
    expect(dismissSummary({ votes: 1 })).toMatch(/^Its 1 vote is restored/);
    expect(canReview({ status: 'open' })).toBe(true);
    expect(canReview({ status: 'voiding' })).toBe(false);
  });
});
