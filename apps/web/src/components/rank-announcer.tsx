import { useEffect, useRef, useState } from 'react';

import { type RankedModel, RankAnnouncer } from '../lib/rank-announcer.ts';

interface RankAnnouncerRegionProps {
  /** The board shown; its first ranks are the baseline, not news. */
  board: string;
  models: readonly RankedModel[];
  minIntervalMs?: number;
}

/**
 * The visually hidden polite live region of docs/ui-contract.md: rank changes, at most one
 * message per 10 s. The text is written by the effect, outside React's rendering, because it
 * depends on time (the throttle), not only on props.
 */
export function RankAnnouncerRegion({ board, models, minIntervalMs }: RankAnnouncerRegionProps) {
  const region = useRef<HTMLDivElement>(null);
  const [announcer] = useState(() => new RankAnnouncer({ minIntervalMs }));
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      const { message, retryInMs } = announcer.update(board, models);
      if (message && region.current) region.current.textContent = message;
      if (retryInMs !== null) timer = setTimeout(run, retryInMs);
    };
    run();
    return () => clearTimeout(timer);
  }, [announcer, board, models]);
  return (
    <div
      ref={region}
      className="visually-hidden"
      aria-live="polite"
      aria-atomic="true"
      data-testid="rank-announcer"
    />
  );
}
