import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

import { configFeed, liveApi } from '../lib/trpc.ts';
import { adminTrpc } from './client.ts';

/**
 * Keeps the admins' integrity queries (the review queue, the nav's pending count) current: the
 * voters' live feed sends a `config` message whenever the integrity version moves (a flag raised,
 * voided, confirmed or dismissed, here or by another admin), and every admin.integrity query is
 * then read again. The feed is the board's (`rankings.live`, rows ignored): admin pages load the
 * voters' tRPC module anyway. If it drops, the queries' slow poll still catches up.
 */
export function useIntegrityLive(enabled: boolean): void {
  const queryClient = useQueryClient();
  const seen = useRef(configFeed.version('integrity'));
  useEffect(() => {
    if (!enabled) return;
    const off = configFeed.subscribe((kind, version) => {
      if (kind !== 'integrity') return;
      // The first version heard is the one the queries were just read at.
      const first = seen.current === undefined;
      seen.current = version;
      if (!first)
        void queryClient.invalidateQueries({ queryKey: adminTrpc.admin.integrity.pathKey() });
    });
    const sub = liveApi.rankings.live.subscribe(undefined, {
      onData: (message) => {
        if (message.data.type === 'config') configFeed.note(message.data.config);
      },
    });
    return () => {
      off();
      sub.unsubscribe();
    };
  }, [enabled, queryClient]);
}
