/** One line of an audit entry's before/after: a field (dotted path) and both values as JSON. */
export interface DiffRow {
  /** `name`, `flags.enabled`; empty for a value that isn't an object. */
  path: string;
  /** JSON text, or null when the side has no such field (or no value at all). */
  before: string | null;
  after: string | null;
  changed: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaves of a value by dotted path: objects are walked, arrays and scalars are leaves. */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 && prefix !== '') out.set(prefix, '{}');
    for (const key of keys) flatten(value[key], prefix ? `${prefix}.${key}` : key, out);
    return;
  }
  if (value === undefined) return;
  out.set(prefix, JSON.stringify(value));
}

/**
 * A readable diff of an audit entry's `before` and `after` (either may be null: a creation has no
 * before, a deletion no after). Fields in `after`'s order, then those only `before` had; a field
 * is changed when its JSON differs (a missing side counts as different).
 */
export function diffJson(before: unknown, after: unknown): DiffRow[] {
  const b = new Map<string, string>();
  const a = new Map<string, string>();
  if (before !== null) flatten(before, '', b);
  if (after !== null) flatten(after, '', a);
  const paths = [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
  return paths.map((path) => {
    const bv = b.get(path) ?? null;
    const av = a.get(path) ?? null;
    return { path, before: bv, after: av, changed: bv !== av };
  });
}
