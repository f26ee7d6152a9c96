import type { VoteStatus } from '@llmpt/shared';
import { Link } from '@tanstack/react-router';

import { ownVoteStatus, removedLabel, removedMark } from '../lib/integrity.ts';

/**
 * "−12 removed" next to a model's score: votes the integrity checks took out (issue 13). The
 * mark is drawn small and muted; a screen reader hears the whole sentence instead.
 */
export function RemovedMark({ removed }: { removed: number }) {
  return (
    <span className="removed-mark" data-removed={removed} title={removedLabel(removed)}>
      <span aria-hidden="true">{removedMark(removed)}</span>
      <span className="visually-hidden">, {removedLabel(removed)}</span>
    </span>
  );
}

/**
 * The voter's own vote when it does not count: "Under review" / "Removed", linking to the page
 * that says what that means. Nothing for a counted vote.
 */
export function OwnVoteStatus({ status, long = false }: { status: VoteStatus; long?: boolean }) {
  const own = ownVoteStatus(status);
  if (!own) return null;
  return (
    <span className="own-status" data-own-status={status}>
      <Link to="/integrity" className="own-status-badge" title={own.explain}>
        <span className="visually-hidden">Your vote: </span>
        {own.label}
      </Link>
      {long ? <span className="own-status-explain"> {own.explain}</span> : null}
    </span>
  );
}
