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

/** One stored hourly snapshot of a model, as the trending value from history needs it. */
export interface HourlyScore {
  /** Start of the hour (ms since the epoch, a whole UTC hour). */
  hourMs: number;
  /** The model's score (up − down) at the end of that hour. */
  score: number;
}

/**
 * The trending value at the end of hour `atHourMs`, from a model's hourly snapshots
 * (llm_score_history): each hour's net votes (its score minus the score of the snapshot before;
 * the first snapshot's whole score) weighted as if cast at the end of that hour, i.e. by
 * {@link decayWeight} of `atHourMs − hourMs`. The same decay as the live value, at an hour's
 * resolution: "as of" boards use it. Snapshots after `atHourMs` are ignored; unrounded (the
 * board rounds with {@link roundTrending}).
 * @param points the model's snapshots, oldest first (gaps allowed: a gap's votes count at the
 *   hour after it).
 * @example scores 10, 14, 15 at hours 0, 3, 6 with a 3 h half-life, at hour 6:
 *   10·¼ + 4·½ + 1·1 = 5.5
 */
export function trendingFromHourly(
  points: readonly HourlyScore[],
  atHourMs: number,
  halfLife: number,
): number {
  let value = 0;
  let previous = 0;
  for (const p of points) {
    if (p.hourMs > atHourMs) break;
    value += (p.score - previous) * decayWeight(atHourMs - p.hourMs, halfLife);
    previous = p.score;
  }
  return value;
}
