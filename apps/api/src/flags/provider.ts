import { type Database, type FlagRecord, type Kysely, listFlags } from '@llmpt/db';
import { type FlagVariant, flagVariant, rolloutBucket } from '@llmpt/shared';
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  StandardResolutionReasons,
} from '@openfeature/server-sdk';

/** A boolean flag's answer for one targeting key, by the shared rollout rule. */
export interface Resolution {
  value: boolean;
  variant: FlagVariant;
  reason: string;
  errorCode?: ErrorCode;
}

/**
 * The rule applied to one stored flag. DISABLED: off for everyone. TARGETING_MATCH: the whole
 * population gets it (100 %), no bucket needed. SPLIT: the voter's bucket decides; without a
 * targeting key the default is answered (TARGETING_KEY_MISSING), never a random arm.
 */
export function resolveFlag(
  flag: FlagRecord | undefined,
  targetingKey: string | undefined,
  defaultValue: boolean,
): Resolution {
  if (!flag) {
    return {
      value: defaultValue,
      variant: defaultValue ? 'on' : 'off',
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    };
  }
  if (!flag.enabled || flag.rolloutPercent <= 0) {
    return { value: false, variant: 'off', reason: StandardResolutionReasons.DISABLED };
  }
  if (flag.rolloutPercent >= 100) {
    return { value: true, variant: 'on', reason: StandardResolutionReasons.TARGETING_MATCH };
  }
  if (!targetingKey) {
    return {
      value: defaultValue,
      variant: defaultValue ? 'on' : 'off',
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TARGETING_KEY_MISSING,
    };
  }
  const variant = flagVariant(flag, rolloutBucket(flag.key, targetingKey));
  return { value: variant === 'on', variant, reason: StandardResolutionReasons.SPLIT };
}

/**
 * OpenFeature server provider over the feature_flags table: every flag is held in memory and
 * evaluated with the shared rollout rule (`rolloutBucket`/`flagVariant` in @llmpt/shared), so an
 * evaluation never waits for the network. `reload()` re-reads the table from the PRIMARY (a
 * replica could still hold the row from before the change that triggered the reload); the
 * owner calls it when the config channel reports a 'flags' change. The swap is one assignment:
 * an evaluation sees the old set or the new one, never a mix.
 *
 * Domain-scoped: one instance per Deps (tests run several apis in one process).
 */
export class PostgresFlagProvider implements Provider {
  readonly metadata = { name: 'llmpt-postgres' } as const;
  readonly runsOn = 'server' as const;
  readonly domainScoped = true;
  private flags: ReadonlyMap<string, FlagRecord> = new Map();
  /**
   * The flags version (the config channel's, global) the held flags are at: set in the same
   * step as the flags, so a read never pairs one load's flags with another's version.
   */
  version = 0;

  constructor(private readonly db: () => Kysely<Database>) {}

  /** Called by the SDK when the provider is set: the first load. */
  async initialize(): Promise<void> {
    await this.reload();
  }

  /** `version`: the config channel's flags version as read BEFORE this load began. */
  async reload(version = this.version): Promise<void> {
    const rows = await listFlags(this.db());
    this.flags = new Map(rows.map((f) => [f.key, f]));
    this.version = Math.max(this.version, version);
  }

  /** The flags as last loaded, by key. */
  all(): ReadonlyMap<string, FlagRecord> {
    return this.flags;
  }

  /** The same answer as an OpenFeature evaluation, synchronously (hot paths: reads, votes). */
  resolve(key: string, targetingKey: string | undefined, defaultValue = false): Resolution {
    return resolveFlag(this.flags.get(key), targetingKey, defaultValue);
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    const flag = this.flags.get(flagKey);
    const r = resolveFlag(flag, context.targetingKey, defaultValue);
    return Promise.resolve({
      value: r.value,
      variant: r.variant,
      reason: r.reason,
      ...(r.errorCode ? { errorCode: r.errorCode } : {}),
      flagMetadata: { experiment: flag?.experiment ?? false },
    });
  }

  // Every flag here is boolean: other types are a caller's mistake, answered with the default.
  resolveStringEvaluation(flagKey: string, defaultValue: string) {
    return Promise.resolve(this.mismatch(flagKey, defaultValue));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number) {
    return Promise.resolve(this.mismatch(flagKey, defaultValue));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T) {
    return Promise.resolve(this.mismatch(flagKey, defaultValue));
  }

  private mismatch<T>(flagKey: string, value: T): ResolutionDetails<T> {
    return {
      value,
      reason: StandardResolutionReasons.ERROR,
      errorCode: this.flags.has(flagKey) ? ErrorCode.TYPE_MISMATCH : ErrorCode.FLAG_NOT_FOUND,
    };
  }
}
