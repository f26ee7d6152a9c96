/**
 * Versions of what admins change at run time (the catalogue, the feature flags). Each is a Redis
 * counter bumped with every change and announced on one pub/sub channel; api processes reload
 * what changed and tell their live subscribers, whose pages re-read it (issue 12).
 */
export interface ConfigVersions {
  catalogue: number;
  flags: number;
  /** Integrity flags moved (votes voided or restored): the removed-vote figures changed. */
  integrity: number;
}

/** Every kind, in one place: the channel, the api and the SPA loop over this. */
export const CONFIG_KINDS = ['catalogue', 'flags', 'integrity'] as const satisfies ReadonlyArray<
  keyof ConfigVersions
>;

/** All versions at zero (nothing changed yet). */
export const zeroConfigVersions = (): ConfigVersions => ({ catalogue: 0, flags: 0, integrity: 0 });

/** True when `next` has a version newer than `sent` (null: nothing sent yet). */
export function configMoved(sent: ConfigVersions | null, next: ConfigVersions): boolean {
  return sent === null || CONFIG_KINDS.some((k) => next[k] > sent[k]);
}
