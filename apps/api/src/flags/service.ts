import { randomUUID } from 'node:crypto';

import type { Database, FlagRecord, Kysely } from '@llmpt/db';
import type { ExperimentArm, FlagEvaluation, FlagVariant } from '@llmpt/shared';
import type { ConfigChannel } from '@llmpt/vote-store';
import { type Client, type Hook, NOOP_PROVIDER, OpenFeature } from '@openfeature/server-sdk';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type { Metrics } from '../metrics.ts';
import { PostgresFlagProvider } from './provider.ts';

/** How long `evaluate` waits for a reload this process has heard of but not finished. */
const FRESH_WAIT_MS = 1_000;
/** A safety net under the config channel: a change whose announcement failed still lands. */
const RELOAD_EVERY_MS = 60_000;
const VARIANTS: readonly FlagVariant[] = ['on', 'off'];

/** The Redis hash of an experiment's counters: `<variant>:exposures`, `<variant>:votes`. */
export function experimentKey(prefix: string, flag: string): string {
  return `${prefix}exp:${flag}`;
}

/**
 * Feature flags of one api process, through OpenFeature: a domain-scoped Postgres provider
 * (unique domain per instance), reloaded when the config channel reports a 'flags' change.
 *
 * Experiments: an evaluation of a flag with `experiment` on is one exposure (a page visit) of
 * the voter's arm, counted by the client's `after` hook in Prometheus
 * (`experiment_exposures_total`) and in a Redis hash shared by every process (the admin page
 * sums those); `recordVote` counts the outcome the same two ways.
 */
export class FlagsService {
  readonly domain = `llmpt-flags-${randomUUID()}`;
  readonly provider: PostgresFlagProvider;
  private client: Client | null = null;
  private reloading: Promise<void> | null = null;
  private again = false;
  private off: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Experiment flags, kept apart so the vote path loops over these only (usually none). */
  private experiments: FlagRecord[] = [];

  constructor(
    db: () => Kysely<Database>,
    private readonly config: ConfigChannel,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.provider = new PostgresFlagProvider(db);
  }

  /** Loads the flags (the provider's initialize) and follows the config channel. */
  async start(): Promise<void> {
    this.off = this.config.onChange((_versions, changed) => {
      if (changed.includes('flags')) this.reload().catch(() => undefined);
    });
    this.provider.version = this.config.versions.flags;
    await OpenFeature.setProviderAndWait(this.domain, this.provider);
    this.afterLoad();
    this.client = OpenFeature.getClient(this.domain);
    this.client.addHooks(this.exposureHook());
    this.timer = setInterval(() => {
      this.reload().catch(() => undefined);
    }, RELOAD_EVERY_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.off?.();
    if (this.timer) clearInterval(this.timer);
    // Replacing the domain's provider closes ours and frees the domain.
    await OpenFeature.setProviderAndWait(this.domain, NOOP_PROVIDER);
  }

  /** The flags version this process evaluates at (the config channel's, once loaded). */
  get version(): number {
    return this.provider.version;
  }

  /**
   * Re-reads every flag from the primary. Serialized: a change heard during a load starts one
   * more load after it, so the last change is never missed.
   */
  reload(): Promise<void> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        const version = this.config.versions.flags;
        try {
          await this.provider.reload(version);
          this.afterLoad();
        } catch (err) {
          this.log.error({ err }, 'feature flags reload failed (keeping the flags held)');
          throw err;
        }
      } while (this.again);
    };
    this.reloading = run().finally(() => (this.reloading = null));
    return this.reloading;
  }

  /**
   * Every flag's value and variant for this voter, through the OpenFeature client (hooks run):
   * an experiment flag's evaluation counts one exposure. Waits (≤ 1 s) for a reload this
   * process has heard of, so a page told "flags v5" is not answered with v4's values.
   */
  async evaluate(voterId: string): Promise<FlagEvaluation> {
    await this.fresh();
    const client = this.clientOrThrow();
    const flags: FlagEvaluation['flags'] = {};
    const version = this.provider.version;
    await Promise.all(
      [...this.provider.all().values()].map(async (flag) => {
        const d = await client.getBooleanDetails(
          flag.key,
          false,
          { targetingKey: voterId },
          flag.experiment ? { hookHints: { exposure: true } } : undefined,
        );
        flags[flag.key] = { value: d.value, variant: d.value ? 'on' : 'off' };
      }),
    );
    return { version, flags };
  }

  /** One flag for one voter, synchronously, by the same rule (no hooks: not an exposure). */
  isOn(key: string, voterId: string | undefined): boolean {
    return this.provider.resolve(key, voterId).value;
  }

  /**
   * As `isOn`, asking for the voter only when the answer depends on who it is (a partial
   * rollout): a read that is the same for everyone need not read or mint a voter cookie.
   */
  isOnLazy(key: string, voterId: () => string | undefined): boolean {
    const flag = this.provider.all().get(key);
    if (!flag?.enabled || flag.rolloutPercent <= 0) return false;
    if (flag.rolloutPercent >= 100) return true;
    return this.isOn(key, voterId());
  }

  /**
   * The outcome of experiments: one accepted vote of this voter, counted in the voter's arm of
   * every flag with `experiment` on. Nothing awaited: the vote's answer never waits for it.
   */
  recordVote(voterId: string): void {
    for (const flag of this.experiments) {
      const variant = this.provider.resolve(flag.key, voterId).variant;
      this.metrics.experimentVotes.inc({ flag: flag.key, variant });
      this.redis
        .hincrby(experimentKey(this.prefix, flag.key), `${variant}:votes`, 1)
        .catch((err: unknown) => this.log.warn({ err }, 'experiment vote count failed'));
    }
  }

  /** Both arms of each flag's experiment, from the counters every process writes. */
  async arms(keys: readonly string[]): Promise<Map<string, ExperimentArm[]>> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hgetall(experimentKey(this.prefix, key));
    const res = (await pipeline.exec()) ?? [];
    return new Map(
      keys.map((key, i) => {
        const [err, raw] = res[i] ?? [null, {}];
        if (err) throw err;
        const counts = (raw ?? {}) as Record<string, string>;
        return [
          key,
          VARIANTS.map((variant) => {
            const exposures = Number(counts[`${variant}:exposures`] ?? 0);
            const votes = Number(counts[`${variant}:votes`] ?? 0);
            return {
              variant,
              exposures,
              votes,
              votesPerVisit: exposures ? votes / exposures : null,
            };
          }),
        ];
      }),
    );
  }

  private afterLoad(): void {
    this.experiments = [...this.provider.all().values()].filter((f) => f.experiment);
  }

  private async fresh(): Promise<void> {
    if (this.config.versions.flags <= this.provider.version) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.reload().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, FRESH_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  private clientOrThrow(): Client {
    if (!this.client) throw new Error('FlagsService used before start()');
    return this.client;
  }

  private exposureHook(): Hook {
    return {
      after: async (hookContext, details, hints) => {
        if (!hints?.exposure || details.errorCode) return;
        const variant: FlagVariant = details.value ? 'on' : 'off';
        this.metrics.experimentExposures.inc({ flag: hookContext.flagKey, variant });
        // A Redis failure must not turn the flag into its default: logged, not thrown.
        await this.redis
          .hincrby(experimentKey(this.prefix, hookContext.flagKey), `${variant}:exposures`, 1)
          .catch((err: unknown) => this.log.warn({ err }, 'experiment exposure count failed'));
      },
    };
  }
}
