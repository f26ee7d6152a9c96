import type { Redis } from 'ioredis';

const noop = () => undefined;

/**
 * Waits until writes reach the replica before a vote is acknowledged. Redis replicates
 * asynchronously: a primary killed right after answering a vote loses it on failover unless
 * the answer waited for `WAIT numreplicas timeout`, which covers every write the SAME
 * connection made before it — so the vote script and this run on one connection.
 *
 * With no replica attached at all (right after a failover, until the old primary rejoins as a
 * replica) no WAIT can succeed; `degraded` decides: 'accept' acknowledges on the primary's own
 * durability (AOF) so voting stays up — losing such a vote takes a second failure before a
 * replica is back — and 'refuse' answers those votes as unconfirmed. Which happened is
 * reported (`Confirmation`), for a metric and an alert.
 *
 * Coalesced: one WAIT in flight at a time. A vote that asks while one is in flight joins the
 * next (the one in flight may have been sent before the vote's script), so at most two WAIT
 * round trips per vote, and one WAIT per round trip covers every vote of that interval.
 */
export type Confirmation = 'replicated' | 'unconfirmed' | 'no_replica';

/** How long a count of the primary's connected replicas is trusted. */
const REPLICAS_TTL_MS = 1_000;

export class ReplicaAcks {
  private current: Promise<number> | null = null;
  private queued: Promise<number> | null = null;
  private attached: { at: number; count: Promise<number> } | null = null;

  constructor(
    /** The connection the vote script runs on. */
    private readonly redis: Redis,
    readonly replicas: number,
    readonly timeoutMs: number,
    readonly opts: {
      degraded: 'accept' | 'refuse';
      /** Where to ask INFO (not the vote connection: a WAIT in flight would hold it). */
      info: Redis;
    },
  ) {}

  /**
   * Whether the vote written before this call may be acknowledged: 'replicated' (the replicas
   * hold it), 'no_replica' (none is attached; acknowledged only when `degraded` is 'accept'),
   * 'unconfirmed' (a replica is attached but did not confirm in time, or Redis failed).
   */
  async confirm(): Promise<Confirmation> {
    const got = await this.wait().catch(() => -1);
    if (got >= this.replicas) return 'replicated';
    if (got < 0) return 'unconfirmed';
    const attached = await this.attachedReplicas().catch(() => -1);
    return attached >= 0 && attached < this.replicas ? 'no_replica' : 'unconfirmed';
  }

  private attachedReplicas(): Promise<number> {
    const now = Date.now();
    if (!this.attached || now - this.attached.at > REPLICAS_TTL_MS) {
      const count = this.opts.info
        .info('replication')
        // Only replicas done syncing can confirm anything; one still loading counts as none.
        .then((text) => (text.match(/^slave\d+:.*state=online/gm) ?? []).length);
      count.catch(() => (this.attached = null));
      this.attached = { at: now, count };
    }
    return this.attached.count;
  }

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

/** The replicas online and the offsets they have acknowledged, from `INFO replication`. */
function replicaOffsets(info: string): { primaryOffset: number; replicas: number[] } {
  const primaryOffset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? 0);
  const replicas = [...info.matchAll(/^slave\d+:.*state=online,offset=(\d+)/gm)].map((m) =>
    Number(m[1]),
  );
  return { primaryOffset, replicas };
}

/**
 * Resolves once `replicas` replicas hold everything the primary had written when it was called,
 * whoever wrote it: the flush calls it after reading a batch and before writing it to Postgres,
 * so Postgres never holds an event a failover could take from Redis (the promoted replica would
 * then reuse its stream id for another vote, and Postgres would skip that one as a redelivery).
 * WAIT cannot do this: it covers only the calling connection's own writes. Replicas report their
 * offset at least once a second (sooner while votes WAIT). 'no_replica': none is online (after a
 * failover, until one rejoins): nothing to wait for. Rejects after `timeoutMs`.
 */
export async function replicatedUpToNow(
  redis: Redis,
  replicas: number,
  timeoutMs: number,
): Promise<'replicated' | 'no_replica'> {
  const first = replicaOffsets(await redis.info('replication'));
  const target = first.primaryOffset;
  const deadline = Date.now() + timeoutMs;
  for (let state = first; ; state = replicaOffsets(await redis.info('replication'))) {
    if (state.replicas.length < replicas) return 'no_replica';
    if (state.replicas.filter((o) => o >= target).length >= replicas) return 'replicated';
    if (Date.now() > deadline)
      throw new Error(`the replica has not confirmed offset ${target} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
