import { useSyncExternalStore } from 'react';

import type { ConnectionState, ConnectionStore } from '../lib/live/connection-store.ts';

const LABEL = {
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling',
} as const;

const TRANSPORT = {
  ws: 'Live updates over a WebSocket',
  sse: 'Live updates over server-sent events',
  polling: 'No live connection: the leaderboard is re-read every 5 seconds',
} as const;

/** The contract's three states; the first connection attempt shows as reconnecting. */
export function badgeState(status: ConnectionState['status']): keyof typeof LABEL {
  return status === 'connecting' ? 'reconnecting' : status;
}

/** Live / Reconnecting… / Polling, and the last measured round trip (docs/ui-contract.md). */
export function ConnectionBadge({ store }: { store: ConnectionStore }) {
  const { status, transport, latencyMs } = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const state = badgeState(status);
  return (
    <p
      className="connection"
      data-testid="connection-status"
      data-state={state}
      title={state === 'reconnecting' ? 'Trying to reach the server…' : TRANSPORT[transport]}
    >
      <span className="connection-dot" aria-hidden="true" />
      {LABEL[state]}
      {latencyMs !== null ? (
        <span className="connection-rtt"> {Math.round(latencyMs)} ms</span>
      ) : null}
    </p>
  );
}
