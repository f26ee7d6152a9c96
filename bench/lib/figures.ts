import type { LoadResult } from './load.ts';
import type { ScenarioResult } from './types.ts';

/** The figures every HTTP scenario reports. */
export function httpFigures(r: LoadResult): ScenarioResult {
  return { rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, requests: r.requests, errors: r.errors };
}

/** a / b to 3 decimals; null when either side is missing (its scenario did not run or failed). */
export function ratio(a: unknown, b: unknown): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !(b > 0)) return null;
  return Math.round((a / b) * 1000) / 1000;
}

/** A numeric figure of an earlier scenario, if it ran. */
export function figure(
  results: Record<string, ScenarioResult>,
  scenario: string,
  key: string,
): number | undefined {
  const value = results[scenario]?.[key];
  return typeof value === 'number' ? value : undefined;
}

/**
 * Issue 16's goal: ≤ 2 KB/s (2,048 bytes) received per live subscriber on average under a
 * uniform 5,000 votes/s; endToEnd and fanout report their figure next to it.
 */
export const BYTES_PER_SUBSCRIBER_GOAL = 2048;
