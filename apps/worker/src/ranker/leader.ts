import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';

import type { Redis, Result } from 'ioredis';

const renewLua = readFileSync(new URL('./lua/renew-lock-1.lua', import.meta.url), 'utf8');
const releaseLua = readFileSync(new URL('./lua/release-lock-1.lua', import.meta.url), 'utf8');

/** Connections the scripts are already defined on. */
const defined = new WeakSet<Redis>();

declare module 'ioredis' {
  interface RedisCommander<Context> {
    llmptRenewLock(key: string, token: string, ttlMs: string): Result<number, Context>;
    llmptReleaseLock(key: string, token: string): Result<number, Context>;
  }
}

/** Why a leader stopped leading. */
export type LostReason = 'renewal-refused' | 'lease-expired' | 'closed';

export interface LeaderElectionOptions {
  redis: Redis;
  /** The lock key, e.g. `rankingsKeys(prefix).leader`. */
  key: string;
  /** Lease of the lock: how long a dead leader blocks the others, at most. */
  ttlMs: number;
  /** Called when this process becomes the leader. */
  onElected?: () => void;
  /** Called when it stops being the leader; it must stop acting as one at once. */
  onLost?: (reason: LostReason) => void;
  log?: (msg: string) => void;
}

/**
 * Leader election by one Redis lock: `SET key token PX ttl NX`. The leader renews its lease every
 * ttl/3 (compare-and-PEXPIRE) and releases it on close (compare-and-DEL); the others try again
 * every ttl/3, so when a leader dies without releasing, another takes over within about ttl.
 *
 * A leader also stops on its own clock when its lease runs out unrenewed (Redis unreachable,
 * event loop stalled): the lease is counted from when the renewal was sent, less a margin for
 * clock drift, so it ends here before it ends in Redis.
 * @see ./lua/renew-lock-1.lua
 */
export class LeaderElection {
  /**
   * This process's lock value: host and pid tell operators who leads; the random suffix keeps a
   * stale holder from ever touching a successor's lock.
   */
  readonly token = `${hostname()}:${process.pid}:${randomUUID()}`;
  private leading = false;
  /** performance.now() until which the lease is ours. */
  private leaseUntil = 0;
  private stopped = true;
  private attemptTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly opts: LeaderElectionOptions) {
    if (!defined.has(opts.redis)) {
      opts.redis.defineCommand('llmptRenewLock', { numberOfKeys: 1, lua: renewLua });
      opts.redis.defineCommand('llmptReleaseLock', { numberOfKeys: 1, lua: releaseLua });
      defined.add(opts.redis);
    }
  }

  /** True while this process holds an unexpired lease. */
  get isLeader(): boolean {
    return this.leading && performance.now() < this.leaseUntil;
  }

  /** Starts campaigning (the first attempt is immediate). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops campaigning and releases the lock if held, so a successor need not wait the TTL. */
  async close(): Promise<void> {
    this.stop();
    await this.inFlight;
    // Stop acting before the lock is gone: another process may take over the moment it is.
    if (this.leading) this.stepDown('closed');
    try {
      await this.opts.redis.llmptReleaseLock(this.opts.key, this.token);
    } catch (err) {
      this.opts.log?.(`leader lock release failed (it expires on its own): ${String(err)}`);
    }
  }

  /**
   * Test hook: dies like a killed process, neither renewing nor releasing the lock, so the
   * others must wait for its lease to run out.
   */
  crash(): void {
    this.stop();
    this.leading = false;
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.attemptTimer);
    clearTimeout(this.leaseTimer);
  }

  private schedule(delayMs: number): void {
    this.attemptTimer = setTimeout(() => {
      this.inFlight = this.attempt().finally(() => {
        this.inFlight = null;
        if (!this.stopped) this.schedule(this.opts.ttlMs / 3);
      });
    }, delayMs);
  }

  private async attempt(): Promise<void> {
    const { redis, key, ttlMs } = this.opts;
    const sentAt = performance.now();
    let ours: boolean;
    try {
      if (this.leading) {
        ours = (await redis.llmptRenewLock(key, this.token, String(ttlMs))) === 1;
      } else {
        ours = (await redis.set(key, this.token, 'PX', ttlMs, 'NX')) === 'OK';
        // Still ours from before a lease that ran out here but not in Redis: take it back.
        if (!ours) ours = (await redis.llmptRenewLock(key, this.token, String(ttlMs))) === 1;
      }
    } catch (err) {
      // Unknown outcome: keep the lease we have; the lease timer ends it if this goes on.
      this.opts.log?.(`leader lock: ${String(err)}`);
      return;
    }
    if (this.stopped) return;
    if (!ours) {
      if (this.leading) this.stepDown('renewal-refused');
      return;
    }
    // Redis started the new lease at some point after sentAt; a small margin covers clock drift.
    this.leaseUntil = sentAt + ttlMs - (ttlMs * 0.01 + 2);
    if (performance.now() >= this.leaseUntil) return; // the reply came too late to count
    this.armLeaseTimer();
    if (!this.leading) {
      this.leading = true;
      this.opts.onElected?.();
    }
  }

  private armLeaseTimer(): void {
    clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(
      () => {
        if (!this.leading) return;
        if (performance.now() >= this.leaseUntil) this.stepDown('lease-expired');
        else this.armLeaseTimer(); // woke early
      },
      Math.max(1, this.leaseUntil - performance.now()),
    );
  }

  private stepDown(reason: LostReason): void {
    this.leading = false;
    clearTimeout(this.leaseTimer);
    this.opts.onLost?.(reason);
  }
}
