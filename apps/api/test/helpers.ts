import { createTestDatabase } from '@llmpt/devstack';
import { createDb, migrateToLatest, postgresRebuildSource, seedLlms } from '@llmpt/db';
import { testKeyPrefix } from '@llmpt/devstack';
import { rebuildUnreadyPartitions } from '@llmpt/vote-store';
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';

import { buildApp } from '../src/app.ts';
import type { Deps } from '../src/context.ts';
import { closeDeps, createDeps, startDeps } from '../src/deps.ts';
import { loadEnv } from '../src/env.ts';
import { startMetricsListener } from '../src/http/metrics-listener.ts';
import { type WsEndpoint, attachWebSockets } from '../src/realtime/ws-server.ts';
import type { AppRouter } from '../src/routers/index.ts';

export const TEST_SECRET = 'test-secret-test-secret-test-secret!';

export interface TestApi {
  baseUrl: string;
  /** The internal /metrics listener's URL (null with METRICS_PORT=-1). */
  metricsUrl: string | null;
  deps: Deps;
  app: FastifyInstance;
  ws: WsEndpoint;
  /** Marks every vote partition ready (what the worker does on a cold start). */
  rebuild(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real api on a random port, over its own database and key prefix; with `shareWith`, a second
 * api process of the same deployment (that api's database and key prefix, which its `close`
 * drops: close this one first).
 */
export async function startTestApi(
  env: Record<string, string> = {},
  opts: { rebuild?: boolean; shareWith?: TestApi } = {},
): Promise<TestApi> {
  const shared = opts.shareWith?.deps.env;
  const database = shared
    ? { url: shared.DATABASE_URL, drop: () => Promise.resolve() }
    : await createTestDatabase(inject('pgServerUrl'));
  if (!shared) {
    const setupDb = createDb(database.url);
    await migrateToLatest(setupDb);
    await seedLlms(setupDb);
    await setupDb.destroy();
  }

  const deps = createDeps(
    loadEnv({
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: shared?.REDIS_PREFIX ?? testKeyPrefix(),
      VOTER_COOKIE_SECRET: TEST_SECRET,
      LOG_LEVEL: 'silent',
      VOTE_RATE_LIMIT: '100000',
      VOTE_RATE_LIMIT_IP: '100000',
      VOTE_NEW_VOTERS_PER_NETWORK_HOUR: '100000',
      VOTE_BALLOTS_PER_NETWORK_MODEL_HOUR: '100000',
      METRICS_PORT: '0',
      // Every voted model ranked, as before issue 15 (the product default is 20): tests of the
      // rule set it themselves.
      RANK_MIN_VOTES: '1',
      ...env,
    }),
  );
  const rebuild = async () => {
    await rebuildUnreadyPartitions(deps.voteStore, postgresRebuildSource(deps.db));
  };
  if (opts.rebuild !== false) await rebuild();
  await startDeps(deps);
  const app = await buildApp(deps);
  const ws = attachWebSockets(app, deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const metrics = await startMetricsListener(deps);
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    metricsUrl: metrics?.url ?? null,
    deps,
    app,
    ws,
    rebuild,
    async close() {
      await metrics?.close();
      await ws.close();
      await app.close();
      const prefix = deps.env.REDIS_PREFIX;
      const keys = shared ? [] : await deps.redis.keys(`${prefix}*`);
      if (keys.length > 0) await deps.redis.del(...keys);
      await closeDeps(deps);
      await database.drop();
    },
  };
}

/** A browser-like visitor: keeps the cookies the server sets, like a real voter. */
export class Visitor {
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  };

  /** The stock tRPC client, unbatched: every call takes the server's lean path. */
  client() {
    return createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${this.baseUrl}/trpc`, fetch: this.fetch })],
    });
  }

  /** The stock batching client: served by tRPC's official fastify adapter. */
  batchClient() {
    return createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${this.baseUrl}/trpc`, fetch: this.fetch })],
    });
  }

  post(
    path: string,
    body: string,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) {
    return this.fetch(`${this.baseUrl}/trpc/${path}`, { method: 'POST', body, headers });
  }
}

/** Redis state a bad request must not change: the outbox lengths and all tallies. */
export async function voteState(deps: Deps): Promise<string> {
  const llms = await deps.catalogue.all();
  const tallies = await deps.voteStore.tallies(llms.map((l) => l.id));
  const outboxes = await Promise.all(
    Array.from({ length: deps.voteStore.partitions }, (_, p) =>
      deps.redis.xlen(deps.voteStore.keysOf(p).outbox),
    ),
  );
  return JSON.stringify({ tallies: [...tallies], outboxes });
}
