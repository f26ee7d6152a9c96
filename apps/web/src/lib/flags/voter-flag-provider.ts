import type { FlagEvaluation } from '@llmpt/shared';
import {
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  StandardResolutionReasons,
} from '@openfeature/web-sdk';

/**
 * The procedure the provider calls, written out (as `LiveApi` is) so the provider and its tests
 * don't depend on the api's source; `trpc.ts` assigns the real client to it.
 */
export interface FlagsApi {
  flags: { evaluate: { query(): Promise<FlagEvaluation> } };
}

export interface VoterFlagProviderOptions {
  /** Waits before asking again when an api answered an older version than the feed reported. */
  retryDelayMs?: number;
  /** How many times to ask again for a version not yet reached. */
  maxRetries?: number;
}

/**
 * OpenFeature's provider for this voter's flags. The server evaluates them (targeting is by the
 * voter's HttpOnly cookie id, which the page cannot read): `flags.evaluate` on `initialize` and
 * on a context change, and again when the live feed reports a newer flags version
 * (`noteVersion`), after which it emits `ConfigurationChanged` with the flags whose value moved.
 * A failed evaluation leaves every flag at its default (off) and is retried on the next version
 * the feed reports: the page never breaks over a flag.
 * @see https://openfeature.dev/docs/reference/concepts/provider
 */
export class VoterFlagProvider implements Provider {
  readonly metadata = { name: 'llmpt-voter' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private evaluation: FlagEvaluation | null = null;
  /** The newest version the live feed reported. */
  private wanted = 0;
  private reading: Promise<void> | null = null;
  private revision = 0;
  private readonly watchers = new Set<() => void>();

  constructor(
    private readonly api: FlagsApi,
    private readonly opts: VoterFlagProviderOptions = {},
  ) {}

  /** The evaluation in force (null: none yet, or the last read failed before any succeeded). */
  current(): FlagEvaluation | null {
    return this.evaluation;
  }

  async initialize(): Promise<void> {
    await this.refresh();
    // After the SDK has taken the provider as ready (it does so when this promise settles).
    setTimeout(() => this.bump(), 0);
  }

  /**
   * For `useSyncExternalStore`: a number that changes whenever the evaluation may have. The
   * React SDK re-evaluates on the Ready event only if its listener, added in an effect, was
   * already there; a component that rendered before the evaluation and subscribed after it
   * would keep the default. `useFlagsRevision` closes that gap.
   */
  readonly watch = (listener: () => void): (() => void) => {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  };

  readonly getRevision = (): number => this.revision;

  private bump(): void {
    this.revision += 1;
    for (const watcher of [...this.watchers]) watcher();
  }

  onContextChange(): Promise<void> {
    return this.refresh();
  }

  /** A live `config` message's flags version: re-evaluates if it is newer than the one held. */
  noteVersion(version: number): void {
    this.wanted = Math.max(this.wanted, version);
    if (this.evaluation && version <= this.evaluation.version) return;
    void this.refresh();
  }

  /**
   * Evaluates again (one read at a time; a call during a read waits for it and reads again if a
   * newer version was reported meanwhile). Never rejects.
   */
  async refresh(): Promise<void> {
    while (this.reading) await this.reading;
    this.reading = this.read().finally(() => (this.reading = null));
    return this.reading;
  }

  private async read(): Promise<void> {
    const retries = this.opts.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      let next: FlagEvaluation;
      try {
        next = await this.api.flags.evaluate.query();
      } catch {
        // Defaults (or the last good evaluation) stay; the next reported version tries again.
        return;
      }
      this.adopt(next);
      // Another api process may not have heard of the change yet (it learns within a second).
      if (next.version >= this.wanted || attempt >= retries) return;
      await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 300));
    }
  }

  private adopt(next: FlagEvaluation): void {
    const before = this.evaluation;
    if (before && next.version < before.version) return;
    this.evaluation = next;
    if (!before) return; // the first evaluation: the SDK emits Ready itself
    const keys = new Set([...Object.keys(before.flags), ...Object.keys(next.flags)]);
    const flagsChanged = [...keys].filter((k) => before.flags[k]?.value !== next.flags[k]?.value);
    if (flagsChanged.length > 0) {
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
      this.bump();
    }
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    const flag = this.evaluation?.flags[flagKey];
    if (!flag) return { value: defaultValue, reason: StandardResolutionReasons.DEFAULT };
    return {
      value: flag.value,
      variant: flag.variant,
      reason: StandardResolutionReasons.TARGETING_MATCH,
    };
  }

  // Every flag of the product is a boolean: other types get their default.
  resolveStringEvaluation(_key: string, defaultValue: string): ResolutionDetails<string> {
    return { value: defaultValue, reason: StandardResolutionReasons.DEFAULT };
  }

  resolveNumberEvaluation(_key: string, defaultValue: number): ResolutionDetails<number> {
    return { value: defaultValue, reason: StandardResolutionReasons.DEFAULT };
  }

  resolveObjectEvaluation<T extends JsonValue>(
    _key: string,
    defaultValue: T,
  ): ResolutionDetails<T> {
    return { value: defaultValue, reason: StandardResolutionReasons.DEFAULT };
  }
}
