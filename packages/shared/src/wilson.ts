/**
 * Lower bound of the Wilson score interval for the share of upvotes (95 % confidence).
 * Ranks a model with 90 up / 10 down above one with 2 up / 0 down. 0 with no upvotes.
 * @see https://www.evanmiller.org/how-not-to-sort-by-average-rating.html
 */
export function wilsonLowerBound(up: number, down: number, z = 1.959964): number {
  const n = up + down;
  // No upvotes: exactly 0. The formula gives ±1e-17 there, which would split a tie at 0 (the
  // rank rule compares exact values) and print as "-0.0%".
  if (up === 0) return 0;
  const p = up / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n);
}
