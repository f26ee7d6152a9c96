import { HIDE_RESULTS_FLAG } from '@llmpt/shared';
import { useFlag } from '@openfeature/react-sdk';
import { useEffect, useMemo, useSyncExternalStore } from 'react';

import type { VoteState } from '../votes/vote-controller.ts';
import type { HiddenResults } from './hidden-results.ts';
import type { RevealedTallies } from './revealed-tallies.ts';
import type { VoterFlagProvider } from './voter-flag-provider.ts';

/**
 * Whether this voter's results are hidden until they vote ('hide-results', evaluated by the
 * server through OpenFeature; off until the evaluation arrives and whenever it fails), and the
 * revealed tallies of the models they voted on, read again after each of their votes.
 */
export function useHiddenResults(
  store: RevealedTallies,
  votes: VoteState,
  provider: VoterFlagProvider,
): HiddenResults & {
  /** Ask for the revealed tallies again (the live feed moved a voted model); throttled. */
  refresh: () => void;
} {
  // A new options object per provider revision makes the SDK's hook evaluate again.
  const revision = useSyncExternalStore(provider.watch, provider.getRevision);
  const options = useMemo(() => ({ hookHints: { revision } }), [revision]);
  const hide = useFlag(HIDE_RESULTS_FLAG, false, options).value;
  const { tallies } = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const answered = votes.confirmation?.id;
  useEffect(() => {
    if (!hide) return;
    store.request();
    return () => store.stop();
  }, [hide, store, answered]);
  return useMemo(
    () => ({ hide, revealed: tallies, refresh: hide ? store.request : () => undefined }),
    [hide, tallies, store],
  );
}
