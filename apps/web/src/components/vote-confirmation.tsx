import { useEffect } from 'react';

import type {
  VoteController,
  VoteConfirmation as Confirmation,
} from '../lib/votes/vote-controller.ts';

/** How long the "counted" line stays. */
const SHOW_MS = 4_000;

const DONE = { 1: 'Upvote counted', [-1]: 'Downvote counted', 0: 'Vote taken back' } as const;

/**
 * The quiet confirmation of a counted vote, from the server's answer: "Upvote counted: GPT-4o now
 * has 12 up, 3 down." Polite (a status, not an alert), at the bottom of the viewport so it never
 * moves the table, gone after a few seconds. The region is always in the page so every new line
 * is announced.
 */
export function VoteConfirmation({
  confirmation,
  votes,
}: {
  confirmation: Confirmation | null;
  votes: VoteController;
}) {
  useEffect(() => {
    if (!confirmation) return;
    const timer = setTimeout(() => votes.dismissConfirmation(confirmation.id), SHOW_MS);
    return () => clearTimeout(timer);
  }, [confirmation, votes]);
  return (
    <div role="status" className="toast-region toast-region-quiet">
      {confirmation ? (
        <p className="toast toast-quiet" key={confirmation.id} data-testid="vote-confirmation">
          <span className="toast-check" aria-hidden="true">
            ✓
          </span>{' '}
          {DONE[confirmation.value]}: {confirmation.name} now has {confirmation.tally.up} up,{' '}
          {confirmation.tally.down} down.
        </p>
      ) : null}
    </div>
  );
}
