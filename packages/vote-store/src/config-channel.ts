import { EventEmitter } from 'node:events';

import { CONFIG_KINDS, type ConfigVersions, zeroConfigVersions } from '@llmpt/shared';
import type { Redis } from 'ioredis';

/** What admins change at run time; each has a version counter in Redis. */
export type ConfigKind = keyof ConfigVersions;

const KINDS: readonly ConfigKind[] = CONFIG_KINDS;

export function configKeys(prefix: string) {
  const tag = `${prefix}{cfg}`;
  return {
    channel: `${tag}:changed`,
    version: (kind: ConfigKind) => `${tag}:v:${kind}`,
  };
}

/**
 * The ONE rule of how a run-time change (catalogue edit, flag change) reaches every process:
 * after the change commits in Postgres, `bump(kind)` increments its version in Redis and
 * publishes the new versions on one channel. Every api and worker process holds a
 * `ConfigChannel`, hears it within milliseconds, reloads what is newer than what it has, and
 * announces it (api: to its live subscribers as a `config` message). A process that missed a
 * message (reconnect) catches up: on every (re)subscription it reads the versions again, and
 * `versions()` is read at start.
 */
export class ConfigChannel {
  private readonly events = new EventEmitter();
  private current: ConfigVersions = zeroConfigVersions();
  private readonly keys: ReturnType<typeof configKeys>;
  private started = false;

  constructor(
    private readonly redis: Redis,
    /** A connection of its own (subscriber mode); `stop()` closes it. */
    private readonly subscriber: Redis,
    prefix: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.keys = configKeys(prefix);
    this.events.setMaxListeners(0);
  }

  /** Versions as this process last heard them. */
  get versions(): ConfigVersions {
    return this.current;
  }

  /** Reads the versions, then follows the channel; resolves once both are done. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.keys.channel) return;
      try {
        this.advance(JSON.parse(message) as ConfigVersions);
      } catch (err) {
        this.onError(err);
      }
    });
    // After a reconnect, anything published meanwhile was missed: read the counters again.
    this.subscriber.on('ready', () => {
      this.refresh().catch(this.onError);
    });
    await this.subscriber.subscribe(this.keys.channel);
    await this.refresh();
  }

  /** Stops following the channel and closes the subscriber connection (its one user). */
  async stop(): Promise<void> {
    this.events.removeAllListeners();
    if (this.subscriber.status === 'end') return;
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  /** Reads the counters from Redis (and announces what moved). */
  async refresh(): Promise<ConfigVersions> {
    const values = await this.redis.mget(KINDS.map((k) => this.keys.version(k)));
    const read = Object.fromEntries(
      KINDS.map((k, i) => [k, Number(values[i] ?? 0) || 0]),
    ) as unknown as ConfigVersions;
    this.advance(read);
    return this.current;
  }

  /**
   * Records a committed change of `kind` and tells every process (this one included, through
   * the channel like the rest). Returns the new versions.
   */
  async bump(kind: ConfigKind): Promise<ConfigVersions> {
    const tx = this.redis.multi();
    tx.incr(this.keys.version(kind));
    tx.mget(KINDS.map((k) => this.keys.version(k)));
    const res = await tx.exec();
    const values = (res?.[1]?.[1] ?? []) as Array<string | null>;
    const next = Object.fromEntries(
      KINDS.map((k, i) => [k, Number(values[i] ?? 0) || 0]),
    ) as unknown as ConfigVersions;
    await this.redis.publish(this.keys.channel, JSON.stringify(next));
    // This process need not wait for its own message to come back.
    this.advance(next);
    return next;
  }

  /** Called with the new versions and what moved, whenever one of them moved forward. */
  onChange(fn: (versions: ConfigVersions, changed: ConfigKind[]) => void): () => void {
    this.events.on('change', fn);
    return () => this.events.off('change', fn);
  }

  private advance(next: ConfigVersions): void {
    const changed = KINDS.filter((k) => (next[k] ?? 0) > this.current[k]);
    if (changed.length === 0) return;
    const merged = zeroConfigVersions();
    for (const k of KINDS) merged[k] = Math.max(this.current[k], next[k] ?? 0);
    this.current = merged;
    this.events.emit('change', this.current, changed);
  }
}
