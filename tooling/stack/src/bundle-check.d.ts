// Types of bundle-check.js (plain JavaScript, so bin/run-app.js can use it without a loader),
// for the workspaces that import @llmpt/stack without allowJs. Keep the two in step.

/** Written last by bundle.ts: every input's size and mtime when the bundle was built. */
export declare const BUILD_INFO: 'build-info.json';

/** The server apps, each bundled from apps/<name>/src/index.ts to apps/<name>/dist/index.js. */
export declare const SERVER_APPS: readonly ['api', 'worker'];

export type ServerApp = (typeof SERVER_APPS)[number];

/** Paths of an app's source entry and bundle. */
export declare function appPaths(
  root: string,
  app: ServerApp,
): { dir: string; entry: string; outdir: string; bundle: string };

/**
 * Why the bundle of `app` must be rebuilt, or null when it is fresh: every input still has the
 * size and mtime it had at build time.
 */
export declare function staleReason(root: string, app: ServerApp): string | null;
