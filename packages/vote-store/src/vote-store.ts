import { readFileSync } from 'node:fs';

import type { VoteSignals, VoteValue } from '@llmpt/shared';
import type { Redis, Result } from 'ioredis';

import { type GateKeys, type PartitionKeys, gateKeys, partitionKeys, partitionOf } from './keys.ts';

const castVoteLua = readFileSync(new URL('./lua/cast-vote-7.lua', import.meta.url), 'utf8');
const voidBallotLua = readFileSync(new URL('./lua/void-ballot-1.lua', import.meta.url), 'utf8');

/** Connections the script is already defined on (several stores may share one). */
const defined = new WeakSet<Redis>();

type CastReply = [number, number, number, number, number, string, number, number];
type VoidReply = [number, number, number, number, number, string];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    llmptCastVote(
      ready: string,
      ballot: string,
      tally: string,
      outbox: string,
      networkBallots: string,
      voided: string,
      voterBan: string,
      networkBan: string,
      session: string,
      voterLimit: string,
      addressLimit: string,
      newVotersLimit: string,
      voterId: string,
      llmId: string,
      value: string,
      networkLimit: string,
      networkWindowSec: string,
      ...rest: string[]
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
      /** The voter counted as new (no session before this vote); false without a gate. */
      newVoter: boolean;
    }
  /** A ban from a confirmed integrity flag (only with a gate). */
  | { status: 'banned'; scope: 'voter' | 'network'; flagId: string; leftMs: number | null }
  /** Over a rate limit (only with a gate); nothing was counted. */
  | { status: 'rate_limited'; scope: RateLimitScope; retryAfterSec: number }
  | { status: 'not_ready' }
  | { status: 'unknown_model' }
  /** The client network added its most new ballots to this model for now. */
  | { status: 'network_limited'; retryAfterSec: number }
  /** This ballot is voided by an integrity flag (under review or removed): it cannot change. */
  | { status: 'voided'; flagId: string };

/** Which rate limit refused a vote: per voter, per address, or new voter ids per network. */
export type RateLimitScope = 'voter' | 'ip' | 'new_voters';

const LIMIT_SCOPES: readonly RateLimitScope[] = ['voter', 'ip', 'new_voters'];

/**
 * The front door's checks, run in the vote script itself (one call per vote): bans, the rate
 * limits (fixed windows; 0 turns one off) and the voter's session. The api passes one; tools and
 * tests that only need a ballot written pass none.
 */
export interface VoteGate {
  /** The client's address, for the per-address limit. */
  ip: string;
  /** The request carried no voter cookie: the voter id was minted for it. */
  cookieless: boolean;
  /** This process already knows the voter has a session: the script skips its EXISTS. */
  knownVoter: boolean;
  perVoterPerMin: number;
  perIpPerMin: number;
  newVotersPerNetworkHour: number;
  /** Write the session (open or refresh it) with these keyed hashes; a new voter's is always written. */
  session: { refresh: boolean; ipHash: string; uaHash: string; ttlSec: number };
}

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
 * @see ./lua/cast-vote-7.lua
 */
export class VoteStore {
  readonly prefix: string;
  readonly partitions: number;
  private readonly keys: PartitionKeys[];
  private readonly gateKeys: GateKeys;
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
    this.gateKeys = gateKeys(this.prefix);
    this.writer = opts.writer ?? redis;
    if (!defined.has(this.writer)) {
      this.writer.defineCommand('llmptCastVote', { numberOfKeys: 12, lua: castVoteLua });
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
    gate?: VoteGate,
  ): Promise<CastOutcome> {
    const k = this.keysFor(llmId);
    const networkHash = limit?.networkHash ?? '-';
    const g = this.gateKeys;
    const [status, up, down, ver, prev, eventId, retryAfter, extra] =
      await this.writer.llmptCastVote(
        k.ready,
        k.ballot(voterId),
        k.tally(llmId),
        k.outbox,
        k.networkBallots(networkHash, llmId),
        k.voided(voterId),
        g.voterBan(voterId),
        g.networkBan(networkHash),
        g.session(voterId),
        g.voterLimit(voterId),
        g.addressLimit(gate?.ip ?? '-'),
        g.newVotersLimit(networkHash),
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
        gate ? '1' : '0',
        gate?.cookieless ? '1' : '0',
        gate?.knownVoter ? '1' : '0',
        String(gate?.perVoterPerMin ?? 0),
        String(gate?.perIpPerMin ?? 0),
        String(gate?.newVotersPerNetworkHour ?? 0),
        gate?.session.refresh ? '1' : '0',
        gate ? new Date().toISOString() : '',
        gate?.session.ipHash ?? '',
        gate?.session.uaHash ?? '',
        String(gate?.session.ttlSec ?? 1),
      );
    switch (status) {
      case -1:
        return { status: 'not_ready' };
      case -2:
        return { status: 'unknown_model' };
      case -3:
        return { status: 'network_limited', retryAfterSec: retryAfter };
      case -4:
        return { status: 'voided', flagId: eventId };
      case -5:
        return {
          status: 'banned',
          scope: extra === 1 ? 'voter' : 'network',
          flagId: eventId,
          leftMs: retryAfter > 0 ? retryAfter : null,
        };
      case -6:
        return {
          status: 'rate_limited',
          scope: LIMIT_SCOPES[extra - 1] ?? 'voter',
          retryAfterSec: retryAfter,
        };
      default:
        return {
          status: status === 1 ? 'changed' : 'unchanged',
          up,
          down,
          ver,
          prev: prev as VoteValue,
          eventId,
          newVoter: extra === 1,
        };
    }
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
