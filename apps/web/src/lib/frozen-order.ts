import { type FocusEvent, useCallback, useMemo, useState } from 'react';

export interface Arranged<T> {
  rows: T[];
  /** Rows shown somewhere other than where the live order puts them. */
  moved: number;
}

/**
 * The rows in the `held` order (ids), each with its latest data; rows the held order doesn't know
 * (new on the board) go last, in live order, and rows gone from the board are dropped. Without a
 * held order, the live order.
 */
export function arrange<T>(
  rows: readonly T[],
  idOf: (row: T) => string,
  held: readonly string[] | null,
): Arranged<T> {
  if (!held) return { rows: [...rows], moved: 0 };
  const byId = new Map(rows.map((r) => [idOf(r), r]));
  const seen = new Set<string>();
  const out: T[] = [];
  for (const id of held) {
    const row = byId.get(id);
    if (row && !seen.has(id)) {
      out.push(row);
      seen.add(id);
    }
  }
  for (const row of rows) if (!seen.has(idOf(row))) out.push(row);
  const moved = out.reduce((n, row, i) => (rows[i] === row ? n : n + 1), 0);
  return { rows: out, moved };
}

export interface FrozenOrder<T> extends Arranged<T> {
  /** True while the pointer or the focus is inside the zone. */
  frozen: boolean;
  /** Applies the live order now (the "show" button), staying frozen on it. */
  release: () => void;
  /** Spread on the element whose hover or focus freezes the order. */
  zoneProps: {
    onPointerEnter: () => void;
    onPointerLeave: () => void;
    onFocus: (event: FocusEvent<HTMLElement>) => void;
    onBlur: (event: FocusEvent<HTMLElement>) => void;
  };
}

/**
 * Rows that don't move under the pointer: while the pointer is over the zone (the table) or the
 * focus is inside it, the order is held and only the rows' numbers change; the live order comes
 * back when both have left, or on `release`. Event-driven on purpose: no timers, and a row never
 * jumps away between a voter aiming and clicking.
 */
export function useFrozenOrder<T>(rows: readonly T[], idOf: (row: T) => string): FrozenOrder<T> {
  const [kept, setHeld] = useState<readonly string[] | null>(null);
  const [pointer, setPointer] = useState(false);
  const [focus, setFocus] = useState(false);
  // A zone unmounted under the pointer (an empty result) never hears it leave: without the
  // pointer or the focus inside, a held order left over means nothing.
  const frozen = pointer || focus;
  const held = frozen ? kept : null;
  const arranged = useMemo(() => arrange(rows, idOf, held), [rows, idOf, held]);
  const shownIds = useMemo(() => arranged.rows.map(idOf), [arranged, idOf]);
  const liveIds = useMemo(() => rows.map(idOf), [rows, idOf]);

  // Freezing holds the order on screen right now; unfreezing (both gone) lets go of it.
  const hold = useCallback(() => setHeld((h) => (frozen && h ? h : shownIds)), [frozen, shownIds]);
  const zoneProps = useMemo(
    () => ({
      onPointerEnter: () => {
        setPointer(true);
        hold();
      },
      onPointerLeave: () => {
        setPointer(false);
        if (!focus) setHeld(null);
      },
      onFocus: (event: FocusEvent<HTMLElement>) => {
        // A mouse click focuses the button it clicks, but the pointer already holds the order;
        // only keyboard (visible) focus should keep holding it after the pointer leaves.
        if (!isFocusVisible(event.target)) return;
        setFocus(true);
        hold();
      },
      onBlur: (event: FocusEvent<HTMLElement>) => {
        // Focus moving between two elements of the zone is not leaving it.
        if (event.currentTarget.contains(event.relatedTarget)) return;
        setFocus(false);
        if (!pointer) setHeld(null);
      },
    }),
    [focus, pointer, hold],
  );
  const release = useCallback(() => setHeld(liveIds), [liveIds]);

  return { ...arranged, frozen: held !== null, release, zoneProps };
}

function isFocusVisible(element: Element): boolean {
  try {
    return element.matches(':focus-visible');
  } catch {
    return true; // a browser without :focus-visible: any focus counts
  }
}

/** Where a row shown out of place will go when the order resumes. */
export type Displacement = 'up' | 'down' | null;

/**
 * The rows of a held order that are out of place, from their ranks in the order shown (null:
 * no rank, which belongs last): the fewest rows whose removal leaves the ranks non-decreasing,
 * i.e. all but a longest non-decreasing subsequence. One model jumping from rank 89 to 5 marks
 * that one row, not the 84 it jumped over. Each marked row says whether it will move up or down.
 */
export function outOfPlace(ranks: readonly (number | null)[]): Displacement[] {
  const key = (i: number) => ranks[i] ?? Number.POSITIVE_INFINITY;
  // Patience sorting: tails[k] is the index ending the best run of length k + 1 found so far.
  const tails: number[] = [];
  const before = new Array<number>(ranks.length).fill(-1);
  for (let i = 0; i < ranks.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(tails[mid] ?? 0) <= key(i)) lo = mid + 1;
      else hi = mid;
    }
    before[i] = lo > 0 ? (tails[lo - 1] ?? -1) : -1;
    tails[lo] = i;
  }
  const kept = new Set<number>();
  for (let i = tails.at(-1) ?? -1; i >= 0; i = before[i] ?? -1) kept.add(i);

  const out: Displacement[] = [];
  let above = Number.NEGATIVE_INFINITY; // the rank of the nearest kept row above
  for (let i = 0; i < ranks.length; i++) {
    if (kept.has(i)) {
      above = key(i);
      out.push(null);
    } else {
      out.push(key(i) < above ? 'up' : 'down');
    }
  }
  return out;
}
