import { useSyncExternalStore } from 'react';

import type { ConnectionState, ConnectionStore } from '../lib/live/connection-store.ts';

const LABEL = {
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling',
} as const;

const TRANSPORT = {
  ws: 'Live: updates are pushed to this page (WebSocket).',
  sse: 'Live: updates are pushed to this page (server-sent events).',
  polling: 'No live connection: the leaderboard is re-read every 5 seconds.',
} as const;

const RTT = 'is the round trip: how long a message takes to reach the server and come back.';

/** The contract's three states; the first connection attempt shows as reconnecting. */
export function badgeState(status: ConnectionState['status']): keyof typeof LABEL {
  return status === 'connecting' ? 'reconnecting' : status;
}

/**
 * Live / Reconnecting… / Polling, and the last measured round trip (docs/ui-contract.md), which
 * says what it is: "42 ms round trip" (the word is dropped on narrow screens; the explanation
 * stays in the title and for screen readers).
 */
export function ConnectionBadge({ store }: { store: ConnectionStore }) {
  const { status, transport, latencyMs } = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const state = badgeState(status);
  const ms = latencyMs !== null ? Math.round(latencyMs) : null;
  const what = state === 'reconnecting' ? 'Trying to reach the server…' : TRANSPORT[transport];
  const explanation = ms !== null ? `${what} ${ms} ms ${RTT}` : what;
  return (
    <p
      className="connection"
      data-testid="connection-status"
      data-state={state}
      title={explanation}
    >
      <span className="connection-dot" aria-hidden="true" />
      {LABEL[state]}
      {ms !== null ? (
        <span className="connection-rtt">
          {' '}
          {ms} ms<span className="connection-rtt-word"> round trip</span>
        </span>
      ) : null}
      <span className="visually-hidden">{`. ${explanation}`}</span>
    </p>
  );
}
