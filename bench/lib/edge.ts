import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '@llmpt/devstack';

import { type RunningNginx, startNginx } from '../../nginx/run.ts';
import { stopChild, track } from './children.ts';
import { deleteKeysWithPrefix } from './redis-keys.ts';
import { type BenchStack, firstBoardPublished, startBenchStack } from './stack.ts';
import type { BenchContext } from './types.ts';

/** The address nginx connects to the apis from, and the only one they believe X-Forwarded-For from. */
const NGINX_ADDRESS = '127.0.0.2';

/** What a browser sends with every request it may compress. */
export const BROWSER_ENCODING = { 'accept-encoding': 'gzip, deflate, br' };

/**
 * Per-address limits out of the way: every load generator connection comes from 127.0.0.1
 * (autocannon cannot bind other source addresses), while the seed's figures are for many
 * visitors. The limiter itself still runs on every request (its zones are looked up).
 */
const UNLIMITED = {
  apiPerSecond: 1_000_000,
  apiBurst: 1_000_000,
  votesPerMinute: 60_000_000,
  voteBurst: 1_000_000,
  staticPerSecond: 1_000_000,
  staticBurst: 1_000_000,
  connectionsPerAddress: 65_535,
};

/** The production topology on loopback: nginx (the repository's config) in front of apis. */
export interface BenchEdge {
  stack: BenchStack;
  nginx: RunningNginx;
  /** http://127.0.0.1:PORT of nginx's edge server. */
  url: string;
  /**
   * http://127.0.0.1:PORT of a second server in the same nginx, serving `staticFiles` (with
   * gzip_static: the `.gz` file to clients that accept gzip), without limits.
   */
  staticUrl: string;
  /** nginx's access log (one line per request, with the cache status). */
  accessLog: string;
  stop(): Promise<void>;
}

/**
 * A bench stack of `apis` api processes and one worker (stopped once the first rankings
 * snapshot is out unless `keepWorker`), and nginx in front of them as deployed: the rendered
 * nginx/nginx.conf.template with an access log, the apis trusting only nginx's address, and
 * per-address limits raised ({@link UNLIMITED}). `staticFiles(apiUrl)` returns the files the second
 * server serves (name → bytes), made once the apis answer. The SPA shell at `/` is the built
 * apps/web/dist/index.html, or apps/web/index.html when the web app is not built.
 */
export async function startBenchEdge(
  ctx: BenchContext,
  opts: {
    apis: number;
    keepWorker: boolean;
    staticFiles?: (apiUrl: string) => Promise<Record<string, Buffer>>;
  },
): Promise<BenchEdge> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmpt-bench-edge-'));
  // As root, nginx's workers run as an unprivileged user: they must reach the files here.
  await chmod(dir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const undo = async () => {
    for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch(() => undefined);
  };
  try {
    ctx.log(`starting ${opts.apis} api process(es), a worker and nginx in front`);
    const stack = await startBenchStack(ctx, {
      apis: opts.apis,
      workers: 1,
      env: { TRUST_PROXY: NGINX_ADDRESS },
    });
    cleanups.push(async () => {
      await stack.stop();
      await deleteKeysWithPrefix(ctx.redisUrl, stack.prefix);
    });
    for (const child of [...stack.apis, ...stack.workers]) track(child);
    await firstBoardPublished(ctx.redisUrl, stack.prefix);
    if (!opts.keepWorker) for (const worker of stack.workers) await stopChild(worker);

    const webRoot = path.join(dir, 'web');
    await mkdir(webRoot, { mode: 0o755 });
    const built = path.join(ctx.repoRoot, 'apps/web/dist/index.html');
    await copyFile(
      existsSync(built) ? built : path.join(ctx.repoRoot, 'apps/web/index.html'),
      path.join(webRoot, 'index.html'),
    );
    const staticRoot = path.join(dir, 'static');
    await mkdir(staticRoot, { mode: 0o755 });
    const files = (await opts.staticFiles?.(stack.apiUrls[0]!)) ?? {};
    for (const [name, bytes] of Object.entries(files))
      await writeFile(path.join(staticRoot, name), bytes, { mode: 0o644 });

    // The template's one include in http {} is the MIME types file: a file of our own there
    // includes the real one and adds the static server beside the edge's.
    const staticListen = `127.0.0.1:${await freePort()}`;
    const includeFile = path.join(dir, 'mime-and-static.conf');
    await writeFile(
      includeFile,
      [
        'include /etc/nginx/mime.types;',
        'server {',
        `  listen ${staticListen};`,
        `  root ${staticRoot};`,
        '  gzip off;',
        '  gzip_static on;',
        '}',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const accessLog = path.join(dir, 'access.log');
    const nginx = await startNginx({
      prefix: path.join(dir, 'nginx'),
      config: {
        listen: `127.0.0.1:${await freePort()}`,
        webRoot,
        apiServers: stack.apiUrls.map((u) => new URL(u).host),
        proxyBind: NGINX_ADDRESS,
        limits: UNLIMITED,
        accessLog,
        mimeTypes: includeFile,
      },
    });
    cleanups.push(() => nginx.stop());
    return {
      stack,
      nginx,
      url: nginx.url,
      staticUrl: `http://${staticListen}`,
      accessLog,
      stop: undo,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** One GET on its own connection; the body as sent (not decompressed). */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** One access-log line: the request line's method and path, status and cache status. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  /** nginx's $request_time: from the request's first byte to the answer's last, in ms. */
  ms: number;
  cache: string;
}

/** The log's size now: {@link readAccessLog} from here reads only what came after. */
export async function accessLogOffset(file: string): Promise<number> {
  return (await stat(file).catch(() => ({ size: 0 }))).size;
}

/** The requests logged since `offset` (nginx/render.ts's llmpt_edge format). */
export async function readAccessLog(file: string, offset: number): Promise<LoggedRequest[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    const requests: LoggedRequest[] = [];
    for (const line of buffer.toString('utf8').split('\n')) {
      const m = /^\S+ "(\S+) (\S+) [^"]*" (\d{3}) \S+ (\S+) cache=(\S*)/.exec(line);
      if (m)
        requests.push({
          method: m[1]!,
          path: m[2]!,
          status: Number(m[3]),
          ms: Number(m[4]) * 1000,
          cache: m[5]!,
        });
    }
    return requests;
  } finally {
    await handle.close();
  }
}

/**
 * Share of `requests` whose cache status is one of `statuses` (3 decimals): HIT alone is a fresh
 * copy; STALE and UPDATING are copies served while one request refreshes the entry.
 */
export function cacheShare(
  requests: LoggedRequest[],
  statuses: readonly string[] = ['HIT'],
): number | null {
  if (requests.length === 0) return null;
  const n = requests.filter((r) => statuses.includes(r.cache)).length;
  return Math.round((n / requests.length) * 1000) / 1000;
}

/** Served from the cache without waiting for the api. */
export const FROM_CACHE = ['HIT', 'STALE', 'UPDATING'] as const;
