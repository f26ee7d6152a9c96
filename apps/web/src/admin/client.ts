import type { AppRouter } from '@llmpt/api/router';
import { ADMIN_CSRF_HEADER } from '@llmpt/shared';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpLink } from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';

import { env } from '../env.ts';
import { isUnauthorized, shouldRetry } from './errors.ts';
import { session } from './session.ts';

/**
 * The admin page's own tRPC client (this chunk only; voters never load it). Unbatched `httpLink`
 * as the voter client: a single call takes the api's lean route. Same-origin, so the admin
 * session cookie (SameSite=Strict) goes with every call; mutations also carry the session's
 * CSRF token, which the page learns from `AdminMe` (it is not readable from a cookie).
 * @see https://trpc.io/docs/client/headers
 */
export const adminClient = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: env.trpcUrl,
      fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
      headers: ({ op }) => {
        const token = session.csrfToken();
        return op.type === 'mutation' && token ? { [ADMIN_CSRF_HEADER]: token } : {};
      },
    }),
  ],
});

/** A 401 from any admin call means the session is gone: back to the sign-in form. */
function onError(error: unknown): void {
  if (isUnauthorized(error)) session.ended();
}

/**
 * The admin page's query cache, apart from the voters': its own retry rule (never a 4xx) and a
 * 401 anywhere ending the session on screen. Cleared at sign-out so the next admin on this
 * browser never sees the previous one's data.
 */
export const adminQueryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: { retry: shouldRetry, refetchOnWindowFocus: false },
    mutations: { retry: false },
  },
});

session.onLeave(() => adminQueryClient.clear());

export const adminTrpc = createTRPCOptionsProxy<AppRouter>({
  client: adminClient,
  queryClient: adminQueryClient,
});
