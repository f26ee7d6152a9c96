import type { Llm } from '@llmpt/shared';
import { describe, expect, it } from 'vitest';

import { filterRows, matchVendor, vendorsOf } from './filter-rows.ts';

const row = (name: string, vendor: string, family: string, openWeights = false) => ({
  llm: { name, vendor, family, openWeights } as Llm,
});
const rows = [
  row('GPT-5', 'OpenAI', 'GPT'),
  row('Claude Opus 4', 'Anthropic', 'Claude'),
  row('Llama 3.1 70B', 'Meta', 'Llama', true),
  row('gpt-oss-120b', 'OpenAI', 'GPT', true),
];

describe('filterRows', () => {
  it('matches name, vendor or family, ignoring case and outer spaces', () => {
    expect(filterRows(rows, { q: ' gpt ' })).toEqual([rows[0], rows[3]]);
    expect(filterRows(rows, { q: 'anthropic' })).toEqual([rows[1]]);
    expect(filterRows(rows, { q: 'claude' })).toEqual([rows[1]]);
    expect(filterRows(rows, { q: 'mistral' })).toEqual([]);
  });

  it('ignores punctuation and spacing: "gpt5", "gpt 5" and "llama31" find their models', () => {
    expect(filterRows(rows, { q: 'gpt5' })).toEqual([rows[0]]);
    expect(filterRows(rows, { q: 'GPT 5' })).toEqual([rows[0]]);
    expect(filterRows(rows, { q: 'llama31' })).toEqual([rows[2]]);
    expect(filterRows(rows, { q: 'gptoss' })).toEqual([rows[3]]);
    expect(filterRows(rows, { q: 'meta 70b' })).toEqual([rows[2]]);
  });

  it('combines vendor (exact, any case), open weights and text', () => {
    expect(filterRows(rows, { vendor: 'openai' })).toEqual([rows[0], rows[3]]);
    expect(filterRows(rows, { vendor: 'Open' })).toEqual([]);
    expect(filterRows(rows, { open: true })).toEqual([rows[2], rows[3]]);
    expect(filterRows(rows, { vendor: 'OpenAI', open: true, q: 'oss' })).toEqual([rows[3]]);
  });

  it('keeps every row (the same array) without filters', () => {
    expect(filterRows(rows, { q: '  ' })).toBe(rows);
    expect(filterRows(rows, {})).toBe(rows);
  });
});

describe('vendorsOf', () => {
  it('lists each vendor once, sorted, keeping the selected one', () => {
    expect(vendorsOf(rows)).toEqual(['Anthropic', 'Meta', 'OpenAI']);
    expect(vendorsOf(rows.slice(0, 1), 'Mistral AI')).toEqual(['Mistral AI', 'OpenAI']);
    expect(vendorsOf(rows, 'openai')).toEqual(['Anthropic', 'Meta', 'OpenAI']);
  });
});

describe('matchVendor', () => {
  it('finds the vendor as shown whatever the case', () => {
    expect(matchVendor(['Meta', 'OpenAI'], ' openai ')).toBe('OpenAI');
    expect(matchVendor(['Meta'], 'Open')).toBeUndefined();
  });
});
