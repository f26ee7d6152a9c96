import { readFileSync } from 'node:fs';

import type { VoteSignals, VoteValue } from '@llmpt/shared';

import { OUTBOX_GROUP } from './keys.ts';
import type { VoteStore } from './vote-store.ts';

const removeIdleConsumersLua = readFileSync(
  new URL('./lua/remove-idle-consumers-1.lua', import.meta.url),
  'utf8',
);

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
  /** A voter's vote, or an integrity flag's compensating event (void / restore). */
  kind: 'vote' | 'void' | 'restore';
  /** The flag of a void or restore. */
  flagId?: string;
  /** The signals kept with a vote (absent on compensating events and on older entries). */
  signals?: VoteSignals;
  /**
   * The entry's fields exactly as the script appended them: what a dead letter keeps, so an
   * entry set aside (an unknown model) can be replayed whole, kind, flag and signals included.
   */
  fields?: Record<string, string>;
}

/** An outbox entry the flush cannot write; it goes to the partition's dead-letter stream. */
export interface PoisonEntry {
  streamId: string;
  fields: Record<string, string>;
  reason: string;
}

/** What one read returns: the events to write, and the entries no retry could ever write. */
export interface OutboxBatch {
  events: OutboxEvent[];
  poison: PoisonEntry[];
}

type StreamEntry = [id: string, fields: string[]];

const VOTE_VALUES = new Set(['1', '-1', '0']);
/** Dead letters kept per partition (approximately; the oldest are trimmed). */
const DEAD_LETTER_MAXLEN = 10_000;

function fieldsOf(fields: string[]): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return f;
}

export function parseOutboxEntry(partition: number, [streamId, fields]: StreamEntry): OutboxEvent {
  const f = fieldsOf(fields);
  const [ms, seq] = streamId.split('-');
  if (!f.v || !f.l || !VOTE_VALUES.has(f.n ?? '') || !VOTE_VALUES.has(f.p ?? '') || !ms || !seq) {
    throw new Error(`malformed outbox entry ${streamId} in partition ${partition}`);
  }
  const kind = f.k === undefined ? 'vote' : f.k;
  if (kind !== 'vote' && kind !== 'void' && kind !== 'restore') {
    throw new Error(`malformed outbox entry ${streamId} in partition ${partition}: kind "${kind}"`);
  }
  if (kind !== 'vote' && !/^[1-9][0-9]{0,17}$/.test(f.f ?? '')) {
    throw new Error(`malformed outbox entry ${streamId} in partition ${partition}: flag "${f.f}"`);
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
    kind,
    ...(kind === 'vote' ? {} : { flagId: f.f }),
    ...(kind === 'vote' && f.nw !== undefined
      ? {
          signals: {
            ip: f.ip ?? '',
            net: f.nw,
            ua: f.ua ?? '',
            fp: f.fp ?? '',
            newVoter: f.nv === '1',
            automated: f.au === '1',
          },
        }
      : {}),
    fields: f,
  };
}

/** Splits raw entries into events and malformed entries (which no retry can fix). */
function toBatch(partition: number, entries: StreamEntry[]): OutboxBatch {
  const batch: OutboxBatch = { events: [], poison: [] };
  for (const entry of entries) {
    try {
      batch.events.push(parseOutboxEntry(partition, entry));
    } catch (err) {
      batch.poison.push({
        streamId: entry[0],
        fields: fieldsOf(entry[1]),
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return batch;
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

  /**
   * The next batch. Malformed entries come back as `poison`, not as an error: one bad entry must
   * not stop its partition (see deadLetter).
   */
  async read(partition: number, opts: ReadOptions): Promise<OutboxBatch> {
    const key = this.store.keysOf(partition).outbox;
    const redis = this.store.redis;

    const own = await this.readGroup(key, '0', opts.count);
    if (own.length > 0) return toBatch(partition, own);

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
    if (live.length > 0) return toBatch(partition, live);

    return toBatch(partition, await this.readGroup(key, '>', opts.count));
  }

  /** Acknowledges and deletes flushed entries in one MULTI, so the outbox stays small. */
  async ack(partition: number, streamIds: readonly string[]): Promise<void> {
    if (streamIds.length === 0) return;
    const key = this.store.keysOf(partition).outbox;
    await execMulti(
      this.store.redis
        .multi()
        .xack(key, OUTBOX_GROUP, ...streamIds)
        .xdel(key, ...streamIds),
    );
  }

  /**
   * Moves entries to the partition's dead-letter stream (`…{vp:N}:deadletter`: `src` the
   * original id, `reason`, `entry` the original fields as JSON) and acknowledges and deletes
   * them from the outbox, in one MULTI: an entry is in exactly one of the two streams.
   */
  async deadLetter(partition: number, entries: readonly PoisonEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const k = this.store.keysOf(partition);
    const ids = entries.map((e) => e.streamId);
    const multi = this.store.redis.multi();
    for (const e of entries) {
      multi.xadd(
        k.deadLetter,
        'MAXLEN',
        '~',
        DEAD_LETTER_MAXLEN,
        '*',
        'src',
        e.streamId,
        'reason',
        e.reason,
        'entry',
        JSON.stringify(e.fields),
      );
    }
    await execMulti(multi.xack(k.outbox, OUTBOX_GROUP, ...ids).xdel(k.outbox, ...ids));
  }

  /**
   * Removes consumers idle longer than `idleMs` with nothing pending (dead workers: every
   * restart adds a consumer name); never this reader's own. Check and removal are one script.
   * @returns the names removed.
   */
  async removeDeadConsumers(partition: number, idleMs: number): Promise<string[]> {
    return (await this.store.redis.eval(
      removeIdleConsumersLua,
      1,
      this.store.keysOf(partition).outbox,
      OUTBOX_GROUP,
      String(idleMs),
      this.consumer,
    )) as string[];
  }

  /** Age in ms of the oldest event not flushed yet (0 when the outbox is empty). */
  async lagMs(partition: number, now = Date.now()): Promise<number> {
    return (await outboxAgesMs(this.store, [partition], now))[0] ?? 0;
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

/**
 * Age in ms of each partition's oldest outbox entry (0 for an empty outbox), in one pipeline.
 * Every entry in an outbox is unflushed (a flush deletes what it wrote), so this keeps growing
 * while a partition is stuck, whatever the flush jobs do.
 */
export async function outboxAgesMs(
  store: VoteStore,
  partitions: readonly number[],
  now = Date.now(),
): Promise<number[]> {
  const pipe = store.redis.pipeline();
  for (const p of partitions) pipe.xrange(store.keysOf(p).outbox, '-', '+', 'COUNT', 1);
  const replies = (await pipe.exec()) ?? [];
  return replies.map(([err, reply]) => {
    if (err) throw err;
    const id = (reply as StreamEntry[])[0]?.[0];
    return id ? Math.max(0, now - Number(id.split('-')[0])) : 0;
  });
}

async function execMulti(multi: ReturnType<VoteStore['redis']['multi']>): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('outbox MULTI aborted');
}
