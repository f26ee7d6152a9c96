import type { ConnectionStore } from './connection-store.ts';
import type { LiveTransport } from './live-contract.ts';

export interface TransportFeed {
  /** Ends the current feed (subscription or poller). */
  stop(): void;
  /** Starts the feed for a push transport (ws or SSE, as the link decides). */
  live(): void;
  /** Starts polling instead. */
  poll(): void;
}

/**
 * Runs `feed` for the app's current transport and restarts it whenever the transport changes
 * (ws/SSE → polling and back), as `LiveRankingsBoard` and `LiveModel` both need. Returns the
 * unfollow function, which also stops the feed.
 */
export function followTransport(store: ConnectionStore, feed: TransportFeed): () => void {
  let transport: LiveTransport | null = null;
  const follow = () => {
    const next = store.getSnapshot().transport;
    if (next === transport) return;
    transport = next;
    feed.stop();
    if (next === 'polling') feed.poll();
    else feed.live();
  };
  const unsubscribe = store.subscribe(follow);
  follow();
  return () => {
    unsubscribe();
    feed.stop();
  };
}
