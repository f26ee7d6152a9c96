import {
  type Llm,
  llmByIdInputSchema,
  llmListInputSchema,
  llmLiveInputSchema,
  wilsonLowerBound,
} from '@llmpt/shared';

import { appError } from '../errors.ts';
import { liveMessages, modelFilter } from '../realtime/live-messages.ts';
import { publicProcedure, router } from '../trpc.ts';

export const llmRouter = router({
  /** The active catalogue, filtered in memory from the L1 copy. */
  list: publicProcedure.input(llmListInputSchema).query(async ({ ctx, input }): Promise<Llm[]> => {
    const llms = await ctx.deps.catalogue.all();
    const search = input?.search?.toLowerCase();
    const vendor = input?.vendor?.toLowerCase();
    return llms.filter(
      (l) =>
        (!input?.category || l.categories.includes(input.category)) &&
        (!vendor || l.vendor.toLowerCase() === vendor) &&
        (input?.openWeights === undefined || l.openWeights === input.openWeights) &&
        (!search ||
          l.name.toLowerCase().includes(search) ||
          l.vendor.toLowerCase().includes(search) ||
          l.family.toLowerCase().includes(search)),
    );
  }),

  /** One model with its live tally. */
  byId: publicProcedure.input(llmByIdInputSchema).query(async ({ ctx, input }) => {
    const llm = await ctx.deps.catalogue.get(input.id);
    if (!llm) throw appError('UNKNOWN_MODEL', `No model with id "${input.id}"`);
    const tally = (await ctx.deps.voteStore.tallies([llm.id])).get(llm.id);
    const up = tally?.up ?? 0;
    const down = tally?.down ?? 0;
    return { ...llm, up, down, score: up - down, wilson: wilsonLowerBound(up, down) };
  }),

  /** The room of one model's page: its live tally and ranks. */
  live: publicProcedure.input(llmLiveInputSchema).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    if (!(await ctx.deps.catalogue.get(input.id))) {
      throw appError('UNKNOWN_MODEL', `No model with id "${input.id}"`);
    }
    yield* liveMessages(ctx.deps.feed, modelFilter(input.id), signal, input.lastEventId, {
      metrics: ctx.deps.metrics,
      room: 'model',
    });
  }),
});
