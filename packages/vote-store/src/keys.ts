/**
 * Key layout of the Redis vote store. All keys of one vote share the hash tag of the
 * model's vote partition, so one Lua script touches one Cluster slot.
 */

/** FNV-1a 32-bit: stable across processes and languages, cheap, well spread for short ids. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The vote partition of a model. Fixed per deployment: changing the count remaps models. */
export function partitionOf(llmId: string, partitions: number): number {
  return fnv1a32(llmId) % partitions;
}

export interface PartitionKeys {
  partition: number;
  ready: string;
  outbox: string;
  /** Outbox entries the flush could not write (malformed, unknown model), kept for inspection. */
  deadLetter: string;
  ballot(voterId: string): string;
  /** The voter's ballots voided by integrity flags: llmId -> '<flagId>:<value voided>'. */
  voided(voterId: string): string;
  tally(llmId: string): string;
  /** New ballots from one client network on one model in the current window (front-door limit). */
  networkBallots(networkHash: string, llmId: string): string;
}

export function partitionKeys(prefix: string, partition: number): PartitionKeys {
  const tag = `${prefix}{vp:${partition}}`;
  return {
    partition,
    ready: `${tag}:ready`,
    outbox: `${tag}:outbox`,
    deadLetter: `${tag}:deadletter`,
    ballot: (voterId) => `${tag}:ballot:${voterId}`,
    voided: (voterId) => `${tag}:voided:${voterId}`,
    tally: (llmId) => `${tag}:tally:${llmId}`,
    networkBallots: (networkHash, llmId) => `${tag}:netballots:${networkHash}:${llmId}`,
  };
}

/** The outbox consumer group every flush worker reads through. */
export const OUTBOX_GROUP = 'flush';

export interface RankingsKeys {
  /** Stream of RankingsDiff (field `d`: JSON without the id; the stream id is the diff id). */
  diffs: string;
  /** The latest RankingsSnapshot, stored as `<diff id>\n<JSON>`. */
  snapshot: string;
  /** The ranker leader's lock (value: its token; TTL renewed by the leader). */
  leader: string;
}

/** Keys of the live rankings; one hash tag so the publish script runs on one Cluster slot. */
export function rankingsKeys(prefix: string): RankingsKeys {
  const tag = `${prefix}{rk}`;
  return { diffs: `${tag}:diffs`, snapshot: `${tag}:snapshot`, leader: `${tag}:leader` };
}

/**
 * The vote gate's keys (see cast-vote-7.lua): per voter, address or network, outside the vote
 * partitions. The limits' names are rate-limiter-flexible's (`<keyPrefix>:<key>`), which kept
 * them before they moved into the vote script, so counters carry over an upgrade.
 */
export interface GateKeys {
  voterBan(voterId: string): string;
  networkBan(networkHash: string): string;
  session(voterId: string): string;
  voterLimit(voterId: string): string;
  addressLimit(ip: string): string;
  newVotersLimit(networkHash: string): string;
}

export function gateKeys(prefix: string): GateKeys {
  const bans = integrityKeys(prefix);
  return {
    voterBan: bans.voterBan,
    networkBan: bans.networkBan,
    session: (voterId) => `${prefix}session:${voterId}`,
    voterLimit: (voterId) => `${prefix}rl:vote:voter:${voterId}`,
    addressLimit: (ip) => `${prefix}rl:vote:ip:${ip}`,
    newVotersLimit: (networkHash) => `${prefix}rl:vote:newvoters:${networkHash}`,
  };
}

/**
 * Integrity keys outside the vote partitions (issue 13): bans, checked with the rate limits in
 * the same auto-pipelined round trip, and each flag's status, read by vote.mine.
 */
export function integrityKeys(prefix: string) {
  return {
    /** Exists (with a TTL to the ban's end) while the voter id is banned; value: the flag id. */
    voterBan: (voterId: string) => `${prefix}ban:voter:${voterId}`,
    /** Exists while the network (keyed hash) is banned; value: the flag id. */
    networkBan: (networkHash: string) => `${prefix}ban:net:${networkHash}`,
    /** Hash flagId -> status, for voters' "under review" / "removed". */
    flagStatus: `${prefix}integrity:flag-status`,
  };
}
