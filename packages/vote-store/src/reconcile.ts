import { readFileSync } from 'node:fs';

import { type OutboxEvent, parseOutboxEntry } from './outbox.ts';
import type { VoteStore } from './vote-store.ts';

const setBallotIfLua = readFileSync(new URL('./lua/set-ballot-if-1.lua', import.meta.url), 'utf8');

type StreamEntry = [id: string, fields: string[]];

export interface PartitionSnapshot {
  /** Unflushed events (malformed entries left out: they never changed a tally). */
  outbox: OutboxEvent[];
  /** The newest stream id of the outbox at the snapshot ('0-0' when it never had one). */
  lastId: string;
  tallies: Map<string, { up: number; down: number }>;
}

/**
 * The partition's outbox and the given models' tallies in one MULTI: every tally then counts
 * exactly the events flushed before it plus those in `outbox`.
 */
export async function snapshotPartition(
  store: VoteStore,
  partition: number,
  llmIds: readonly string[],
): Promise<PartitionSnapshot> {
  const k = store.keysOf(partition);
  const multi = store.redis.multi().xrange(k.outbox, '-', '+').xinfo('STREAM', k.outbox);
  for (const id of llmIds) multi.hmget(k.tally(id), 'up', 'down');
  const replies = (await multi.exec()) ?? [];
  const value = (i: number) => {
    const [err, reply] = replies[i] ?? [new Error('MULTI aborted')];
    // An outbox never written to has no stream: XINFO errors, nothing is lost.
    if (err && i === 1) return null;
    if (err) throw err;
    return reply;
  };
  const outbox: OutboxEvent[] = [];
  for (const entry of value(0) as StreamEntry[]) {
    try {
      outbox.push(parseOutboxEntry(partition, entry));
    } catch {
      // Malformed: the flush dead-letters it; it carries no vote to count.
    }
  }
  const info = value(1) as unknown[] | null;
  const at = info ? info.indexOf('last-generated-id') : -1;
  const lastId = at >= 0 ? String(info![at + 1]) : '0-0';
  const tallies = new Map<string, { up: number; down: number }>();
  llmIds.forEach((id, i) => {
    const [up, down] = value(2 + i) as [string | null, string | null];
    if (up !== null) tallies.set(id, { up: Number(up), down: Number(down ?? 0) });
  });
  return { outbox, lastId, tallies };
}

/** Every ballot in the store: voter → partition → model → value. */
export async function scanBallots(store: VoteStore): Promise<Map<string, Map<string, 1 | -1>>> {
  const escaped = store.prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  const pattern = `${escaped}{vp:*}:ballot:*`;
  const out = new Map<string, Map<string, 1 | -1>>();
  let cursor = '0';
  do {
    const [next, keys] = await store.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipe = store.redis.pipeline();
    for (const key of keys) pipe.hgetall(key);
    const replies = (await pipe.exec()) ?? [];
    keys.forEach((key, i) => {
      const [err, reply] = replies[i]!;
      if (err) throw err;
      const voterId = key.slice(key.indexOf('}:ballot:') + '}:ballot:'.length);
      const ballots = out.get(voterId) ?? new Map<string, 1 | -1>();
      for (const [llmId, v] of Object.entries(reply as Record<string, string>))
        ballots.set(llmId, v === '1' ? 1 : -1);
      out.set(voterId, ballots);
    });
  } while (cursor !== '0');
  return out;
}

/** Outbox entries newer than `afterId` (exclusive). */
export async function outboxAfter(
  store: VoteStore,
  partition: number,
  afterId: string,
): Promise<OutboxEvent[]> {
  const entries = (await store.redis.xrange(
    store.keysOf(partition).outbox,
    `(${afterId}`,
    '+',
  )) as StreamEntry[];
  return entries.flatMap((e) => {
    try {
      return [parseOutboxEntry(partition, e)];
    } catch {
      return [];
    }
  });
}

/** Moves a tally by a difference (commutes with votes cast meanwhile). */
export async function adjustTally(
  store: VoteStore,
  llmId: string,
  dUp: number,
  dDown: number,
): Promise<void> {
  const key = store.keysFor(llmId).tally(llmId);
  await store.redis.multi().hincrby(key, 'up', dUp).hincrby(key, 'down', dDown).exec();
}

/** Sets a ballot if it still holds `seen` (0: none); false when a vote changed it meanwhile. */
export async function setBallotIf(
  store: VoteStore,
  voterId: string,
  llmId: string,
  seen: -1 | 0 | 1,
  value: -1 | 0 | 1,
): Promise<boolean> {
  const reply = await store.redis.eval(
    setBallotIfLua,
    1,
    store.keysFor(llmId).ballot(voterId),
    llmId,
    String(seen),
    String(value),
  );
  return reply === 1;
}
