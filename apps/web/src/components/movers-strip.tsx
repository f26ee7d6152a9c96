import type { Mover, MoverWindow, RankingsMovers } from '@llmpt/shared';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';

import { trpc } from '../lib/trpc.ts';
import { describeMove } from '../lib/trends.ts';

/** The history gains an hour every hour (the worker's roll); the api keeps movers a minute. */
const MOVERS_EVERY_MS = 5 * 60_000;
const WINDOWS: ReadonlyArray<[MoverWindow, string, string]> = [
  ['24h', '24 hours', 'in the last 24 hours'],
  ['7d', '7 days', 'in the last 7 days'],
];

/**
 * "Biggest movers" above the board (`rankings.movers`): risers and fallers of the overall score
 * board over 24 hours or 7 days, each with its change of rank and score, linked to its page.
 * Nothing at all while the history is younger than the window shown and no window has any.
 */
export function MoversStrip({ names }: { names: ReadonlyMap<string, string> }) {
  const [window, setWindow] = useState<MoverWindow>('24h');
  const movers = useQuery(
    trpc.rankings.movers.queryOptions(
      { window, limit: 5 },
      { staleTime: MOVERS_EVERY_MS, refetchInterval: MOVERS_EVERY_MS, placeholderData: (p) => p },
    ),
  );
  // The other window too, so the strip stays (with its toggle) when only one has history.
  const other = useQuery(
    trpc.rankings.movers.queryOptions(
      { window: window === '24h' ? '7d' : '24h', limit: 5 },
      { staleTime: MOVERS_EVERY_MS },
    ),
  );
  if (!hasMoves(movers.data) && !hasMoves(other.data)) return null;
  const since = WINDOWS.find(([w]) => w === window)?.[2] ?? '';
  const data = movers.data;
  return (
    <section className="movers" aria-labelledby="movers-title" data-testid="movers">
      <div className="movers-head">
        <h2 id="movers-title">Biggest movers</h2>
        <div className="segmented movers-toggle" role="group" aria-label="Movers period">
          {WINDOWS.map(([w, label]) => (
            <button key={w} type="button" aria-pressed={w === window} onClick={() => setWindow(w)}>
              {label}
            </button>
          ))}
        </div>
      </div>
      {data && hasMoves(data) ? (
        <div className="movers-lists">
          <MoverList
            title="Rising"
            kind="risers"
            movers={data.risers}
            names={names}
            since={since}
          />
          <MoverList
            title="Falling"
            kind="fallers"
            movers={data.fallers}
            names={names}
            since={since}
          />
        </div>
      ) : (
        <p className="muted movers-empty">No history that old yet.</p>
      )}
    </section>
  );
}

const hasMoves = (m: RankingsMovers | undefined): m is RankingsMovers =>
  m !== undefined && m.from !== null && m.risers.length + m.fallers.length > 0;

interface MoverListProps {
  title: string;
  kind: 'risers' | 'fallers';
  movers: readonly Mover[];
  names: ReadonlyMap<string, string>;
  since: string;
}

function MoverList({ title, kind, movers, names, since }: MoverListProps) {
  return (
    <div className="mover-list" data-movers={kind}>
      <h3>{title}</h3>
      {movers.length === 0 ? (
        <p className="muted">None</p>
      ) : (
        <ol>
          {movers.map((m) => (
            <li key={m.llmId} data-llm-id={m.llmId}>
              <Link to="/models/$id" params={{ id: m.llmId }} className="mover-name">
                {names.get(m.llmId) ?? m.llmId}
              </Link>
              <MoverFigures mover={m} since={since} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/**
 * "▲3 #2 +12": places gained or lost and the rank now, or, when either end has no rank, "new #2"
 * / "was #3"; then the score's change. Spoken in full.
 */
function MoverFigures({ mover, since }: { mover: Mover; since: string }) {
  const { rankChange: by, rankBefore, rankNow, scoreChange } = mover;
  const now = rankNow === null ? null : `#${rankNow}`;
  const [mark, rank, spoken] =
    by === null
      ? rankNow !== null
        ? ['new', now, `newly ranked, now ${now}`]
        : rankBefore !== null
          ? ['was', `#${rankBefore}`, `no longer ranked, was #${rankBefore}`]
          : ['', 'unranked', 'not ranked']
      : by === 0
        ? ['=', now, `same rank, ${now}`]
        : [`${by > 0 ? '▲' : '▼'}${Math.abs(by)}`, now, `${describeMove(by)}, now ${now}`];
  const sign = scoreChange >= 0 ? '+' : '−';
  return (
    <span className="mover-figures">
      <span aria-hidden="true">
        <span
          className="mover-rank"
          data-rank-change={by === null || by === 0 ? undefined : by > 0 ? 'up' : 'down'}
        >
          {mark}
        </span>{' '}
        <span className="mover-now">{rank}</span>{' '}
        <span className="mover-score" data-score-change={scoreChange}>
          {sign}
          {Math.abs(scoreChange)}
        </span>
      </span>
      <span className="visually-hidden">{`: ${spoken}, score ${sign}${Math.abs(scoreChange)} ${since}`}</span>
    </span>
  );
}
