// @ts-check
/**
 * `npm run start:api` / `npm run start:worker`: one app in THIS process, so that the signals npm
 * passes on (the script execs into node) reach the app itself.
 *
 *   node tooling/stack/bin/run-app.js api|worker
 *
 * NODE_ENV defaults to production: the bundle (apps/<app>/dist/index.js), rebuilt first when its
 * sources changed. NODE_ENV=development runs the TypeScript source through tsx instead.
 */
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { SERVER_APPS, appPaths, staleReason } from '../src/bundle-check.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const app = SERVER_APPS.find((name) => name === process.argv[2]);
if (!app) {
  console.error(`usage: node tooling/stack/bin/run-app.js ${SERVER_APPS.join('|')}`);
  process.exit(2);
}
process.env.NODE_ENV ||= 'production';
const paths = appPaths(root, app);

if (process.env.NODE_ENV === 'development') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(paths.entry).href);
} else {
  const why = staleReason(root, app);
  if (why) {
    // Several processes started at once may each rebuild: the bundler's writes are atomic.
    console.error(`[${app}] building apps/${app}/dist (${why})`);
    const cli = fileURLToPath(new URL('./llmpt-stack.js', import.meta.url));
    const built = spawnSync(process.execPath, [cli, 'build', app], { stdio: 'inherit' });
    if (built.status !== 0) process.exit(1);
  }
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(paths.bundle).href);
}
