import type { VoteValue } from '@llmpt/shared';
import { wilsonLowerBound } from '@llmpt/shared';

/** A button's ballot; sending 0 retracts. */
export type Ballot = Exclude<VoteValue, 0>;

export interface Tally {
  up: number;
  down: number;
}

/** What a click sends: the ballot, or 0 when that ballot is already cast (a toggle). */
export function nextBallot(current: VoteValue, clicked: Ballot): VoteValue {
  return current === clicked ? 0 : clicked;
}

/** A tally after one voter changes their ballot `from` → `to` (the optimistic guess). */
export function moveBallot(tally: Tally, from: VoteValue, to: VoteValue): Tally {
  return {
    up: tally.up + (to === 1 ? 1 : 0) - (from === 1 ? 1 : 0),
    down: tally.down + (to === -1 ? 1 : 0) - (from === -1 ? 1 : 0),
  };
}

export function sameTally(a: Tally | null | undefined, b: Tally | null | undefined): boolean {
  return !!a && !!b && a.up === b.up && a.down === b.down;
}

/** A leaderboard row with a new tally, its derived columns kept consistent. */
export function withTally<T extends Tally & { score: number; wilson: number }>(
  row: T,
  tally: Tally,
): T {
  if (sameTally(row, tally)) return row;
  return {
    ...row,
    up: tally.up,
    down: tally.down,
    score: tally.up - tally.down,
    wilson: wilsonLowerBound(tally.up, tally.down),
  };
}
