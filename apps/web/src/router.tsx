import { leaderboardSearchSchema } from '@llmpt/shared';
import {
  Outlet,
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  useRouterState,
} from '@tanstack/react-router';

import { parseSearch, stringifySearch } from './lib/search-params.ts';
import { LeaderboardPage } from './routes/leaderboard.tsx';
import { NotFoundPage } from './routes/not-found.tsx';
import { RootLayout } from './routes/root-layout.tsx';

/** The admins' pages bring their own header and layout (`admin/layout.tsx`); voters' get theirs. */
function AppRoot() {
  const admin = useRouterState({ select: (s) => isAdminPath(s.location.pathname) });
  return admin ? <Outlet /> : <RootLayout />;
}

const isAdminPath = (pathname: string) => pathname === '/admin' || pathname.startsWith('/admin/');

const rootRoute = createRootRoute({ component: AppRoot, notFoundComponent: NotFoundPage });

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

/** How votes are checked (issue 13): the integrity checks, statuses and privacy notes. */
const integrityRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/integrity',
  component: lazyRouteComponent(() => import('./routes/integrity.tsx'), 'IntegrityPage'),
});

/**
 * `/admin/*` (issue 12): one lazy chunk for every admin view, fetched on the first visit there,
 * so voters never download it. The layout shows the sign-in form in place of a view while
 * signed out, at the same URL. `/admin/queues` is the api's BullMQ board, not a route here.
 */
const adminChunk = () => import('./admin/index.ts');
const adminRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/admin',
  component: lazyRouteComponent(adminChunk, 'AdminLayout'),
  notFoundComponent: lazyRouteComponent(adminChunk, 'AdminNotFound'),
});
const adminOverviewRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: '/',
  component: lazyRouteComponent(adminChunk, 'OverviewPage'),
});
const adminCatalogueRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: '/catalogue',
  component: lazyRouteComponent(adminChunk, 'CataloguePage'),
});
const adminFlagsRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: '/flags',
  component: lazyRouteComponent(adminChunk, 'FlagsPage'),
});
const adminAuditRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: '/audit',
  component: lazyRouteComponent(adminChunk, 'AuditPage'),
});
const adminIntegrityRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: '/integrity',
  component: lazyRouteComponent(adminChunk, 'IntegrityQueuePage'),
});

const routeTree = rootRoute.addChildren([
  leaderboardRoute,
  modelRoute,
  methodologyRoute,
  integrityRoute,
  adminRoute.addChildren([
    adminOverviewRoute,
    adminCatalogueRoute,
    adminFlagsRoute,
    adminIntegrityRoute,
    adminAuditRoute,
  ]),
]);

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
