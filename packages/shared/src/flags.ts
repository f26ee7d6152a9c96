/**
 * The rollout rule of feature flags, defined once: which voters get a flag on. The api's
 * OpenFeature provider evaluates with it; anything else that must agree (tests, tools) imports it.
 */
import type { FlagVariant } from './schemas/admin.schema.ts';

/** The product's shipped flag: a voter sees a model's tally only after voting on it. */
export const HIDE_RESULTS_FLAG = 'hide-results';

/**
 * A voter's bucket for a flag: a stable integer in [0, 100) from a hash of
 * `flagKey + ':' + targetingKey`. The flag key is part of it so that two flags at 50 % split
 * voters independently (the same half does not get every experiment).
 *
 * FNV-1a 32-bit over UTF-16 code units, then murmur3's 32-bit finalizer: FNV-1a alone spreads
 * short ids well but its low bits avalanche poorly, and ids differing in their last character
 * would land in neighbouring buckets. The bucket is taken from the high bits (h × 100 / 2³²),
 * so every bucket has the same share of the 2³² hashes (±1).
 */
export function rolloutBucket(flagKey: string, targetingKey: string): number {
  const text = `${flagKey}:${targetingKey}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) * 100) / 0x1_0000_0000);
}

/** The part of a flag the rule reads. */
export interface RolloutRule {
  enabled: boolean;
  /** 0–100: the share of buckets that get the flag on. */
  rolloutPercent: number;
}

/** 'on' when the flag is enabled and the voter's bucket is below the rollout percentage. */
export function flagVariant(rule: RolloutRule, bucket: number): FlagVariant {
  return rule.enabled && bucket < rule.rolloutPercent ? 'on' : 'off';
}
