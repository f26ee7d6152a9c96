// Model search, shared by the page (which filters its board as the voter types) and `llm.list`,
// so both find the same models. Imports nothing: the page's first bundle carries it.

/** Lower case, accents and every character but letters and digits dropped: "GPT-4o" → "gpt4o". */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * The words of a query, folded; empty words dropped. "gpt4o", "GPT-4o" and "gpt 4o" all find
 * GPT-4o: punctuation and spacing never decide a match.
 */
export function searchTerms(query: string | undefined): string[] {
  return (query ?? '')
    .split(/\s+/)
    .map(foldForSearch)
    .filter((t) => t !== '');
}

/**
 * True when every term occurs in one of `fields` (folded the same way); no terms match
 * everything. Folding makes "gpt4o" match "GPT-4o" and "llama31" match "Llama 3.1".
 * @see searchTerms
 */
export function matchesSearch(terms: readonly string[], fields: readonly string[]): boolean {
  if (terms.length === 0) return true;
  const folded = fields.map(foldForSearch);
  return terms.every((t) => folded.some((f) => f.includes(t)));
}
