import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { findOrInstall, freePort } from '@llmpt/devstack';
import { type Stack, startStack } from '@llmpt/e2e/stack';
import type { Llm } from '@llmpt/shared';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

import type { EdgeLimits } from '../../../nginx/render.ts';
import { type EdgeConfig, type RunningNginx, startNginx } from '../../../nginx/run.ts';
import { Visitor } from './client.ts';

/** The address nginx connects to the apis from, and the only one they trust X-Forwarded-For from. */
export const NGINX_ADDRESS = '127.0.0.2';

/** The SPA shell's inline script (its hash must be in the CSP nginx sends). */
export const INLINE_SCRIPT = "document.documentElement.dataset.theme='light'";
export const ASSET = '/assets/app-3f9a1c.js';

/** The production topology on loopback: nginx (HTTP and HTTPS) in front of 2 apis and a worker. */
export interface Edge {
  stack: Stack;
  nginx: RunningNginx;
  /** The configuration nginx runs (for a reload with changes). */
  config: EdgeConfig;
  /** http:// of nginx. */
  url: string;
  /** https:// of nginx (self-signed certificate). */
  httpsUrl: string;
  /** The active catalogue. */
  llms: Llm[];
  /** The stack's Redis, and its key prefix. */
  redis: Redis;
  prefix: string;
  stop(): Promise<void>;
}

/**
 * Starts 2 apis and a worker (tests/e2e's stack: the bundles, a fresh database and Redis prefix)
 * trusting only {@link NGINX_ADDRESS} as a proxy, and nginx in front of them with the rendered
 * edge configuration (`limits` lowered as a test needs), TLS on a second port, serving a small
 * SPA build of its own.
 */
export async function startEdge(
  opts: { limits?: Partial<EdgeLimits>; env?: Record<string, string> } = {},
): Promise<Edge> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-edge-'));
  // As root, nginx's workers run as an unprivileged user: they must reach the web root and prefix.
  if (process.getuid?.() === 0) await chmod(dir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const undo = async () => {
    for (let c = cleanups.pop(); c; c = cleanups.pop()) await c();
  };
  try {
    const webRoot = await writeWebRoot(path.join(dir, 'web'));
    const tls = await selfSignedCertificate(dir);
    const stack = await startStack({
      apis: 2,
      workers: 1,
      env: { TRUST_PROXY: NGINX_ADDRESS, RANKER_TICK_MS: '100', ...opts.env },
    });
    cleanups.push(() => stack.stop());
    const config: EdgeConfig = {
      listen: `127.0.0.1:${await freePort()}`,
      webRoot,
      apiServers: stack.apiUrls.map((u) => new URL(u).host),
      proxyBind: NGINX_ADDRESS,
      tls: { listen: `127.0.0.1:${await freePort()}`, ...tls },
      limits: opts.limits,
      workerProcesses: 2,
    };
    const nginx = await startNginx({ prefix: path.join(dir, 'nginx'), config });
    cleanups.push(() => nginx.stop());
    const redis = new Redis(inject('redisUrl'));
    cleanups.push(() => redis.quit());
    const llms = await new Visitor(stack.apiUrls[0]!).query<Llm[]>('llm.list');
    return {
      stack,
      nginx,
      config,
      url: nginx.url,
      httpsUrl: nginx.httpsUrl!,
      llms,
      redis,
      prefix: stack.env.REDIS_PREFIX!,
      stop: undo,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** A stand-in for the SPA build: a shell with one inline script, and a hashed bundle > 1 KB. */
async function writeWebRoot(webRoot: string): Promise<string> {
  await mkdir(path.join(webRoot, 'assets'), { recursive: true });
  await writeFile(
    path.join(webRoot, 'index.html'),
    `<!doctype html><html><head><script>${INLINE_SCRIPT}</script>` +
      `<script type="module" src="${ASSET}"></script></head><body><div id="root"></div></body></html>\n`,
  );
  const bundle = Array.from({ length: 200 }, (_, i) => `export const v${i} = ${i};`).join('\n');
  await writeFile(path.join(webRoot, ASSET), bundle);
  return webRoot;
}

/** A throwaway certificate for localhost (Debian's openssl), valid for a day. */
export async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const openssl = await findOrInstall({ names: ['openssl'], aptPackage: 'openssl' });
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost'];
  args.push('-days', '1', '-keyout', key, '-out', cert);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(openssl, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`openssl req failed (${code}): ${err}`)),
    );
  });
  return { cert, key };
}
