import { EventEmitter } from 'node:events';

import type {
  LiveMessage,
  RankingEntry,
  RankingRules,
  RankingsDiff,
  RankingsSnapshot,
} from '@llmpt/shared';
import {
  type RankingsKeys,
  parseDiffEntry,
  readDiffsAfter,
  readRankingsSnapshot,
} from '@llmpt/vote-store';
import type { Redis } from 'ioredis';

/** Far enough back to replay a short disconnection; older ids get a fresh snapshot. */
const MAX_REPLAY = 500;

/** What the ranker's stream carries (the live messages other than `config`). */
export type FeedMessage = Exclude<LiveMessage, { type: 'config' }>;

/**
 * This process's one follower of the ranker's diff stream (one blocking XREAD on a connection of
 * its own) and its in-memory copy of the rankings (L1): `rankings.list` and every subscription
 * of this process are served from here, never from Redis per request.
 */
export class RankingsFeed {
  private readonly entries = new Map<string, RankingEntry>();
  private lastId = '0-0';
  private lastAt = 0;
  /** The ranker's rules, as its last stored snapshot stated them (diffs don't repeat them). */
  private rules: RankingRules | undefined;
  private rulesReadAt = 0;
  private readonly emitter = new EventEmitter();
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    /** A dedicated connection: XREAD BLOCK holds it. */
    private readonly blocking: Redis,
    private readonly keys: RankingsKeys,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    // Every subscription adds one listener; thousands per process are expected.
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.reload();
    this.loop = this.follow();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.blocking.disconnect();
    await this.loop;
  }

  /** The current standings (empty before the ranker's first publication). */
  snapshot(): RankingsSnapshot {
    const entries = [...this.entries.values()];
    return this.rules
      ? { id: this.lastId, at: this.lastAt, entries, rules: this.rules }
      : { id: this.lastId, at: this.lastAt, entries };
  }

  /** One model's current entry, read in place (no copy of the whole snapshot). */
  entry(llmId: string): RankingEntry | undefined {
    return this.entries.get(llmId);
  }

  /** How many models the in-memory copy holds (0 before the ranker's first publication). */
  get size(): number {
    return this.entries.size;
  }

  get id(): string {
    return this.lastId;
  }

  /** Diffs after `afterId`, or null when that id is unknown or too old: send a snapshot then. */
  async missedSince(afterId: string): Promise<RankingsDiff[] | null> {
    if (afterId === this.lastId) return [];
    if (compareIds(afterId, this.lastId) > 0) return null;
    const diffs = await readDiffsAfter(this.redis, this.keys, afterId, MAX_REPLAY);
    if (diffs === null || diffs.length >= MAX_REPLAY) return null;
    return diffs.filter((d) => compareIds(d.id, this.lastId) <= 0);
  }

  /** Calls `fn` with every message from now on; returns the unsubscribe function. */
  onMessage(fn: (m: FeedMessage) => void): () => void {
    this.emitter.on('message', fn);
    return () => this.emitter.off('message', fn);
  }

  listenerCount(): number {
    return this.emitter.listenerCount('message');
  }

  private async reload(): Promise<void> {
    const snap = await readRankingsSnapshot(this.redis, this.keys);
    if (!snap) return;
    this.entries.clear();
    for (const e of snap.entries) this.entries.set(e.llmId, e);
    this.lastId = snap.id;
    this.lastAt = snap.at;
    this.rules = snap.rules;
    this.emitter.emit('message', {
      type: 'snapshot',
      snapshot: this.snapshot(),
    } satisfies FeedMessage);
  }

  private async follow(): Promise<void> {
    while (this.running) {
      try {
        const reply = await this.blocking.xread(
          'COUNT',
          100,
          'BLOCK',
          5000,
          'STREAMS',
          this.keys.diffs,
          this.lastId,
        );
        const batch = reply?.[0]?.[1] ?? [];
        // The stream was trimmed past us (a long stall): start over from the snapshot.
        if (batch.length > 0 && this.lastId !== '0-0' && (await this.fellBehind(batch[0]![0]))) {
          await this.reload();
          continue;
        }
        for (const entry of batch) this.apply(parseDiffEntry(entry));
        if (batch.length > 0) await this.learnRules();
      } catch (err) {
        if (!this.running) return;
        this.onError(err);
        await new Promise((r) => setTimeout(r, 500));
        await this.reload().catch(this.onError);
      }
    }
  }

  /**
   * Started before the ranker's first snapshot (a fresh install): the rules come only with the
   * stored snapshot, never with a diff, so read them there, at most every 5 s until known. The
   * page shows "7 of 20 votes" from them.
   */
  private async learnRules(): Promise<void> {
    if (this.rules !== undefined || Date.now() - this.rulesReadAt < 5_000) return;
    this.rulesReadAt = Date.now();
    this.rules = (await readRankingsSnapshot(this.redis, this.keys))?.rules;
  }

  private async fellBehind(firstNewId: string): Promise<boolean> {
    const missed = await readDiffsAfter(this.redis, this.keys, this.lastId, 1);
    return missed === null || (missed[0] !== undefined && missed[0].id !== firstNewId);
  }

  private apply(diff: RankingsDiff): void {
    if (compareIds(diff.id, this.lastId) <= 0) return;
    for (const e of diff.entries) this.entries.set(e.llmId, e);
    this.lastId = diff.id;
    this.lastAt = diff.at;
    this.emitter.emit('message', { type: 'diff', diff } satisfies FeedMessage);
  }
}

/** Orders Redis stream ids ('ms-seq'). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
}
