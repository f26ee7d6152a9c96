import type { LeaderboardSearch } from '@llmpt/shared';
import { Link } from '@tanstack/react-router';
import { useId, useState } from 'react';

import { asOfHour, formatHourSpan, toLocalInput } from '../lib/as-of.ts';

interface AsOfPickerProps {
  search: LeaderboardSearch;
  onChange: (next: LeaderboardSearch) => void;
}

/**
 * "Board as of": a native date-time field (local time, whole hours) that puts `asOf=<ISO hour,
 * UTC>` in the URL; the page then shows the stored board of that hour.
 */
export function AsOfPicker({ search, onChange }: AsOfPickerProps) {
  const id = useId();
  const [value, setValue] = useState(() => (search.asOf ? toLocalInput(search.asOf) : ''));
  const [shown, setShown] = useState(search.asOf);
  if (shown !== search.asOf) {
    setShown(search.asOf);
    setValue(search.asOf ? toLocalInput(search.asOf) : '');
  }
  const hour = asOfHour(value);
  // The latest hour that can be asked for (the current one), fixed when the page was opened.
  const [now] = useState(() => Date.now());
  const future = hour !== null && Date.parse(hour) > now;
  return (
    <form
      className="as-of-picker"
      data-testid="as-of-picker"
      onSubmit={(e) => {
        e.preventDefault();
        if (hour && !future) onChange({ ...search, asOf: hour });
      }}
    >
      <label htmlFor={`${id}-at`}>Board as of</label>
      <input
        id={`${id}-at`}
        type="datetime-local"
        step={3600}
        max={toLocalInput(new Date(now).toISOString())}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        aria-describedby={`${id}-hint`}
      />
      <button type="submit" className="button button-quiet" disabled={!hour || future}>
        Show
      </button>
      <span id={`${id}-hint`} className="visually-hidden">
        Shows the leaderboard as it stood at the end of that hour, from the stored history.
      </span>
    </form>
  );
}

interface AsOfBannerProps {
  search: LeaderboardSearch & { asOf: string };
  /** Start of the stored hour shown (ISO); null: the history has nothing that old. */
  hour: string | null | undefined;
}

/** "You are looking at the board as of <time> — Back to live": above every past board. */
export function AsOfBanner({ search, hour }: AsOfBannerProps) {
  const live = { ...search, asOf: undefined };
  const nearest = hour && Date.parse(hour) !== Date.parse(search.asOf) ? hour : null;
  return (
    <div className="as-of-banner" role="status" data-testid="as-of-banner">
      <p>
        You are looking at the board as of{' '}
        <time dateTime={search.asOf}>{formatHourSpan(search.asOf)}</time>
        {hour === null ? (
          <> — the stored history has nothing that old.</>
        ) : nearest ? (
          <>
            {' '}
            (the latest stored hour then: <time dateTime={nearest}>{formatHourSpan(nearest)}</time>)
          </>
        ) : null}{' '}
        — <span className="as-of-note">votes are off on a past board.</span>
      </p>
      <Link to="/" search={live} className="button as-of-back" data-testid="back-to-live">
        Back to live
      </Link>
    </div>
  );
}
