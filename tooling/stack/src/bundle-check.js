// @ts-check
/**
 * Whether a server app's bundle (apps/<app>/dist, written by bundle.ts) still matches its
 * sources. Plain JavaScript: bin/run-app.js asks before it imports the bundle, in the app's own
 * process, where no TypeScript loader runs.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Written last by bundle.ts: every input's size and mtime when the bundle was built. */
export const BUILD_INFO = 'build-info.json';

/** The server apps, each bundled from apps/<name>/src/index.ts to apps/<name>/dist/index.js. */
export const SERVER_APPS = /** @type {const} */ (['api', 'worker']);

/** @typedef {(typeof SERVER_APPS)[number]} ServerApp */

/**
 * @typedef {object} BuildInfo
 * @property {Record<string, [size: number, mtimeMs: number]>} inputs
 *   Repository-relative path of every file the bundle was made from (sources, assets copied
 *   beside it, package.json files, the bundler itself).
 */

/**
 * Paths of an app's source entry and bundle.
 * @param {string} root repository root
 * @param {ServerApp} app
 */
export function appPaths(root, app) {
  const dir = path.join(root, 'apps', app);
  return {
    dir,
    entry: path.join(dir, 'src', 'index.ts'),
    outdir: path.join(dir, 'dist'),
    bundle: path.join(dir, 'dist', 'index.js'),
  };
}

/**
 * Why the bundle of `app` must be rebuilt, or null when it is fresh: every input still has the
 * size and mtime it had at build time (a stat per file, ~100 files: a few milliseconds).
 * @param {string} root repository root
 * @param {ServerApp} app
 * @returns {string | null}
 */
export function staleReason(root, app) {
  /** @type {BuildInfo} */
  let info;
  try {
    const file = path.join(appPaths(root, app).outdir, BUILD_INFO);
    const parsed = /** @type {unknown} */ (JSON.parse(readFileSync(file, 'utf8')));
    info = /** @type {BuildInfo} */ (parsed);
  } catch {
    return 'not built yet';
  }
  for (const [file, [size, mtimeMs]] of Object.entries(info.inputs)) {
    try {
      const stat = statSync(path.join(root, file));
      if (stat.size !== size || stat.mtimeMs !== mtimeMs) return `${file} changed`;
    } catch {
      return `${file} is gone`;
    }
  }
  return null;
}
