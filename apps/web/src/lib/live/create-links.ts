import {
  type TRPCLink,
  httpLink,
  httpSubscriptionLink,
  isTRPCClientError,
  splitLink,
  wsLink,
} from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';

import type { ConnectionStore } from './connection-store.ts';
import { TransportSwitch, type TransportSwitchOptions } from './transport-switch.ts';

export interface LiveLinksOptions extends Omit<TransportSwitchOptions, 'wsUrl'> {
  /** The tRPC endpoint, absolute or relative to the page (`/trpc`). */
  url: string;
  /** Defaults to `url` with the scheme swapped to ws/wss. */
  wsUrl?: string;
  /** EventSource ponyfill (Node 20 has none; every browser we serve has one). */
  EventSource?: typeof EventSource;
  store: ConnectionStore;
}

export interface LiveLinks<TRouter extends AnyTRPCRouter> {
  links: TRPCLink<TRouter>[];
  transport: TransportSwitch;
  /** Closes the sockets and stops retrying (tests; the page lives as long as the tab). */
  close(): void;
}

/** `/trpc` on an https page → `wss://host/trpc`. */
export function toWebSocketUrl(url: string, base = globalThis.location?.href): string {
  const resolved = new URL(url, base);
  resolved.protocol = resolved.protocol === 'https:' ? 'wss:' : 'ws:';
  return resolved.toString();
}

/**
 * The tRPC client's links: queries and mutations over `httpLink` (unbatched GETs, the api's
 * fast path), subscriptions over `wsLink`, or `httpSubscriptionLink` (SSE) when WebSockets
 * can't connect; when SSE fails too, `useLiveRankings` polls. Which one a new subscription
 * takes is decided when it starts, by the {@link TransportSwitch}; the transports themselves
 * are the stock links, so reconnects and `lastEventId` resumes behave as tRPC documents.
 * @see https://trpc.io/docs/client/links/splitLink
 * @see https://trpc.io/docs/client/links/wsLink
 * @see https://trpc.io/docs/client/links/httpSubscriptionLink
 */
export function createLiveLinks<TRouter extends AnyTRPCRouter>(
  opts: LiveLinksOptions,
): LiveLinks<TRouter> {
  const { url, EventSource, ...switchOpts } = opts;
  const transport = new TransportSwitch({
    ...switchOpts,
    wsUrl: opts.wsUrl ?? toWebSocketUrl(url),
  });
  // Built for any router and narrowed once at the end: the api sends plain JSON (no
  // transformer), and a generic TRouter can't prove that to the links' option types.
  const http = httpLink<AnyTRPCRouter>({ url });
  const sse = httpSubscriptionLink<AnyTRPCRouter, typeof globalThis.EventSource>({
    url,
    EventSource,
  });

  const subscriptions: TRPCLink<AnyTRPCRouter> = (runtime) => {
    const sseOp = sse(runtime);
    return ({ op, next }) => {
      const ws = transport.wsClient;
      if (ws) return wsLink<AnyTRPCRouter>({ client: ws })(runtime)({ op, next });
      // SSE reports its connection through `state` envelopes; the switch counts the failures.
      return observable((observer) =>
        sseOp({ op, next }).subscribe({
          next(envelope) {
            const result = envelope.result;
            if ('type' in result && result.type === 'state') {
              if (result.state === 'pending') transport.sseState('connected');
              else if (result.state === 'connecting' && result.error) transport.sseState('error');
            }
            observer.next(envelope);
          },
          error(err) {
            // An error with a body came from a procedure; one without is the stream itself.
            if (!isTRPCClientError(err) || !err.shape) transport.sseFatal();
            observer.error(err);
          },
          complete: () => observer.complete(),
        }),
      );
    };
  };

  return {
    links: [
      splitLink<AnyTRPCRouter>({
        condition: (op) => op.type === 'subscription',
        true: subscriptions,
        false: http,
      }) as TRPCLink<TRouter>,
    ],
    transport,
    close: () => transport.close(),
  };
}
