import { Gauge, type Registry } from 'prom-client';

import type { Databases } from './read-router.ts';

/**
 * `db_pool_connections{pool, state}` (in_use, idle, waiting) and `db_pool_max_connections{pool}`
 * of a process's Postgres pools, read at every scrape: the same two series in the api and the
 * worker (alerts DbPoolExhausted, DbPoolNearLimit). `waiting` above 0 means queries queue for a
 * connection inside the process, before PgBouncer or Postgres see them.
 */
export function registerPoolMetrics(registry: Registry, dbs: Pick<Databases, 'pools'>): void {
  new Gauge({
    name: 'db_pool_connections',
    help: "Connections of this process's Postgres pool by state (in_use, idle; waiting: queries queued for one)",
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const p of dbs.pools()) {
        this.set({ pool: p.pool, state: 'in_use' }, p.inUse);
        this.set({ pool: p.pool, state: 'idle' }, p.idle);
        this.set({ pool: p.pool, state: 'waiting' }, p.waiting);
      }
    },
  });
  new Gauge({
    name: 'db_pool_max_connections',
    help: "Size of this process's Postgres pool (DATABASE_POOL_MAX)",
    labelNames: ['pool'] as const,
    registers: [registry],
    collect() {
      for (const p of dbs.pools()) this.set({ pool: p.pool }, p.max);
    },
  });
}
