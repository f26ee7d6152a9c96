// @llmpt/stack: the one way to start api and worker processes, shared by `npm start`
// (scripts/start.ts), the end-to-end and browser tests and the benchmarks.
export { spawnApp } from './app-process.ts';
export type { AppProcess, AppSpec, Exit, Output, RunMode } from './app-process.ts';
export { SERVER_APPS, appPaths, staleReason } from './bundle-check.js';
export type { ServerApp } from './bundle-check.js';
export { bundleApp, bundleIfStale, repoRoot } from './bundle.ts';
export type { BundleResult } from './bundle.ts';
export { prepareDatabase } from './database.ts';
export { acceptsVotes, answers200, waitUntil } from './health.ts';
export { onParentExit } from './parent.ts';
export { USUAL_METRICS_PORT, createStack, startStack } from './stack.ts';
export type { ApiProcess, MetricsPorts, Stack, StackOptions, WorkerProcess } from './stack.ts';
export { buildWebIfStale, webDist, webStaleReason } from './web-build.ts';
