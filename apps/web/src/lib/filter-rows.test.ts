import { describe, expect, it } from 'vitest';

import { filterRows } from './filter-rows.ts';
import type { RankingRow } from './trpc.ts';

const row = (name: string, vendor: string, family: string) =>
  ({ llm: { name, vendor, family } }) as RankingRow;
const rows = [row('GPT-5', 'OpenAI', 'GPT'), row('Claude Opus 4', 'Anthropic', 'Claude')];

describe('filterRows', () => {
  it('matches name, vendor or family, ignoring case and outer spaces', () => {
    expect(filterRows(rows, ' gpt ')).toEqual([rows[0]]);
    expect(filterRows(rows, 'anthropic')).toEqual([rows[1]]);
    expect(filterRows(rows, 'claude')).toEqual([rows[1]]);
    expect(filterRows(rows, 'mistral')).toEqual([]);
  });

  it('keeps every row for an empty search', () => {
    expect(filterRows(rows, '  ')).toBe(rows);
  });
});
