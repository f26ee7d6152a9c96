import { useEffect, useMemo, useSyncExternalStore } from 'react';

import type { ConnectionStore } from './connection-store.ts';
import { LiveModel, type LiveModelApi, type LiveModelState } from './live-model.ts';

export interface LiveModelDeps {
  api: LiveModelApi;
  store: ConnectionStore;
}

/**
 * One model's live tally and rank for its page.
 * @see LiveModel for the subscription and its polling fallback.
 */
export function useLiveModel(id: string, { api, store }: LiveModelDeps): LiveModelState {
  const model = useMemo(() => new LiveModel({ api, store, id }), [api, store, id]);
  useEffect(() => {
    model.start();
    return () => model.stop();
  }, [model]);
  return useSyncExternalStore(model.subscribe, model.getSnapshot);
}
