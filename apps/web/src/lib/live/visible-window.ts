import type { LiveWindow } from '@llmpt/shared';

import type { LiveRankingRow } from './live-contract.ts';

/** Rows above and below the screen kept live too, so a short scroll shows current numbers. */
const MARGIN_ROWS = 5;

/** The board's first screen before any row is laid out (the page opens at the top). */
export const FIRST_SCREEN: LiveWindow = { from: 1, to: 25 };

/**
 * The ranks of the board rows (`tr[data-llm-id]` inside `root`) that are on screen, widened by a
 * few rows each way; null when none is (nothing rendered yet, or the board is scrolled away).
 * A model without a rank sits after the ranked ones: it counts as the first position past them
 * (ranked + 1), so a window reaching it takes in every unranked model, as the server's
 * `inWindow` has it (`to` > the ranked count). Not the board's last position: on a board with few
 * or no votes the first screen is all unranked, and its window must stay the first bucket.
 */
export function visibleWindow(
  root: ParentNode,
  rows: readonly LiveRankingRow[],
  viewportHeight: number,
): LiveWindow | null {
  const rankOf = new Map(rows.map((r) => [r.llm.id, r.rank]));
  const ranked = rows.filter((r) => r.rank !== null).length;
  let from = Infinity;
  let to = -Infinity;
  for (const el of root.querySelectorAll<HTMLElement>('tr[data-llm-id]')) {
    const rect = el.getBoundingClientRect();
    if (rect.bottom <= 0 || rect.top >= viewportHeight || rect.height === 0) continue;
    const rank = rankOf.get(el.dataset.llmId ?? '');
    if (rank === undefined) continue;
    const position = rank ?? ranked + 1;
    from = Math.min(from, position);
    to = Math.max(to, position);
  }
  if (from === Infinity) return null;
  return { from: Math.max(1, from - MARGIN_ROWS), to: to + MARGIN_ROWS };
}

/**
 * Calls `onWindow` with the visible window now, on every scroll and resize (once per frame) and
 * whenever `refresh` is called (new rows). Returns the stop function and the refresh.
 */
export function watchVisibleWindow(
  rows: () => readonly LiveRankingRow[],
  onWindow: (window: LiveWindow) => void,
  win: Window = window,
): { stop(): void; refresh(): void } {
  let frame: number | null = null;
  const measure = () => {
    frame = null;
    const w = visibleWindow(win.document, rows(), win.innerHeight);
    if (w) onWindow(w);
  };
  const refresh = () => {
    if (frame === null) frame = win.requestAnimationFrame(measure);
  };
  win.addEventListener('scroll', refresh, { passive: true });
  win.addEventListener('resize', refresh, { passive: true });
  refresh();
  return {
    refresh,
    stop() {
      win.removeEventListener('scroll', refresh);
      win.removeEventListener('resize', refresh);
      if (frame !== null) win.cancelAnimationFrame(frame);
    },
  };
}
