import type { LiveMessage, LlmCategory, RankingRow, RankingSort } from '@llmpt/shared';

export type { LiveMessage } from '@llmpt/shared';

/** A `tracked` message as `onData` receives it over ws and SSE alike. */
export interface TrackedMessage {
  id: string;
  data: LiveMessage;
}

/** How the live data reaches this tab. */
export type LiveTransport = 'ws' | 'sse' | 'polling';

/** The input of `telemetry.latency`. */
export interface LatencyReport {
  rttMs: number;
  transport: LiveTransport;
}

/** A leaderboard row, shaped like a `rankings.list` row so the page can show either. */
export type LiveRankingRow = RankingRow;

export interface BoardInput {
  sort?: RankingSort;
  category?: LlmCategory;
}

export interface LiveSubscriptionHandlers {
  onData?: (message: TrackedMessage) => void;
  onError?: (error: unknown) => void;
  onComplete?: () => void;
}

/**
 * The procedures the live library calls, written out rather than taken from `AppRouter` so the
 * library (and its test server) don't depend on the api's source compiling. `trpc.ts` assigns
 * the real `TRPCClient<AppRouter>` to it, which is where a contract drift fails typechecking.
 */
export interface LiveApi {
  rankings: {
    list: {
      query(input?: BoardInput, opts?: { signal?: AbortSignal }): Promise<LiveRankingRow[]>;
    };
    live: {
      subscribe(
        input: (BoardInput & { lastEventId?: string }) | undefined,
        opts: LiveSubscriptionHandlers,
      ): { unsubscribe(): void };
    };
  };
  telemetry: {
    latency: { mutate(input: LatencyReport): Promise<unknown> };
  };
}
