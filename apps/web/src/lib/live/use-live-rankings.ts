import type { LlmCategory, RankingSort } from '@llmpt/shared';
import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';

import { liveDeps } from '../trpc.ts';
import type { ConfigFeed } from './config-feed.ts';
import type { ConnectionState, ConnectionStore } from './connection-store.ts';
import type { LiveApi } from './live-contract.ts';
import { LiveRankingsBoard, type LiveRankingsState } from './live-rankings-board.ts';
import { FIRST_SCREEN, watchVisibleWindow } from './visible-window.ts';

export interface UseLiveRankingsOptions {
  sort?: RankingSort;
  /** null or undefined: the whole board. */
  category?: LlmCategory | null;
  /** The models each live diff or snapshot carried. */
  onEntries?: (llmIds: readonly string[]) => void;
}

export interface LiveRankings extends LiveRankingsState {
  /** Status, transport and measured round trip, for a "live · 42 ms" badge. */
  connection: ConnectionState;
}

export interface LiveDeps {
  api: LiveApi;
  store: ConnectionStore;
  config?: ConfigFeed;
}

/**
 * The leaderboard, kept current by the live feed: rows in the board's rank order (snapshot plus
 * diffs, or polled `rankings.list` rows when no push transport works) and the connection state.
 * A new sort or category starts a new board (`loading` until its first rows).
 * @see LiveRankingsBoard for resume and fallback behaviour.
 */
export function useLiveRankings(
  { sort = 'score', category, onEntries }: UseLiveRankingsOptions = {},
  { api, store, config }: LiveDeps = liveDeps,
): LiveRankings {
  const board = useMemo(
    () =>
      new LiveRankingsBoard({
        api,
        store,
        config,
        sort,
        category: category ?? undefined,
        // The compact feed for the ranks on screen (issue 16), following the scroll.
        window: FIRST_SCREEN,
      }),
    [api, store, config, sort, category],
  );
  useEffect(() => board.setOnEntries(onEntries), [board, onEntries]);
  useEffect(() => {
    board.start();
    return () => board.stop();
  }, [board]);
  const state = useSyncExternalStore(board.subscribe, board.getSnapshot);
  // Which ranks are on screen: on scroll and resize, and when new rows (a diff, a filter) move
  // them; the board resubscribes when that leaves its bucket of 25 ranks.
  const watcher = useRef<ReturnType<typeof watchVisibleWindow> | null>(null);
  useEffect(() => {
    if (typeof window === 'undefined') return;
    const w = watchVisibleWindow(
      () => board.getSnapshot().rows,
      (ranks) => board.setWindow(ranks),
    );
    watcher.current = w;
    return () => {
      w.stop();
      watcher.current = null;
    };
  }, [board]);
  useEffect(() => watcher.current?.refresh(), [state.rows]);
  const connection = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return useMemo(() => ({ ...state, connection }), [state, connection]);
}
