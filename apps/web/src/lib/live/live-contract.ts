import {
  type LiveMessage,
  type LiveWindow,
  type LiveWireMessage,
  type LlmCategory,
  type RankingRow,
  type RankingSort,
  type SealedRankingRow,
  isSealed,
} from '@llmpt/shared';

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

/**
 * A `rankings.list` row as a voter with 'hide-results' on gets it: rank and model, the tally and
 * what is computed from it (trending, the rank range) withheld (null).
 */
export type SealedRow = SealedRankingRow;

/**
 * A leaderboard row, shaped like a `rankings.list` row so the page can show either. `sealed`:
 * the server withheld the tally (hide results until you vote); its numbers are then 0 and not
 * to be shown.
 */
export type LiveRankingRow = RankingRow & { sealed?: true };

/** A list row as the page keeps it: a sealed one's numbers as 0, marked `sealed`. */
export function fromListRow(row: RankingRow | SealedRow): LiveRankingRow {
  if (!isSealed(row)) return row as RankingRow;
  return { ...row, up: 0, down: 0, score: 0, wilson: 0, trending: 0, sealed: true };
}

export interface BoardInput {
  sort?: RankingSort;
  category?: LlmCategory;
}

export interface LiveSubscriptionHandlers {
  onData?: (message: TrackedMessage) => void;
  onError?: (error: unknown) => void;
  onComplete?: () => void;
}

/** `rankings.liveWindow`'s handlers: compact messages (live-wire.ts) and `config` ones. */
export interface LiveWindowHandlers {
  onData?: (message: { id: string; data: LiveWireMessage | LiveMessage }) => void;
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
      /** `catalogue`: the catalogue version the names must be at least as new as (a new URL). */
      query(
        input?: BoardInput & { catalogue?: number },
        opts?: { signal?: AbortSignal },
      ): Promise<Array<RankingRow | SealedRow>>;
    };
    live: {
      subscribe(
        input: (BoardInput & { lastEventId?: string }) | undefined,
        opts: LiveSubscriptionHandlers,
      ): { unsubscribe(): void };
    };
    /**
     * The board in the compact wire form for the ranks a page shows (issue 16). Optional so
     * hand-written test clients of `live` alone still fit; the real client has it.
     */
    liveWindow?: {
      subscribe(
        input: BoardInput & { window: LiveWindow; lastEventId?: string },
        opts: LiveWindowHandlers,
      ): { unsubscribe(): void };
    };
  };
  telemetry: {
    latency: { mutate(input: LatencyReport): Promise<unknown> };
  };
}
