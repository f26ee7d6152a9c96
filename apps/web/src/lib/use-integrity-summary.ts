import type { IntegritySummary } from '@llmpt/shared';
import { useQuery } from '@tanstack/react-query';

import { summaryIsStale } from './integrity.ts';
import { configFeed, trpc } from './trpc.ts';

/**
 * `integrity.summary`: removed votes per model and in total. Read on first use and again when the
 * live feed's integrity version moves (`trpc.ts`); the slow poll covers a page without a live
 * feed. An answer older than the version the feed reported (an edge cache's copy from just
 * before the move) is asked again 5 s later. A failure shows nothing.
 */
export function useIntegritySummary(): IntegritySummary | undefined {
  return useQuery(
    trpc.integrity.summary.queryOptions(undefined, {
      staleTime: 60_000,
      refetchInterval: (query) =>
        summaryIsStale(query.state.data, configFeed.version('integrity') ?? 0) ? 5_000 : 5 * 60_000,
    }),
  ).data;
}
