import { leaderboardSearchSchema } from '@llmpt/shared';
import {
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
} from '@tanstack/react-router';

import { parseSearch, stringifySearch } from './lib/search-params.ts';
import { LeaderboardPage } from './routes/leaderboard.tsx';
import { NotFoundPage } from './routes/not-found.tsx';
import { RootLayout } from './routes/root-layout.tsx';

const rootRoute = createRootRoute({ component: RootLayout, notFoundComponent: NotFoundPage });

const leaderboardRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  // Each parameter is checked on its own and a bad one dropped: a mangled URL shows a view.
  validateSearch: leaderboardSearchSchema,
  component: LeaderboardPage,
});

/** The model page and uPlot are a separate chunk, loaded when a model page is first opened. */
const modelRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/models/$id',
  component: lazyRouteComponent(() => import('./routes/model-page.tsx'), 'ModelPage'),
});

/** How ranks, ties, Wilson and limits work: prose nobody needs on the first page, so a chunk. */
const methodologyRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/methodology',
  component: lazyRouteComponent(() => import('./routes/methodology.tsx'), 'MethodologyPage'),
});

const routeTree = rootRoute.addChildren([leaderboardRoute, modelRoute, methodologyRoute]);

/**
 * Code-based routes (three pages don't need the file-based generator). Search parameters are
 * plain `URLSearchParams` (`?q=llama&open=1`), not the router's default JSON encoding.
 * @see https://tanstack.com/router/latest/docs/framework/react/guide/code-based-routing
 */
export const router = createRouter({
  routeTree,
  parseSearch,
  stringifySearch,
  defaultPreload: 'intent',
  scrollRestoration: true,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
