import type { Redis } from 'ioredis';

const noop = () => undefined;

/**
 * Waits until writes reach the replica before a vote is acknowledged. Redis replicates
 * asynchronously: a primary killed right after answering a vote loses it on failover unless
 * the answer waited for `WAIT numreplicas timeout`, which covers every write the SAME
 * connection made before it — so the vote script and this run on one connection.
 *
 * Coalesced: one WAIT in flight at a time. A vote that asks while one is in flight joins the
 * next (the one in flight may have been sent before the vote's script), so at most two WAIT
 * round trips per vote, and one WAIT per round trip covers every vote of that interval.
 */
export class ReplicaAcks {
  private current: Promise<number> | null = null;
  private queued: Promise<number> | null = null;

  constructor(
    /** The connection the vote script runs on. */
    private readonly redis: Redis,
    readonly replicas: number,
    readonly timeoutMs: number,
  ) {}

  /** Resolves with how many replicas hold every write this connection made before the call. */
  wait(): Promise<number> {
    if (!this.current) return this.launch();
    this.queued ??= this.current.then(noop, noop).then(() => {
      this.queued = null;
      return this.launch();
    });
    return this.queued;
  }

  private launch(): Promise<number> {
    const p = this.redis.wait(this.replicas, this.timeoutMs);
    this.current = p;
    const clear = () => {
      if (this.current === p) this.current = null;
    };
    p.then(clear, clear);
    return p;
  }
}
