/**
 * Versions of what admins change at run time (the catalogue, the feature flags). Each is a Redis
 * counter bumped with every change and announced on one pub/sub channel; api processes reload
 * what changed and tell their live subscribers, whose pages re-read it (issue 12).
 */
export interface ConfigVersions {
  catalogue: number;
  flags: number;
}
