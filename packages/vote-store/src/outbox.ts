import type { VoteValue } from '@llmpt/shared';

import { OUTBOX_GROUP } from './keys.ts';
import type { VoteStore } from './vote-store.ts';

/** One vote event as the Lua script appended it to a partition's outbox. */
export interface OutboxEvent {
  /** Deterministic identity downstream: `<partition>:<stream id>`. */
  eventId: string;
  streamId: string;
  partition: number;
  voterId: string;
  llmId: string;
  value: VoteValue;
  prevValue: VoteValue;
  /** Millisecond part of the stream id: when Redis accepted the vote. */
  createdAt: Date;
  /** Sequence part of the stream id: orders events within one millisecond. */
  seq: number;
}

type StreamEntry = [id: string, fields: string[]];

const VOTE_VALUES = new Set(['1', '-1', '0']);

export function parseOutboxEntry(partition: number, [streamId, fields]: StreamEntry): OutboxEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const [ms, seq] = streamId.split('-');
  if (!f.v || !f.l || !VOTE_VALUES.has(f.n ?? '') || !VOTE_VALUES.has(f.p ?? '') || !ms || !seq) {
    throw new Error(`malformed outbox entry ${streamId} in partition ${partition}`);
  }
  return {
    eventId: `${partition}:${streamId}`,
    streamId,
    partition,
    voterId: f.v,
    llmId: f.l,
    value: Number(f.n) as VoteValue,
    prevValue: Number(f.p) as VoteValue,
    createdAt: new Date(Number(ms)),
    seq: Number(seq),
  };
}

export interface ReadOptions {
  count: number;
  /** Entries pending this long on another consumer are taken over (that consumer died). */
  claimIdleMs: number;
}

/**
 * At-least-once reader of the partition outboxes through one consumer group. Order per call:
 * this consumer's own pending entries (a batch whose XACK was lost), then entries reclaimed
 * from dead consumers (XAUTOCLAIM), then new ones.
 */
export class OutboxReader {
  constructor(
    private readonly store: VoteStore,
    readonly consumer: string,
  ) {}

  async ensureGroup(partition: number): Promise<void> {
    try {
      await this.store.redis.xgroup(
        'CREATE',
        this.store.keysOf(partition).outbox,
        OUTBOX_GROUP,
        '0',
        'MKSTREAM',
      );
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('BUSYGROUP')) throw err;
    }
  }

  async read(partition: number, opts: ReadOptions): Promise<OutboxEvent[]> {
    const key = this.store.keysOf(partition).outbox;
    const redis = this.store.redis;

    const own = await this.readGroup(key, '0', opts.count);
    if (own.length > 0) return own.map((e) => parseOutboxEntry(partition, e));

    const claimed = (await redis.xautoclaim(
      key,
      OUTBOX_GROUP,
      this.consumer,
      opts.claimIdleMs,
      '0-0',
      'COUNT',
      opts.count,
    )) as [string, (StreamEntry | null)[], string[]?];
    const live = claimed[1].filter((e): e is StreamEntry => e !== null);
    if (live.length > 0) return live.map((e) => parseOutboxEntry(partition, e));

    const fresh = await this.readGroup(key, '>', opts.count);
    return fresh.map((e) => parseOutboxEntry(partition, e));
  }

  /** Acknowledges and deletes flushed entries in one MULTI, so the outbox stays small. */
  async ack(partition: number, streamIds: readonly string[]): Promise<void> {
    if (streamIds.length === 0) return;
    const key = this.store.keysOf(partition).outbox;
    const results = await this.store.redis
      .multi()
      .xack(key, OUTBOX_GROUP, ...streamIds)
      .xdel(key, ...streamIds)
      .exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('outbox ack aborted');
  }

  /** Age in ms of the oldest event not flushed yet (0 when the outbox is empty). */
  async lagMs(partition: number, now = Date.now()): Promise<number> {
    const first = await this.store.redis.xrange(
      this.store.keysOf(partition).outbox,
      '-',
      '+',
      'COUNT',
      1,
    );
    const id = first[0]?.[0];
    return id ? Math.max(0, now - Number(id.split('-')[0])) : 0;
  }

  private async readGroup(key: string, id: string, count: number): Promise<StreamEntry[]> {
    const reply = (await this.store.redis.xreadgroup(
      'GROUP',
      OUTBOX_GROUP,
      this.consumer,
      'COUNT',
      count,
      'STREAMS',
      key,
      id,
    )) as [string, StreamEntry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }
}
