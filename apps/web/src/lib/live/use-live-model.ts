import { useEffect, useMemo, useSyncExternalStore } from 'react';

import type { ConfigFeed } from './config-feed.ts';
import type { ConnectionStore } from './connection-store.ts';
import { LiveModel, type LiveModelApi, type LiveModelState } from './live-model.ts';

export interface LiveModelDeps {
  api: LiveModelApi;
  store: ConnectionStore;
  config?: ConfigFeed;
}

/**
 * One model's live tally and rank for its page; `onCatalogue` hears of catalogue changes (the
 * page re-reads the model's details).
 * @see LiveModel for the subscription and its polling fallback.
 */
export function useLiveModel(
  id: string,
  { api, store, config }: LiveModelDeps,
  onCatalogue?: (version: number) => void,
): LiveModelState {
  const model = useMemo(() => new LiveModel({ api, store, id, config }), [api, store, id, config]);
  // Before `start` (effects run in order): the first `config` message already reaches it.
  useEffect(() => model.setOnCatalogue(onCatalogue), [model, onCatalogue]);
  useEffect(() => {
    model.start();
    return () => model.stop();
  }, [model]);
  return useSyncExternalStore(model.subscribe, model.getSnapshot);
}
