import { describe, expect, it } from 'vitest';

import { castVoteInputSchema, llmListInputSchema, wilsonLowerBound } from '../src/index.ts';

describe('castVoteInputSchema', () => {
  it('accepts up, down and retract', () => {
    for (const value of [1, -1, 0]) {
      expect(castVoteInputSchema.parse({ llmId: 'gpt-4o', value })).toEqual({
        llmId: 'gpt-4o',
        value,
      });
    }
  });

  it('rejects other values, extra fields and bad ids', () => {
    expect(castVoteInputSchema.safeParse({ llmId: 'gpt-4o', value: 2 }).success).toBe(false);
    expect(castVoteInputSchema.safeParse({ llmId: 'gpt-4o', value: '1' }).success).toBe(false);
    expect(castVoteInputSchema.safeParse({ llmId: 'gpt-4o', value: 1, voter: 'x' }).success).toBe(
      false,
    );
    expect(castVoteInputSchema.safeParse({ llmId: 'GPT 4o', value: 1 }).success).toBe(false);
    expect(castVoteInputSchema.safeParse({ llmId: 'a'.repeat(65), value: 1 }).success).toBe(false);
  });
});

describe('llmListInputSchema', () => {
  it('rejects unknown categories and unknown keys', () => {
    expect(llmListInputSchema.safeParse({ category: 'poetry' }).success).toBe(false);
    expect(llmListInputSchema.safeParse({ nope: true }).success).toBe(false);
    expect(llmListInputSchema.parse(undefined)).toBeUndefined();
  });
});

describe('wilsonLowerBound', () => {
  it('prefers many positive votes over few', () => {
    expect(wilsonLowerBound(90, 10)).toBeGreaterThan(wilsonLowerBound(2, 0));
    expect(wilsonLowerBound(0, 0)).toBe(0);
    expect(wilsonLowerBound(0, 5)).toBeCloseTo(0, 10);
  });

  it('matches a known value', () => {
    // 600 up / 400 down at 95 %: 0.5693...
    expect(wilsonLowerBound(600, 400)).toBeCloseTo(0.5693, 3);
  });
});
