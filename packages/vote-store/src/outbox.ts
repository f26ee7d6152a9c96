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
   * The entry's fields exactly as the script appended them (the flat list: name, value...): what
   * a dead letter keeps (see entryFields), so an entry set aside (an unknown model) can be
   * replayed whole, kind, flag and signals included.
   */
  fields?: readonly string[];
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

/** Dead letters kept per partition (approximately; the oldest are trimmed). */
const DEAD_LETTER_MAXLEN = 10_000;

/**
 * The outbox entry formats (issue 14). The vote script writes a vote as ONE field, `e`: the
 * values of COMPACT_FIELDS in that order, joined by NUL (which no value can hold: Postgres text
 * refuses it, so an entry that splits wrong could never have been written anyway). One field in
 * place of ten is 3 strings per entry in a read of the stream instead of 21, which made the
 * flush's read and parse ~3× cheaper per event, and one XADD argument pair in the vote path.
 * Compensating events (void, restore: rare) and entries of earlier versions are field by field
 * (`v`, `l`, `n`, `p`, `k`, `f`, and the signals' names below); both are read everywhere.
 */
export const COMPACT_FIELD = 'e';
export const COMPACT_SEPARATOR = '\0';
/** Voter, model, new value, previous value, then the signals: ip, network, user agent, fingerprint, new voter, automated. */
export const COMPACT_FIELDS = ['v', 'l', 'n', 'p', 'ip', 'nw', 'ua', 'fp', 'nv', 'au'] as const;

/**
 * An entry's fields (the flat list: name, value, ...) as a record of named fields, whichever the
 * format (a compact record is spelled out; the last of a repeated name wins): what a dead letter
 * keeps, so it can be replayed by XADDing these fields.
 */
export function entryFields(fields: readonly string[]): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    const parts = name === COMPACT_FIELD ? value.split(COMPACT_SEPARATOR) : null;
    if (parts && parts.length === COMPACT_FIELDS.length) {
      COMPACT_FIELDS.forEach((n, j) => (f[n] = parts[j]!));
    } else f[name] = value;
  }
  return f;
}

const FLAG_ID = /^[1-9][0-9]{0,17}$/;

/**
 * One outbox entry as an event. The fields are read in one pass over the flat list Redis
 * returned, into locals (no record per entry: the flush reads 5,000 entries per batch, and
 * every object per event is garbage the worker collects; issue 14).
 * @throws on a malformed entry (a missing or invalid field), which no retry can write.
 */
export function parseOutboxEntry(partition: number, entry: StreamEntry): OutboxEvent {
  const streamId = entry[0];
  const fields = entry[1];
  let v: string | undefined;
  let l: string | undefined;
  let n: string | undefined;
  let p: string | undefined;
  let k: string | undefined;
  let flag: string | undefined;
  let ip: string | undefined;
  let nw: string | undefined;
  let ua: string | undefined;
  let fp: string | undefined;
  let nv: string | undefined;
  let au: string | undefined;
  let malformed = false;
  if (fields.length === 2 && fields[0] === COMPACT_FIELD) {
    // The vote script's one-field record (see COMPACT_FIELDS), read by position.
    const parts = fields[1]!.split(COMPACT_SEPARATOR);
    if (parts.length === COMPACT_FIELDS.length) {
      v = parts[0];
      l = parts[1];
      n = parts[2];
      p = parts[3];
      ip = parts[4];
      nw = parts[5];
      ua = parts[6];
      fp = parts[7];
      nv = parts[8];
      au = parts[9];
    } else malformed = true;
  } else {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const value = fields[i + 1];
      switch (fields[i]) {
        case 'v':
          v = value;
          break;
        case 'l':
          l = value;
          break;
        case 'n':
          n = value;
          break;
        case 'p':
          p = value;
          break;
        case 'k':
          k = value;
          break;
        case 'f':
          flag = value;
          break;
        case 'ip':
          ip = value;
          break;
        case 'nw':
          nw = value;
          break;
        case 'ua':
          ua = value;
          break;
        case 'fp':
          fp = value;
          break;
        case 'nv':
          nv = value;
          break;
        case 'au':
          au = value;
          break;
      }
    }
  }
  const dash = streamId.indexOf('-');
  const whole = dash > 0 && dash < streamId.length - 1;
  const ms = whole ? Number(streamId.slice(0, dash)) : NaN;
  const seq = whole ? Number(streamId.slice(dash + 1)) : NaN;
  const value = voteValueOf(n);
  const prevValue = voteValueOf(p);
  if (malformed || !v || !l || value === null || prevValue === null || !(ms >= 0) || !(seq >= 0)) {
    throw new Error(`malformed outbox entry ${streamId} in partition ${partition}`);
  }
  const kind = k === undefined ? 'vote' : k;
  if (kind !== 'vote' && kind !== 'void' && kind !== 'restore') {
    throw new Error(`malformed outbox entry ${streamId} in partition ${partition}: kind "${kind}"`);
  }
  if (kind !== 'vote' && !FLAG_ID.test(flag ?? '')) {
    throw new Error(`malformed outbox entry ${streamId} in partition ${partition}: flag "${flag}"`);
  }
  const event: OutboxEvent = {
    eventId: `${partition}:${streamId}`,
    streamId,
    partition,
    voterId: v,
    llmId: l,
    value,
    prevValue,
    createdAt: new Date(ms),
    seq,
    kind,
    fields,
  };
  if (kind !== 'vote') event.flagId = flag;
  else if (nw !== undefined) {
    event.signals = {
      ip: ip ?? '',
      net: nw,
      ua: ua ?? '',
      fp: fp ?? '',
      newVoter: nv === '1',
      automated: au === '1',
    };
  }
  return event;
}

/** '1', '-1' or '0' as a vote value; null for anything else. */
function voteValueOf(text: string | undefined): VoteValue | null {
  return text === '1' ? 1 : text === '-1' ? -1 : text === '0' ? 0 : null;
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
        fields: entryFields(entry[1]),
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
