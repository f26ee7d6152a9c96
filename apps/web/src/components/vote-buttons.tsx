import type { VoteValue } from '@llmpt/shared';
import { useId } from 'react';

import type { Ballot } from '../lib/ballot.ts';

interface VoteButtonsProps {
  /** The model's display name, for the buttons' accessible names. */
  name: string;
  /** The voter's current ballot on this model (0: none). */
  ballot: VoteValue;
  disabled: boolean;
  /**
   * Why voting on this model is off (the voter's vote is under review or removed): the buttons
   * are disabled and describe it to screen readers, and show it on hover.
   */
  lockedReason?: string | null;
  onVote: (clicked: Ballot) => void;
  size?: 'normal' | 'large';
}

/** Toggle buttons: pressing the pressed one again retracts the ballot. */
export function VoteButtons({
  name,
  ballot,
  disabled,
  lockedReason,
  onVote,
  size = 'normal',
}: VoteButtonsProps) {
  const reasonId = useId();
  const locked = Boolean(lockedReason);
  const common = {
    disabled: disabled || locked,
    title: lockedReason ?? undefined,
    'aria-describedby': locked ? reasonId : undefined,
  };
  return (
    <div className="vote-buttons" data-size={size} data-locked={locked ? '' : undefined}>
      <button
        type="button"
        className="vote vote-up"
        aria-label={`Upvote ${name}`}
        aria-pressed={ballot === 1}
        {...common}
        onClick={() => onVote(1)}
      >
        <Arrow direction="up" />
      </button>
      <button
        type="button"
        className="vote vote-down"
        aria-label={`Downvote ${name}`}
        aria-pressed={ballot === -1}
        {...common}
        onClick={() => onVote(-1)}
      >
        <Arrow direction="down" />
      </button>
      {locked ? (
        <span id={reasonId} className="visually-hidden">
          {lockedReason}
        </span>
      ) : null}
    </div>
  );
}

function Arrow({ direction }: { direction: 'up' | 'down' }) {
  return (
    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={direction === 'up' ? 'M8 3 14 12H2z' : 'M8 13 2 4h12z'} />
    </svg>
  );
}
