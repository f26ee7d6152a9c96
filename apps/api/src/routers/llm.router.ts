import {
  type Llm,
  type LlmHistory,
  llmByIdInputSchema,
  llmHistoryInputSchema,
  llmListInputSchema,
  llmLiveInputSchema,
  matchesSearch,
  searchTerms,
  wilsonLowerBound,
} from '@llmpt/shared';

import { appError } from '../errors.ts';
import { liveMessages, modelFilter } from '../realtime/live-messages.ts';
import { modelHistory } from '../services/model-reads.ts';
import { publicProcedure, router } from '../trpc.ts';

export const llmRouter = router({
  /** The active catalogue, filtered in memory from the L1 copy. */
  list: publicProcedure
    .meta({
      // An admin's change must reach every open page within a second. A page that heard of it
      // (live `config` message) asks with `catalogue: N` in the URL: a key nginx never saw, so
      // it cannot be served stale. A page that did not (first load, plain polling) gets what
      // nginx keeps; with 1 s here that is at most 1 s older than the api's copy, which reloads
      // within milliseconds of the change. nginx revalidates with the ETag after that (a 304).
      edgeTtlSec: 1,
      cacheVersion: (deps) => {
        const version = deps.catalogue.version();
        return version === null ? null : `c${version}`;
      },
    })
    .input(llmListInputSchema)
    .query(async ({ ctx, input }): Promise<Llm[]> => {
      if (input?.catalogue !== undefined) await ctx.deps.catalogue.atLeast(input.catalogue);
      const llms = await ctx.deps.catalogue.all();
      // Matched as the page's search box matches: "gpt4o" finds GPT-4o.
      const terms = searchTerms(input?.search);
      const vendor = input?.vendor?.toLowerCase();
      return llms.filter(
        (l) =>
          (!input?.category || l.categories.includes(input.category)) &&
          (!vendor || l.vendor.toLowerCase() === vendor) &&
          (input?.openWeights === undefined || l.openWeights === input.openWeights) &&
          matchesSearch(terms, [l.name, l.vendor, l.family]),
      );
    }),

  /**
   * One model with its live tally and overall rank by score, as the leaderboard ranks it (the
   * shared rank rule: ties share a rank; null while it has no votes, or before the ranker has
   * ranked a model added since its last tick).
   */
  byId: publicProcedure
    // A live tally: at most as old as the ranker's tick.
    .meta({ edgeTtlSec: 1 })
    .input(llmByIdInputSchema)
    .query(async ({ ctx, input }) => {
      const llm = await ctx.deps.catalogue.get(input.id);
      if (!llm) throw appError('UNKNOWN_MODEL', `No model with id "${input.id}"`);
      const tally = (await ctx.deps.voteStore.tallies([llm.id])).get(llm.id);
      const up = tally?.up ?? 0;
      const down = tally?.down ?? 0;
      const entry = ctx.deps.feed.entry(llm.id);
      // The ranker's rank when it has ranked the model; else the board `rankings.list` serves
      // (computed from tallies by the same rule before the ranker's first publication).
      const rank: number | null =
        entry && entry.ranks.score !== undefined
          ? entry.ranks.score
          : ((await ctx.deps.rankings.list({ sort: 'score' })).find((r) => r.llm.id === llm.id)
              ?.rank ?? null);
      return { ...llm, up, down, score: up - down, wilson: wilsonLowerBound(up, down), rank };
    }),

  /**
   * One model's hourly tally and overall rank over the last `days` days (default 30), oldest
   * first, from Postgres (`llm_score_history`, rolled by the worker): the model page's chart.
   */
  history: publicProcedure
    // Hourly points, rolled every 5 minutes.
    .meta({ edgeTtlSec: 60 })
    .input(llmHistoryInputSchema)
    .query(async ({ ctx, input }): Promise<LlmHistory> => {
      const llm = await ctx.deps.catalogue.get(input.id);
      if (!llm) throw appError('UNKNOWN_MODEL', `No model with id "${input.id}"`);
      return modelHistory(ctx.deps, llm, input.days);
    }),

  /** The room of one model's page: its live tally and ranks. */
  live: publicProcedure.input(llmLiveInputSchema).subscription(async ({ ctx, input, signal }) => {
    // Checked before the stream starts, so SSE answers an unknown model with a plain 404.
    if (!(await ctx.deps.catalogue.get(input.id))) {
      throw appError('UNKNOWN_MODEL', `No model with id "${input.id}"`);
    }
    return liveMessages(ctx.deps.feed, modelFilter(input.id), signal, input.lastEventId, {
      metrics: ctx.deps.metrics,
      room: 'model',
      config: ctx.deps.config,
    });
  }),
});
