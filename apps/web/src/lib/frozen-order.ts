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
