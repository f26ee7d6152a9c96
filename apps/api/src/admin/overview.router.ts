import { type Overview, overviewInputSchema } from '@llmpt/shared';

import { adminProcedure } from '../trpc.ts';
import { readOverview } from './overview/read-overview.ts';

/**
 * `admin.overview({ sinceMs })`: the last hour of every process's metrics, step by step (votes
 * by outcome, acknowledged vs flushed, outbox lag, sockets, ranker tick, cache hits, queue
 * depths, error rate). Works in every topology: it reads what each process samples into Redis,
 * not Prometheus.
 * @see readOverview
 */
export const adminOverviewProcedure = adminProcedure
  .input(overviewInputSchema)
  .query(({ ctx, input }): Promise<Overview> => readOverview(ctx.deps, input?.sinceMs));
