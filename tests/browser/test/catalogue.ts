// Picks from the seeded catalogue, so tests need no hard-coded model ids and survive seed edits.
import { LLM_CATEGORIES, type Llm } from '@llmpt/shared';

export const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/**
 * A category and a search word inside it that match the same models whether a search looks at
 * names only or also at vendors and families, so the expectation holds for either; the search
 * must narrow the category and the category the catalogue.
 */
export function pickCategoryAndSearch(llms: Llm[]) {
  for (const category of LLM_CATEGORIES) {
    const inCategory = llms.filter((l) => l.categories.includes(category));
    if (inCategory.length < 3 || inCategory.length === llms.length) continue;
    for (const l of inCategory) {
      for (const q of l.name.toLowerCase().split(/[\s\-_.]+/)) {
        if (q.length < 3 || /^\d/.test(q)) continue;
        const byName = inCategory.filter((m) => m.name.toLowerCase().includes(q));
        const byAny = inCategory.filter((m) =>
          [m.name, m.vendor, m.family].some((f) => f.toLowerCase().includes(q)),
        );
        if (
          byName.length >= 2 &&
          byName.length === byAny.length &&
          byName.length < inCategory.length
        ) {
          return { category, q, expected: sorted(byName.map((m) => m.id)) };
        }
      }
    }
  }
  throw new Error('the catalogue has no category and search word to test with');
}

export function pickVendorWithOpenWeights(llms: Llm[]): string {
  const counts = new Map<string, { open: number; all: number }>();
  for (const l of llms) {
    const c = counts.get(l.vendor) ?? { open: 0, all: 0 };
    c.all++;
    if (l.openWeights) c.open++;
    counts.set(l.vendor, c);
  }
  // A vendor with open and closed models, so both filters narrow.
  const found = [...counts].find(([, c]) => c.open >= 1 && c.open < c.all);
  if (!found) throw new Error('no vendor has both open and closed models');
  return found[0];
}

/** An open-weights model with every fact given, in numbers whose digits any format keeps. */
export function withDetails(llms: Llm[]): Llm {
  const llm = llms.find(
    (l) =>
      l.openWeights &&
      l.releaseDate !== null &&
      l.parametersB !== null &&
      Number.isInteger(l.parametersB) &&
      l.parametersB >= 10 &&
      l.parametersB < 1000 &&
      l.contextWindow !== null &&
      l.contextWindow >= 10_000 &&
      l.contextWindow < 1_000_000,
  );
  if (!llm) throw new Error('no open-weights model in the catalogue has all its facts');
  return llm;
}
