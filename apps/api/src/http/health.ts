import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';

import type { Deps } from '../context.ts';

/**
 * /healthz: the process is up. /readyz: Redis and Postgres answer. (/metrics is served on its
 * own internal listener, METRICS_HOST:METRICS_PORT, never on this public port.)
 */
export function registerHealthRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const timeout = <T>(p: Promise<T>) =>
      Promise.race([
        p,
        new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref()),
      ]);
    const [redis, postgres] = await Promise.allSettled([
      timeout(deps.redis.ping()),
      timeout(sql`select 1`.execute(deps.db)),
    ]);
    const checks = {
      redis: redis.status === 'fulfilled' ? 'ok' : String(redis.reason),
      postgres: postgres.status === 'fulfilled' ? 'ok' : String(postgres.reason),
    };
    const ready = checks.redis === 'ok' && checks.postgres === 'ok';
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}
