import type { IntegritySummary, VoteStatus } from '@llmpt/shared';

import { formatCount } from './format.ts';

/**
 * True when the summary held is older than the integrity version the live feed reported (or
 * there is none yet): read it again. The version moves with every flag transition.
 */
export function summaryIsStale(summary: IntegritySummary | undefined, version: number): boolean {
  return !summary || summary.version < version;
}

/** Votes removed from `llmId` (0 when none, or before the summary is known). */
export function removedOf(summary: IntegritySummary | undefined, llmId: string): number {
  const n = summary?.removedByModel[llmId];
  return typeof n === 'number' && n > 0 ? n : 0;
}

/** The muted mark next to a score: "−12 removed" (a real minus sign). */
export const removedMark = (n: number): string => `−${formatCount(n)} removed`;

/** What a screen reader hears for the mark, and its tooltip. */
export const removedLabel = (n: number): string =>
  `${formatCount(n)} ${n === 1 ? 'vote' : 'votes'} removed by integrity checks`;

/**
 * The board's footer line: "1,234 votes removed by integrity checks (56 under review)"; null
 * when nothing was removed (no line: it would only worry people).
 */
export function removedTotalText(summary: IntegritySummary | undefined): string | null {
  if (!summary || summary.removedTotal <= 0) return null;
  const review =
    summary.underReview > 0 ? ` (${formatCount(summary.underReview)} under review)` : '';
  return `${removedLabel(summary.removedTotal)}${review}`;
}

/** The voter's own vote, when it does not count: the short label and why. */
export const OWN_VOTE_STATUS: Record<
  Exclude<VoteStatus, 'counted'>,
  { label: string; explain: string }
> = {
  under_review: {
    label: 'Under review',
    explain:
      'Our integrity checks took your vote out while a person reviews it. It doesn’t count meanwhile and can’t be changed; it comes back if the review finds nothing wrong.',
  },
  removed: {
    label: 'Removed',
    explain:
      'After review, your vote was removed by our integrity checks and doesn’t count. It can’t be changed.',
  },
};

/** The label and explanation for a status other than 'counted'; null for a counted vote. */
export function ownVoteStatus(status: VoteStatus): { label: string; explain: string } | null {
  return status === 'counted' ? null : OWN_VOTE_STATUS[status];
}
