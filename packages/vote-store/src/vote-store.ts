import { readFileSync } from 'node:fs';

import type { VoteValue } from '@llmpt/shared';
import type { Redis, Result } from 'ioredis';

import { type PartitionKeys, partitionKeys, partitionOf } from './keys.ts';

const castVoteLua = readFileSync(new URL('./lua/cast-vote-5.lua', import.meta.url), 'utf8');

/** Connections the script is already defined on (several stores may share one). */
const defined = new WeakSet<Redis>();

type CastReply = [number, number, number, number, number, string, number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    llmptCastVote(
      ready: string,
      ballot: string,
      tally: string,
      outbox: string,
      networkBallots: string,
      voterId: string,
      llmId: string,
      value: string,
      networkLimit: string,
      networkWindowSec: string,
    ): Result<CastReply, Context>;
  }
}

export type CastOutcome =
  | {
      status: 'changed' | 'unchanged';
      up: number;
      down: number;
      ver: number;
      prev: VoteValue;
      /** Outbox stream id of the event; '' when unchanged. */
      eventId: string;
    }
  | { status: 'not_ready' }
  | { status: 'unknown_model' }
  /** The client network added its most new ballots to this model for now. */
  | { status: 'network_limited'; retryAfterSec: number };

/**
 * The front-door limit on what one client network may add to one model: at most `max` new
 * ballots per `windowSec`, counted per (network, model) inside the vote script.
 */
export interface NetworkBallotLimit {
  /** A keyed hash of the client's network (IPv4 /24, IPv6 /64): no address is stored. */
  networkHash: string;
  max: number;
  windowSec: number;
}

export interface Tally {
  up: number;
  down: number;
  ver: number;
}

export interface VoteStoreOptions {
  /** Prefix of every key (tests use one per run). */
  prefix?: string;
  /** Number of vote partitions; fixed per deployment. */
  partitions: number;
  /**
   * The connection the vote script runs on, when it is not `redis` (votes that wait for a
   * replica need one of their own: see ReplicaAcks). Reads stay on `redis`.
   */
  writer?: Redis;
}

/**
 * The Redis side of the write path: one Lua round trip per vote, tallies and ballots readable
 * at once, events left in a per-partition outbox for the worker to flush to Postgres.
 * @see ./lua/cast-vote-5.lua
 */
export class VoteStore {
  readonly prefix: string;
  readonly partitions: number;
  private readonly keys: PartitionKeys[];
  /** Where the vote script runs (see VoteStoreOptions.writer). */
  readonly writer: Redis;

  constructor(
    readonly redis: Redis,
    opts: VoteStoreOptions,
  ) {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 1024) {
      throw new Error(`partitions must be an integer in 1..1024, got ${opts.partitions}`);
    }
    this.prefix = opts.prefix ?? '';
    this.partitions = opts.partitions;
    this.keys = Array.from({ length: opts.partitions }, (_, p) => partitionKeys(this.prefix, p));
    this.writer = opts.writer ?? redis;
    if (!defined.has(this.writer)) {
      this.writer.defineCommand('llmptCastVote', { numberOfKeys: 5, lua: castVoteLua });
      defined.add(this.writer);
    }
  }

  keysOf(partition: number): PartitionKeys {
    const keys = this.keys[partition];
    if (!keys) throw new RangeError(`no vote partition ${partition}`);
    return keys;
  }

  keysFor(llmId: string): PartitionKeys {
    return this.keysOf(partitionOf(llmId, this.partitions));
  }

  /**
   * Casts (or changes, or retracts with 0) a voter's ballot on one model; with `limit`, a new
   * ballot is refused once the client's network has added `limit.max` to this model.
   */
  async cast(
    voterId: string,
    llmId: string,
    value: VoteValue,
    limit?: NetworkBallotLimit,
  ): Promise<CastOutcome> {
    const k = this.keysFor(llmId);
    const [status, up, down, ver, prev, eventId, retryAfterSec] = await this.writer.llmptCastVote(
      k.ready,
      k.ballot(voterId),
      k.tally(llmId),
      k.outbox,
      k.networkBallots(limit?.networkHash ?? '-', llmId),
      voterId,
      llmId,
      String(value),
      String(limit?.max ?? 0),
      String(limit?.windowSec ?? 1),
    );
    if (status === -1) return { status: 'not_ready' };
    if (status === -2) return { status: 'unknown_model' };
    if (status === -3) return { status: 'network_limited', retryAfterSec };
    return {
      status: status === 1 ? 'changed' : 'unchanged',
      up,
      down,
      ver,
      prev: prev as VoteValue,
      eventId,
    };
  }

  /** Current tallies of the given models (missing models are left out). */
  async tallies(llmIds: readonly string[]): Promise<Map<string, Tally>> {
    const pipeline = this.redis.pipeline();
    for (const id of llmIds) pipeline.hmget(this.keysFor(id).tally(id), 'up', 'down', 'ver');
    const replies = (await pipeline.exec()) ?? [];
    const out = new Map<string, Tally>();
    replies.forEach(([err, reply], i) => {
      if (err) throw err;
      const [up, down, ver] = reply as [string | null, string | null, string | null];
      const id = llmIds[i];
      if (id !== undefined && up !== null) {
        out.set(id, { up: Number(up), down: Number(down ?? 0), ver: Number(ver ?? 0) });
      }
    });
    return out;
  }

  /** The voter's current non-zero ballots, across every partition. */
  async ballotsOf(voterId: string): Promise<Record<string, 1 | -1>> {
    const pipeline = this.redis.pipeline();
    for (const k of this.keys) pipeline.hgetall(k.ballot(voterId));
    const replies = (await pipeline.exec()) ?? [];
    const out: Record<string, 1 | -1> = {};
    for (const [err, reply] of replies) {
      if (err) throw err;
      for (const [llmId, value] of Object.entries(reply as Record<string, string>)) {
        out[llmId] = value === '1' ? 1 : -1;
      }
    }
    return out;
  }

  /** Partitions that have not been rebuilt from Postgres yet (votes there answer not_ready). */
  async unreadyPartitions(): Promise<number[]> {
    const pipeline = this.redis.pipeline();
    for (const k of this.keys) pipeline.exists(k.ready);
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([err, n], p) => {
      if (err) throw err;
      return n === 0 ? [p] : [];
    });
  }
}
