import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { TestProject } from 'vitest/node';

import type {} from './provided-context.ts';

const webRoot = fileURLToPath(new URL('../../../apps/web/', import.meta.url));
const viteBin = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
  'bin/vite.js',
);

/**
 * Vitest globalSetup: builds the SPA once per run, with apps/web's own vite.config.ts, into a
 * temporary folder (never apps/web/dist, which belongs to `npm run build`), and provides its
 * path as `webDist` for the api's WEB_DIST.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Failure screenshots are of this run only.
  await rm(fileURLToPath(new URL('../artifacts/failed/', import.meta.url)), {
    recursive: true,
    force: true,
  });
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-web-dist-'));
  try {
    await viteBuild(outDir);
  } catch (err) {
    await rm(outDir, { recursive: true, force: true });
    throw err;
  }
  project.provide('webDist', outDir);
  return () => rm(outDir, { recursive: true, force: true });
}

/**
 * `vite build` in its own process: vitest has set NODE_ENV=test here, and Vite builds for
 * production only when NODE_ENV is unset or "production"; the tests must drive what ships.
 */
function viteBuild(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [viteBin, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'],
      { cwd: webRoot, env: { ...process.env, NODE_ENV: 'production' }, stdio: 'inherit' },
    );
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`vite build failed: ${signal ?? code}`)),
    );
  });
}
