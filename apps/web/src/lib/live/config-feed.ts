import { CONFIG_KINDS, type ConfigVersions } from '@llmpt/shared';

export type ConfigKind = keyof ConfigVersions;

/**
 * The newest catalogue and flag versions any live subscription of this tab has reported (the
 * api sends a `config` message after every snapshot or replay and on every admin change). Pages
 * with data of their own (a board's names, the model page's details) track the version they
 * hold themselves; this feed is for what the whole tab shares, the feature flags.
 */
export class ConfigFeed {
  private versions: Partial<ConfigVersions> = {};
  private readonly listeners = new Set<(kind: ConfigKind, version: number) => void>();

  /** The newest version seen of `kind`; undefined before the first `config` message. */
  version(kind: ConfigKind): number | undefined {
    return this.versions[kind];
  }

  /** Records a `config` message; listeners hear of each kind that is newer than any seen. */
  note(config: ConfigVersions): void {
    for (const kind of CONFIG_KINDS) {
      const v = config[kind];
      const seen = this.versions[kind];
      if (!Number.isSafeInteger(v) || (seen !== undefined && v <= seen)) continue;
      this.versions = { ...this.versions, [kind]: v };
      for (const listener of [...this.listeners]) listener(kind, v);
    }
  }

  /** Called with each newer version of a kind (the first one seen included). */
  subscribe(listener: (kind: ConfigKind, version: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
