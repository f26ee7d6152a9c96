import type { RankingRow } from './trpc.ts';

/** Rows whose model name, vendor or family contains `search` (case-insensitive). */
export function filterRows(rows: readonly RankingRow[], search: string): readonly RankingRow[] {
  const needle = search.trim().toLowerCase();
  if (needle === '') return rows;
  return rows.filter(({ llm }) =>
    [llm.name, llm.vendor, llm.family].some((field) => field.toLowerCase().includes(needle)),
  );
}
