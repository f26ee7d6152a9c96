/** z for a two-sided 95 % interval. */
export const Z_95 = 1.959964;

/**
 * Lower bound of the Wilson score interval for the share of upvotes (95 % confidence).
 * Ranks a model with 90 up / 10 down above one with 2 up / 0 down. 0 with no upvotes.
 * @see https://www.evanmiller.org/how-not-to-sort-by-average-rating.html
 */
export function wilsonLowerBound(up: number, down: number, z = Z_95): number {
  const n = up + down;
  // No upvotes: exactly 0. The formula gives ±1e-17 there, which would split a tie at 0 (the
  // rank rule compares exact values) and print as "-0.0%".
  if (up === 0) return 0;
  const p = up / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n);
}

/**
 * Upper bound of the same interval: the lower bound of the share of downvotes, mirrored, so the
 * two bounds are computed by one expression and a model with only upvotes has exactly 1.
 */
export function wilsonUpperBound(up: number, down: number, z = Z_95): number {
  if (up + down === 0) return 1;
  return 1 - wilsonLowerBound(down, up, z);
}

/**
 * The 95 % Wilson interval of a model's approval (share of upvotes), [lower, upper]; [0, 1]
 * with no votes (nothing is known).
 * @example wilsonInterval(8, 2) → [0.49, 0.94] (rounded)
 */
export function wilsonInterval(up: number, down: number, z = Z_95): [number, number] {
  if (up + down === 0) return [0, 1];
  return [wilsonLowerBound(up, down, z), wilsonUpperBound(up, down, z)];
}
