/** An element of a one-dimensional array parameter; null and undefined are SQL NULL (as in pg). */
export type ArrayElement = string | number | boolean | null | undefined;

/**
 * Strings written bare in an array literal: nothing in them needs quoting or escaping (no quote,
 * backslash, comma, brace, space, and not empty). The word NULL, in any case, is the NULL element.
 */
const BARE = /^[A-Za-z0-9_.:+-]+$/;
const NULL_WORD = /^null$/i;

/**
 * One column of an unnest as a single parameter: the Postgres array literal ('{a,b,NULL}') built
 * with one pass when every element can be written bare (ids, ISO timestamps, numbers, booleans,
 * nulls), so pg does not quote and escape each element (~11 % of the flush worker's busy time
 * while draining, issue 14); otherwise the values themselves, which pg serializes as before. The SQL casts the
 * parameter (::text[], ::timestamptz[]...), so both forms read the same.
 */
export function pgArray<T>(
  items: readonly T[],
  element: (item: T) => ArrayElement,
): string | ArrayElement[] {
  let literal = '{';
  for (let i = 0; i < items.length; i++) {
    const value = element(items[i]!);
    let text: string;
    if (value === null || value === undefined) text = 'NULL';
    else if (typeof value === 'string') {
      if (!BARE.test(value) || (value.length === 4 && NULL_WORD.test(value)))
        return items.map(element);
      text = value;
    } else if (typeof value === 'number') {
      // NaN and the infinities are left to pg (quoted), like every other edge.
      if (!Number.isFinite(value)) return items.map(element);
      text = String(value);
    } else text = value ? 'true' : 'false';
    literal += i === 0 ? text : `,${text}`;
  }
  return `${literal}}`;
}
