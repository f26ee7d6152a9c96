// THE trending rule (issue 15): a model's score with every vote weighted by its age, halving
// every half-life. One definition, used by the ranker (live), the history ("as of") and the page.

const HOUR_MS = 3_600_000;

/** The default half-life of the trending score (TRENDING_HALF_LIFE_HOURS). */
export const DEFAULT_TRENDING_HALF_LIFE_HOURS = 6;

/** The weight of a vote `ageMs` old: 1 when fresh, ½ after one half-life. */
export function decayWeight(ageMs: number, halfLifeMs: number): number {
  return ageMs <= 0 ? 1 : 2 ** (-ageMs / halfLifeMs);
}

/** A trending value known at `fromMs`, as it stands at `toMs` with no vote in between. */
export function decayTrending(value: number, fromMs: number, toMs: number, halfLifeMs: number) {
  return value * decayWeight(toMs - fromMs, halfLifeMs);
}

/**
 * What is published and shown: two decimals. Rounding keeps pure decay from changing a value on
 * every tick (a value of 100 decays by 0.0008 per 250 ms tick at a 6 h half-life), so a quiet
 * model's entry is not re-sent for a change nobody could see.
 */
export function roundTrending(value: number): number {
  const r = Math.round(value * 100) / 100;
  return r === 0 ? 0 : r; // no "-0"
}

/** Hours to milliseconds, for the half-life setting. */
export const halfLifeMs = (hours: number) => hours * HOUR_MS;
