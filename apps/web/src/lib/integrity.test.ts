import type { IntegritySummary } from '@llmpt/shared';
import { describe, expect, it } from 'vitest';

import {
  ownVoteStatus,
  removedLabel,
  removedMark,
  removedOf,
  removedTotalText,
  summaryIsStale,
} from './integrity.ts';

const summary: IntegritySummary = {
  version: 4,
  removedTotal: 1234,
  removedByModel: { alpha: 12, beta: 1222 },
  underReview: 56,
};

describe('integrity summary', () => {
  it('is read again only for a newer version', () => {
    expect(summaryIsStale(undefined, 0)).toBe(true);
    expect(summaryIsStale(summary, 5)).toBe(true);
    expect(summaryIsStale(summary, 4)).toBe(false);
    expect(summaryIsStale(summary, 3)).toBe(false);
  });

  it('gives each model its removed count, 0 for the rest', () => {
    expect(removedOf(summary, 'alpha')).toBe(12);
    expect(removedOf(summary, 'gamma')).toBe(0);
    expect(removedOf(undefined, 'alpha')).toBe(0);
  });

  it('words the marks and the total', () => {
    expect(removedMark(1222)).toBe('−1,222 removed');
    expect(removedLabel(1)).toBe('1 vote removed by integrity checks');
    expect(removedTotalText(summary)).toBe(
      '1,234 votes removed by integrity checks (56 under review)',
    );
    expect(removedTotalText({ ...summary, underReview: 0 })).toBe(
      '1,234 votes removed by integrity checks',
    );
    expect(removedTotalText({ ...summary, removedTotal: 0 })).toBeNull();
  });

  it('labels a vote that does not count, nothing for a counted one', () => {
    expect(ownVoteStatus('counted')).toBeNull();
    expect(ownVoteStatus('under_review')?.label).toBe('Under review');
    expect(ownVoteStatus('removed')?.label).toBe('Removed');
  });
});
