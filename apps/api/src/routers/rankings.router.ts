import {
  type ModelTally,
  type RankingsAsOf,
  type RankingsMovers,
  type RankingsTrends,
  boardKey,
  rankingsAsOfInputSchema,
  rankingsListInputSchema,
  rankingsMoversInputSchema,
  rankingsLiveInputSchema,
  rankingsLiveWindowInputSchema,
  rankingsTrendsInputSchema,
} from '@llmpt/shared';

import { appError } from '../errors.ts';
import { readVariant, resultsSealed } from '../flags/fingerprint.ts';
import { revealedTallies, rowsFor, sealedFilter } from '../flags/sealed.ts';
import { boardFilter, liveMessages, liveWireMessages } from '../realtime/live-messages.ts';
import { publicProcedure, router } from '../trpc.ts';

export const rankingsRouter = router({
  /** The leaderboard: rank, model, up, down, score and Wilson lower bound. */
  list: publicProcedure
    // The board moves with every ranker tick (≥ 250 ms): one second at the edge, revalidated
    // with the ETag after that.
    .meta({
      edgeTtlSec: 1,
      cacheVersion: (deps) => deps.rankings.version(),
      // Sealed ('hide-results' on for the caller) or open: cached and kept at the edge apart.
      variant: readVariant,
    })
    .input(rankingsListInputSchema)
    .query(async ({ ctx, input }) => {
      // A page that heard of a catalogue change asks for it (see llm.list).
      if (input?.catalogue !== undefined) await ctx.deps.catalogue.atLeast(input.catalogue);
      const rows = await ctx.deps.rankings.list({
        sort: input?.sort ?? 'score',
        category: input?.category,
      });
      return rowsFor(ctx, rows);
    }),

  /**
   * The tallies of the models the calling voter has voted on: a sealed board ('hide-results')
   * shows these and withholds the rest. Per voter: never cached.
   */
  revealed: publicProcedure.query(({ ctx }): Promise<ModelTally[]> => revealedTallies(ctx)),

  /**
   * Every model's hourly score and overall rank over the last `hours` hours (default 24), oldest
   * first: the leaderboard's sparklines and rank-change arrows. Served from an L1 copy refreshed
   * at most once a minute per window.
   */
  trends: publicProcedure
    .meta({ edgeTtlSec: 60 })
    .input(rankingsTrendsInputSchema)
    .query(({ ctx, input }): Promise<RankingsTrends> => ctx.deps.trends.get(input?.hours ?? 24)),

  /**
   * The board as it stood at the end of a past hour (`at`, floored to its hour), from the stored
   * hourly history, ranked by the live board's rules. A finished hour never changes: its board
   * is kept an hour in process; the current hour's 60 s (it is rolled every 5 minutes).
   */
  asOf: publicProcedure
    .meta({ edgeTtlSec: 60 })
    .input(rankingsAsOfInputSchema)
    .query(({ ctx, input }): Promise<RankingsAsOf> => {
      const at = new Date(input.at);
      if (at.getTime() > Date.now()) {
        throw appError('FUTURE_TIME', `"at" (${input.at}) is in the future: history ends now`);
      }
      return ctx.deps.history.asOf(at, input.sort, input.category);
    }),

  /** The biggest movers (rank, then score) over the last 24 h or 7 d of stored history. */
  movers: publicProcedure
    .meta({ edgeTtlSec: 60 })
    .input(rankingsMoversInputSchema)
    .query(({ ctx, input }): Promise<RankingsMovers> =>
      ctx.deps.history.movers(input?.window ?? '24h', input?.limit ?? 5),
    ),

  /**
   * Live leaderboard: a snapshot, then coalesced diffs (a few per second at most), each tracked
   * with its global id; `lastEventId` resumes on any api instance (replay, or a fresh snapshot).
   */
  live: publicProcedure.input(rankingsLiveInputSchema).subscription(({ ctx, input, signal }) => {
    const board = boardKey(input?.sort ?? 'score', input?.category);
    const filter = resultsSealed(ctx) ? sealedFilter(boardFilter(board)) : boardFilter(board);
    return liveMessages(ctx.deps.feed, filter, signal, input?.lastEventId, {
      metrics: ctx.deps.metrics,
      room: 'board',
      config: ctx.deps.config,
    });
  }),

  /**
   * The live board in the compact wire form for a page showing the ranks `window` (issue 16,
   * realtime/board-window.ts): a compact snapshot, then diffs with the window's entries every
   * tick and the others at most every 5 s (LIVE_OUTSIDE_WINDOW_MS). Over ws, LiveRooms serves it (rooms per board and
   * window bucket); this generator serves SSE and in-process callers.
   */
  liveWindow: publicProcedure
    .input(rankingsLiveWindowInputSchema)
    .subscription(({ ctx, input, signal }) => {
      const board = boardKey(input.sort, input.category);
      const filter = resultsSealed(ctx) ? sealedFilter(boardFilter(board)) : boardFilter(board);
      return liveWireMessages(ctx.deps.feed, board, filter, input.window, signal, {
        metrics: ctx.deps.metrics,
        config: ctx.deps.config,
      });
    }),
});
