import { useEffect, useSyncExternalStore } from 'react';

import type { VoteController, VoteState } from './vote-controller.ts';

/** The voter's ballots and the last vote alert; reads the ballots on first use. */
export function useVoteState(controller: VoteController): VoteState {
  useEffect(() => {
    void controller.start();
  }, [controller]);
  return useSyncExternalStore(controller.subscribe, controller.getSnapshot);
}
