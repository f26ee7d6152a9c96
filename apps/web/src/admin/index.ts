/**
 * The admin page's chunk: every route component of `/admin/*`, loaded by the router on the first
 * visit there (`lazyRouteComponent` in router.tsx), never by voters. One entry module, so one
 * chunk (uPlot is its own, shared with the model page).
 */
export { AdminLayout } from './layout.tsx';
export { OverviewPage } from './overview.tsx';
export { CataloguePage } from './catalogue.tsx';
export { FlagsPage } from './flags.tsx';
export { AuditPage } from './audit.tsx';
export { IntegrityQueuePage } from './integrity.tsx';
export { AdminNotFound } from './view.tsx';
