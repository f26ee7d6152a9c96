import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { AppRouter } from '@llmpt/api/router';
import { type Database, createDb, migrateToLatest, seedLlms } from '@llmpt/db';
import { createTestDatabase, freePort, testKeyPrefix } from '@llmpt/devstack';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Real api and worker processes (as `npm run start:api` / `start:worker` run them). */
export interface Stack {
  apiUrls: string[];
  /** The worker processes (the ranker leads in one of them). */
  workers: ChildProcess[];
  db: Kysely<Database>;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the processes on a fresh database and Redis prefix. `env` reaches every process, e.g.
 * WEB_DIST for the api to serve a built SPA (tests/browser does).
 */
export async function startStack(opts: {
  apis: number;
  workers?: number;
  env?: Record<string, string>;
}): Promise<Stack> {
  const database = await createTestDatabase(inject('pgServerUrl'));
  const db = createDb(database.url);
  await migrateToLatest(db);
  await seedLlms(db);
  const prefix = testKeyPrefix();
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    BULL_PREFIX: `${prefix}bull`,
    VOTER_COOKIE_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e',
    VOTE_RATE_LIMIT: '100000',
    VOTE_RATE_LIMIT_IP: '100000',
    VOTE_PARTITIONS: '8',
    FLUSH_EVERY_MS: '200',
    METRICS_PORT: '-1',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...opts.env,
  };
  const children: ChildProcess[] = [];
  let stopping = false;
  const spawnApp = (entry: string, extra: Record<string, string>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${repo}${entry}`], {
      cwd: repo,
      env: { ...process.env, ...env, ...extra },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    // A crash would otherwise show up only later, as refused connections.
    child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${entry} [${child.pid}] exited before stop(): ${signal ?? code}`);
    });
    return child;
  };

  const workers = Array.from({ length: opts.workers ?? 1 }, () =>
    spawnApp('apps/worker/src/index.ts', {}),
  );
  const apiUrls: string[] = [];
  for (let i = 0; i < opts.apis; i++) {
    const port = await freePort();
    spawnApp('apps/api/src/index.ts', { PORT: String(port) });
    apiUrls.push(`http://127.0.0.1:${port}`);
  }
  // Ready = every api answers /readyz and accepts votes (the worker rebuilt Redis).
  for (const url of apiUrls) await waitUntil(async () => (await fetch(`${url}/readyz`)).ok);
  await waitUntil(async () => {
    const res = await fetch(`${apiUrls[0]}/trpc/vote.cast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ llmId: 'no-such-model', value: 0 }),
    });
    return res.status === 404; // 503 while partitions are not rebuilt
  });

  return {
    apiUrls,
    workers,
    db,
    env,
    async stop() {
      stopping = true;
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      );
      await db.destroy();
      await database.drop();
    },
  };
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A voter with a cookie jar, which may talk to any api instance. */
export class Voter {
  private cookie = '';

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    const res = await fetch(input, { ...init, headers });
    const vid = res.headers.getSetCookie().find((c) => c.startsWith('vid='));
    if (vid) this.cookie = vid.split(';')[0]!;
    return res;
  };

  client(baseUrl: string) {
    return createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${baseUrl}/trpc`, fetch: this.fetch })],
    });
  }
}
