import type { ChildProcess } from 'node:child_process';

import type { AppRouter } from '@llmpt/api/router';
import { type Database, createDb } from '@llmpt/db';
import { createTestDatabase, testKeyPrefix } from '@llmpt/devstack';
import {
  type Stack as Processes,
  prepareDatabase,
  startStack as startProcesses,
} from '@llmpt/stack';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';

/**
 * Real api and worker processes, started as `npm start` starts them (@llmpt/stack: the
 * bundles, NODE_ENV=production), on a fresh database and Redis prefix.
 */
export interface Stack {
  apiUrls: string[];
  /** The worker processes (the ranker leads in one of them). */
  workers: ChildProcess[];
  /** Every process, with its metrics URL. */
  processes: Processes;
  db: Kysely<Database>;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the processes on a fresh database and Redis prefix, and resolves once they are healthy
 * and votes are accepted. `env` reaches every process, e.g. WEB_DIST for the api to serve a
 * built SPA (tests/browser does).
 */
export async function startStack(opts: {
  apis: number;
  workers?: number;
  env?: Record<string, string>;
}): Promise<Stack> {
  const database = await createTestDatabase(inject('pgServerUrl'));
  await prepareDatabase(database.url);
  const db = createDb(database.url);
  const prefix = testKeyPrefix();
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: prefix,
    BULL_PREFIX: `${prefix}bull`,
    VOTER_COOKIE_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e',
    VOTE_RATE_LIMIT: '100000',
    VOTE_RATE_LIMIT_IP: '100000',
    // Every voter of these tests comes from 127.0.0.1: one network.
    VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '100000',
    VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '100000',
    VOTE_PARTITIONS: '8',
    FLUSH_EVERY_MS: '200',
    LOG_LEVEL: 'warn',
    // To the worker's integrity rules, many new voters from one network casting the same ballot
    // are an attack, and every voter here is 127.0.0.1: the rules run only where the caller
    // sets the sweep's pace (the integrity scenarios) or turns them on by name.
    INTEGRITY_RULES_ENABLED: opts.env?.INTEGRITY_SWEEP_MS === undefined ? 'false' : 'true',
    // The product ranks a model from its 20th vote; these scenarios cast a handful, so they
    // rank from the first unless they set RANK_MIN_VOTES themselves (the rule's own tests do).
    RANK_MIN_VOTES: '1',
    ...opts.env,
  };
  let processes: Processes;
  try {
    processes = await startProcesses({
      apis: opts.apis,
      workers: opts.workers ?? 1,
      env,
      // A crash would otherwise show up only later, as refused connections.
      onExit: (proc, exit) =>
        console.error(
          `${proc.name} [${proc.pid}] exited before stop(): ${exit.signal ?? exit.code}`,
        ),
      stdout: 'inherit',
    });
  } catch (err) {
    await db.destroy();
    await database.drop();
    throw err;
  }

  return {
    apiUrls: processes.apis.map((a) => a.url),
    workers: processes.workers.map((w) => w.child),
    processes,
    db,
    env,
    async stop() {
      await processes.stop();
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
