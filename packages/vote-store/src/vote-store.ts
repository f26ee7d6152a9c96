import { readFileSync } from 'node:fs';

import type { VoteSignals, VoteValue } from '@llmpt/shared';
import type { Redis, Result } from 'ioredis';

import { type PartitionKeys, partitionKeys, partitionOf } from './keys.ts';

const castVoteLua = readFileSync(new URL('./lua/cast-vote-6.lua', import.meta.url), 'utf8');
const voidBallotLua = readFileSync(new URL('./lua/void-ballot-1.lua', import.meta.url), 'utf8');

/** Connections the script is already defined on (several stores may share one). */
const defined = new WeakSet<Redis>();

type CastReply = [number, number, number, number, number, string, number];
type VoidReply = [number, number, number, number, number, string];

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
      ...signals: string[]
    ): Result<CastReply, Context>;
    llmptVoidBallot(
      ballot: string,
      voided: string,
      tally: string,
      outbox: string,
      voterId: string,
      llmId: string,
      mode: 'void' | 'restore',
      flagId: string,
    ): Result<VoidReply, Context>;
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
  | { status: 'network_limited'; retryAfterSec: number }
  /** This ballot is voided by an integrity flag (under review or removed): it cannot change. */
  | { status: 'voided'; flagId: string };

/** What a void or restore did (see void-ballot-1.lua). */
export type VoidOutcome =
  | { status: 'done'; value: VoteValue; up: number; down: number; ver: number; eventId: string }
  | { status: 'noop' }
  | { status: 'unknown_model' };

/** A voter's ballot as vote.mine reports it: counted, or voided by a flag (with the flag id). */
export interface OwnBallot {
  value: 1 | -1;
  /** The flag that voided it; absent while it counts. */
  voidedBy?: string;
}

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
      this.writer.defineCommand('llmptCastVote', { numberOfKeys: 6, lua: castVoteLua });
      this.writer.defineCommand('llmptVoidBallot', { numberOfKeys: 4, lua: voidBallotLua });
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
    signals?: VoteSignals,
  ): Promise<CastOutcome> {
    const k = this.keysFor(llmId);
    const [status, up, down, ver, prev, eventId, retryAfterSec] = await this.writer.llmptCastVote(
      k.ready,
      k.ballot(voterId),
      k.tally(llmId),
      k.outbox,
      k.networkBallots(limit?.networkHash ?? '-', llmId),
      k.voided(voterId),
      voterId,
      llmId,
      String(value),
      String(limit?.max ?? 0),
      String(limit?.windowSec ?? 1),
      signals?.ip ?? '',
      signals?.net ?? '',
      signals?.ua ?? '',
      signals?.fp ?? '',
      signals?.newVoter ? '1' : '0',
      signals?.automated ? '1' : '0',
    );
    if (status === -1) return { status: 'not_ready' };
    if (status === -4) return { status: 'voided', flagId: eventId };
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

  /**
   * Voids (or, for a dismissed flag, restores) one ballot for an integrity flag, through the
   * same ballot, tally and outbox as a vote. Idempotent: repeating either changes nothing.
   * @see ./lua/void-ballot-1.lua
   */
  async voidBallot(
    voterId: string,
    llmId: string,
    mode: 'void' | 'restore',
    flagId: string,
  ): Promise<VoidOutcome> {
    const k = this.keysFor(llmId);
    const [status, value, up, down, ver, eventId] = await this.writer.llmptVoidBallot(
      k.ballot(voterId),
      k.voided(voterId),
      k.tally(llmId),
      k.outbox,
      voterId,
      llmId,
      mode,
      flagId,
    );
    if (status === -2) return { status: 'unknown_model' };
    if (status === 0) return { status: 'noop' };
    return { status: 'done', value: value as VoteValue, up, down, ver, eventId };
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
    const own = await this.ownBallotsOf(voterId);
    const out: Record<string, 1 | -1> = {};
    for (const [llmId, b] of Object.entries(own)) if (!b.voidedBy) out[llmId] = b.value;
    return out;
  }

  /**
   * The voter's ballots across every partition (one pipeline): those that count, and those an
   * integrity flag voided (with the value voided and the flag), for vote.mine.
   */
  async ownBallotsOf(voterId: string): Promise<Record<string, OwnBallot>> {
    const pipeline = this.redis.pipeline();
    for (const k of this.keys) pipeline.hgetall(k.ballot(voterId)).hgetall(k.voided(voterId));
    const replies = (await pipeline.exec()) ?? [];
    const out: Record<string, OwnBallot> = {};
    for (let i = 0; i < replies.length; i += 2) {
      const [err, ballots] = replies[i]!;
      const [err2, voided] = replies[i + 1]!;
      if (err) throw err;
      if (err2) throw err2;
      for (const [llmId, value] of Object.entries(ballots as Record<string, string>)) {
        out[llmId] = { value: value === '1' ? 1 : -1 };
      }
      for (const [llmId, record] of Object.entries(voided as Record<string, string>)) {
        const [flagId, value] = record.split(':');
        // A void of a ballot already retracted holds nothing the voter could see as theirs.
        if (value === '1' || value === '-1') {
          out[llmId] = { value: value === '1' ? 1 : -1, voidedBy: flagId! };
        }
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
