import type { IntegritySummary } from '@llmpt/shared';
import { useQuery } from '@tanstack/react-query';

import { trpc } from './trpc.ts';

/**
 * `integrity.summary`: removed votes per model and in total. Read on first use and again when the
 * live feed's integrity version moves (`trpc.ts`); the slow poll covers a page without a live
 * feed. A failure shows nothing (the board is not less true for lacking it).
 */
export function useIntegritySummary(): IntegritySummary | undefined {
  return useQuery(
    trpc.integrity.summary.queryOptions(undefined, {
      staleTime: 60_000,
      refetchInterval: 5 * 60_000,
    }),
  ).data;
}
