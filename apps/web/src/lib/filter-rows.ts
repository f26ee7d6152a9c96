import { type Llm, matchesSearch, searchTerms } from '@llmpt/shared';

export interface RowFilters {
  /**
   * Words in the model's name, vendor or family, each somewhere; case, accents, punctuation and
   * spacing don't matter ("gpt4o" finds GPT-4o). The same matching as `llm.list`.
   */
  q?: string | undefined;
  /** The vendor as shown (case-insensitive). */
  vendor?: string | undefined;
  /** Open-weights models only. */
  open?: boolean | undefined;
}

/**
 * The rows passing every filter, in their order. The board holds the whole catalogue (≈100
 * models), so search, vendor and open weights filter here, as the voter types; category and
 * sort pick the board itself.
 */
export function filterRows<T extends { llm: Llm }>(
  rows: readonly T[],
  filters: RowFilters,
): readonly T[] {
  const terms = searchTerms(filters.q);
  const vendor = filters.vendor?.trim().toLowerCase() ?? '';
  if (terms.length === 0 && vendor === '' && !filters.open) return rows;
  return rows.filter(
    ({ llm }) =>
      (!filters.open || llm.openWeights) &&
      (vendor === '' || llm.vendor.toLowerCase() === vendor) &&
      matchesSearch(terms, [llm.name, llm.vendor, llm.family]),
  );
}

/**
 * The vendors on a board, sorted for a select. `selected` (from the URL, any case) is added when
 * no row has it, so the select can still show it.
 */
export function vendorsOf(rows: readonly { llm: Llm }[], selected?: string): string[] {
  const names = new Set(rows.map((r) => r.llm.vendor));
  if (selected && matchVendor([...names], selected) === undefined) names.add(selected);
  return [...names].sort((a, b) => a.localeCompare(b));
}

/** The vendor of `vendors` that `value` names (ignoring case). */
export function matchVendor(vendors: readonly string[], value: string): string | undefined {
  const wanted = value.trim().toLowerCase();
  return vendors.find((v) => v.toLowerCase() === wanted);
}
