import { describe, expect, it } from 'vitest';

import { foldForSearch, matchesSearch, searchTerms } from '../src/index.ts';

const finds = (query: string, ...fields: string[]) => matchesSearch(searchTerms(query), fields);

describe('model search', () => {
  it('ignores punctuation, spacing, case and accents', () => {
    expect(foldForSearch('GPT-4o mini')).toBe('gpt4omini');
    expect(foldForSearch('Mistral Médium 3')).toBe('mistralmedium3');
    for (const q of ['gpt4o', 'GPT-4o', 'gpt 4o', ' gpt-4O ', 'Gpt.4o']) {
      expect(finds(q, 'GPT-4o'), q).toBe(true);
    }
    expect(finds('llama31', 'Llama 3.1 70B')).toBe(true);
    expect(finds('medium', 'Mistral Médium 3')).toBe(true);
  });

  it('needs every word, each in some field', () => {
    expect(finds('meta llama', 'Llama 3.1 70B', 'Meta', 'Llama')).toBe(true);
    expect(finds('meta gemini', 'Llama 3.1 70B', 'Meta', 'Llama')).toBe(false);
    expect(finds('gpt4o', 'GPT-4', 'OpenAI', 'GPT-4')).toBe(false);
    expect(finds('claude', 'GPT-4o', 'OpenAI', 'GPT-4o')).toBe(false);
  });

  it('matches everything with no words', () => {
    expect(searchTerms('  - ')).toEqual([]);
    expect(finds('', 'anything')).toBe(true);
    expect(matchesSearch(searchTerms(undefined), ['x'])).toBe(true);
  });
});
