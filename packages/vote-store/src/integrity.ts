import type { FlagStatus } from '@llmpt/shared';
import type { Redis } from 'ioredis';

import { integrityKeys } from './keys.ts';

/**
 * The Redis side of ranking integrity (issue 13) outside the vote partitions: bans (checked on
 * the vote path, in the rate limits' auto-pipelined round trip) and each flag's status (read
 * by vote.mine to tell a voter "under review" from "removed"). Postgres is the truth for both;
 * these are its copies, written after each commit and rebuilt from it (see restoreIntegrity).
 */
export class IntegrityStore {
  private readonly keys: ReturnType<typeof integrityKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = integrityKeys(prefix);
  }

  /**
   * Bans voter ids and/or one network until `until` (keys expire then). A later ban of the same
   * subject replaces an earlier one only when it lasts longer.
   */
  async ban(
    subjects: { voterIds?: readonly string[]; networkHash?: string },
    until: Date,
    flagId: string,
  ): Promise<void> {
    const ms = until.getTime() - Date.now();
    if (ms <= 0) return;
    const pipe = this.redis.pipeline();
    const keys = [
      ...(subjects.voterIds ?? []).map((id) => this.keys.voterBan(id)),
      ...(subjects.networkHash ? [this.keys.networkBan(subjects.networkHash)] : []),
    ];
    // GT: never shortens a longer ban made by another flag (Redis ≥ 7).
    for (const key of keys) pipe.set(key, flagId, 'PX', ms, 'NX').pexpire(key, ms, 'GT');
    const replies = (await pipe.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
  }

  /** Lifts bans (a confirmed flag dismissed afterwards). */
  async unban(subjects: { voterIds?: readonly string[]; networkHash?: string }): Promise<void> {
    const keys = [
      ...(subjects.voterIds ?? []).map((id) => this.keys.voterBan(id)),
      ...(subjects.networkHash ? [this.keys.networkBan(subjects.networkHash)] : []),
    ];
    if (keys.length > 0) await this.redis.del(...keys);
  }

  /**
   * Which of the voter id and network is banned (one round trip; auto-pipelined with the rate
   * limits when the connection has enableAutoPipelining).
   */
  async banned(voterId: string, networkHash: string): Promise<'voter' | 'network' | null> {
    const [voter, network] = await Promise.all([
      this.redis.exists(this.keys.voterBan(voterId)),
      this.redis.exists(this.keys.networkBan(networkHash)),
    ]);
    return voter ? 'voter' : network ? 'network' : null;
  }

  /** Records flags' statuses (after the Postgres commit that changed them). */
  async setStatuses(
    statuses: ReadonlyArray<{ flagId: string; status: FlagStatus }>,
  ): Promise<void> {
    if (statuses.length === 0) return;
    await this.redis.hset(
      this.keys.flagStatus,
      Object.fromEntries(statuses.map((s) => [s.flagId, s.status])),
    );
  }

  /** Statuses of the given flags (missing: unknown here, e.g. before a rebuild). */
  async statuses(flagIds: readonly string[]): Promise<Map<string, FlagStatus>> {
    const out = new Map<string, FlagStatus>();
    if (flagIds.length === 0) return out;
    const values = await this.redis.hmget(this.keys.flagStatus, ...flagIds);
    flagIds.forEach((id, i) => {
      const v = values[i];
      if (v) out.set(id, v as FlagStatus);
    });
    return out;
  }
}
