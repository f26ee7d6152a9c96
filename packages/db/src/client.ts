import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

import type { Database } from './schema/index.ts';

/** Postgres type OIDs whose default parsing we override. */
const OID = { int8: 20, numeric: 1700, date: 1082, int8Array: 1016, numericArray: 1231 } as const;

type Parser = (value: string) => unknown;

/** pg's built-in parsers, typed by OID: its TypeId enum omits the array OIDs it does handle. */
const builtinParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => Parser;

function parseInt8(value: string): number {
  const n = Number(value);
  // Counters never get near 2^53; if one does, failing loudly beats a silently wrong rank.
  if (!Number.isSafeInteger(n))
    throw new RangeError(`int8 ${value} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
}

function overrideFor(oid: number): Parser | undefined {
  switch (oid) {
    case OID.int8:
      return parseInt8;
    case OID.numeric:
      return Number;
    case OID.date:
      // A calendar date, not an instant: 'YYYY-MM-DD' avoids the local-midnight Date shift.
      return (value) => value;
    case OID.int8Array: {
      const base = builtinParser(OID.int8Array) as (v: string) => (string | null)[];
      return (value) => base(value).map((v) => (v === null ? null : parseInt8(v)));
    }
    case OID.numericArray: {
      const base = builtinParser(OID.numericArray) as (v: string) => (string | null)[];
      return (value) => base(value).map((v) => (v === null ? null : Number(v)));
    }
    default:
      return undefined;
  }
}

/**
 * Per-pool type parsers: `pg.types.setTypeParser` would change parsing for every pg user in the
 * process, which is not a library's call to make.
 */
const typeOverrides: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): Parser =>
    (format !== 'binary' && overrideFor(oid)) ||
    builtinParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface CreateDbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Shown in pg_stat_activity, so a slow query can be traced to its process. */
  applicationName?: string;
  /**
   * Errors of idle pooled connections (e.g. Postgres restarted). Without a listener, pg's pool
   * re-emits them as an unhandled 'error' event and the process dies; the next query fails anyway.
   */
  onError?: (err: Error) => void;
}

/**
 * A Kysely instance over a pg pool, with int8 and numeric parsed to numbers and dates kept as
 * 'YYYY-MM-DD' strings. Call `db.destroy()` to close the pool.
 * @see Database for the tables it types.
 */
export function createDb(url: string, opts: CreateDbOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'llmpt',
    types: typeOverrides,
  });
  pool.on('error', opts.onError ?? (() => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/** A connection pool's state: what `db_pool_connections` exports. */
export interface PoolStats {
  /** Connections checked out by a query or transaction. */
  inUse: number;
  /** Open and free. */
  idle: number;
  /** Queries waiting for a connection: the pool is exhausted. */
  waiting: number;
  /** The pool's size (`max`). */
  max: number;
}

const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/** The pool behind a Kysely instance made by {@link createDb}. */
export function poolStats(db: Kysely<Database>): PoolStats {
  const pool = pools.get(db);
  if (!pool) throw new Error('poolStats: this Kysely instance was not made by createDb');
  return {
    inUse: pool.totalCount - pool.idleCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: pool.options.max,
  };
}
