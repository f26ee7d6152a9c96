import type { AppRouter } from '@llmpt/api/router';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpLink } from '@trpc/client';
import { type inferOutput, createTRPCOptionsProxy } from '@trpc/tanstack-react-query';

import { env } from '../env.ts';
import { isClientFault } from './errors.ts';

/** The app's one query cache. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx (bad input, unknown model, rate limited) will fail the same way again.
      retry: (failureCount, error) => failureCount < 2 && !isClientFault(error),
    },
  },
});

/**
 * Unbatched on purpose: a single call is the api's fast path (batches go through the stock
 * adapter), and `httpLink` sends queries as cacheable GETs.
 * @see https://trpc.io/docs/client/links/httpLink
 */
export const trpcClient = createTRPCClient<AppRouter>({
  links: [httpLink({ url: env.trpcUrl })],
});

/**
 * Query/mutation options and keys for every procedure: `useQuery(trpc.rankings.list.queryOptions())`.
 * @see https://trpc.io/docs/client/tanstack-react-query/usage
 */
export const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });

export type RankingRow = inferOutput<typeof trpc.rankings.list>[number];
export type MyBallots = inferOutput<typeof trpc.vote.mine>;
