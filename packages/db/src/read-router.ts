import { type Kysely, sql } from 'kysely';

import { type CreateDbOptions, type PoolStats, createDb, poolStats } from './client.ts';
import type { Database } from './schema/index.ts';

export interface DatabasesOptions extends CreateDbOptions {
  /** A streaming replica for reads that may lag; without one every read goes to the primary. */
  replicaUrl?: string | undefined;
  /** Past this replication lag the replica is not used (default 5 s). */
  maxLagMs?: number;
  /** How often the replica's lag is measured (default 1 s). */
  checkEveryMs?: number;
  /** Hears each measurement: seconds of lag, or null while the replica does not answer. */
  onLag?: (lagSeconds: number | null) => void;
}

/**
 * The primary and, optionally, a streaming replica, with the rule of which serves a read:
 * - `db`: the primary, for writes and every read that must see its own writes (votes, rebuilds,
 *   the flush, the history roll's inputs).
 * - `replicaOrPrimary()`: lag-tolerant reads (history, trends, catalogue reloads). The replica
 *   while its measured lag is within `maxLagMs`; the primary when it lags, fails to answer, or
 *   none is configured.
 * Lag is measured on the replica itself: 0 when it has replayed all it received, else the age of
 * the last transaction it replayed (an idle primary therefore never looks like lag).
 */
export class Databases {
  readonly db: Kysely<Database>;
  readonly replica: Kysely<Database> | null;
  private lagSeconds: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxLagSec: number;
  private readonly opts: DatabasesOptions;

  constructor(primaryUrl: string, opts: DatabasesOptions = {}) {
    this.opts = opts;
    this.db = createDb(primaryUrl, opts);
    this.replica = opts.replicaUrl
      ? createDb(opts.replicaUrl, {
          ...opts,
          applicationName: `${opts.applicationName ?? 'llmpt'}-replica`,
        })
      : null;
    this.maxLagSec = (opts.maxLagMs ?? 5_000) / 1000;
  }

  /** Starts measuring the replica's lag (the first measurement is awaited). */
  async start(): Promise<void> {
    if (!this.replica || this.timer) return;
    await this.measure();
    this.timer = setInterval(() => void this.measure(), this.opts.checkEveryMs ?? 1_000);
    this.timer.unref();
  }

  /** The replica while it is fresh enough, else the primary. */
  replicaOrPrimary(): Kysely<Database> {
    return this.replica && this.lagSeconds !== null && this.lagSeconds <= this.maxLagSec
      ? this.replica
      : this.db;
  }

  /** Each pool's state (the replica's only when one is configured). */
  pools(): Array<PoolStats & { pool: 'primary' | 'replica' }> {
    const out: Array<PoolStats & { pool: 'primary' | 'replica' }> = [
      { pool: 'primary', ...poolStats(this.db) },
    ];
    if (this.replica) out.push({ pool: 'replica' as const, ...poolStats(this.replica) });
    return out;
  }

  /** The last measured lag in seconds; null with no replica or while it does not answer. */
  lag(): number | null {
    return this.lagSeconds;
  }

  async destroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([this.db.destroy(), this.replica?.destroy()]);
  }

  private async measure(): Promise<void> {
    if (!this.replica) return;
    try {
      const { rows } = await sql<{ lag: number | null; standby: boolean }>`
        SELECT pg_is_in_recovery() AS standby,
               CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                    ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
               END AS lag`.execute(this.replica);
      const row = rows[0];
      // Not a standby (promoted, or misconfigured): it no longer follows the primary.
      this.lagSeconds = row?.standby ? Math.max(0, row.lag ?? 0) : null;
    } catch {
      this.lagSeconds = null;
    }
    this.opts.onLag?.(this.lagSeconds);
  }
}
