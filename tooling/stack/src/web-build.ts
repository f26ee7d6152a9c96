import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { repoRoot } from './bundle.ts';

/** What the SPA is built from: its own sources and config, and the shared package it imports. */
const WEB_INPUTS = [
  'apps/web/src',
  'apps/web/public',
  'apps/web/index.html',
  'apps/web/vite.config.ts',
  'apps/web/package.json',
  'packages/shared/src',
];

/** apps/web/dist, the SPA the api serves at / in single-machine mode. */
export function webDist(root = repoRoot): string {
  return path.join(root, 'apps/web/dist');
}

/** Why apps/web/dist must be rebuilt (a newer input file), or null when it is fresh. */
export function webStaleReason(root = repoRoot): string | null {
  const built = path.join(webDist(root), 'index.html');
  if (!existsSync(built)) return 'not built yet';
  const builtAt = statSync(built).mtimeMs;
  const newer = (file: string): string | undefined => {
    if (!existsSync(file)) return undefined;
    const s = statSync(file);
    if (!s.isDirectory()) return s.mtimeMs > builtAt ? file : undefined;
    for (const entry of readdirSync(file)) {
      const found = newer(path.join(file, entry));
      if (found) return found;
    }
    return undefined;
  };
  for (const input of WEB_INPUTS) {
    const changed = newer(path.join(root, input));
    if (changed) return `${path.relative(root, changed)} changed`;
  }
  return null;
}

/**
 * Builds the SPA (`npm run build -w @llmpt/web`) when webStaleReason says so. The build runs in
 * a child process that `signal` kills, so a Ctrl-C is not held up by it.
 */
export async function buildWebIfStale(
  log: (msg: string) => void,
  signal?: AbortSignal,
  root = repoRoot,
): Promise<void> {
  const why = webStaleReason(root);
  if (!why) return;
  log(`building the web app (${why})`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '--silent', '-w', '@llmpt/web'], {
      cwd: root,
      // Vite builds for production only when NODE_ENV is unset or production.
      env: { ...process.env, NODE_ENV: 'production' },
      // Its chatter on our stderr: stdout may be a machine-read line (`npm run cluster -- up`).
      stdio: ['ignore', process.stderr, 'inherit'],
      signal,
    });
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      if (code === 0) resolve();
      else if (signal?.aborted) reject(new Error('web build interrupted'));
      else reject(new Error(`web build failed (${sig ?? code})`));
    });
  });
}
